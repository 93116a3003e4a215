// Every orderctl verb against a real stack (devbroker, redis-server and the three service
// binaries): the binary runs as a subprocess, as an operator or a script would run it, and the
// test reads its stdout, stderr and exit code. Covers the admin token, --json, the trace verb in
// its three formats (also a replayed event shown as a duplicate), and the documented exit codes:
// 0 ok, 1 failed call or not found, 2 bad usage, with one line on stderr.
#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "integration_tests/testenv/process.h"
#include "integration_tests/testenv/stack.h"
#include "platform/events/topics.h"
#include "platform/kafka/producer.h"
#include "platform/kafka/testing/mock_cluster.h"

namespace orderplatform::integration {
namespace {

using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kTraceId[] = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr char kTraceparent[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

struct CtlRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::ostream& operator<<(std::ostream& os, const CtlRun& run) {
  return os << "exit " << run.exit_code << "\nstdout:\n" << run.out << "stderr:\n" << run.err;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class OrderctlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto stack = testenv::Stack::Start({.reservation_ttl_ms = 60000});
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = stack->release();
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(stack_, nullptr); }

  // orderctl with the stack's addresses and `args`; `env` is added to the environment.
  static CtlRun Orderctl(std::vector<std::string> args,
                      const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> full = {
        absl::StrCat("--order_addr=", stack_->order().grpc_address()),
        absl::StrCat("--inventory_addr=", stack_->inventory().grpc_address()),
        absl::StrCat("--payment_addr=", stack_->payment().grpc_address())};
    full.insert(full.end(), args.begin(), args.end());
    return Bare(full, env);
  }

  // orderctl with exactly `args`.
  static CtlRun Bare(const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env = {}) {
    auto process = testenv::Process::Start({.binary = testenv::RunfilePath("tools/orderctl/orderctl"),
                                            .args = args,
                                            .env = env,
                                            .name = "orderctl"});
    EXPECT_TRUE(process.ok()) << process.status();
    if (!process.ok()) return CtlRun();
    absl::StatusOr<int> code = (*process)->Wait(absl::Seconds(60));
    EXPECT_TRUE(code.ok()) << code.status();
    return CtlRun{.exit_code = code.ok() ? *code : -1,
               .out = ReadFile((*process)->stdout_path()),
               .err = ReadFile((*process)->stderr_path())};
  }

  static std::map<std::string, std::string> Admin() {
    return {{"ADMIN_TOKEN", stack_->admin_token()}};
  }
  static std::string Brokers() {
    return absl::StrCat("--kafka_brokers=", stack_->kafka().bootstrap());
  }

  // A succeeded run: exit 0 and nothing on stderr.
  static void ExpectOk(const CtlRun& run) {
    EXPECT_EQ(run.exit_code, 0) << run;
    EXPECT_EQ(run.err, "") << run;
  }
  // A failed run: `exit_code` and exactly one stderr line starting with `prefix`.
  static void ExpectError(const CtlRun& run, int exit_code, const std::string& prefix) {
    EXPECT_EQ(run.exit_code, exit_code) << run;
    EXPECT_THAT(run.err, StartsWith(absl::StrCat("orderctl: ", prefix))) << run;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run;
    EXPECT_THAT(run.err, EndsWith("\n")) << run;
    EXPECT_EQ(run.out, "") << run;
  }

  // Places an order and returns its id (the first word of the human output).
  static std::string Place(const std::string& request_id, const std::string& line,
                           const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"place", absl::StrCat("--request_id=", request_id), line};
    args.insert(args.end(), extra.begin(), extra.end());
    const CtlRun run = Orderctl(args);
    ExpectOk(run);
    return std::vector<std::string>(absl::StrSplit(run.out, ' ')).front();
  }

  // Polls `orderctl get` until the order shows `status`.
  static bool AwaitStatus(const std::string& order_id, const std::string& status) {
    return testenv::WaitUntil(absl::Seconds(30), [&] {
      return absl::StrContains(Orderctl({"get", order_id}).out, absl::StrCat(" ", status, " "));
    });
  }

  static testenv::Stack* stack_;
};

testenv::Stack* OrderctlTest::stack_ = nullptr;

TEST_F(OrderctlTest, StockAndPaymentBehaviorNeedTheAdminToken) {
  ExpectError(Orderctl({"stock", "set", "CTL-A", "10"}), 1, "UNAUTHENTICATED: ");
  ExpectError(Orderctl({"payment", "behavior", "--decline_customers=mallory"}), 1,
              "UNAUTHENTICATED: ");

  CtlRun set = Orderctl({"stock", "set", "CTL-A", "10"}, Admin());
  ExpectOk(set);
  EXPECT_EQ(set.out, "CTL-A available=10 reserved=0 sold=0\n");
  // The flag works as well as the environment, and --json prints the message as JSON.
  CtlRun set_json = Orderctl(
      {"stock", "set", "CTL-B", "3", absl::StrCat("--admin_token=", stack_->admin_token()), "--json"});
  ExpectOk(set_json);
  EXPECT_THAT(set_json.out, AllOf(HasSubstr(R"("sku":"CTL-B")"), HasSubstr(R"("available":"3")")));

  CtlRun get = Orderctl({"stock", "get", "CTL-A"});
  ExpectOk(get);
  EXPECT_EQ(get.out, "CTL-A available=10 reserved=0 sold=0\n");
  CtlRun get_json = Orderctl({"stock", "get", "CTL-B", "--json"});
  ExpectOk(get_json);
  EXPECT_THAT(get_json.out, HasSubstr(R"("reserved":"0")"));

  CtlRun behavior = Orderctl({"payment", "behavior", "--decline_customers=mallory", "--seed=7"}, Admin());
  ExpectOk(behavior);
  EXPECT_EQ(behavior.out,
            "decline_rate=0 seed=7 latency_ms=0 max_amount_cents=0 decline_customers=mallory "
            "no_answer_rate=0\n");
  CtlRun behavior_json = Orderctl({"payment", "behavior", "--json"}, Admin());
  ExpectOk(behavior_json);
  EXPECT_THAT(behavior_json.out, HasSubstr(R"("declineRate":0)"));
}

TEST_F(OrderctlTest, APlacedOrderIsWatchedReadTracedAndCannotBeCancelledOnceConfirmed) {
  ExpectOk(Orderctl({"stock", "set", "CTL-C", "10"}, Admin()));
  ExpectOk(Orderctl({"payment", "behavior"}, Admin()));
  CtlRun placed = Orderctl({"place", "--request_id=ctl-1", "--customer=alice", "--amount_cents=1999",
                         absl::StrCat("--traceparent=", kTraceparent), "CTL-C:2"});
  ExpectOk(placed);
  EXPECT_THAT(placed.out, ContainsRegex(absl::StrCat(
                              "^o-[0-9a-f]{32} PENDING customer=alice lines=CTL-C:2 "
                              "amount_cents=1999 EUR trace=", kTraceId, "\n$")));
  const std::string order_id = std::vector<std::string>(absl::StrSplit(placed.out, ' ')).front();

  // watch prints every status until the terminal one, then exits 0.
  CtlRun watch = Orderctl({"watch", order_id});
  ExpectOk(watch);
  std::vector<std::string> statuses;
  for (absl::string_view line : absl::StrSplit(watch.out, '\n', absl::SkipEmpty())) {
    statuses.push_back(std::vector<std::string>(absl::StrSplit(line, ' '))[1]);
  }
  EXPECT_EQ(statuses, (std::vector<std::string>{"PENDING", "RESERVED", "PAID", "CONFIRMED"}));
  CtlRun watch_json = Orderctl({"watch", order_id, "--json"});
  ExpectOk(watch_json);
  EXPECT_EQ(std::count(watch_json.out.begin(), watch_json.out.end(), '\n'), 4) << watch_json;

  CtlRun get = Orderctl({"get", order_id, "--json"});
  ExpectOk(get);
  EXPECT_THAT(get.out, AllOf(HasSubstr(R"("status":"CONFIRMED")"),
                             HasSubstr(absl::StrCat(R"("traceId":")", kTraceId, R"(")"))));
  CtlRun payment = Orderctl({"payment", "get", order_id});
  ExpectOk(payment);
  EXPECT_THAT(payment.out, StartsWith(absl::StrCat(order_id, " AUTHORIZED amount_cents=1999")));
  ExpectOk(Orderctl({"payment", "get", order_id, "--json"}));

  ExpectError(Orderctl({"cancel", order_id}), 1, "FAILED_PRECONDITION: ");

  // trace, in its three formats. The outcome event may trail the CONFIRMED status by a moment.
  CtlRun trace;
  ASSERT_TRUE(testenv::WaitUntil(absl::Seconds(20), [&] {
    trace = Orderctl({"trace", order_id, Brokers()});
    return absl::StrContains(trace.out, "OrderConfirmed");
  })) << trace;
  ExpectOk(trace);
  EXPECT_THAT(trace.out, StartsWith(absl::StrCat("order ", order_id,
                                                 ": 5 events, 0 duplicates, trace ", kTraceId,
                                                 "\n")));
  for (const char* expected : {"orders.v1[", "OrderPlaced", "StockReserved", "PaymentAuthorized",
                               "StockCommitted", "OrderConfirmed", "inventory", "payment"}) {
    EXPECT_THAT(trace.out, HasSubstr(expected));
  }
  EXPECT_THAT(trace.out, Not(HasSubstr("duplicate\n")));

  CtlRun mermaid = Orderctl({"trace", order_id, Brokers(), "--format=mermaid"});
  ExpectOk(mermaid);
  EXPECT_THAT(mermaid.out, AllOf(StartsWith("sequenceDiagram\n"),
                                 HasSubstr("client->>order: PlaceOrder\n"),
                                 HasSubstr("inventory->>payment: StockReserved +"),
                                 HasSubstr("order->>client: OrderConfirmed +")));

  CtlRun json = Orderctl({"trace", order_id, Brokers(), "--json"});
  ExpectOk(json);
  EXPECT_THAT(json.out, AllOf(StartsWith(absl::StrCat(R"({"order_id":")", order_id, R"(")")),
                              HasSubstr(absl::StrCat(R"("trace_ids":[")", kTraceId, R"("])")),
                              HasSubstr(R"("duplicates":0)")));
  EXPECT_EQ(Orderctl({"trace", order_id, Brokers(), "--format=json"}).out, json.out);

  // Without the flag, KAFKA_BROKERS names the cluster.
  CtlRun from_env = Orderctl({"trace", order_id}, {{"KAFKA_BROKERS", stack_->kafka().bootstrap()}});
  ExpectOk(from_env);
  EXPECT_EQ(from_env.out, trace.out);
}

TEST_F(OrderctlTest, CancelReleasesAReservedOrder) {
  ExpectOk(Orderctl({"stock", "set", "CTL-D", "4"}, Admin()));
  // Payment never answers, so the order waits RESERVED for the customer.
  ExpectOk(Orderctl({"payment", "behavior", "--no_answer_rate=1"}, Admin()));
  const std::string order_id = Place("ctl-cancel", "CTL-D:3");
  ASSERT_TRUE(AwaitStatus(order_id, "RESERVED"));

  CtlRun cancel = Orderctl({"cancel", order_id, "--json"});
  ExpectOk(cancel);
  EXPECT_THAT(cancel.out, HasSubstr(R"("cancellationRequested":true)"));
  CtlRun watch = Orderctl({"watch", order_id});
  ExpectOk(watch);
  std::vector<std::string> lines = absl::StrSplit(watch.out, '\n', absl::SkipEmpty());
  ASSERT_FALSE(lines.empty()) << watch;
  EXPECT_THAT(lines.back(), HasSubstr(" CANCELLED(CUSTOMER_REQUEST) customer=customer "));
  CtlRun stock = Orderctl({"stock", "get", "CTL-D"});
  ExpectOk(stock);
  EXPECT_EQ(stock.out, "CTL-D available=4 reserved=0 sold=0\n");
  // Nothing was paid, so there is nothing to show.
  ExpectError(Orderctl({"payment", "get", order_id}), 1, "NOT_FOUND: ");
  ExpectOk(Orderctl({"payment", "behavior"}, Admin()));
}

TEST_F(OrderctlTest, TraceShowsAReplayedEventAsADuplicate) {
  ExpectOk(Orderctl({"stock", "set", "CTL-E", "5"}, Admin()));
  ExpectOk(Orderctl({"payment", "behavior"}, Admin()));
  const std::string order_id = Place("ctl-replay", "CTL-E:1");
  ASSERT_TRUE(AwaitStatus(order_id, "CONFIRMED"));

  // Produce the order's StockReserved once more, bytes and headers unchanged: a replay.
  auto records = kafka::testing::ReadTopic(stack_->kafka().bootstrap(), events::kInventoryTopic,
                                           absl::Seconds(10));
  ASSERT_TRUE(records.ok()) << records.status();
  std::vector<kafka::OutgoingMessage> replay;
  for (const kafka::ConsumedMessage& record : *records) {
    if (record.key == order_id && replay.empty()) {
      replay.push_back({.topic = record.topic, .key = record.key, .value = record.value,
                        .headers = record.headers});
    }
  }
  ASSERT_EQ(replay.size(), 1u);
  auto producer = kafka::Producer::Create({.brokers = stack_->kafka().bootstrap(),
                                           .client_id = "orderctl-test-replayer"});
  ASSERT_TRUE(producer.ok()) << producer.status();
  ASSERT_TRUE((*producer)->ProduceAndWait(replay, absl::Seconds(10)).ok());

  // The replayed StockReserved is answered again down the chain (payment from its ledger,
  // inventory from the reservation record, order from its terminal status): four duplicates, each
  // recognisable by its event id, and nothing new.
  CtlRun trace;
  ASSERT_TRUE(testenv::WaitUntil(absl::Seconds(20), [&] {
    trace = Orderctl({"trace", order_id, Brokers()});
    return absl::StrContains(trace.out, "9 events, 4 duplicates,");
  })) << trace;
  ExpectOk(trace);
  std::vector<std::string> lines = absl::StrSplit(trace.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 10u) << trace;
  EXPECT_THAT(lines[6], ContainsRegex("StockReserved +inventory +[0-9a-f]{32}  duplicate$"));
  for (int i = 7; i < 10; ++i) EXPECT_THAT(lines[i], EndsWith("  duplicate")) << trace;
  for (int i = 1; i < 6; ++i) EXPECT_THAT(lines[i], Not(HasSubstr("duplicate"))) << trace;
  CtlRun mermaid = Orderctl({"trace", order_id, Brokers(), "--format=mermaid"});
  EXPECT_THAT(mermaid.out, ContainsRegex("inventory-->>payment: StockReserved .*\\(duplicate\\)\n"));
  CtlRun json = Orderctl({"trace", order_id, Brokers(), "--json"});
  EXPECT_THAT(json.out, AllOf(HasSubstr(R"("duplicates":4)"), HasSubstr(R"("duplicate":true)")));
  // The replay changed nothing.
  EXPECT_THAT(Orderctl({"get", order_id}).out, HasSubstr(" CONFIRMED "));
  EXPECT_EQ(Orderctl({"stock", "get", "CTL-E"}).out, "CTL-E available=4 reserved=0 sold=1\n");
}

TEST_F(OrderctlTest, ErrorsAreOneLineWithTheDocumentedExitCodes) {
  // 2: bad usage.
  ExpectError(Bare({}), 2, "missing verb");
  ExpectError(Orderctl({"frobnicate"}), 2, "unknown verb 'frobnicate'");
  ExpectError(Orderctl({"get"}), 2, "get needs exactly one ORDER_ID");
  ExpectError(Orderctl({"place", "CTL-A:1"}), 2, "place needs --request_id");
  ExpectError(Orderctl({"place", "--request_id=r", "CTL-A"}), 2, "'CTL-A' is not SKU:QUANTITY");
  ExpectError(Orderctl({"place", "--request_id=r", "--traceparent=00-nope", "CTL-A:1"}), 2,
              "invalid traceparent");
  ExpectError(Orderctl({"stock", "set", "CTL-A", "many"}, Admin()), 2, "stock set");
  ExpectError(Orderctl({"payment", "behavior", "extra"}, Admin()), 2, "payment behavior");
  ExpectError(Orderctl({"--no_such_flag", "get", "o-1"}), 2, "unknown flag --no_such_flag");
  ExpectError(Orderctl({"--timeout_ms=soon", "get", "o-1"}), 2, "bad value for --timeout_ms");
  ExpectError(Orderctl({"trace", "o-1"}), 2, "trace needs --kafka_brokers or KAFKA_BROKERS");
  ExpectError(Orderctl({"trace", "o-1", Brokers(), "--format=svg"}), 2, "--format must be");
  ExpectError(Orderctl({"trace", "o-1", Brokers(), "--format=mermaid", "--json"}), 2,
              "--format must be");

  // 1: not found.
  ExpectError(Orderctl({"get", "o-unknown"}), 1, "NOT_FOUND: ");
  ExpectError(Orderctl({"trace", "o-unknown", Brokers()}), 1,
              "NOT_FOUND: no events of order o-unknown");

  // 1: unavailable.
  ExpectError(Orderctl({"get", "o-1", "--order_addr=127.0.0.1:1", "--timeout_ms=2000"}), 1,
              "UNAVAILABLE: ");
  ExpectError(Bare({"trace", "o-1", "--kafka_brokers=127.0.0.1:1", "--timeout_ms=2000"}), 1,
              "UNAVAILABLE: ");
}

}  // namespace
}  // namespace orderplatform::integration
