// The demo behind the README's first command: starts devbroker, redis-server and the three
// services, seeds stock, and plays the four stories of the design (happy path, payment failure
// rollback, out of stock, Kafka replay protection). For each order it prints the event timeline
// read back from the topics and the stock afterwards. Exits 0 when every story ended as
// expected; --keep_running leaves the stack up for exploring (Ctrl-C stops it).
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "integration_tests/testenv/stack.h"
#include "orderplatform/v1/events.pb.h"
#include "platform/events/topics.h"
#include "platform/kafka/producer.h"
#include "platform/grpc/admin_auth.h"
#include "platform/kafka/testing/mock_cluster.h"
#include "platform/service/shutdown_signal.h"
#include "tools/timeline/timeline.h"
#include "tools/timeline/timeline_reader.h"

ABSL_FLAG(bool, keep_running, false, "Keep the stack running after the stories (Ctrl-C stops).");

namespace orderplatform::demo {
namespace {

using orderplatform::v1::Order;
using orderplatform::v1::OrderLine;
using orderplatform::v1::StockLevel;

struct Story {
  std::string title;
  std::string request_id;
  std::string customer;
  std::string sku;
  int quantity;
  orderplatform::v1::OrderStatus expected_status;
  orderplatform::v1::CancelReason expected_reason;
};

class Demo {
 public:
  explicit Demo(testenv::Stack* stack)
      : stack_(stack),
        orders_(stack->OrderStub()),
        inventory_(stack->InventoryStub()),
        payment_(stack->PaymentStub()) {}

  bool Run() {
    bool ok = Seed();
    const std::vector<Story> stories = {
        {"1. Happy path", "demo-happy", "alice", "LAMP", 2, orderplatform::v1::CONFIRMED,
         orderplatform::v1::CANCEL_REASON_UNSPECIFIED},
        {"2. Payment failure rollback", "demo-declined", "mallory", "LAMP", 3,
         orderplatform::v1::CANCELLED, orderplatform::v1::PAYMENT_DECLINED},
        {"3. Out of stock", "demo-out-of-stock", "bob", "CHAIR", 5, orderplatform::v1::CANCELLED,
         orderplatform::v1::OUT_OF_STOCK},
    };
    for (const Story& story : stories) ok = PlayStory(story) && ok;
    ok = PlayReplay() && ok;
    std::printf("\n%s\n", ok ? "demo: every story ended as expected" : "demo: a story FAILED");
    return ok;
  }

 private:
  bool Seed() {
    bool ok = true;
    for (const auto& [sku, available] : std::map<std::string, int64_t>{{"LAMP", 10}, {"CHAIR", 1}}) {
      grpc::ClientContext context;
      grpc_server::AddAdminToken(&context, stack_->admin_token());
      orderplatform::v1::SetStockRequest request;
      request.set_sku(sku);
      request.set_available(available);
      StockLevel level;
      ok = inventory_->SetStock(&context, request, &level).ok() && ok;
    }
    grpc::ClientContext context;
    grpc_server::AddAdminToken(&context, stack_->admin_token());
    orderplatform::v1::PaymentBehavior behavior;
    behavior.add_decline_customers("mallory");
    orderplatform::v1::PaymentBehavior applied;
    ok = payment_->SetBehavior(&context, behavior, &applied).ok() && ok;
    std::printf("seeded: LAMP=10, CHAIR=1; payment declines customer 'mallory'\n");
    return ok;
  }

  std::optional<Order> Place(const Story& story) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    orderplatform::v1::PlaceOrderRequest request;
    request.set_request_id(story.request_id);
    request.set_customer_id(story.customer);
    OrderLine* line = request.add_lines();
    line->set_sku(story.sku);
    line->set_quantity(story.quantity);
    request.set_amount_cents(1999 * story.quantity);
    request.set_currency("EUR");
    Order order;
    grpc::Status status = orders_->PlaceOrder(&context, request, &order);
    if (!status.ok()) {
      std::printf("  PlaceOrder failed: %s\n", status.error_message().c_str());
      return std::nullopt;
    }
    return order;
  }

  // Follows the order with WatchOrder until it is terminal.
  std::optional<Order> AwaitTerminal(const std::string& order_id) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    orderplatform::v1::GetOrderRequest request;
    request.set_order_id(order_id);
    auto reader = orders_->WatchOrder(&context, request);
    Order order;
    std::optional<Order> last;
    while (reader->Read(&order)) {
      std::printf("  watch: %s\n", orderplatform::v1::OrderStatus_Name(order.status()).c_str());
      last = order;
    }
    reader->Finish();
    return last;
  }

  StockLevel Stock(const std::string& sku) {
    grpc::ClientContext context;
    orderplatform::v1::GetStockRequest request;
    request.set_sku(sku);
    StockLevel level;
    inventory_->GetStock(&context, request, &level);
    return level;
  }

  // The order's events read back from the three topics (tools/timeline, as `orderctl trace`).
  void PrintTimeline(const std::string& order_id) {
    absl::StatusOr<timeline::Timeline> read = timeline::ReadTimeline(
        {.brokers = stack_->kafka().bootstrap(), .client_id = "demo"}, order_id, absl::Seconds(10));
    if (!read.ok()) {
      std::printf("  timeline unreadable: %s\n", read.status().ToString().c_str());
      return;
    }
    for (absl::string_view line : absl::StrSplit(timeline::FormatHuman(*read), '\n', absl::SkipEmpty())) {
      std::printf("  %s\n", std::string(line).c_str());
    }
  }

  void PrintStock(const std::string& sku) {
    StockLevel level = Stock(sku);
    std::printf("  stock %s: available=%lld reserved=%lld sold=%lld\n", sku.c_str(),
                static_cast<long long>(level.available()), static_cast<long long>(level.reserved()),
                static_cast<long long>(level.sold()));
  }

  bool PlayStory(const Story& story) {
    std::printf("\n== %s: %s orders %d x %s\n", story.title.c_str(), story.customer.c_str(),
                story.quantity, story.sku.c_str());
    std::optional<Order> placed = Place(story);
    if (!placed.has_value()) return false;
    std::printf("  placed %s\n", placed->order_id().c_str());
    std::optional<Order> final_order = AwaitTerminal(placed->order_id());
    PrintTimeline(placed->order_id());
    PrintStock(story.sku);
    const bool ok = final_order.has_value() && final_order->status() == story.expected_status &&
                    final_order->cancel_reason() == story.expected_reason;
    std::printf("  result: %s %s -> %s\n",
                final_order ? orderplatform::v1::OrderStatus_Name(final_order->status()).c_str() : "?",
                final_order ? orderplatform::v1::CancelReason_Name(final_order->cancel_reason()).c_str() : "",
                ok ? "as expected" : "UNEXPECTED");
    order_ids_.push_back(placed->order_id());
    return ok;
  }

  // Everything observable, to compare before and after a replay.
  std::string Snapshot() {
    std::string out;
    for (const std::string& id : order_ids_) {
      grpc::ClientContext context;
      orderplatform::v1::GetOrderRequest request;
      request.set_order_id(id);
      Order order;
      orders_->GetOrder(&context, request, &order);
      order.clear_updated_at_ms();
      absl::StrAppend(&out, id, "=", orderplatform::v1::OrderStatus_Name(order.status()), ";");
      grpc::ClientContext payment_context;
      orderplatform::v1::GetPaymentRequest payment_request;
      payment_request.set_order_id(id);
      orderplatform::v1::Payment payment;
      if (payment_->GetPayment(&payment_context, payment_request, &payment).ok()) {
        absl::StrAppend(&out, "payment=", orderplatform::v1::PaymentState_Name(payment.state()), ";");
      }
    }
    for (const char* sku : {"LAMP", "CHAIR"}) {
      StockLevel level = Stock(sku);
      absl::StrAppend(&out, sku, "=", level.available(), "/", level.reserved(), "/", level.sold(), ";");
    }
    return out;
  }

  bool PlayReplay() {
    std::printf("\n== 4. Kafka replay protection: every message of every topic produced again\n");
    const std::string before = Snapshot();
    auto producer = kafka::Producer::Create({.brokers = stack_->kafka().bootstrap(),
                                             .client_id = "demo-replayer"});
    if (!producer.ok()) return false;
    std::vector<kafka::OutgoingMessage> replay;
    for (const char* topic : {events::kOrdersTopic, events::kInventoryTopic, events::kPaymentsTopic}) {
      auto messages = kafka::testing::ReadTopic(stack_->kafka().bootstrap(), topic, absl::Seconds(10));
      if (!messages.ok()) return false;
      for (const kafka::ConsumedMessage& m : *messages) {
        replay.push_back({.topic = m.topic, .key = m.key, .value = m.value, .headers = m.headers});
      }
    }
    if (!(*producer)->ProduceAndWait(replay, absl::Seconds(30)).ok()) return false;
    std::printf("  re-produced %zu messages; waiting for the services to consume them\n",
                replay.size());
    absl::SleepFor(absl::Seconds(5));
    const std::string after = Snapshot();
    PrintTimeline(order_ids_.front());
    for (const char* sku : {"LAMP", "CHAIR"}) PrintStock(sku);
    const bool ok = before == after;
    std::printf("  orders, payments and stock %s\n",
                ok ? "unchanged: every duplicate was recognised" : "CHANGED");
    if (!ok) std::printf("  before: %s\n  after:  %s\n", before.c_str(), after.c_str());
    return ok;
  }

  testenv::Stack* stack_;
  std::unique_ptr<orderplatform::v1::OrderService::Stub> orders_;
  std::unique_ptr<orderplatform::v1::InventoryService::Stub> inventory_;
  std::unique_ptr<orderplatform::v1::PaymentService::Stub> payment_;
  std::vector<std::string> order_ids_;
};

int Main() {
  std::printf("demo: starting devbroker, redis-server and the three services...\n");
  std::fflush(stdout);
  auto stack = testenv::Stack::Start({.reservation_ttl_ms = 10000});
  if (!stack.ok()) {
    std::fprintf(stderr, "demo: the stack did not start: %s\n", stack.status().ToString().c_str());
    return 1;
  }
  std::printf("demo: ready. kafka=%s redis=%s order=%s inventory=%s payment=%s\n",
              (*stack)->kafka().bootstrap().c_str(), (*stack)->redis().address().c_str(),
              (*stack)->order().grpc_address().c_str(), (*stack)->inventory().grpc_address().c_str(),
              (*stack)->payment().grpc_address().c_str());
  Demo demo(stack->get());
  const bool ok = demo.Run();
  if (absl::GetFlag(FLAGS_keep_running)) {
    // The stack's own random token: admin calls while exploring need it.
    std::printf("demo: admin RPCs (SetStock, SetBehavior) need metadata "
                "'authorization: Bearer %s'\n",
                (*stack)->admin_token().c_str());
    // What the walkthrough in docs/ARCHITECTURE.md starts from.
    std::printf("demo: explore with orderctl (docs/ARCHITECTURE.md, \"Walkthrough\"):\n"
                "  export ADMIN_TOKEN=%s KAFKA_BROKERS=%s\n"
                "  export ORDERCTL_ADDRS=\"--order_addr=%s --inventory_addr=%s "
                "--payment_addr=%s\"\n",
                (*stack)->admin_token().c_str(), (*stack)->kafka().bootstrap().c_str(),
                (*stack)->order().grpc_address().c_str(),
                (*stack)->inventory().grpc_address().c_str(),
                (*stack)->payment().grpc_address().c_str());
    std::printf("demo: stack left running (Ctrl-C stops it)\n");
    std::fflush(stdout);
    service::WaitForShutdownSignal();
  }
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace orderplatform::demo

int main(int argc, char** argv) {
  orderplatform::service::BlockShutdownSignals();
  absl::ParseCommandLine(argc, argv);
  return orderplatform::demo::Main();
}
