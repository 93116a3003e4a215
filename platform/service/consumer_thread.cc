#include "platform/service/consumer_thread.h"

#include <signal.h>
#include <unistd.h>

#include <utility>

#include "platform/log/log.h"

namespace orderplatform::service {

ConsumerThread::ConsumerThread(kafka::BatchConsumer* consumer, std::string service)
    : service_(std::move(service)) {
  thread_ = std::thread([this, consumer] {
    result_ = consumer->Run();
    if (result_.ok()) return;
    log::LogError("consumer_failed", {{"service", service_}, {"error", result_.ToString()}});
    // To the process, not this thread: the signal stays pending until the thread that waits
    // for shutdown signals takes it (they are blocked everywhere else).
    kill(getpid(), SIGTERM);
  });
}

ConsumerThread::~ConsumerThread() {
  if (thread_.joinable()) thread_.join();
}

absl::Status ConsumerThread::Join() {
  if (thread_.joinable()) thread_.join();
  return result_;
}

}  // namespace orderplatform::service
