// orderctl: the operator's and the scripts' command line for the platform's gRPC APIs and its
// topics.
//
//   orderctl place --request_id=r-1 --customer=alice LAMP:2 CHAIR:1 [--amount_cents=1999]
//                  [--traceparent=00-<trace id>-<span id>-01]
//   orderctl get ORDER_ID            orderctl watch ORDER_ID         orderctl cancel ORDER_ID
//   orderctl stock get SKU           orderctl stock set SKU AVAILABLE
//   orderctl payment get ORDER_ID    orderctl payment behavior [--decline_rate=0.1 ...]
//   orderctl trace ORDER_ID [--kafka_brokers=HOST:PORT] [--format=human|mermaid|json]
//
// Human output by default, --json (every verb) for scripts. Errors are one line on stderr with a
// non-zero exit: 2 for bad usage (unknown verb or flag, bad argument, missing setting), 1 for a
// failed call or lookup (the gRPC status code name leads the line: NOT_FOUND, UNAVAILABLE, ...).
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "orderplatform/v1/inventory_service.grpc.pb.h"
#include "orderplatform/v1/order_service.grpc.pb.h"
#include "orderplatform/v1/payment_service.grpc.pb.h"
#include "platform/kafka/options.h"
#include "platform/tracing/traceparent.h"
#include "tools/timeline/timeline.h"
#include "tools/timeline/timeline_reader.h"

ABSL_FLAG(std::string, order_addr, "localhost:50051", "OrderService address.");
ABSL_FLAG(std::string, inventory_addr, "localhost:50052", "InventoryService address.");
ABSL_FLAG(std::string, payment_addr, "localhost:50053", "PaymentService address.");
ABSL_FLAG(bool, json, false, "Print results as JSON (one object per line).");
ABSL_FLAG(int64_t, timeout_ms, 10000, "Deadline of each call (watch: of the whole stream).");
ABSL_FLAG(std::string, admin_token, "",
          "Token for admin calls (stock set, payment behavior). Not given: ADMIN_TOKEN.");
ABSL_FLAG(std::string, kafka_brokers, "",
          "trace: bootstrap brokers HOST:PORT[,...]. Not given: KAFKA_BROKERS.");
ABSL_FLAG(std::string, format, "human",
          "trace: human (a line per event), mermaid (a sequence diagram) or json (= --json).");
ABSL_FLAG(std::string, traceparent, "",
          "place: W3C traceparent to start the saga's trace with (default: a new trace).");
// place
ABSL_FLAG(std::string, request_id, "", "place: idempotency key (required).");
ABSL_FLAG(std::string, customer, "customer", "place: customer id.");
ABSL_FLAG(int64_t, amount_cents, 1000, "place: order amount in cents.");
ABSL_FLAG(std::string, currency, "EUR", "place: currency.");
// payment behavior
ABSL_FLAG(double, decline_rate, 0, "payment behavior: share of orders declined.");
ABSL_FLAG(uint64_t, seed, 0, "payment behavior: seed of the deterministic decisions.");
ABSL_FLAG(int32_t, latency_ms, 0, "payment behavior: answer latency.");
ABSL_FLAG(int64_t, max_amount_cents, 0, "payment behavior: decline above this (0 = no limit).");
ABSL_FLAG(std::vector<std::string>, decline_customers, {}, "payment behavior: always declined.");
ABSL_FLAG(double, no_answer_rate, 0, "payment behavior: share of orders never answered.");

namespace orderplatform::orderctl {
namespace {

using orderplatform::v1::Order;

constexpr int kUsageError = 2;
constexpr int kCallError = 1;

int Usage(const std::string& why) {
  std::fprintf(stderr, "orderctl: %s (see --help)\n", why.c_str());
  return kUsageError;
}

int Failed(absl::string_view code_name, std::string message) {
  std::replace(message.begin(), message.end(), '\n', ' ');
  std::fprintf(stderr, "orderctl: %s: %s\n", std::string(code_name).c_str(), message.c_str());
  return kCallError;
}

int Failed(const absl::Status& status) {
  return Failed(absl::StatusCodeToString(status.code()), std::string(status.message()));
}

int Failed(const grpc::Status& status) {
  std::string message = status.error_message();
  std::replace(message.begin(), message.end(), '\n', ' ');
  static const char* const kNames[] = {
      "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
      "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
      "UNAUTHENTICATED"};
  const int code = static_cast<int>(status.error_code());
  return Failed(code >= 0 && code <= 16 ? kNames[code] : "UNKNOWN", message);
}

// A flag given on the command line that absl would refuse, as a usage error: absl's own parser
// exits with 1, which scripts would read as "the call failed". Checks names (also --noBOOL and
// the `--flag value` form) and values; returns "" when every flag is fine.
std::string BadFlag(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;  // everything after it is positional
    if (arg.size() < 2 || arg[0] != '-') continue;
    arg.remove_prefix(arg[1] == '-' ? 2 : 1);
    const size_t equals = arg.find('=');
    const absl::string_view name = arg.substr(0, equals);
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr && absl::StartsWith(name, "no") && equals == arg.npos) {
      absl::CommandLineFlag* negated = absl::FindCommandLineFlag(name.substr(2));
      if (negated != nullptr && negated->IsOfType<bool>()) continue;
    }
    if (flag == nullptr) return absl::StrCat("unknown flag --", name);
    std::string value;
    if (equals != arg.npos) {
      value = std::string(arg.substr(equals + 1));
    } else if (flag->IsOfType<bool>()) {
      continue;
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return absl::StrCat("flag --", name, " needs a value");
    }
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::StrCat("bad value for --", name, ": ", error);
    }
  }
  return "";
}

void SetDeadline(grpc::ClientContext* context) {
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::milliseconds(absl::GetFlag(FLAGS_timeout_ms)));
}

void SetAdmin(grpc::ClientContext* context) {
  std::string token = absl::GetFlag(FLAGS_admin_token);
  if (token.empty() && std::getenv("ADMIN_TOKEN") != nullptr) token = std::getenv("ADMIN_TOKEN");
  if (!token.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
}

std::shared_ptr<grpc::Channel> Channel(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

std::string Json(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

void PrintOrder(const Order& order) {
  if (absl::GetFlag(FLAGS_json)) {
    std::printf("%s\n", Json(order).c_str());
    return;
  }
  std::vector<std::string> lines;
  for (const auto& line : order.lines()) lines.push_back(absl::StrCat(line.sku(), ":", line.quantity()));
  std::printf("%s %s%s customer=%s lines=%s amount_cents=%lld %s trace=%s\n", order.order_id().c_str(),
              orderplatform::v1::OrderStatus_Name(order.status()).c_str(),
              order.status() == orderplatform::v1::CANCELLED
                  ? absl::StrCat("(", orderplatform::v1::CancelReason_Name(order.cancel_reason()), ")").c_str()
                  : "",
              order.customer_id().c_str(), absl::StrJoin(lines, ",").c_str(),
              static_cast<long long>(order.amount_cents()), order.currency().c_str(),
              order.trace_id().c_str());
}

void PrintStock(const orderplatform::v1::StockLevel& level) {
  if (absl::GetFlag(FLAGS_json)) {
    std::printf("%s\n", Json(level).c_str());
    return;
  }
  std::printf("%s available=%lld reserved=%lld sold=%lld\n", level.sku().c_str(),
              static_cast<long long>(level.available()), static_cast<long long>(level.reserved()),
              static_cast<long long>(level.sold()));
}

int Place(const std::vector<std::string>& args) {
  if (args.empty()) return Usage("place needs at least one SKU:QUANTITY");
  if (absl::GetFlag(FLAGS_request_id).empty()) return Usage("place needs --request_id");
  const std::string traceparent = absl::GetFlag(FLAGS_traceparent);
  if (!traceparent.empty() && !tracing::IsValidTraceparent(traceparent)) {
    return Usage(std::string(tracing::ParseTraceparent(traceparent).status().message()));
  }
  orderplatform::v1::PlaceOrderRequest request;
  request.set_request_id(absl::GetFlag(FLAGS_request_id));
  request.set_customer_id(absl::GetFlag(FLAGS_customer));
  request.set_amount_cents(absl::GetFlag(FLAGS_amount_cents));
  request.set_currency(absl::GetFlag(FLAGS_currency));
  for (const std::string& arg : args) {
    std::vector<std::string> parts = absl::StrSplit(arg, absl::MaxSplits(':', 1));
    int32_t quantity = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &quantity)) {
      return Usage(absl::StrCat("'", arg, "' is not SKU:QUANTITY"));
    }
    auto* line = request.add_lines();
    line->set_sku(parts[0]);
    line->set_quantity(quantity);
  }
  grpc::ClientContext context;
  SetDeadline(&context);
  if (!traceparent.empty()) context.AddMetadata(tracing::kTraceparentKey, traceparent);
  Order order;
  auto stub = orderplatform::v1::OrderService::NewStub(Channel(absl::GetFlag(FLAGS_order_addr)));
  grpc::Status status = stub->PlaceOrder(&context, request, &order);
  if (!status.ok()) return Failed(status);
  PrintOrder(order);
  return 0;
}

int OrderCall(const std::string& verb, const std::vector<std::string>& args) {
  if (args.size() != 1) return Usage(absl::StrCat(verb, " needs exactly one ORDER_ID"));
  auto stub = orderplatform::v1::OrderService::NewStub(Channel(absl::GetFlag(FLAGS_order_addr)));
  grpc::ClientContext context;
  SetDeadline(&context);
  Order order;
  grpc::Status status;
  if (verb == "get") {
    orderplatform::v1::GetOrderRequest request;
    request.set_order_id(args[0]);
    status = stub->GetOrder(&context, request, &order);
  } else if (verb == "cancel") {
    orderplatform::v1::CancelOrderRequest request;
    request.set_order_id(args[0]);
    status = stub->CancelOrder(&context, request, &order);
  } else {  // watch: every status until the terminal one
    orderplatform::v1::GetOrderRequest request;
    request.set_order_id(args[0]);
    auto reader = stub->WatchOrder(&context, request);
    while (reader->Read(&order)) {
      PrintOrder(order);
      std::fflush(stdout);
    }
    status = reader->Finish();
    return status.ok() ? 0 : Failed(status);
  }
  if (!status.ok()) return Failed(status);
  PrintOrder(order);
  return 0;
}

int Stock(const std::vector<std::string>& args) {
  auto stub =
      orderplatform::v1::InventoryService::NewStub(Channel(absl::GetFlag(FLAGS_inventory_addr)));
  grpc::ClientContext context;
  SetDeadline(&context);
  orderplatform::v1::StockLevel level;
  grpc::Status status;
  if (args.size() == 2 && args[0] == "get") {
    orderplatform::v1::GetStockRequest request;
    request.set_sku(args[1]);
    status = stub->GetStock(&context, request, &level);
  } else if (args.size() == 3 && args[0] == "set") {
    orderplatform::v1::SetStockRequest request;
    int64_t available = 0;
    if (!absl::SimpleAtoi(args[2], &available)) return Usage("stock set SKU AVAILABLE: not a number");
    request.set_sku(args[1]);
    request.set_available(available);
    SetAdmin(&context);
    status = stub->SetStock(&context, request, &level);
  } else {
    return Usage("stock get SKU | stock set SKU AVAILABLE");
  }
  if (!status.ok()) return Failed(status);
  PrintStock(level);
  return 0;
}

int Payment(const std::vector<std::string>& args) {
  auto stub = orderplatform::v1::PaymentService::NewStub(Channel(absl::GetFlag(FLAGS_payment_addr)));
  grpc::ClientContext context;
  SetDeadline(&context);
  if (args.size() == 2 && args[0] == "get") {
    orderplatform::v1::GetPaymentRequest request;
    request.set_order_id(args[1]);
    orderplatform::v1::Payment payment;
    grpc::Status status = stub->GetPayment(&context, request, &payment);
    if (!status.ok()) return Failed(status);
    if (absl::GetFlag(FLAGS_json)) {
      std::printf("%s\n", Json(payment).c_str());
    } else {
      std::printf("%s %s amount_cents=%lld %s\n", payment.order_id().c_str(),
                  orderplatform::v1::PaymentState_Name(payment.state()).c_str(),
                  static_cast<long long>(payment.amount_cents()), payment.currency().c_str());
    }
    return 0;
  }
  if (!args.empty() && args[0] == "behavior") {
    if (args.size() != 1) return Usage("payment behavior takes flags only");
    orderplatform::v1::PaymentBehavior behavior;
    behavior.set_decline_rate(absl::GetFlag(FLAGS_decline_rate));
    behavior.set_seed(absl::GetFlag(FLAGS_seed));
    behavior.set_latency_ms(absl::GetFlag(FLAGS_latency_ms));
    behavior.set_max_amount_cents(absl::GetFlag(FLAGS_max_amount_cents));
    for (const std::string& c : absl::GetFlag(FLAGS_decline_customers)) {
      behavior.add_decline_customers(c);
    }
    behavior.set_no_answer_rate(absl::GetFlag(FLAGS_no_answer_rate));
    SetAdmin(&context);
    orderplatform::v1::PaymentBehavior applied;
    grpc::Status status = stub->SetBehavior(&context, behavior, &applied);
    if (!status.ok()) return Failed(status);
    if (absl::GetFlag(FLAGS_json)) {
      std::printf("%s\n", Json(applied).c_str());
    } else {
      std::printf("decline_rate=%g seed=%llu latency_ms=%d max_amount_cents=%lld "
                  "decline_customers=%s no_answer_rate=%g\n",
                  applied.decline_rate(), static_cast<unsigned long long>(applied.seed()),
                  applied.latency_ms(), static_cast<long long>(applied.max_amount_cents()),
                  absl::StrJoin(applied.decline_customers(), ",").c_str(),
                  applied.no_answer_rate());
    }
    return 0;
  }
  return Usage("payment get ORDER_ID | payment behavior [--decline_rate ...]");
}

// The output format of `trace`; nullopt (after a usage message) for a bad combination.
std::optional<std::string> TraceFormat() {
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format != "human" && format != "mermaid" && format != "json") return std::nullopt;
  if (absl::GetFlag(FLAGS_json) && format == "mermaid") return std::nullopt;
  return absl::GetFlag(FLAGS_json) ? "json" : format;
}

int Trace(const std::vector<std::string>& args) {
  if (args.size() != 1) return Usage("trace needs exactly one ORDER_ID");
  const std::optional<std::string> format = TraceFormat();
  if (!format.has_value()) {
    return Usage("--format must be human, mermaid or json (and --json only goes with json)");
  }
  std::string brokers = absl::GetFlag(FLAGS_kafka_brokers);
  if (brokers.empty() && std::getenv("KAFKA_BROKERS") != nullptr) brokers = std::getenv("KAFKA_BROKERS");
  if (brokers.empty()) return Usage("trace needs --kafka_brokers or KAFKA_BROKERS");
  // librdkafka's own log lines would break the one-line error promise; the read's status says
  // what went wrong.
  const kafka::KafkaOptions kafka{
      .brokers = brokers, .client_id = "orderctl", .extra_config = {{"log_level", "0"}}};
  absl::StatusOr<timeline::Timeline> read =
      timeline::ReadTimeline(kafka, args[0], absl::Milliseconds(absl::GetFlag(FLAGS_timeout_ms)));
  if (!read.ok()) return Failed(read.status());
  if (read->entries.empty()) {
    return Failed("NOT_FOUND", absl::StrCat("no events of order ", args[0],
                                            " on orders.v1, inventory.v1 or payments.v1"));
  }
  if (*format == "mermaid") {
    std::fputs(timeline::FormatMermaid(*read).c_str(), stdout);
  } else if (*format == "json") {
    std::fputs(timeline::FormatJson(*read).c_str(), stdout);
  } else {
    std::fputs(timeline::FormatHuman(*read).c_str(), stdout);
  }
  return 0;
}

int Main(std::vector<char*> positional) {
  if (positional.size() < 2) return Usage("missing verb");
  const std::string verb = positional[1];
  std::vector<std::string> args(positional.begin() + 2, positional.end());
  if (verb == "place") return Place(args);
  if (verb == "get" || verb == "watch" || verb == "cancel") return OrderCall(verb, args);
  if (verb == "stock") return Stock(args);
  if (verb == "payment") return Payment(args);
  if (verb == "trace") return Trace(args);
  return Usage(absl::StrCat("unknown verb '", verb, "'"));
}

}  // namespace
}  // namespace orderplatform::orderctl

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "orderctl VERB [ARGS] [--flags]\n"
      "  place --request_id=ID [--customer=C] SKU:QTY...   get|watch|cancel ORDER_ID\n"
      "  stock get SKU | stock set SKU AVAILABLE           payment get ORDER_ID\n"
      "  payment behavior [--decline_rate --seed --latency_ms --max_amount_cents\n"
      "                    --decline_customers=a,b --no_answer_rate]\n"
      "  trace ORDER_ID [--kafka_brokers=H:P (or KAFKA_BROKERS)] [--format=human|mermaid|json]\n"
      "--json prints JSON for every verb. Exit codes: 0 ok, 1 call failed or not found,\n"
      "2 bad usage.");
  if (const std::string bad = orderplatform::orderctl::BadFlag(argc, argv); !bad.empty()) {
    return orderplatform::orderctl::Usage(bad);
  }
  return orderplatform::orderctl::Main(absl::ParseCommandLine(argc, argv));
}
