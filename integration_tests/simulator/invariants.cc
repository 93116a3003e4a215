#include "integration_tests/simulator/invariants.h"

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "services/inventory/inventory_keys.h"
#include "services/order/order_id.h"
#include "services/order/order_keys.h"
#include "services/payment/payment_keys.h"
#include "services/payment/payment_ledger.h"

namespace orderplatform::simulator {
namespace {

using orderplatform::v1::CancelReason_Name;
using orderplatform::v1::OrderStatus_Name;
using orderplatform::v1::PaymentState_Name;

constexpr char kDeadLetterSuffix[] = ".dlq";

Violation Fail(std::string invariant, std::string detail) {
  return Violation{std::move(invariant), std::move(detail)};
}

std::string Who(const std::string& order_id, const OrderView& view) {
  return absl::StrCat(view.request_id, " (", order_id, ")");
}

std::string StatusText(const OrderView& view) {
  if (!view.record.has_value()) return "not stored";
  const orderplatform::v1::Order& order = view.record->order;
  if (order.status() != orderplatform::v1::CANCELLED) return OrderStatus_Name(order.status());
  return absl::StrCat("CANCELLED(", CancelReason_Name(order.cancel_reason()), ")");
}

std::string ReservationText(const OrderView& view) {
  if (!view.reservation.has_value()) return "no reservation";
  if (view.reservation->state != "RELEASED") return view.reservation->state;
  return absl::StrCat("RELEASED(", view.reservation->release_reason, ")");
}

std::string RecordText(const order::OrderRecord& record) {
  return absl::StrCat("{", record.order.ShortDebugString(),
                      " cancellation_requested_at_ms: ", record.cancellation_requested_at_ms,
                      " outcome_causation_id: ", record.outcome_causation_id, "}");
}

std::string PaymentDetail(const OrderView& view) {
  if (!view.payment.has_value()) return "no payment";
  const payment::LedgerEntry& p = *view.payment;
  return absl::StrCat(PaymentState_Name(p.state), " amount_cents=", p.amount_cents, " ",
                      p.currency, " decline_reason=", p.decline_reason,
                      " decided_at_ms=", p.decided_at_ms, " refunded_at_ms=", p.refunded_at_ms);
}

std::string PaymentText(const OrderView& view) {
  return view.payment.has_value() ? PaymentState_Name(view.payment->state) : "no payment";
}

orderplatform::v1::PaymentState PaymentState(const OrderView& view) {
  return view.payment.has_value() ? view.payment->state
                                  : orderplatform::v1::PAYMENT_STATE_UNSPECIFIED;
}

orderplatform::v1::OrderStatus Status(const OrderView& view) {
  return view.record.has_value() ? view.record->order.status()
                                 : orderplatform::v1::ORDER_STATUS_UNSPECIFIED;
}

bool HasReservation(const OrderView& view, absl::string_view state) {
  return view.reservation.has_value() && view.reservation->state == state;
}

// A reservation record from the reply to HMGET state release_reason skus quantities.
absl::StatusOr<std::optional<ReservationView>> ParseReservation(const std::string& order_id,
                                                                const redis::RedisReply& reply) {
  if (!reply.is_array() || reply.elements.size() != 4) {
    return absl::InternalError(absl::StrCat("HMGET reservation: ", reply.DebugString()));
  }
  const std::vector<redis::RedisReply>& fields = reply.elements;
  if (fields[0].is_nil()) return std::optional<ReservationView>();
  ReservationView view{.state = fields[0].str,
                       .release_reason = fields[1].is_nil() ? "" : fields[1].str};
  if (!fields[2].is_nil() && !fields[3].is_nil()) {
    std::vector<std::string> skus = absl::StrSplit(fields[2].str, ',', absl::SkipEmpty());
    std::vector<std::string> quantities = absl::StrSplit(fields[3].str, ',', absl::SkipEmpty());
    if (skus.size() != quantities.size()) {
      return absl::InternalError(absl::StrCat("reservation of ", order_id, " is malformed"));
    }
    for (size_t i = 0; i < skus.size(); ++i) {
      int64_t quantity = 0;
      if (!absl::SimpleAtoi(quantities[i], &quantity)) {
        return absl::InternalError(absl::StrCat("reservation of ", order_id, " is malformed"));
      }
      view.quantities[skus[i]] += quantity;
    }
  }
  return std::optional<ReservationView>(std::move(view));
}

std::optional<Violation> CheckStock(const SagaSetup& setup, const Snapshot& now) {
  for (const auto& [sku, set] : setup.stock) {
    auto it = now.stock.find(sku);
    if (it == now.stock.end()) return Fail("I1", absl::StrCat(sku, ": no stock read"));
    const orderplatform::v1::StockLevel& level = it->second;
    const std::string numbers = absl::StrCat(sku, ": available=", level.available(),
                                             " reserved=", level.reserved(), " sold=", level.sold(),
                                             ", stock set ", set);
    if (level.available() < 0 || level.reserved() < 0 || level.sold() < 0) {
      return Fail("I1", absl::StrCat("negative stock, ", numbers));
    }
    if (level.available() + level.reserved() + level.sold() != set) {
      return Fail("I1", absl::StrCat("available+reserved+sold != stock set, ", numbers));
    }
    // The scripts move stock and the record in one atomic step, so the records account for
    // every reserved and sold unit at every instant.
    int64_t reserved = 0;
    int64_t sold = 0;
    for (const auto& [order_id, view] : now.orders) {
      if (!view.reservation.has_value()) continue;
      auto quantity = view.reservation->quantities.find(sku);
      if (quantity == view.reservation->quantities.end()) continue;
      if (view.reservation->state == "RESERVED") reserved += quantity->second;
      if (view.reservation->state == "COMMITTED") sold += quantity->second;
    }
    if (reserved != level.reserved() || sold != level.sold()) {
      return Fail("I1", absl::StrCat("stock does not match the reservation records (RESERVED ",
                                     reserved, ", COMMITTED ", sold, "), ", numbers));
    }
  }
  return std::nullopt;
}

// What one order's three records must agree on at every instant.
std::optional<Violation> CheckOrderInstant(const std::string& order_id, const OrderView& view) {
  const std::string who = Who(order_id, view);
  const std::string state = absl::StrCat(StatusText(view), ", ", ReservationText(view), ", ",
                                         PaymentText(view));
  if (!view.record.has_value()) {
    return Fail("storage", absl::StrCat(who, ": PlaceOrder was called but the order is not "
                                             "stored (", state, ")"));
  }
  const orderplatform::v1::OrderStatus status = Status(view);
  const orderplatform::v1::PaymentState payment = PaymentState(view);
  if (status == orderplatform::v1::CONFIRMED && !HasReservation(view, "COMMITTED")) {
    return Fail("I3", absl::StrCat(who, ": CONFIRMED but its stock is not sold (", state, ")"));
  }
  if (status == orderplatform::v1::CANCELLED) {
    const std::string reason = CancelReason_Name(view.record->order.cancel_reason());
    const bool rejected = HasReservation(view, "REJECTED") && reason == "OUT_OF_STOCK";
    const bool released =
        HasReservation(view, "RELEASED") && view.reservation->release_reason == reason;
    if (!rejected && !released) {
      return Fail("I3", absl::StrCat(who, ": CANCELLED but inventory does not say so with the "
                                          "same reason (", state, ")"));
    }
  }
  if ((status == orderplatform::v1::CONFIRMED || HasReservation(view, "COMMITTED")) &&
      payment != orderplatform::v1::AUTHORIZED) {
    return Fail("I4", absl::StrCat(who, ": sold without an AUTHORIZED payment (", state, ")"));
  }
  if (status == orderplatform::v1::PAID && payment != orderplatform::v1::AUTHORIZED &&
      payment != orderplatform::v1::REFUNDED) {
    return Fail("I4", absl::StrCat(who, ": PAID without an authorization (", state, ")"));
  }
  if (payment == orderplatform::v1::REFUNDED && !HasReservation(view, "RELEASED")) {
    return Fail("I4", absl::StrCat(who, ": refunded while its stock is not released (", state,
                                   ")"));
  }
  if (HasReservation(view, "RELEASED") && view.reservation->release_reason == "PAYMENT_DECLINED" &&
      payment != orderplatform::v1::DECLINED) {
    return Fail("I4", absl::StrCat(who, ": released for a declined payment that the ledger "
                                        "does not hold as DECLINED (", state, ")"));
  }
  if (view.payment.has_value() &&
      (!view.reservation.has_value() || view.reservation->state == "REJECTED")) {
    return Fail("I4", absl::StrCat(who, ": a payment for an order that was never reserved (",
                                   state, ")"));
  }
  return std::nullopt;
}

// What may change between two instants.
std::optional<Violation> CheckMonotonic(const std::string& order_id, const OrderView& now,
                                        const OrderView& before) {
  const std::string who = Who(order_id, now);
  const std::string change = absl::StrCat(StatusText(before), ", ", ReservationText(before), ", ",
                                          PaymentText(before), " -> ", StatusText(now), ", ",
                                          ReservationText(now), ", ", PaymentText(now));
  if (before.record.has_value() && now.record.has_value()) {
    const orderplatform::v1::Order& was = before.record->order;
    const orderplatform::v1::Order& is = now.record->order;
    if (order::StatusRank(is.status()) < order::StatusRank(was.status())) {
      return Fail("lattice", absl::StrCat(who, ": status went down: ", change));
    }
    if (order::IsTerminal(was.status()) &&
        (is.status() != was.status() || is.cancel_reason() != was.cancel_reason())) {
      return Fail("lattice", absl::StrCat(who, ": a terminal status changed: ", change));
    }
  }
  if (before.reservation.has_value()) {
    if (!now.reservation.has_value()) {
      return Fail("lattice", absl::StrCat(who, ": the reservation record vanished: ", change));
    }
    if (before.reservation->state != "RESERVED" &&
        (now.reservation->state != before.reservation->state ||
         now.reservation->release_reason != before.reservation->release_reason)) {
      return Fail("lattice", absl::StrCat(who, ": a closed reservation changed: ", change));
    }
  }
  if (before.payment.has_value()) {
    const orderplatform::v1::PaymentState was = before.payment->state;
    const orderplatform::v1::PaymentState is = PaymentState(now);
    const bool refund = was == orderplatform::v1::AUTHORIZED && is == orderplatform::v1::REFUNDED;
    if (is != was && !refund) {
      return Fail("lattice", absl::StrCat(who, ": a payment decision changed: ", change));
    }
    if (now.payment->amount_cents != before.payment->amount_cents ||
        now.payment->decided_at_ms != before.payment->decided_at_ms) {
      return Fail("lattice", absl::StrCat(who, ": a payment was decided twice: ", change));
    }
  }
  return std::nullopt;
}

}  // namespace

std::string Snapshot::Canonical() const {
  std::string out;
  for (const auto& [sku, level] : stock) {
    absl::StrAppend(&out, "stock ", sku, " ", level.available(), "/", level.reserved(), "/",
                    level.sold(), "\n");
  }
  for (const auto& [order_id, view] : orders) {
    absl::StrAppend(&out, "order ", view.request_id, " ", order_id, " ",
                    view.record.has_value() ? RecordText(*view.record) : "none", " history=",
                    view.history_length, " reservation=", ReservationText(view),
                    " payment=", PaymentDetail(view), "\n");
  }
  absl::StrAppend(&out, "outbox ", order_outbox, " expiry_outbox ", expiry_outbox,
                  " dead_letters ", dead_letters, "\n");
  return out;
}

absl::StatusOr<Snapshot> TakeSnapshot(SagaWorld& world, bool with_history) {
  Snapshot snapshot;
  for (const auto& [sku, set] : world.setup().stock) {
    absl::StatusOr<orderplatform::v1::StockLevel> level = world.reservations().GetStock(sku);
    if (!level.ok()) return level.status();
    snapshot.stock[sku] = *std::move(level);
  }
  // The reservation records, the ledger entries and the outboxes in one round trip: a snapshot
  // is taken after every step, and round trips are most of a schedule's time.
  const std::vector<std::string>& request_ids = world.request_ids();
  std::vector<std::string> order_ids;
  std::vector<std::vector<std::string>> reads;
  for (const std::string& request_id : request_ids) {
    order_ids.push_back(order::OrderIdForRequest(request_id));
    reads.push_back({"HMGET", inventory::InventoryKeys().Reservation(order_ids.back()), "state",
                     "release_reason", "skus", "quantities"});
    reads.push_back({"HGETALL", payment::PaymentKeys().Ledger(order_ids.back())});
  }
  reads.push_back({"ZCARD", order::OrderKeys().Outbox()});
  reads.push_back({"ZCARD", inventory::InventoryKeys().ExpiryOutbox()});
  absl::StatusOr<std::vector<redis::RedisReply>> replies = world.checker_redis().Pipeline(reads);
  if (!replies.ok()) return replies.status();

  for (size_t i = 0; i < request_ids.size(); ++i) {
    const std::string& order_id = order_ids[i];
    OrderView view{.request_id = request_ids[i]};
    absl::StatusOr<order::OrderRecord> record = world.orders().Get(order_id);
    if (record.ok()) {
      view.record = *std::move(record);
    } else if (!absl::IsNotFound(record.status())) {
      return record.status();
    }
    if (with_history && view.record.has_value()) {
      absl::StatusOr<std::vector<order::StatusEntry>> history =
          world.orders().History(order_id, 0, order::OrderStore::kBatchMax);
      if (!history.ok()) return history.status();
      view.history_length = static_cast<int64_t>(history->size());
    }
    absl::StatusOr<std::optional<ReservationView>> reservation =
        ParseReservation(order_id, (*replies)[2 * i]);
    if (!reservation.ok()) return reservation.status();
    view.reservation = *std::move(reservation);
    absl::StatusOr<std::optional<payment::LedgerEntry>> payment =
        payment::ParseLedgerEntry(order_id, (*replies)[2 * i + 1]);
    if (!payment.ok()) return payment.status();
    // An order the mock chose never to answer has a ledger record but no payment (as GetPayment
    // shows it); the record only keeps a replay from deciding it anew.
    if (payment->has_value() && (*payment)->no_answer) payment->reset();
    view.payment = *std::move(payment);
    snapshot.orders[order_id] = std::move(view);
  }
  absl::StatusOr<int64_t> outbox = (*replies)[2 * request_ids.size()].AsInteger();
  if (!outbox.ok()) return outbox.status();
  snapshot.order_outbox = *outbox;
  absl::StatusOr<int64_t> expiries = (*replies)[2 * request_ids.size() + 1].AsInteger();
  if (!expiries.ok()) return expiries.status();
  snapshot.expiry_outbox = *expiries;

  InMemoryTopics& topics = world.topics();
  for (const std::string& topic : topics.TopicNames()) {
    if (!absl::EndsWith(topic, kDeadLetterSuffix)) continue;
    snapshot.dead_letters += topics.RecordCount(topic);
    for (int partition = 0; partition < topics.partitions() && snapshot.first_dead_letter.empty();
         ++partition) {
      for (const kafka::ConsumedMessage& dead : topics.Read(topic, partition, 0, 1)) {
        snapshot.first_dead_letter = topic;
        for (const kafka::Header& header : dead.headers) {
          if (header.key == "dlq.error") {
            absl::StrAppend(&snapshot.first_dead_letter, ": ", header.value);
          }
        }
      }
    }
  }
  return snapshot;
}

std::optional<Violation> CheckEveryInstant(const SagaSetup& setup, const Snapshot& now,
                                           const Snapshot* before) {
  if (std::optional<Violation> v = CheckStock(setup, now)) return v;
  for (const auto& [order_id, view] : now.orders) {
    if (std::optional<Violation> v = CheckOrderInstant(order_id, view)) return v;
    if (before == nullptr) continue;
    auto was = before->orders.find(order_id);
    if (was == before->orders.end()) continue;
    if (std::optional<Violation> v = CheckMonotonic(order_id, view, was->second)) return v;
  }
  if (now.dead_letters > 0) {
    return Fail("storage", absl::StrCat("a valid event was dead-lettered: ",
                                        now.first_dead_letter));
  }
  return std::nullopt;
}

std::optional<Violation> CheckQuiescent(const SagaSetup& setup, const Snapshot& now) {
  std::map<std::string, int64_t> confirmed;  // SKU -> quantity over CONFIRMED orders
  for (const auto& [order_id, view] : now.orders) {
    const std::string who = Who(order_id, view);
    const std::string state = absl::StrCat(StatusText(view), ", ", ReservationText(view), ", ",
                                           PaymentText(view));
    if (!view.record.has_value() || !order::IsTerminal(Status(view))) {
      return Fail("I2", absl::StrCat(who, ": not terminal at quiescence (", state, ")"));
    }
    if (Status(view) == orderplatform::v1::CONFIRMED) {
      for (const orderplatform::v1::OrderLine& line : view.record->order.lines()) {
        confirmed[line.sku()] += line.quantity();
      }
      if (PaymentState(view) != orderplatform::v1::AUTHORIZED) {
        return Fail("I4", absl::StrCat(who, ": CONFIRMED without an AUTHORIZED payment (",
                                       state, ")"));
      }
    }
    if (Status(view) == orderplatform::v1::CANCELLED &&
        PaymentState(view) == orderplatform::v1::AUTHORIZED) {
      return Fail("I4", absl::StrCat(who, ": CANCELLED but the payment is still AUTHORIZED (",
                                     state, ")"));
    }
  }
  for (const auto& [sku, set] : setup.stock) {
    const orderplatform::v1::StockLevel& level = now.stock.at(sku);
    if (level.reserved() != 0) {
      return Fail("I2", absl::StrCat(sku, ": reserved=", level.reserved(), " at quiescence"));
    }
    if (level.sold() != confirmed[sku]) {
      return Fail("I3", absl::StrCat(sku, ": sold=", level.sold(),
                                     " but the CONFIRMED orders hold ", confirmed[sku]));
    }
  }
  if (now.order_outbox != 0 || now.expiry_outbox != 0) {
    return Fail("I2", absl::StrCat("outboxes not drained at quiescence: order ", now.order_outbox,
                                   ", expiry ", now.expiry_outbox));
  }
  return std::nullopt;
}

std::optional<Violation> CheckReplayChangedNothing(const Snapshot& before, const Snapshot& after) {
  for (const auto& [sku, level] : before.stock) {
    auto now = after.stock.find(sku);
    if (now == after.stock.end() || now->second.ShortDebugString() != level.ShortDebugString()) {
      return Fail("I5", absl::StrCat("replay from offset 0 changed the stock of ", sku, ": ",
                                     level.ShortDebugString(), " -> ",
                                     now == after.stock.end() ? "none"
                                                              : now->second.ShortDebugString()));
    }
  }
  for (const auto& [order_id, was] : before.orders) {
    auto now = after.orders.find(order_id);
    if (now == after.orders.end()) continue;  // both snapshots list the same requests
    const OrderView& is = now->second;
    const std::string who = Who(order_id, is);
    const std::string record_was = was.record.has_value() ? RecordText(*was.record) : "none";
    const std::string record_is = is.record.has_value() ? RecordText(*is.record) : "none";
    if (record_was != record_is || was.history_length != is.history_length) {
      return Fail("I5", absl::StrCat("replay from offset 0 changed order ", who, ": ",
                                     record_was, " (history ", was.history_length, ") -> ",
                                     record_is, " (history ", is.history_length, ")"));
    }
    if (ReservationText(was) != ReservationText(is)) {
      return Fail("I5", absl::StrCat("replay from offset 0 changed the reservation of ", who,
                                     ": ", ReservationText(was), " -> ", ReservationText(is)));
    }
    if (PaymentDetail(was) != PaymentDetail(is)) {
      return Fail("I5", absl::StrCat("replay from offset 0 changed the payment of ", who, ": ",
                                     PaymentDetail(was), " -> ", PaymentDetail(is)));
    }
  }
  if (before.Canonical() != after.Canonical()) {
    return Fail("I5", absl::StrCat("replay from offset 0 changed state:\n", before.Canonical(),
                                   "->\n", after.Canonical()));
  }
  return std::nullopt;
}

}  // namespace orderplatform::simulator
