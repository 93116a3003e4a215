#include "platform/metrics/http_server.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "httplib.h"
#include "platform/log/log.h"

namespace orderplatform::metrics {
absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    const MetricsServerOptions& options, const Registry* registry) {
  if (options.port < 0 || options.port > 65535 || options.threads < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics server: invalid port ", options.port, " or threads ",
                     options.threads));
  }
  auto server = std::make_unique<httplib::Server>();
  const int threads = options.threads;
  server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  const time_t timeout_s = static_cast<time_t>(
      std::max<int64_t>(1, absl::ToInt64Seconds(options.io_timeout)));
  server->set_read_timeout(timeout_s);
  server->set_write_timeout(timeout_s);
  server->set_keep_alive_max_count(1);
  // httplib's default also sets SO_REUSEPORT, which would let a second process bind the same
  // port and silently take half the scrapes; a taken port must be an error instead. SO_REUSEADDR
  // stays, so a restarted service can rebind while old connections linger in TIME_WAIT.
  server->set_socket_options([](socket_t socket) {
    const int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server->Get("/metrics", [registry](const httplib::Request&, httplib::Response& response) {
    response.set_content(registry->RenderText(), kExpositionContentType);
  });

  int port = options.port;
  if (port == 0) {
    port = server->bind_to_any_port(options.host);
  } else if (!server->bind_to_port(options.host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for metrics on ", options.host, ":", options.port));
  }
  std::unique_ptr<MetricsHttpServer> out(new MetricsHttpServer(std::move(server), port));
  if (options.print_port) {
    // A line of its own on stdout, flushed now: tests wait for it before scraping.
    std::printf("metrics_port=%d\n", port);
    std::fflush(stdout);
  }
  log::LogInfo("metrics_listening", {{"host", options.host}, {"port", port}});
  return out;
}

MetricsHttpServer::MetricsHttpServer(std::unique_ptr<httplib::Server> server, int port)
    : server_(std::move(server)), port_(port) {
  // The socket is bound and listening already: scrapes that arrive before the accept loop runs
  // wait in the backlog.
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    listen_returned_.store(true);
  });
}

MetricsHttpServer::~MetricsHttpServer() { Stop(); }

void MetricsHttpServer::Stop() {
  if (!thread_.joinable()) return;
  // httplib's stop() does nothing until the accept loop has started, and must be called only
  // once (a second call asserts), so wait for the loop (it starts at once) and stop it once.
  while (!server_->is_running() && !listen_returned_.load()) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  if (!listen_returned_.load()) server_->stop();
  thread_.join();
}

}  // namespace orderplatform::metrics
