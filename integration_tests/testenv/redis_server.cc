#include "integration_tests/testenv/redis_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace orderplatform::testenv {
namespace {

constexpr char kRedisServer[] = "/usr/bin/redis-server";
constexpr int kStartAttempts = 5;  // a picked port can be taken before redis binds it

// Sends `command` (RESP inline) on a fresh connection and returns the first reply bytes.
std::string RoundTrip(int port, absl::string_view command) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string reply;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      write(fd, command.data(), command.size()) == static_cast<ssize_t>(command.size())) {
    char buf[256];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) reply.assign(buf, n);
  }
  close(fd);
  return reply;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start() { return Start(Options{}); }

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(Options options) {
  absl::Status last = absl::UnknownError("not started");
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    absl::StatusOr<int> port = PickFreePort();
    if (!port.ok()) return port.status();
    std::unique_ptr<RedisServer> server(
        new RedisServer(options, *port, MakeTempDir("redis")));
    last = server->Restart();
    if (last.ok()) return server;
  }
  return last;
}

std::string RedisServer::address() const { return absl::StrCat(host(), ":", port_); }

absl::Status RedisServer::Restart() {
  if (process_ != nullptr && process_->Running()) {
    return absl::FailedPreconditionError("redis-server still running");
  }
  ProcessSpec spec;
  spec.binary = kRedisServer;
  spec.name = "redis";
  spec.args = {"--port", absl::StrCat(port_), "--bind", "127.0.0.1", "--dir", dir_,
               "--save", "", "--daemonize", "no", "--protected-mode", "no",
               "--appendonly", options_.append_only ? "yes" : "no",
               "--appendfsync", "always", "--logfile", ""};
  if (!options_.password.empty()) {
    spec.args.push_back("--requirepass");
    spec.args.push_back(options_.password);
  }
  if (process_ == nullptr) {
    absl::StatusOr<std::unique_ptr<Process>> p = Process::Start(spec);
    if (!p.ok()) return p.status();
    process_ = std::move(*p);
  } else {
    absl::Status s = process_->Restart();
    if (!s.ok()) return s;
  }
  return WaitReady();
}

bool RedisServer::Ping() const {
  std::string command = options_.password.empty()
                            ? "PING\r\n"
                            : absl::StrCat("AUTH ", options_.password, "\r\nPING\r\n");
  std::string reply = RoundTrip(port_, command);
  return absl::StrContains(reply, "+PONG");
}

absl::Status RedisServer::WaitReady() {
  // Loading a large AOF answers -LOADING, which is not +PONG: keep waiting.
  if (WaitUntil(absl::Seconds(10), [&] { return !process_->Running() || Ping(); }) &&
      process_->Running()) {
    return absl::OkStatus();
  }
  std::string tail = process_->StderrTail();
  process_->Kill9();
  return absl::UnavailableError(absl::StrCat("redis-server on port ", port_,
                                             " did not become ready: ", tail));
}

absl::Status RedisServer::Stop() {
  absl::StatusOr<int> code = process_->Terminate(absl::Seconds(10));
  return code.ok() ? absl::OkStatus() : code.status();
}

}  // namespace orderplatform::testenv
