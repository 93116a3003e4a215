#include "integration_tests/chaos/invariant_checker.h"

#include <atomic>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "integration_tests/chaos/topic_tools.h"
#include "orderplatform/v1/events.pb.h"
#include "platform/events/envelope.h"
#include "platform/kafka/testing/mock_cluster.h"
#include "services/payment/payment_decision.h"

namespace orderplatform::chaos {
namespace {

using orderplatform::v1::CancelReason;
using orderplatform::v1::Order;
using orderplatform::v1::OrderStatus;
using orderplatform::v1::Payment;
using orderplatform::v1::PaymentState;

constexpr int kReadThreads = 4;

std::string StatusName(OrderStatus status) { return orderplatform::v1::OrderStatus_Name(status); }
std::string ReasonName(int reason) {
  return orderplatform::v1::CancelReason_Name(static_cast<CancelReason>(reason));
}
std::string PaymentName(const std::optional<Payment>& payment) {
  return payment.has_value() ? orderplatform::v1::PaymentState_Name(payment->state()) : "none";
}

bool IsTerminal(OrderStatus status) {
  return status == orderplatform::v1::CONFIRMED || status == orderplatform::v1::CANCELLED;
}

std::map<std::string, int64_t> QuantityBySku(
    const std::vector<std::pair<std::string, int>>& lines) {
  std::map<std::string, int64_t> sums;
  for (const auto& [sku, quantity] : lines) sums[sku] += quantity;
  return sums;
}

template <typename Lines>
std::map<std::string, int64_t> QuantityBySkuOf(const Lines& lines) {
  std::map<std::string, int64_t> sums;
  for (const auto& line : lines) sums[line.sku()] += line.quantity();
  return sums;
}

bool HasHotLine(const PlannedOrder& plan) {
  for (const auto& [sku, quantity] : plan.lines) {
    if (absl::StartsWith(sku, "hot-")) return true;
  }
  return false;
}

payment::PaymentAnswer ExpectedAnswer(const CheckInput& input, const PlacedOrder& placed) {
  return payment::DecidePayment(input.behavior, {.order_id = placed.order_id,
                                                 .customer_id = placed.plan.customer_id,
                                                 .amount_cents = placed.plan.amount_cents})
      .answer;
}

std::string Header(const kafka::ConsumedMessage& message, absl::string_view key) {
  for (const kafka::Header& header : message.headers) {
    if (header.key == key) return header.value;
  }
  return "";
}

// The event's order id, type and envelope, checked against the message key.
template <typename Event>
bool ParseEvent(const kafka::ConsumedMessage& message, Event* event, TopicView* view) {
  if (!event->ParseFromString(message.value)) {
    view->malformed.push_back({"I7", absl::StrCat("unparseable message on ", message.topic, "[",
                                                  message.partition, "]@", message.offset)});
    return false;
  }
  const std::string type = events::EventType(*event);
  const std::string& order_id = event->envelope().order_id();
  if (order_id != message.key || event->envelope().event_id() != events::EventId(order_id, type)) {
    view->malformed.push_back(
        {"I5", absl::StrCat(message.topic, "[", message.partition, "]@", message.offset, ": key ",
                            message.key, " carries event ", event->envelope().event_id(),
                            " of order ", order_id, " (event ids must be <order id>/<type>)")});
    return false;
  }
  return true;
}

void AddOrderEvent(const kafka::ConsumedMessage& message, TopicView* view) {
  orderplatform::v1::OrderEvent event;
  if (!ParseEvent(message, &event, view)) return;
  OrderFacts& facts = view->facts[message.key];
  if (event.has_order_placed()) {
    ++facts.placed;
    facts.request_ids.insert(event.order_placed().request_id());
    view->order_ids_by_request[event.order_placed().request_id()].insert(message.key);
  } else if (event.has_order_cancellation_requested()) {
    ++facts.cancellation_requested;
  } else if (event.has_order_confirmed()) {
    ++facts.confirmed;
  } else if (event.has_order_cancelled()) {
    facts.cancelled_reasons.insert(event.order_cancelled().reason());
  }
}

void AddInventoryEvent(const kafka::ConsumedMessage& message, TopicView* view) {
  orderplatform::v1::InventoryEvent event;
  if (!ParseEvent(message, &event, view)) return;
  OrderFacts& facts = view->facts[message.key];
  if (event.has_stock_reserved()) {
    ++facts.reserved;
  } else if (event.has_stock_rejected()) {
    facts.rejected_reasons.insert(event.stock_rejected().reason());
  } else if (event.has_stock_committed()) {
    ++facts.committed;
  } else if (event.has_stock_released()) {
    facts.released_reasons.insert(event.stock_released().reason());
  }
}

void AddPaymentEvent(const kafka::ConsumedMessage& message, TopicView* view) {
  orderplatform::v1::PaymentEvent event;
  if (!ParseEvent(message, &event, view)) return;
  OrderFacts& facts = view->facts[message.key];
  if (event.has_payment_authorized()) {
    ++facts.authorized;
  } else if (event.has_payment_declined()) {
    ++facts.declined;
  } else if (event.has_payment_refunded()) {
    ++facts.refunded;
  }
}

// I1, I2 (reserved) and I3 for one SKU.
void CheckStock(const std::string& sku, int64_t set, const orderplatform::v1::StockLevel& level,
                int64_t confirmed_quantity, std::vector<Violation>* out) {
  if (level.available() < 0 || level.reserved() < 0 || level.sold() < 0) {
    out->push_back({"I1", absl::StrCat(sku, " has a negative count: available=", level.available(),
                                       " reserved=", level.reserved(), " sold=", level.sold())});
  }
  const int64_t sum = level.available() + level.reserved() + level.sold();
  if (sum != set) {
    out->push_back(
        {"I1", absl::StrCat(sku, " available+reserved+sold=", sum, " but ", set, " was set")});
  }
  if (level.reserved() != 0) {
    out->push_back({"I2", absl::StrCat(sku, " still has ", level.reserved(), " reserved")});
  }
  if (level.sold() != confirmed_quantity) {
    out->push_back({"I3", absl::StrCat(sku, " sold=", level.sold(), " but CONFIRMED orders hold ",
                                       confirmed_quantity)});
  }
}

// What the order says about itself matches what was placed.
void CheckPlacedFields(const PlacedOrder& placed, const Order& order, std::vector<Violation>* out) {
  const std::string& id = placed.order_id;
  if (order.request_id() != placed.plan.request_id ||
      order.customer_id() != placed.plan.customer_id ||
      order.amount_cents() != placed.plan.amount_cents ||
      QuantityBySkuOf(order.lines()) != QuantityBySku(placed.plan.lines)) {
    out->push_back({"I6", absl::StrCat(id, " does not hold what request ", placed.plan.request_id,
                                       " placed (request_id=", order.request_id(),
                                       " customer=", order.customer_id(),
                                       " amount=", order.amount_cents(), ")")});
  }
}

// The outcomes the order's kind, its cancellation and the payment mock's decision allow.
void CheckOutcome(const CheckInput& input, const PlacedOrder& placed, const Order& order,
                  const std::optional<Payment>& payment, std::vector<Violation>* out) {
  const std::string& id = placed.order_id;
  const std::string kind = OrderKindName(placed.plan.kind);
  const bool confirmed = order.status() == orderplatform::v1::CONFIRMED;
  const bool cancelled = order.status() == orderplatform::v1::CANCELLED;
  const PaymentState state =
      payment.has_value() ? payment->state() : orderplatform::v1::PAYMENT_STATE_UNSPECIFIED;
  // I4: a CONFIRMED order keeps exactly one authorization (the ledger holds one entry per
  // order); a CANCELLED one keeps none.
  if (confirmed && state != orderplatform::v1::AUTHORIZED) {
    out->push_back({"I4", absl::StrCat("CONFIRMED ", id, " has payment ", PaymentName(payment))});
  }
  if (cancelled && state == orderplatform::v1::AUTHORIZED) {
    out->push_back({"I4", absl::StrCat("CANCELLED ", id, " (", ReasonName(order.cancel_reason()),
                                       ") keeps an AUTHORIZED payment")});
  }
  if (cancelled) {
    const CancelReason reason = order.cancel_reason();
    if (reason == orderplatform::v1::CUSTOMER_REQUEST && placed.cancel == CancelResult::kNone) {
      out->push_back({"saga", absl::StrCat(id, " (", kind,
                                           ") is CANCELLED by CUSTOMER_REQUEST "
                                           "but the customer never asked")});
    }
    if (reason == orderplatform::v1::OUT_OF_STOCK && !HasHotLine(placed.plan)) {
      out->push_back({"saga", absl::StrCat(id,
                                           " is OUT_OF_STOCK but takes only SKUs that "
                                           "never run out")});
    }
    if (reason == orderplatform::v1::INVALID_ORDER ||
        reason == orderplatform::v1::CANCEL_REASON_UNSPECIFIED) {
      out->push_back({"saga", absl::StrCat(id, " is CANCELLED with reason ", ReasonName(reason))});
    }
  }
  if (placed.cancel == CancelResult::kRefusedConfirmed && !confirmed) {
    out->push_back({"saga", absl::StrCat("CancelOrder refused ", id, " as CONFIRMED, but it is ",
                                         StatusName(order.status()))});
  }
  switch (ExpectedAnswer(input, placed)) {
    case payment::PaymentAnswer::kDecline:
      if (confirmed || (payment.has_value() && state != orderplatform::v1::DECLINED)) {
        out->push_back({"I4", absl::StrCat(id, " (", kind, ") must be declined but is ",
                                           StatusName(order.status()), " with payment ",
                                           PaymentName(payment))});
      }
      break;
    case payment::PaymentAnswer::kNoAnswer:
      if (confirmed || payment.has_value()) {
        out->push_back(
            {"I4", absl::StrCat(id, " gets no payment answer but is ", StatusName(order.status()),
                                " with payment ", PaymentName(payment))});
      }
      break;
    case payment::PaymentAnswer::kAuthorize:
      if (state == orderplatform::v1::DECLINED ||
          order.cancel_reason() == orderplatform::v1::PAYMENT_DECLINED) {
        out->push_back(
            {"I4", absl::StrCat(id, " must be authorized but is ", StatusName(order.status()), "/",
                                ReasonName(order.cancel_reason()), " with payment ",
                                PaymentName(payment))});
      }
      break;
  }
}

// Facts that can never both be true of one order: one of them was applied twice or wrongly.
void CheckContradictions(const std::string& id, const OrderFacts& facts,
                         std::vector<Violation>* out) {
  auto add = [&](absl::string_view what) { out->push_back({"I5", absl::StrCat(id, ": ", what)}); };
  if (facts.reserved > 0 && !facts.rejected_reasons.empty())
    add("both StockReserved and StockRejected");
  if (facts.committed > 0 && !facts.released_reasons.empty())
    add("both StockCommitted and StockReleased");
  if (facts.authorized > 0 && facts.declined > 0) add("both PaymentAuthorized and PaymentDeclined");
  if (facts.refunded > 0 && facts.authorized == 0) add("PaymentRefunded without PaymentAuthorized");
  if (facts.confirmed > 0 && !facts.cancelled_reasons.empty())
    add("both OrderConfirmed and OrderCancelled");
  if (facts.rejected_reasons.size() > 1) add("StockRejected with different reasons");
  if (facts.released_reasons.size() > 1) add("StockReleased with different reasons");
  if (facts.cancelled_reasons.size() > 1) add("OrderCancelled with different reasons");
  if (facts.committed > 0 && facts.reserved == 0) add("StockCommitted without StockReserved");
  if (!facts.released_reasons.empty() && facts.reserved == 0)
    add("StockReleased without StockReserved");
}

// The order's projection and its payment agree with the events that decide them.
void CheckAgreement(const CheckInput& input, const PlacedOrder& placed, const Order& order,
                    const std::optional<Payment>& payment, const OrderFacts& facts,
                    std::vector<Violation>* out) {
  const std::string& id = placed.order_id;
  auto add = [&](absl::string_view what) {
    out->push_back({"saga", absl::StrCat(id, " is ", StatusName(order.status()), "/",
                                         ReasonName(order.cancel_reason()), " with payment ",
                                         PaymentName(payment), ", but ", what)});
  };
  if (order.status() == orderplatform::v1::CONFIRMED) {
    if (facts.committed == 0) add("inventory.v1 has no StockCommitted");
    if (facts.authorized == 0) add("payments.v1 has no PaymentAuthorized");
    if (facts.confirmed == 0) add("orders.v1 has no OrderConfirmed");
  }
  if (order.status() == orderplatform::v1::CANCELLED) {
    const int reason = order.cancel_reason();
    const bool rejected = facts.rejected_reasons.count(reason) > 0;
    const bool released = facts.released_reasons.count(reason) > 0;
    if (!rejected && !released) add("no StockRejected/StockReleased carries that reason");
    if (facts.cancelled_reasons.count(reason) == 0) add("orders.v1 has no OrderCancelled with it");
  }
  if (payment.has_value()) {
    const PaymentState state = payment->state();
    if (state == orderplatform::v1::AUTHORIZED && (facts.authorized == 0 || facts.refunded > 0)) {
      add("the events say otherwise (PaymentAuthorized missing or PaymentRefunded present)");
    }
    if (state == orderplatform::v1::DECLINED && facts.declined == 0) add("no PaymentDeclined");
    if (state == orderplatform::v1::REFUNDED && facts.refunded == 0) add("no PaymentRefunded");
    if (state == orderplatform::v1::REFUNDED && facts.released_reasons.empty()) {
      add("it was refunded although its stock was never released");
    }
  }
  // Every StockReserved reaches payment: unless the mock never answers this order, the ledger
  // must hold its decision once the consumers caught up (a lost message otherwise).
  if (facts.reserved > 0 && !payment.has_value() &&
      ExpectedAnswer(input, placed) != payment::PaymentAnswer::kNoAnswer) {
    add("payment never recorded a decision for its StockReserved");
  }
}

}  // namespace

std::string ToString(const Violation& violation) {
  return absl::StrCat(violation.invariant, ": ", violation.detail);
}

PlatformView ReadPlatform(PlatformClient& client, const CheckInput& input, int order_instance,
                          absl::Duration patience) {
  PlatformView view;
  absl::Mutex mu;
  std::atomic<size_t> next{0};
  auto read_orders = [&] {
    // Bounded: each turn takes the next order; the loop ends after the last.
    for (size_t i = next.fetch_add(1); i < input.orders.size(); i = next.fetch_add(1)) {
      const std::string& id = input.orders[i].order_id;
      absl::StatusOr<Order> order =
          WithRetries<Order>(client.order_instances(), order_instance, patience,
                             [&](int) { return client.GetOnce(order_instance, id); });
      absl::StatusOr<Payment> payment = client.GetPayment(id, patience);
      absl::MutexLock lock(&mu);
      if (order.ok()) {
        view.orders[id] = *std::move(order);
      } else {
        view.unreadable.push_back(
            {"I2", absl::StrCat("GetOrder(", id, ") on order-", order_instance, ": ",
                                order.status().ToString())});
      }
      if (payment.ok()) {
        view.payments[id] = *std::move(payment);
      } else if (absl::IsNotFound(payment.status())) {
        view.payments[id] = std::nullopt;
      } else {
        view.unreadable.push_back(
            {"I4", absl::StrCat("GetPayment(", id, "): ", payment.status().ToString())});
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kReadThreads; ++t) threads.emplace_back(read_orders);
  for (std::thread& thread : threads) thread.join();
  for (const auto& [sku, set] : input.stock_set) {
    absl::StatusOr<orderplatform::v1::StockLevel> level = client.GetStock(sku, patience);
    if (level.ok()) {
      view.stock[sku] = *std::move(level);
    } else {
      view.unreadable.push_back(
          {"I1", absl::StrCat("GetStock(", sku, "): ", level.status().ToString())});
    }
  }
  return view;
}

void AddSagaMessage(const kafka::ConsumedMessage& message, TopicView* view) {
  if (absl::StartsWith(message.key, kGarbageKeyPrefix)) return;
  ++view->messages;
  if (message.topic == "orders.v1") {
    AddOrderEvent(message, view);
  } else if (message.topic == "inventory.v1") {
    AddInventoryEvent(message, view);
  } else if (message.topic == "payments.v1") {
    AddPaymentEvent(message, view);
  }
}

void AddDeadLetter(const kafka::ConsumedMessage& message, TopicView* view) {
  view->dead_letters.push_back({.topic = message.topic,
                                .key = message.key,
                                .value = message.value,
                                .error = Header(message, "dlq.error"),
                                .source_topic = Header(message, "dlq.source.topic"),
                                .source_partition = Header(message, "dlq.source.partition"),
                                .source_offset = Header(message, "dlq.source.offset")});
}

absl::StatusOr<TopicView> ReadTopics(const std::string& bootstrap, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  TopicView view;
  for (const std::string& topic : SagaTopics()) {
    for (const std::string& name : {topic, absl::StrCat(topic, ".dlq")}) {
      absl::StatusOr<std::vector<kafka::ConsumedMessage>> messages =
          kafka::testing::ReadTopic(bootstrap, name, deadline - absl::Now());
      if (!messages.ok()) return messages.status();
      for (const kafka::ConsumedMessage& message : *messages) {
        if (name == topic) {
          AddSagaMessage(message, &view);
        } else {
          AddDeadLetter(message, &view);
        }
      }
    }
  }
  return view;
}

std::vector<Violation> CheckState(const CheckInput& input, const PlatformView& view) {
  std::vector<Violation> out = view.unreadable;
  std::map<std::string, int64_t> confirmed_quantity;
  for (const PlacedOrder& placed : input.orders) {
    auto order = view.orders.find(placed.order_id);
    if (order == view.orders.end()) continue;  // reported as unreadable
    if (!IsTerminal(order->second.status())) {
      out.push_back({"I2", absl::StrCat(placed.order_id, " (", OrderKindName(placed.plan.kind),
                                        ") is still ", StatusName(order->second.status()))});
    }
    if (order->second.status() == orderplatform::v1::CONFIRMED) {
      for (const auto& line : order->second.lines()) {
        confirmed_quantity[line.sku()] += line.quantity();
      }
    }
    CheckPlacedFields(placed, order->second, &out);
    auto payment = view.payments.find(placed.order_id);
    if (payment != view.payments.end()) {
      CheckOutcome(input, placed, order->second, payment->second, &out);
    }
  }
  for (const auto& [sku, set] : input.stock_set) {
    auto level = view.stock.find(sku);
    if (level == view.stock.end()) continue;  // reported as unreadable
    CheckStock(sku, set, level->second, confirmed_quantity[sku], &out);
  }
  return out;
}

std::vector<Violation> CheckTopics(const CheckInput& input, const PlatformView& view,
                                   const TopicView& topics) {
  std::vector<Violation> out = topics.malformed;
  std::set<std::string> known;
  for (const PlacedOrder& placed : input.orders) {
    known.insert(placed.order_id);
    auto facts = topics.facts.find(placed.order_id);
    if (facts == topics.facts.end() || facts->second.placed == 0) {
      out.push_back({"I8", absl::StrCat(placed.order_id,
                                        " was accepted but orders.v1 has no "
                                        "OrderPlaced for it")});
      continue;
    }
    if (facts->second.request_ids != std::set<std::string>{placed.plan.request_id}) {
      out.push_back({"I6", absl::StrCat(placed.order_id, "'s OrderPlaced events carry request ids ",
                                        absl::StrJoin(facts->second.request_ids, ","), ", not ",
                                        placed.plan.request_id)});
    }
    auto order = view.orders.find(placed.order_id);
    auto payment = view.payments.find(placed.order_id);
    if (order != view.orders.end() && payment != view.payments.end()) {
      CheckAgreement(input, placed, order->second, payment->second, facts->second, &out);
    }
  }
  for (const auto& [request_id, order_ids] : topics.order_ids_by_request) {
    if (order_ids.size() > 1) {
      out.push_back({"I6", absl::StrCat("request ", request_id, " became several orders: ",
                                        absl::StrJoin(order_ids, ","))});
    }
  }
  for (const auto& [id, facts] : topics.facts) {
    CheckContradictions(id, facts, &out);
    if (facts.placed > 0 && known.count(id) == 0) {
      out.push_back({"saga", absl::StrCat(id,
                                          " was announced (OrderPlaced) but no PlaceOrder "
                                          "of the run stored it")});
    }
  }
  for (const DeadLetter& dead : topics.dead_letters) {
    if (!absl::StartsWith(dead.key, kGarbageKeyPrefix)) {
      out.push_back({"I7", absl::StrCat("a good message went to ", dead.topic, ": key ", dead.key,
                                        " from ", dead.source_topic, "[", dead.source_partition,
                                        "]@", dead.source_offset, ": ", dead.error)});
    }
    int64_t number = 0;
    if (dead.error.empty() || absl::StrContains(dead.error, "\n") ||
        dead.topic != absl::StrCat(dead.source_topic, ".dlq") ||
        !absl::SimpleAtoi(dead.source_partition, &number) ||
        !absl::SimpleAtoi(dead.source_offset, &number)) {
      out.push_back({"I7", absl::StrCat("dead letter ", dead.key, " on ", dead.topic,
                                        " lacks the contract's headers (error='", dead.error,
                                        "' source=", dead.source_topic, "[", dead.source_partition,
                                        "]@", dead.source_offset, ")")});
    }
  }
  return out;
}

std::string Snapshot(const PlatformView& view) {
  std::string out;
  for (const auto& [id, order] : view.orders) {
    auto payment = view.payments.find(id);
    absl::StrAppend(
        &out, id, " ", StatusName(order.status()), " ", ReasonName(order.cancel_reason()),
        order.cancellation_requested() ? " cancel-requested" : "",
        " payment:", payment == view.payments.end() ? "?" : PaymentName(payment->second), "\n");
  }
  for (const auto& [sku, level] : view.stock) {
    absl::StrAppend(&out, sku, " available=", level.available(), " reserved=", level.reserved(),
                    " sold=", level.sold(), "\n");
  }
  return out;
}

std::vector<std::string> SnapshotDiff(const std::string& before, const std::string& after,
                                      int lines_max) {
  std::vector<std::string> a = absl::StrSplit(before, '\n');
  std::vector<std::string> b = absl::StrSplit(after, '\n');
  std::vector<std::string> diff;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n && static_cast<int>(diff.size()) < lines_max; ++i) {
    const std::string& x = i < a.size() ? a[i] : "";
    const std::string& y = i < b.size() ? b[i] : "";
    if (x != y) diff.push_back(absl::StrCat("'", x, "' -> '", y, "'"));
  }
  return diff;
}

}  // namespace orderplatform::chaos
