// What the hardening tests read from outside a running stack: the services' log lines, a
// process's resident memory, and the dead letters of every topic.
//
//   int failed = CountLogLines(stack->inventory().process().stderr_path(),
//                              {"event=kafka_batch_failed"});
//   absl::StatusOr<int64_t> rss_kb = ResidentKb(stack->inventory().process().pid());
//   absl::StatusOr<std::vector<kafka::ConsumedMessage>> dead = AllDeadLetters(bootstrap);
#ifndef ORDERPLATFORM_INTEGRATION_TESTS_OBSERVE_H_
#define ORDERPLATFORM_INTEGRATION_TESTS_OBSERVE_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "platform/kafka/message.h"

namespace orderplatform::integration {

// Lines of the file at `path` that contain every one of `substrings` (0 if it cannot be read).
int CountLogLines(const std::string& path, const std::vector<std::string>& substrings);

// VmRSS of `pid` from /proc/<pid>/status, in kB.
absl::StatusOr<int64_t> ResidentKb(pid_t pid);

// Every message of orders.v1.dlq, inventory.v1.dlq and payments.v1.dlq.
absl::StatusOr<std::vector<kafka::ConsumedMessage>> AllDeadLetters(const std::string& bootstrap);

// The value of the first header named `key`, or "" when there is none.
std::string HeaderValue(const kafka::ConsumedMessage& message, absl::string_view key);

}  // namespace orderplatform::integration

#endif  // ORDERPLATFORM_INTEGRATION_TESTS_OBSERVE_H_
