// Runs a service's BatchConsumer on a thread of its own and turns its failure into a process
// shutdown. A consumer that stops with an error could not go on without risking a skipped
// message (a fatal producer, a failed seek back: see consumer.h); the safe way out is to exit and
// be restarted, which replays from the committed offsets. So on an error this raises SIGTERM in
// the process: the main thread's WaitForShutdownSignal() returns, the service stops as usual and
// exits non-zero (the consumer's error is what Join() returns). Without it, a service would go
// on serving gRPC and answering health checks with nobody consuming its topics.
//
//   BlockShutdownSignals();                       // first thing in main()
//   ConsumerThread consuming(consumer.get(), "inventory");
//   int signal = WaitForShutdownSignal();         // SIGTERM from outside, or the consumer failed
//   consumer->Stop();
//   absl::Status consumed = consuming.Join();     // non-OK: exit 1
#ifndef ORDERPLATFORM_PLATFORM_SERVICE_CONSUMER_THREAD_H_
#define ORDERPLATFORM_PLATFORM_SERVICE_CONSUMER_THREAD_H_

#include <string>
#include <thread>

#include "absl/status/status.h"
#include "platform/kafka/consumer.h"

namespace orderplatform::service {

class ConsumerThread {
 public:
  // Starts consumer->Run() at once. `consumer` must outlive this object.
  ConsumerThread(kafka::BatchConsumer* consumer, std::string service);
  // Joins (the consumer must have been stopped, or have failed).
  ~ConsumerThread();

  ConsumerThread(const ConsumerThread&) = delete;
  ConsumerThread& operator=(const ConsumerThread&) = delete;

  // Waits for Run() to return and returns its result. Call once, after consumer->Stop().
  absl::Status Join();

 private:
  std::string service_;
  absl::Status result_;
  std::thread thread_;
};

}  // namespace orderplatform::service

#endif  // ORDERPLATFORM_PLATFORM_SERVICE_CONSUMER_THREAD_H_
