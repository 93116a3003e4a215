// The chaos run's invariant checker: reads what the platform says through its gRPC APIs (every
// order, payment and stock level) and what happened on its topics (every event of every order,
// every dead letter), and holds both to the contract's invariants I1–I7 and to the facts that
// tie them together (a CONFIRMED order has a StockCommitted; no order has both a commit and a
// release; an order's payment answer is the mock's pure decision; no good message in a .dlq).
//
// Reading (ReadPlatform, ReadTopics) is separate from judging (CheckState, CheckTopics), and the
// judging is pure, so every rule is unit-tested against views that break it.
//
//   PlatformView view = ReadPlatform(client, input, /*order_instance=*/0, absl::Seconds(60));
//   absl::StatusOr<TopicView> topics = ReadTopics(bootstrap, absl::Seconds(60));
//   std::vector<Violation> found = CheckState(input, view);
//   std::vector<Violation> more = CheckTopics(input, view, *topics);
//   std::string before = Snapshot(view);  // equal before and after a replay: I5
#ifndef ORDERPLATFORM_INTEGRATION_TESTS_CHAOS_INVARIANT_CHECKER_H_
#define ORDERPLATFORM_INTEGRATION_TESTS_CHAOS_INVARIANT_CHECKER_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "integration_tests/chaos/chaos_plan.h"
#include "integration_tests/chaos/platform_client.h"
#include "orderplatform/v1/inventory_service.pb.h"
#include "orderplatform/v1/order_service.pb.h"
#include "orderplatform/v1/payment_service.pb.h"
#include "platform/kafka/message.h"

namespace orderplatform::chaos {

enum class CancelResult {
  kNone,              // the customer never asked
  kRequested,         // CancelOrder answered OK
  kRefusedConfirmed,  // CancelOrder answered FAILED_PRECONDITION: the order was CONFIRMED
  kUnanswered,        // every attempt failed (it may still have been stored)
};

// One order the run placed and the platform stored.
struct PlacedOrder {
  PlannedOrder plan;
  std::string order_id;
  // PlaceOrder answered OK. False: every attempt failed, but GetOrder finds the order (stored,
  // its answer lost): the platform must see it through like any other.
  bool acknowledged = true;
  CancelResult cancel = CancelResult::kNone;
};

struct CheckInput {
  std::map<std::string, int64_t> stock_set;  // SKU -> units set
  std::vector<PlacedOrder> orders;
  orderplatform::v1::PaymentBehavior behavior;
};

struct Violation {
  std::string invariant;  // "I1".."I7"; "saga" for a broken tie between services' records
  std::string detail;
};
std::string ToString(const Violation& violation);

struct PlatformView {
  std::map<std::string, orderplatform::v1::Order> orders;                     // by order id
  std::map<std::string, std::optional<orderplatform::v1::Payment>> payments;  // nullopt: none
  std::map<std::string, orderplatform::v1::StockLevel> stock;                 // by SKU
  std::vector<Violation> unreadable;  // reads that still failed after their patience
};
// Reads every order of `input` from `order_instance`, its payment and every SKU's stock.
PlatformView ReadPlatform(PlatformClient& client, const CheckInput& input, int order_instance,
                          absl::Duration patience);

// Everything the topics say about one order (counts include duplicates).
struct OrderFacts {
  int placed = 0;
  std::set<std::string> request_ids;  // of its OrderPlaced events
  int cancellation_requested = 0;
  int confirmed = 0;
  std::set<int> cancelled_reasons;  // OrderCancelled
  int reserved = 0;
  std::set<int> rejected_reasons;  // StockRejected
  int committed = 0;
  std::set<int> released_reasons;  // StockReleased
  int authorized = 0;
  int declined = 0;
  int refunded = 0;
};

struct DeadLetter {
  std::string topic;  // the .dlq topic
  std::string key;
  std::string value;
  std::string error;         // dlq.error
  std::string source_topic;  // dlq.source.topic
  std::string source_partition;
  std::string source_offset;
};

struct TopicView {
  std::map<std::string, OrderFacts> facts;  // by order id (the message key)
  std::map<std::string, std::set<std::string>> order_ids_by_request;  // from OrderPlaced
  std::vector<DeadLetter> dead_letters;
  std::vector<Violation> malformed;  // saga messages that do not parse or are mislabelled
  int64_t messages = 0;
};
// Reads the three saga topics and their .dlq topics. Messages whose key starts with
// kGarbageKeyPrefix (the run's own garbage, topic_tools.h) are not saga events and are skipped.
absl::StatusOr<TopicView> ReadTopics(const std::string& bootstrap, absl::Duration timeout);
// What ReadTopics does with each message (exposed for tests).
void AddSagaMessage(const kafka::ConsumedMessage& message, TopicView* view);
void AddDeadLetter(const kafka::ConsumedMessage& message, TopicView* view);

// I1 (stock adds up, nothing negative), I2 (every order terminal, nothing reserved), I3 (sold =
// CONFIRMED quantities), I4 (payments match outcomes), and the outcomes each order's kind allows.
std::vector<Violation> CheckState(const CheckInput& input, const PlatformView& view);

// The topics against the state: every order announced (nothing lost), one order per request_id
// (I6), no order with contradictory facts (nothing applied twice), the projection and the ledger
// agree with the inventory's and payment's events, every StockReserved got the mock's answer,
// and only the run's garbage in the .dlq topics (I7: no good message is dead-lettered).
std::vector<Violation> CheckTopics(const CheckInput& input, const PlatformView& view,
                                   const TopicView& topics);

// Orders (status, reason, cancellation), payments and stock levels as comparable text: equal
// before and after a replay or garbage means they changed nothing (I5, I7).
std::string Snapshot(const PlatformView& view);
// Lines of `after` that differ from `before`, at most `lines_max`.
std::vector<std::string> SnapshotDiff(const std::string& before, const std::string& after,
                                      int lines_max);

}  // namespace orderplatform::chaos

#endif  // ORDERPLATFORM_INTEGRATION_TESTS_CHAOS_INVARIANT_CHECKER_H_
