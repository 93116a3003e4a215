// A real redis-server for one test: its own temp dir and free port, AOF on with
// `appendfsync always` (so a kill -9 loses nothing that was acknowledged), torn down with the
// object. Restart() reuses the port and the directory, so the data comes back from the AOF.
//
//   auto redis = RedisServer::Start().value();
//   Connect(redis->host(), redis->port());
//   redis->Kill9();  redis->Restart();
#ifndef ORDERPLATFORM_INTEGRATION_TESTS_TESTENV_REDIS_SERVER_H_
#define ORDERPLATFORM_INTEGRATION_TESTS_TESTENV_REDIS_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "integration_tests/testenv/process.h"

namespace orderplatform::testenv {

class RedisServer {
 public:
  struct Options {
    bool append_only = true;
    std::string password;  // empty: no AUTH
  };

  static absl::StatusOr<std::unique_ptr<RedisServer>> Start();
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(Options options);

  std::string host() const { return "127.0.0.1"; }
  int port() const { return port_; }
  std::string address() const;  // "127.0.0.1:PORT", the form of the services' --redis flag

  void Kill9() { process_->Kill9(); }
  absl::Status Stop();     // SIGTERM and wait (redis fsyncs and exits)
  absl::Status Restart();  // same port, same dir; waits until it answers PING
  bool Ping() const;       // true when the server answers +PONG on a fresh connection
  Process& process() { return *process_; }

 private:
  RedisServer(Options options, int port, std::string dir)
      : options_(std::move(options)), port_(port), dir_(std::move(dir)) {}
  absl::Status WaitReady();

  Options options_;
  int port_;
  std::string dir_;
  std::unique_ptr<Process> process_;
};

}  // namespace orderplatform::testenv

#endif  // ORDERPLATFORM_INTEGRATION_TESTS_TESTENV_REDIS_SERVER_H_
