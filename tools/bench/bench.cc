// bench: one command that starts the whole platform locally and measures, in the same run,
// (a) the raw ceilings of its dependencies (Redis EVALSHA of reserve.lua and SET with
// redis-benchmark; devbroker produce and consume of 100,000 records) and (b) the saga: maximum
// sustained throughput through Kafka and through gRPC, latency at a fixed rate, CPU time per
// completed order for each process, Redis commands per order, and each service's peak RSS.
// Prints one table and writes it into docs/PERFORMANCE.md between the bench markers.
//
//   bazel run -c opt //tools/bench                         # about 3-5 minutes
//   bazel run -c opt //tools/bench -- --saga_duration_s=120 --latency_duration_s=60
//   bazel run -c opt //tools/bench -- --phases=kafka --perf_dir=/tmp/prof   # profile a phase
//
// See docs/PERFORMANCE.md for what each figure means and tools/bench/README.md for the flags.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "integration_tests/testenv/devbroker.h"
#include "integration_tests/testenv/process.h"
#include "integration_tests/testenv/redis_server.h"
#include "integration_tests/testenv/stack.h"
#include "platform/grpc/admin_auth.h"
#include "platform/log/log.h"
#include "platform/redis/client.h"
#include "tools/bench/bench_table.h"
#include "tools/bench/kafka_ceiling.h"
#include "tools/bench/proc_stats.h"
#include "tools/bench/redis_ceiling.h"
#include "tools/loadgen/load_generator.h"
#include "tools/loadgen/load_options.h"
#include "tools/loadgen/load_report.h"

ABSL_FLAG(std::string, phases, "ceilings,kafka,grpc,latency",
          "Comma-separated phases to run: ceilings, kafka, grpc, latency.");
ABSL_FLAG(int32_t, partitions, 3, "Partitions of every topic of the stack's devbroker.");
ABSL_FLAG(int32_t, redis_requests, 100000, "redis-benchmark requests per ceiling.");
ABSL_FLAG(int32_t, redis_clients, 50, "redis-benchmark clients.");
ABSL_FLAG(int64_t, kafka_ceiling_messages, 100000, "Records produced and consumed for the ceiling.");
ABSL_FLAG(int32_t, kafka_ceiling_partitions, 8,
          "Partitions for the Kafka ceiling (the devbroker keeps 5 MB per partition).");
ABSL_FLAG(std::string, redis_appendfsync, "always",
          "appendfsync of every Redis the bench starts (CONFIG SET): always (testenv's setting: "
          "an acknowledged write survives kill -9 of Redis), everysec or no.");
ABSL_FLAG(int32_t, skus, 1000, "SKUs the saga runs order from.");
ABSL_FLAG(int64_t, stock, 1000000000, "Stock set for every SKU before the saga runs.");
ABSL_FLAG(int64_t, warmup_orders, 1000, "gRPC orders placed (and awaited) before measuring.");
ABSL_FLAG(double, saga_duration_s, 30,
          "How long each max-throughput run (Kafka, gRPC) places orders; then it drains.");
ABSL_FLAG(int64_t, saga_orders, 0,
          "> 0: each max-throughput run also stops after this many orders.");
ABSL_FLAG(int32_t, kafka_inflight, 1000, "Kafka run: unacknowledged OrderPlaced at most.");
ABSL_FLAG(int32_t, kafka_open_max, 2000,
          "Kafka run: open orders at most (the backlog the run ends with: it drains at the "
          "measured rate, so keep it near rate x a few hundred ms).");
ABSL_FLAG(int32_t, grpc_inflight, 256, "gRPC run: PlaceOrder calls in flight at most.");
ABSL_FLAG(int32_t, grpc_open_max, 2000, "gRPC run: open orders at most.");
ABSL_FLAG(int32_t, grpc_channels, 2, "gRPC connections of the load generator.");
ABSL_FLAG(double, latency_rate, 2000, "Orders/s offered in the latency run (gRPC).");
ABSL_FLAG(double, latency_duration_s, 10, "Length of the latency run.");
ABSL_FLAG(int32_t, latency_open_max, 2000,
          "Latency run: open orders at most (a platform that cannot keep up then falls behind "
          "the schedule, which counts as latency).");
ABSL_FLAG(int32_t, latency_inflight, 256,
          "Latency run: PlaceOrder calls in flight at most (the order service serves 512 "
          "threads; beyond them it answers RESOURCE_EXHAUSTED).");
ABSL_FLAG(double, latency_floor_rate, 50,
          "Also measure latency at this light rate (orders/s), the latency floor; 0: skip.");
ABSL_FLAG(std::string, order_flags, "--redis_connections=32",
          "Extra flags for the order service, comma-separated.");
ABSL_FLAG(std::string, inventory_flags, "", "Extra flags for the inventory service, comma-separated.");
ABSL_FLAG(std::string, payment_flags, "", "Extra flags for the payment service, comma-separated.");
ABSL_FLAG(std::string, service_kafka_config, "",
          "Passed to every service as --kafka_config (e.g. linger.ms=1); empty: platform defaults.");
ABSL_FLAG(std::string, doc, "",
          "Where to write the table; default: $BUILD_WORKSPACE_DIRECTORY/docs/PERFORMANCE.md.");
ABSL_FLAG(bool, write_doc, true, "Write the table into --doc.");
ABSL_FLAG(std::string, note, "", "A line added above the table (e.g. about the machine's load).");
ABSL_FLAG(std::string, perf_dir, "",
          "If set: `perf record -g` (cpu-clock) the services, redis-server and devbroker during "
          "every saga phase, into DIR/<phase>-<process>.perf.data (read with perf report -i).");
ABSL_FLAG(bool, keep_artifacts, false,
          "Keep the processes' log directories and Redis data (default: removed at the end).");
ABSL_FLAG(bool, progress, true, "Live progress lines on stderr.");

namespace orderplatform::bench {
namespace {

using loadgen::LoadOptions;
using loadgen::LoadResult;
using loadgen::PlaceMode;

constexpr char kPerf[] = "/usr/bin/perf";

std::string BuildMode() {
#ifdef __OPTIMIZE__
  return "optimized (-c opt)";
#else
  return "NOT optimized (fastbuild: run with -c opt for meaningful figures)";
#endif
}

std::string ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string LoadAverage() {
  std::vector<std::string> fields = absl::StrSplit(ReadSmallFile("/proc/loadavg"), ' ');
  return fields.size() >= 3 ? absl::StrCat(fields[0], " ", fields[1], " ", fields[2]) : "?";
}

std::string CpuModel() {
  for (absl::string_view line : absl::StrSplit(ReadSmallFile("/proc/cpuinfo"), '\n')) {
    if (absl::StartsWith(line, "model name")) {
      const size_t colon = line.find(':');
      if (colon != absl::string_view::npos) {
        return std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
      }
    }
  }
  return "unknown CPU";
}

std::vector<std::string> SplitFlags(const std::string& text) {
  return absl::StrSplit(text, ',', absl::SkipWhitespace());
}

void Say(const std::string& line) { std::fprintf(stderr, "bench: %s\n", line.c_str()); }

// Directories the bench's processes wrote into (logs, Redis data), removed at the end.
class Artifacts {
 public:
  void AddProcess(const testenv::Process& process) {
    Add(std::filesystem::path(process.stderr_path()).parent_path().string());
  }
  void AddRedisDir(redis::RedisClient* client) {
    absl::StatusOr<redis::RedisReply> dir = client->Command({"CONFIG", "GET", "dir"});
    if (dir.ok() && dir->is_array() && dir->elements.size() == 2) Add(dir->elements[1].str);
  }
  void RemoveAll() {
    for (const std::string& dir : dirs_) {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
    dirs_.clear();
  }

 private:
  void Add(const std::string& dir) {
    // Only what testenv::MakeTempDir made: never anything else.
    const std::string name = std::filesystem::path(dir).filename().string();
    if (absl::StartsWith(name, "proc-") || absl::StartsWith(name, "redis-")) dirs_.insert(dir);
  }
  std::set<std::string> dirs_;
};

// Applies --redis_appendfsync to a Redis the bench started.
absl::Status ConfigureRedis(redis::RedisClient* client) {
  absl::StatusOr<redis::RedisReply> set = client->Command(
      {"CONFIG", "SET", "appendfsync", absl::GetFlag(FLAGS_redis_appendfsync)});
  if (!set.ok()) return set.status();
  if (set->is_error()) {
    return absl::InvalidArgumentError(absl::StrCat("--redis_appendfsync: ", set->str));
  }
  return absl::OkStatus();
}

absl::StatusOr<Ceilings> MeasureCeilings(Artifacts* artifacts) {
  Ceilings ceilings;
  Say(absl::StrCat("ceilings: starting a redis-server configured like the stack's (AOF, appendfsync ",
                   absl::GetFlag(FLAGS_redis_appendfsync), ")"));
  absl::StatusOr<std::unique_ptr<testenv::RedisServer>> redis = testenv::RedisServer::Start();
  if (!redis.ok()) return redis.status();
  artifacts->AddProcess((*redis)->process());
  {
    absl::StatusOr<std::unique_ptr<redis::RedisClient>> client = redis::RedisClient::Connect(
        {.host = (*redis)->host(), .port = (*redis)->port()}, absl::Seconds(10));
    if (!client.ok()) return client.status();
    artifacts->AddRedisDir(client->get());
    if (absl::Status configured = ConfigureRedis(client->get()); !configured.ok()) {
      return configured;
    }
  }
  const RedisCeilingOptions redis_options{.host = (*redis)->host(),
                                          .port = (*redis)->port(),
                                          .requests = absl::GetFlag(FLAGS_redis_requests),
                                          .clients = absl::GetFlag(FLAGS_redis_clients)};
  Say("ceilings: redis-benchmark EVALSHA reserve.lua, then SET");
  absl::StatusOr<RedisCeilings> redis_ceilings = MeasureRedisCeilings(redis_options);
  if (!redis_ceilings.ok()) return redis_ceilings.status();
  ceilings.evalsha_per_s = redis_ceilings->evalsha_per_s;
  ceilings.set_per_s = redis_ceilings->set_per_s;
  ceilings.set_serial_per_s = redis_ceilings->set_serial_per_s;
  ceilings.redis_clients = redis_options.clients;
  (void)(*redis)->Stop();

  Say("ceilings: devbroker produce and consume");
  absl::StatusOr<std::unique_ptr<testenv::DevBroker>> broker =
      testenv::DevBroker::Start(1, absl::GetFlag(FLAGS_kafka_ceiling_partitions));
  if (!broker.ok()) return broker.status();
  artifacts->AddProcess((*broker)->process());
  absl::StatusOr<KafkaCeilings> kafka = MeasureKafkaCeilings(
      {.brokers = (*broker)->bootstrap(), .messages = absl::GetFlag(FLAGS_kafka_ceiling_messages)});
  if (!kafka.ok()) return kafka.status();
  ceilings.produce_per_s = kafka->produce_per_s;
  ceilings.consume_per_s = kafka->consume_per_s;
  ceilings.kafka_messages = kafka->messages;
  ceilings.kafka_partitions = kafka->partitions;
  ceilings.message_bytes = kafka->message_bytes;
  (void)(*broker)->Terminate();
  return ceilings;
}

// The processes whose CPU time a saga run is charged with.
struct Measured {
  std::string name;
  pid_t pid;
  std::string log_path;  // a service's stderr (its log); "" for the others
};

int64_t FileSize(const std::string& path) {
  std::error_code error;
  const uintmax_t size = std::filesystem::file_size(path, error);
  return error ? 0 : static_cast<int64_t>(size);
}

// perf record of each service for one phase; stopped (SIGINT, perf writes its file) by Stop().
class PerfRecording {
 public:
  PerfRecording(const std::string& dir, const std::string& phase,
                const std::vector<Measured>& services, Artifacts* artifacts) {
    if (dir.empty()) return;
    std::filesystem::create_directories(dir);
    for (const Measured& service : services) {
      testenv::ProcessSpec spec{
          .binary = kPerf,
          .args = {"record", "-e", "cpu-clock", "-F", "499", "-g", "-p",
                   absl::StrCat(service.pid), "-o",
                   absl::StrCat(dir, "/", phase, "-", service.name, ".perf.data")},
          .name = "perf"};
      absl::StatusOr<std::unique_ptr<testenv::Process>> perf = testenv::Process::Start(spec);
      if (!perf.ok()) {
        Say(absl::StrCat("perf record not started: ", perf.status().ToString()));
        continue;
      }
      artifacts->AddProcess(**perf);
      recordings_.push_back(*std::move(perf));
    }
  }
  void Stop() {
    for (auto& perf : recordings_) {
      (void)perf->Signal(SIGINT);
      (void)perf->Wait(absl::Seconds(30));
    }
    recordings_.clear();
  }
  ~PerfRecording() { Stop(); }

 private:
  std::vector<std::unique_ptr<testenv::Process>> recordings_;
};

std::map<std::string, int64_t> CommandCalls(redis::RedisClient* redis) {
  absl::StatusOr<redis::RedisReply> info = redis->Command({"INFO", "commandstats"});
  if (!info.ok() || info->is_error()) return {};
  return ParseCommandCalls(info->str);
}

// Socket reads Redis processed: one per round trip of a client that waits for each reply.
int64_t ReadsProcessed(redis::RedisClient* redis) {
  absl::StatusOr<redis::RedisReply> info = redis->Command({"INFO", "stats"});
  if (!info.ok() || info->is_error()) return 0;
  return ParseInfoInteger(info->str, "total_reads_processed").value_or(0);
}

int64_t Sum(const std::map<std::string, int64_t>& calls) {
  int64_t total = 0;
  for (const auto& [command, count] : calls) total += count;
  return total;
}

absl::StatusOr<SagaRun> MeasureRun(const std::string& phase, const LoadOptions& options,
                                   const std::vector<Measured>& processes,
                                   redis::RedisClient* redis, Artifacts* artifacts) {
  std::map<std::string, absl::Duration> cpu_before;
  std::map<std::string, int64_t> log_before;
  for (const Measured& p : processes) {
    cpu_before[p.name] = CpuTime(p.pid).value_or(absl::ZeroDuration());
    if (!p.log_path.empty()) log_before[p.name] = FileSize(p.log_path);
  }
  const std::map<std::string, int64_t> calls_before = CommandCalls(redis);
  const int64_t reads_before = ReadsProcessed(redis);
  // Every process but the load generator itself (the last one).
  std::vector<Measured> profiled(processes.begin(), processes.end() - 1);
  PerfRecording perf(absl::GetFlag(FLAGS_perf_dir), phase, profiled, artifacts);

  absl::StatusOr<LoadResult> load = loadgen::RunLoad(options);
  perf.Stop();
  if (!load.ok()) return load.status();
  std::fprintf(stderr, "%s", loadgen::FormatText(*load).c_str());

  SagaRun run;
  run.load = *load;
  const double completed = static_cast<double>(std::max<int64_t>(load->completed, 1));
  for (const Measured& p : processes) {
    const absl::Duration used =
        CpuTime(p.pid).value_or(absl::ZeroDuration()) - cpu_before[p.name];
    run.costs.push_back(
        {.name = p.name,
         .cpu_us_per_order = absl::ToDoubleMicroseconds(used) / completed,
         .log_bytes_per_order =
             p.log_path.empty()
                 ? -1
                 : static_cast<double>(FileSize(p.log_path) - log_before[p.name]) / completed});
  }
  // Our own INFO calls (two each way) are in the differences: noise at this scale.
  run.redis_round_trips_per_order =
      static_cast<double>(ReadsProcessed(redis) - reads_before) / completed;
  const std::map<std::string, int64_t> calls_after = CommandCalls(redis);
  // INFO itself is counted too; one call in the difference is noise.
  run.redis_commands_per_order =
      static_cast<double>(Sum(calls_after) - Sum(calls_before) - 1) / completed;
  const int64_t evalsha = (calls_after.count("evalsha") ? calls_after.at("evalsha") : 0) -
                          (calls_before.count("evalsha") ? calls_before.at("evalsha") : 0);
  run.evalsha_per_s =
      load->elapsed_s > 0 ? static_cast<double>(evalsha) / load->elapsed_s : 0;
  return run;
}

absl::Status ResetPaymentBehavior(testenv::Stack* stack) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  grpc_server::AddAdminToken(&context, stack->admin_token());
  orderplatform::v1::PaymentBehavior behavior;  // authorize everything, no latency
  orderplatform::v1::PaymentBehavior applied;
  grpc::Status status = stack->PaymentStub()->SetBehavior(&context, behavior, &applied);
  if (!status.ok()) {
    return absl::UnavailableError(absl::StrCat("SetBehavior: ", status.error_message()));
  }
  return absl::OkStatus();
}

LoadOptions BaseOptions(testenv::Stack* stack) {
  LoadOptions o;
  o.skus = absl::GetFlag(FLAGS_skus);
  o.order_addr = stack->order().grpc_address();
  o.inventory_addr = stack->inventory().grpc_address();
  o.kafka_brokers = stack->kafka().bootstrap();
  o.redis_addr = stack->redis().address();
  o.admin_token = stack->admin_token();
  o.grpc_channels = absl::GetFlag(FLAGS_grpc_channels);
  o.progress = absl::GetFlag(FLAGS_progress);
  o.drain_timeout_s = 120;
  return o;
}

std::string DocPath() {
  if (!absl::GetFlag(FLAGS_doc).empty()) return absl::GetFlag(FLAGS_doc);
  const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  return workspace != nullptr ? absl::StrCat(workspace, "/docs/PERFORMANCE.md") : "";
}

absl::Status WriteDoc(const std::string& path, const std::string& section) {
  std::string doc = ReadSmallFile(path);
  if (doc.empty()) doc = "# Performance\n";
  absl::StatusOr<std::string> updated = ReplaceMarkedSection(doc, section);
  if (!updated.ok()) return updated.status();
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << *updated;
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", temp));
  }
  std::filesystem::rename(temp, path);
  return absl::OkStatus();
}

// A flag list for the header: "(none)" rather than an empty code span.
std::string FlagsText(const std::vector<std::string>& flags) {
  return flags.empty() ? "(none)" : absl::StrCat("`", absl::StrJoin(flags, " "), "`");
}

std::string Header(const std::string& load_before, const std::string& load_after,
                   const testenv::StackOptions& stack_options) {
  std::string h;
  absl::StrAppendFormat(&h, "Measured %s by `bazel run -c opt //tools/bench` on **%d cores** "
                            "(`nproc`; %s), build %s.\n",
                        absl::FormatTime("%Y-%m-%d %H:%M UTC", absl::Now(), absl::UTCTimeZone()),
                        static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)), CpuModel(), BuildMode());
  absl::StrAppendFormat(&h, "Load average (1/5/15 min) before: %s, after: %s.\n", load_before,
                        load_after);
  if (!absl::GetFlag(FLAGS_note).empty()) absl::StrAppend(&h, "\n", absl::GetFlag(FLAGS_note), "\n");
  absl::StrAppendFormat(
      &h,
      "\nStack: devbroker 1 broker x %d partitions, redis-server with AOF `appendfsync %s` "
      "(also for the Redis ceilings), one instance per service; order flags %s, inventory "
      "flags %s, payment flags %s, service --kafka_config %s. Saga runs: %d SKUs, 1 line "
      "per order; the "
      "max-throughput runs place for %.0f s each (Kafka: %d produce acks pending, %d open orders "
      "at most; gRPC: %d calls in flight over %d channels, %d open); latency run %.0f orders/s "
      "for %.0f s over gRPC (%d open at most; latency counts from each order's scheduled time), "
      "then %.0f orders/s (light load) for as long. Rates are completed orders over first "
      "placement -> last terminal event; CPU in microseconds of utime+stime per completed "
      "order.\n",
      stack_options.partitions, absl::GetFlag(FLAGS_redis_appendfsync),
      FlagsText(stack_options.order_flags), FlagsText(stack_options.inventory_flags),
      FlagsText(stack_options.payment_flags),
      absl::GetFlag(FLAGS_service_kafka_config).empty()
          ? std::string("(none)")
          : absl::StrCat("`", absl::GetFlag(FLAGS_service_kafka_config), "`"),
      absl::GetFlag(FLAGS_skus),
      absl::GetFlag(FLAGS_saga_duration_s), absl::GetFlag(FLAGS_kafka_inflight),
      absl::GetFlag(FLAGS_kafka_open_max), absl::GetFlag(FLAGS_grpc_inflight),
      absl::GetFlag(FLAGS_grpc_channels), absl::GetFlag(FLAGS_grpc_open_max),
      absl::GetFlag(FLAGS_latency_rate), absl::GetFlag(FLAGS_latency_duration_s),
      absl::GetFlag(FLAGS_latency_open_max), absl::GetFlag(FLAGS_latency_floor_rate));
  return h;
}

testenv::StackOptions StackOptionsFromFlags() {
  testenv::StackOptions options{.brokers = 1, .partitions = absl::GetFlag(FLAGS_partitions)};
  options.expiry_interval_ms = 1000;  // the service's default; the tests' 200 ms is for speed
  options.order_flags = SplitFlags(absl::GetFlag(FLAGS_order_flags));
  options.inventory_flags = SplitFlags(absl::GetFlag(FLAGS_inventory_flags));
  options.payment_flags = SplitFlags(absl::GetFlag(FLAGS_payment_flags));
  const std::string kafka_config = absl::GetFlag(FLAGS_service_kafka_config);
  if (!kafka_config.empty()) {
    for (auto* flags : {&options.order_flags, &options.inventory_flags, &options.payment_flags}) {
      flags->push_back(absl::StrCat("--kafka_config=", kafka_config));
    }
  }
  return options;
}

// The saga phases on one stack: started and warmed up by Setup(), then one method per phase.
class SagaBench {
 public:
  explicit SagaBench(Artifacts* artifacts) : artifacts_(artifacts) {}

  absl::Status Setup(const testenv::StackOptions& stack_options);
  absl::StatusOr<SagaRun> MaxThroughput(PlaceMode mode);
  absl::StatusOr<SagaRun> AtRate(const std::string& phase, double rate);
  std::vector<std::pair<std::string, double>> PeakRssMb() const;

 private:
  absl::Status WarmUp();
  // A service that died during a phase would make its figures meaningless: say so, with why.
  absl::Status CheckServicesAlive(const std::string& phase);
  absl::StatusOr<SagaRun> Measure(const std::string& phase, const LoadOptions& options);

  Artifacts* artifacts_;
  std::unique_ptr<testenv::Stack> stack_;
  std::unique_ptr<redis::RedisClient> redis_;
  LoadOptions base_;
  std::vector<Measured> processes_;
};

absl::Status SagaBench::Setup(const testenv::StackOptions& stack_options) {
  Say("starting the stack (redis-server, devbroker, order, inventory, payment)");
  absl::StatusOr<std::unique_ptr<testenv::Stack>> stack = testenv::Stack::Start(stack_options);
  if (!stack.ok()) return stack.status();
  stack_ = *std::move(stack);
  testenv::Stack* s = stack_.get();
  for (testenv::ServiceProcess* service : s->services()) artifacts_->AddProcess(service->process());
  artifacts_->AddProcess(s->redis().process());
  artifacts_->AddProcess(s->kafka().process());
  absl::StatusOr<std::unique_ptr<redis::RedisClient>> redis = redis::RedisClient::Connect(
      {.host = s->redis().host(), .port = s->redis().port()}, absl::Seconds(10));
  if (!redis.ok()) return redis.status();
  redis_ = *std::move(redis);
  artifacts_->AddRedisDir(redis_.get());
  if (absl::Status configured = ConfigureRedis(redis_.get()); !configured.ok()) return configured;
  if (absl::Status reset = ResetPaymentBehavior(s); !reset.ok()) return reset;
  base_ = BaseOptions(s);
  processes_ = {{"order", s->order().process().pid(), s->order().process().stderr_path()},
                {"inventory", s->inventory().process().pid(),
                 s->inventory().process().stderr_path()},
                {"payment", s->payment().process().pid(), s->payment().process().stderr_path()},
                {"redis", s->redis().process().pid(), ""},
                {"devbroker", s->kafka().process().pid(), ""},
                {"loadgen", getpid(), ""}};
  LoadOptions seed = base_;
  seed.stock = absl::GetFlag(FLAGS_stock);
  Say(absl::StrCat("seeding ", seed.skus, " SKUs with ", seed.stock, " units each"));
  if (absl::Status seeded = loadgen::SeedStock(seed); !seeded.ok()) return seeded;
  return WarmUp();
}

absl::Status SagaBench::WarmUp() {
  Say("warm-up: gRPC orders until every consumer group has its partitions");
  LoadOptions warmup = base_;
  warmup.orders = absl::GetFlag(FLAGS_warmup_orders);
  warmup.inflight = 64;
  absl::StatusOr<LoadResult> warm = loadgen::RunLoad(warmup);
  if (!warm.ok()) return warm.status();
  if (warm->completed != warm->placed || warm->placed == 0) {
    return absl::InternalError(absl::StrCat("warm-up: ", warm->completed, " of ", warm->placed,
                                            " orders completed"));
  }
  return absl::OkStatus();
}

absl::Status SagaBench::CheckServicesAlive(const std::string& phase) {
  for (testenv::ServiceProcess* service : stack_->services()) {
    if (!service->Running()) {
      return absl::InternalError(absl::StrCat(service->name(), " exited during the ", phase,
                                              " phase; its stderr ends with: ",
                                              service->process().StderrTail(1500)));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<SagaRun> SagaBench::Measure(const std::string& phase, const LoadOptions& options) {
  absl::StatusOr<SagaRun> run = MeasureRun(phase, options, processes_, redis_.get(), artifacts_);
  if (absl::Status alive = CheckServicesAlive(phase); !alive.ok()) return alive;
  return run;
}

absl::StatusOr<SagaRun> SagaBench::MaxThroughput(PlaceMode mode) {
  LoadOptions o = base_;
  o.mode = mode;
  o.orders = absl::GetFlag(FLAGS_saga_orders);
  o.duration_s = absl::GetFlag(FLAGS_saga_duration_s);
  const bool kafka = mode == PlaceMode::kKafka;
  o.inflight = kafka ? absl::GetFlag(FLAGS_kafka_inflight) : absl::GetFlag(FLAGS_grpc_inflight);
  o.open_max = kafka ? absl::GetFlag(FLAGS_kafka_open_max) : absl::GetFlag(FLAGS_grpc_open_max);
  Say(kafka ? "kafka: OrderPlaced straight onto orders.v1, as fast as the bounds allow"
            : "grpc: PlaceOrder as fast as the bounds allow");
  return Measure(kafka ? "kafka" : "grpc", o);
}

absl::StatusOr<SagaRun> SagaBench::AtRate(const std::string& phase, double rate) {
  LoadOptions o = base_;
  o.orders = 0;
  o.rate = rate;
  o.duration_s = absl::GetFlag(FLAGS_latency_duration_s);
  o.inflight = absl::GetFlag(FLAGS_latency_inflight);
  o.open_max = std::max(absl::GetFlag(FLAGS_latency_open_max), o.inflight);
  Say(absl::StrCat(phase, ": PlaceOrder at ", static_cast<int64_t>(rate), " orders/s"));
  return Measure(phase, o);
}

std::vector<std::pair<std::string, double>> SagaBench::PeakRssMb() const {
  std::vector<std::pair<std::string, double>> peaks;
  for (const Measured& p : processes_) {
    if (p.log_path.empty()) continue;  // the services only
    absl::StatusOr<MemoryUsage> memory = Memory(p.pid);
    if (memory.ok()) peaks.push_back({p.name, static_cast<double>(memory->hwm_kb) / 1024.0});
  }
  return peaks;
}

// The saga phases on one stack. Fills `saga`; returns the first failure.
absl::Status RunSaga(const std::set<std::string>& phases, const testenv::StackOptions& stack_options,
                     Artifacts* artifacts, SagaFigures* saga) {
  SagaBench bench(artifacts);
  if (absl::Status ready = bench.Setup(stack_options); !ready.ok()) return ready;
  auto keep = [](absl::StatusOr<SagaRun> run, std::optional<SagaRun>* into) {
    if (run.ok()) *into = *std::move(run);
    return run.status();
  };
  absl::Status status;
  if (status.ok() && phases.count("kafka")) {
    status = keep(bench.MaxThroughput(PlaceMode::kKafka), &saga->kafka);
  }
  if (status.ok() && phases.count("grpc")) {
    status = keep(bench.MaxThroughput(PlaceMode::kGrpc), &saga->grpc);
  }
  if (status.ok() && phases.count("latency")) {
    status = keep(bench.AtRate("latency", absl::GetFlag(FLAGS_latency_rate)), &saga->latency);
  }
  const double floor_rate = absl::GetFlag(FLAGS_latency_floor_rate);
  if (status.ok() && phases.count("latency") && floor_rate > 0) {
    status = keep(bench.AtRate("floor", floor_rate), &saga->latency_floor);
  }
  saga->rss_mb_peak = bench.PeakRssMb();
  return status;
}

int Main() {
  const std::vector<std::string> phase_list = SplitFlags(absl::GetFlag(FLAGS_phases));
  const std::set<std::string> phases(phase_list.begin(), phase_list.end());
  for (const std::string& phase : phases) {
    if (phase != "ceilings" && phase != "kafka" && phase != "grpc" && phase != "latency") {
      std::fprintf(stderr, "bench: unknown phase '%s'\n", phase.c_str());
      return 2;
    }
  }
  const std::string load_before = LoadAverage();
  Say(absl::StrCat("build ", BuildMode(), "; load average ", load_before));
  Artifacts artifacts;
  Ceilings ceilings;
  if (phases.count("ceilings")) {
    absl::StatusOr<Ceilings> measured = MeasureCeilings(&artifacts);
    if (!measured.ok()) {
      std::fprintf(stderr, "bench: ceilings failed: %s\n", measured.status().ToString().c_str());
      if (!absl::GetFlag(FLAGS_keep_artifacts)) artifacts.RemoveAll();
      return 1;
    }
    ceilings = *measured;
  }
  const testenv::StackOptions stack_options = StackOptionsFromFlags();
  SagaFigures saga;
  absl::Status saga_status = absl::OkStatus();
  if (phases.count("kafka") || phases.count("grpc") || phases.count("latency")) {
    saga_status = RunSaga(phases, stack_options, &artifacts, &saga);
  }
  if (!absl::GetFlag(FLAGS_keep_artifacts)) artifacts.RemoveAll();
  if (!saga_status.ok()) {
    std::fprintf(stderr, "bench: saga failed: %s\n", saga_status.ToString().c_str());
    return 1;
  }

  const std::vector<BenchRow> rows = BuildRows(ceilings, saga);
  std::printf("\n%s", RenderText(rows).c_str());
  const std::string section =
      RenderMarkdown(Header(load_before, LoadAverage(), stack_options), rows);
  const std::string doc = DocPath();
  if (absl::GetFlag(FLAGS_write_doc) && !doc.empty()) {
    if (absl::Status written = WriteDoc(doc, section); !written.ok()) {
      std::fprintf(stderr, "bench: %s\n", written.ToString().c_str());
      return 1;
    }
    Say(absl::StrCat("table written to ", doc));
  }
  return 0;
}

}  // namespace
}  // namespace orderplatform::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Starts the platform locally and measures its ceilings, throughput, latency and cost.");
  absl::ParseCommandLine(argc, argv);
  // The platform libraries' info lines (connections, producers) would drown the progress line.
  orderplatform::log::SetMinLevel(orderplatform::log::Level::kWarn);
  return orderplatform::bench::Main();
}
