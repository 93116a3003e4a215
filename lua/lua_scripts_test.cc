// The inventory's Lua scripts, run directly against a real redis-server: every state transition of
// a reservation, every replay, the races between commit, release and expiry, malformed arguments,
// the numeric limits, and concurrent callers. After every test, invariant I1 is checked for each
// SKU the test touched: available >= 0 and available + reserved + sold == the stock that was set.
//
// The keys follow the inventory's layout (services/inventory/inventory_keys.h):
//   {op}:stock:<sku>  {op}:resv:<order>  {op}:deadlines  {op}:expiry_outbox
#include "lua/lua_scripts.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "integration_tests/testenv/redis_server.h"
#include "platform/redis/client.h"

namespace orderplatform::lua {
namespace {

using redis::LuaScript;
using redis::RedisClient;
using redis::RedisReply;
using ::testing::HasSubstr;

constexpr int64_t kNowMs = 1'700'000'000'000;
constexpr int64_t kTtlMs = 900'000;  // the reservation TTL: 15 minutes
constexpr int64_t kDeadlineMs = kNowMs + kTtlMs;
constexpr int64_t kRetentionMs = 7 * 24 * 3600 * 1000LL;
// The OrderPlaced trace the record keeps for the expiry sweeper.
constexpr char kTraceparent[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
// A PTTL is read some wall-clock time after the script set it; this bounds that time.
constexpr int64_t kPttlSlackMs = 60'000;
constexpr int64_t kTwoPow53 = 9007199254740992;
constexpr int32_t kInt32Max = 2147483647;

constexpr char kDeadlines[] = "{op}:deadlines";
constexpr char kOutbox[] = "{op}:expiry_outbox";
constexpr char kDeclined[] = "PAYMENT_DECLINED";
constexpr char kCustomer[] = "CUSTOMER_REQUEST";
constexpr char kExpired[] = "RESERVATION_EXPIRED";

std::string StockKey(const std::string& sku) { return "{op}:stock:" + sku; }
std::string RecordKey(const std::string& order) { return "{op}:resv:" + order; }

struct Scripts {
  LuaScript reserve{"reserve", std::string(k_reserve)};
  LuaScript commit{"commit", std::string(k_commit)};
  LuaScript release{"release", std::string(k_release)};
  LuaScript expire{"expire", std::string(k_expire)};
  LuaScript stock_set{"stock_set", std::string(k_stock_set)};
  LuaScript stock_get{"stock_get", std::string(k_stock_get)};
};

const Scripts& AllScripts() {
  static const Scripts* const scripts = new Scripts();
  return *scripts;
}

// One order line; the quantity is the text sent to the script, so that tests can send bad ones.
struct Line {
  Line(std::string sku, int64_t quantity) : sku(std::move(sku)), quantity(absl::StrCat(quantity)) {}
  Line(std::string sku, const char* quantity) : sku(std::move(sku)), quantity(quantity) {}
  std::string sku;
  std::string quantity;
};

// A reservation as the expiry sweeper passes it: the order and the SKUs of its record.
struct DueOrder {
  std::string order;
  std::vector<std::string> skus;
};

struct Level {
  int64_t available = 0;
  int64_t reserved = 0;
  int64_t sold = 0;
  int64_t total() const { return available + reserved + sold; }
  friend bool operator==(const Level& a, const Level& b) {
    return a.available == b.available && a.reserved == b.reserved && a.sold == b.sold;
  }
  friend std::ostream& operator<<(std::ostream& os, const Level& level) {
    return os << "{available " << level.available << ", reserved " << level.reserved << ", sold "
              << level.sold << "}";
  }
};

// The replies, spelled as in the scripts' headers.
RedisReply Str(std::string value) { return RedisReply::String(std::move(value)); }
RedisReply Int(int64_t value) { return RedisReply::Integer(value); }

RedisReply ReservedReply(int64_t deadline_ms, int64_t reserved_at_ms, const std::string& state) {
  return RedisReply::Array({Str("RESERVED"), Int(deadline_ms), Int(reserved_at_ms), Str(state)});
}
RedisReply RejectedReply(int64_t line_index, int64_t requested, int64_t available) {
  return RedisReply::Array(
      {Str("REJECTED"), Int(line_index), Int(requested), Int(available), Str("REJECTED")});
}
RedisReply CommittedReply(bool now) { return RedisReply::Array({Str("COMMITTED"), Int(now)}); }
RedisReply ReleasedReply(const std::string& reason, bool now) {
  return RedisReply::Array({Str("RELEASED"), Str(reason), Int(now)});
}
RedisReply StateReply(const std::string& state) { return RedisReply::Array({Str(state)}); }
RedisReply ExpireReply(const std::vector<std::pair<std::string, std::string>>& statuses) {
  std::vector<RedisReply> flat;
  for (const auto& [order, status] : statuses) {
    flat.push_back(Str(order));
    flat.push_back(Str(status));
  }
  return RedisReply::Array(std::move(flat));
}

// A failed call (the client's status, not a reply of Redis) fails the test and reads as an error
// reply that no expectation of a script's answer matches.
RedisReply Eval(RedisClient* client, const LuaScript& script, const std::vector<std::string>& keys,
                const std::vector<std::string>& args) {
  absl::StatusOr<RedisReply> reply = client->EvalSha(script, keys, args);
  if (!reply.ok()) {
    ADD_FAILURE() << script.name << ": " << reply.status();
    return RedisReply::Error(absl::StrCat("CLIENT ", reply.status().ToString()));
  }
  return *std::move(reply);
}

RedisReply RunReserve(RedisClient* client, const std::string& order, int64_t now_ms,
                      int64_t deadline_ms, const std::vector<Line>& lines) {
  std::vector<std::string> keys = {RecordKey(order), kDeadlines};
  std::vector<std::string> args = {order, absl::StrCat(now_ms), absl::StrCat(deadline_ms),
                                   absl::StrCat(kRetentionMs), kTraceparent};
  for (const Line& line : lines) {
    keys.push_back(StockKey(line.sku));
    args.push_back(line.sku);
    args.push_back(line.quantity);
  }
  return Eval(client, AllScripts().reserve, keys, args);
}

// commit.lua and release.lua take the same keys and arguments, release adding its reason.
RedisReply RunClose(RedisClient* client, const LuaScript& script, const std::string& order,
                    int64_t now_ms, const std::vector<std::string>& reason,
                    const std::vector<std::string>& skus) {
  std::vector<std::string> keys = {RecordKey(order), kDeadlines};
  std::vector<std::string> args = {order, absl::StrCat(now_ms), absl::StrCat(kRetentionMs)};
  args.insert(args.end(), reason.begin(), reason.end());
  for (const std::string& sku : skus) {
    keys.push_back(StockKey(sku));
    args.push_back(sku);
  }
  return Eval(client, script, keys, args);
}

RedisReply RunExpire(RedisClient* client, int64_t now_ms, const std::vector<DueOrder>& batch) {
  std::vector<std::string> keys = {kDeadlines, kOutbox};
  std::vector<std::string> args = {absl::StrCat(now_ms), absl::StrCat(kRetentionMs),
                                   absl::StrCat(batch.size())};
  for (const DueOrder& due : batch) {
    keys.push_back(RecordKey(due.order));
    args.push_back(due.order);
    args.push_back(absl::StrCat(due.skus.size()));
    for (const std::string& sku : due.skus) {
      keys.push_back(StockKey(sku));
      args.push_back(sku);
    }
  }
  return Eval(client, AllScripts().expire, keys, args);
}

std::unique_ptr<RedisClient> Connect(const testenv::RedisServer& server) {
  absl::StatusOr<std::unique_ptr<RedisClient>> client =
      RedisClient::Connect({.host = server.host(), .port = server.port()}, absl::Seconds(5));
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

class LuaScriptsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<testenv::RedisServer>> server = testenv::RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    redis_ = Connect(*server_);
    ASSERT_NE(redis_, nullptr);
  }

  // I1 for every SKU the test touched, read exactly (not through Lua's doubles).
  void TearDown() override {
    if (redis_ == nullptr) return;
    for (const auto& [sku, stock_set] : stock_set_) {
      Level level = ExactStock(sku);
      EXPECT_GE(level.available, 0) << "I1: " << sku << " " << level;
      EXPECT_GE(level.reserved, 0) << "I1: " << sku << " " << level;
      EXPECT_GE(level.sold, 0) << "I1: " << sku << " " << level;
      EXPECT_EQ(level.total(), stock_set) << "I1: " << sku << " " << level;
    }
  }

  // --- The scripts, as the inventory calls them. ---

  RedisReply Reserve(const std::string& order, int64_t now_ms, int64_t deadline_ms,
                     const std::vector<Line>& lines) {
    std::vector<std::string> skus;
    for (const Line& line : lines) {
      Touch(line.sku);
      skus.push_back(line.sku);
    }
    RedisReply reply = RunReserve(redis_.get(), order, now_ms, deadline_ms, lines);
    if (!reply.is_error()) skus_of_.emplace(order, skus);
    return reply;
  }

  RedisReply Commit(const std::string& order, int64_t now_ms) {
    return CommitWithSkus(order, now_ms, skus_of_[order]);
  }
  RedisReply CommitWithSkus(const std::string& order, int64_t now_ms,
                            const std::vector<std::string>& skus) {
    return RunClose(redis_.get(), AllScripts().commit, order, now_ms, {}, skus);
  }

  RedisReply Release(const std::string& order, int64_t now_ms, const std::string& reason) {
    return ReleaseWithSkus(order, now_ms, reason, skus_of_[order]);
  }
  RedisReply ReleaseWithSkus(const std::string& order, int64_t now_ms, const std::string& reason,
                             const std::vector<std::string>& skus) {
    return RunClose(redis_.get(), AllScripts().release, order, now_ms, {reason}, skus);
  }

  // One sweeper batch; like the sweeper, it passes the SKUs each order was reserved with.
  RedisReply Expire(int64_t now_ms, const std::vector<std::string>& orders) {
    std::vector<DueOrder> batch;
    for (const std::string& order : orders) batch.push_back({order, skus_of_[order]});
    return RunExpire(redis_.get(), now_ms, batch);
  }

  RedisReply SetStock(const std::string& sku, const std::string& available) {
    Touch(sku);
    RedisReply reply = Eval(redis_.get(), AllScripts().stock_set, {StockKey(sku)}, {available});
    if (!reply.is_error()) stock_set_[sku] = ExactStock(sku).total();
    return reply;
  }
  void SetStock(const std::string& sku, int64_t available) {
    RedisReply reply = SetStock(sku, absl::StrCat(available));
    ASSERT_FALSE(reply.is_error()) << reply;
  }

  // stock_get.lua: the numbers as the service reads them.
  Level Stock(const std::string& sku) {
    Touch(sku);
    RedisReply reply = Eval(redis_.get(), AllScripts().stock_get, {StockKey(sku)}, {});
    if (!reply.is_array() || reply.elements.size() != 3) {
      ADD_FAILURE() << "stock_get: " << reply;
      return {-1, -1, -1};
    }
    return {reply.elements[0].integer, reply.elements[1].integer, reply.elements[2].integer};
  }

  // The stock hash read with HMGET and parsed as int64: exact even beyond Lua's 2^53.
  Level ExactStock(const std::string& sku) {
    RedisReply reply = Cmd({"HMGET", StockKey(sku), "available", "reserved", "sold"});
    int64_t numbers[3] = {0, 0, 0};
    for (int i = 0; i < 3 && reply.is_array(); ++i) {
      const RedisReply& field = reply.elements[i];
      if (!field.is_nil() && !absl::SimpleAtoi(field.str, &numbers[i])) {
        ADD_FAILURE() << StockKey(sku) << " holds a non-integer: " << reply;
      }
    }
    return {numbers[0], numbers[1], numbers[2]};
  }

  // --- Plain Redis reads, to look at what the scripts left behind. ---

  RedisReply Cmd(const std::vector<std::string>& argv) {
    absl::StatusOr<RedisReply> reply = redis_->Command(argv);
    if (!reply.ok()) {
      ADD_FAILURE() << argv[0] << ": " << reply.status();
      return RedisReply::Error(absl::StrCat("CLIENT ", reply.status().ToString()));
    }
    return *std::move(reply);
  }

  std::map<std::string, std::string> Record(const std::string& order) {
    return Hash(RecordKey(order));
  }

  std::map<std::string, std::string> Hash(const std::string& key) {
    RedisReply reply = Cmd({"HGETALL", key});
    std::map<std::string, std::string> fields;
    for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
      fields[reply.elements[i].str] = reply.elements[i + 1].str;
    }
    return fields;
  }

  // A sorted set as member -> score.
  std::map<std::string, int64_t> ZSet(const std::string& key) {
    RedisReply reply = Cmd({"ZRANGE", key, "0", "-1", "WITHSCORES"});
    std::map<std::string, int64_t> members;
    for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
      int64_t score = 0;
      EXPECT_TRUE(absl::SimpleAtoi(reply.elements[i + 1].str, &score)) << reply;
      members[reply.elements[i].str] = score;
    }
    return members;
  }

  int64_t Pttl(const std::string& key) { return Cmd({"PTTL", key}).integer; }

  // The record expires in `expected_ms`, give or take the time since the script set it.
  void ExpectRecordTtl(const std::string& order, int64_t expected_ms) {
    int64_t pttl_ms = Pttl(RecordKey(order));
    EXPECT_LE(pttl_ms, expected_ms) << order;
    EXPECT_GT(pttl_ms, expected_ms - kPttlSlackMs) << order;
  }

  // Every key with its type, content and whether it expires: equal snapshots mean that nothing
  // changed in between (except for TTLs running down).
  std::string Snapshot() {
    RedisReply keys = Cmd({"KEYS", "*"});
    std::vector<std::string> names;
    for (const RedisReply& key : keys.elements) names.push_back(key.str);
    std::sort(names.begin(), names.end());
    std::string out;
    for (const std::string& name : names) {
      std::string type = Cmd({"TYPE", name}).str;
      absl::StrAppend(&out, name, " (", type, Pttl(name) >= 0 ? ", expiring" : "", "):");
      if (type == "hash") {
        for (const auto& [field, value] : Hash(name)) absl::StrAppend(&out, " ", field, "=", value);
      } else if (type == "zset") {
        for (const auto& [member, score] : ZSet(name)) {
          absl::StrAppend(&out, " ", member, "@", score);
        }
      } else {
        absl::StrAppend(&out, " unexpected type");
      }
      absl::StrAppend(&out, "\n");
    }
    return out;
  }

  std::unique_ptr<testenv::RedisServer> server_;
  std::unique_ptr<RedisClient> redis_;

 private:
  // A SKU never set counts as set to 0.
  void Touch(const std::string& sku) { stock_set_.emplace(sku, 0); }

  std::map<std::string, int64_t> stock_set_;  // SKU -> the stock that was set (I1's total)
  std::map<std::string, std::vector<std::string>> skus_of_;  // order -> its SKUs, as reserved
};

// --- reserve ---

TEST_F(LuaScriptsTest, ReserveMovesAvailableToReservedAndStoresTheOutcome) {
  SetStock("A", 10);
  SetStock("B", 5);

  EXPECT_EQ(Reserve("o-1", kNowMs, kDeadlineMs, {{"A", 2}, {"B", 3}}),
            ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));

  EXPECT_EQ(Stock("A"), (Level{8, 2, 0}));
  EXPECT_EQ(Stock("B"), (Level{2, 3, 0}));
  std::map<std::string, std::string> record = Record("o-1");
  EXPECT_EQ(record["outcome"], "RESERVED");
  EXPECT_EQ(record["state"], "RESERVED");
  EXPECT_EQ(record["skus"], "A,B");
  EXPECT_EQ(record["quantities"], "2,3");
  EXPECT_EQ(record["deadline_ms"], absl::StrCat(kDeadlineMs));
  EXPECT_EQ(record["reserved_at_ms"], absl::StrCat(kNowMs));
  EXPECT_EQ(record["traceparent"], kTraceparent);
  EXPECT_EQ(ZSet(kDeadlines), (std::map<std::string, int64_t>{{"o-1", kDeadlineMs}}));
  EXPECT_TRUE(ZSet(kOutbox).empty());
}

TEST_F(LuaScriptsTest, ReplayedReserveReturnsTheStoredOutcomeAndChangesNothing) {
  SetStock("A", 10);
  ASSERT_EQ(Reserve("o-1", kNowMs, kDeadlineMs, {{"A", 2}}),
            ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));
  const std::string before = Snapshot();

  // A replay, later and with another TTL: the first outcome, with its deadline.
  EXPECT_EQ(Reserve("o-1", kNowMs + 5000, kDeadlineMs + 60'000, {{"A", 2}}),
            ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));
  // Even lines that differ do not reserve again.
  EXPECT_EQ(Reserve("o-1", kNowMs + 6000, kDeadlineMs + 6000, {{"A", 7}}),
            ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));

  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(Stock("A"), (Level{8, 2, 0}));
}

TEST_F(LuaScriptsTest, ReplayedReserveReportsTheStateTheReservationIsInNow) {
  SetStock("A", 10);
  for (const std::string order : {"o-commit", "o-release", "o-expire"}) {
    ASSERT_EQ(Reserve(order, kNowMs, kDeadlineMs, {{"A", 1}}),
              ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));
  }
  ASSERT_EQ(Commit("o-commit", kNowMs + 1), CommittedReply(true));
  ASSERT_EQ(Release("o-release", kNowMs + 1, kCustomer), ReleasedReply(kCustomer, true));
  ASSERT_EQ(Expire(kDeadlineMs, {"o-expire"}), ExpireReply({{"o-expire", "EXPIRED"}}));
  const std::string before = Snapshot();

  EXPECT_EQ(Reserve("o-commit", kDeadlineMs, kDeadlineMs + kTtlMs, {{"A", 1}}),
            ReservedReply(kDeadlineMs, kNowMs, "COMMITTED"));
  EXPECT_EQ(Reserve("o-release", kDeadlineMs, kDeadlineMs + kTtlMs, {{"A", 1}}),
            ReservedReply(kDeadlineMs, kNowMs, "RELEASED"));
  EXPECT_EQ(Reserve("o-expire", kDeadlineMs, kDeadlineMs + kTtlMs, {{"A", 1}}),
            ReservedReply(kDeadlineMs, kNowMs, "RELEASED"));

  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(Stock("A"), (Level{9, 0, 1}));
}

TEST_F(LuaScriptsTest, ReserveIsAllOrNothing) {
  SetStock("A", 10);
  SetStock("B", 4);

  // Line 2 asks for 5 of B, which has 4.
  EXPECT_EQ(Reserve("o-1", kNowMs, kDeadlineMs, {{"A", 3}, {"B", 5}}), RejectedReply(2, 5, 4));

  EXPECT_EQ(Stock("A"), (Level{10, 0, 0}));
  EXPECT_EQ(Stock("B"), (Level{4, 0, 0}));
  EXPECT_EQ(Record("o-1")["state"], "REJECTED");
  EXPECT_EQ(Record("o-1")["outcome"], "REJECTED");
  EXPECT_TRUE(ZSet(kDeadlines).empty());
}

TEST_F(LuaScriptsTest, ReplayedRejectionStaysRejectedAfterRestock) {
  SetStock("A", 10);
  SetStock("B", 4);
  ASSERT_EQ(Reserve("o-1", kNowMs, kDeadlineMs, {{"A", 3}, {"B", 5}}), RejectedReply(2, 5, 4));

  SetStock("B", 100);
  const std::string before = Snapshot();
  EXPECT_EQ(Reserve("o-1", kNowMs + 1000, kDeadlineMs + 1000, {{"A", 3}, {"B", 5}}),
            RejectedReply(2, 5, 4));

  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(Stock("A"), (Level{10, 0, 0}));
  EXPECT_EQ(Stock("B"), (Level{100, 0, 0}));
  // A rejected order cannot be committed or released either.
  EXPECT_EQ(CommitWithSkus("o-1", kNowMs + 2000, {"A", "B"}), StateReply("REJECTED"));
  EXPECT_EQ(ReleaseWithSkus("o-1", kNowMs + 2000, kDeclined, {"A", "B"}), StateReply("REJECTED"));
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(LuaScriptsTest, UnknownSkuIsRejectedWithNothingAvailable) {
  EXPECT_EQ(Reserve("o-1", kNowMs, kDeadlineMs, {{"NEVER-SET", 1}}), RejectedReply(1, 1, 0));

  EXPECT_EQ(Stock("NEVER-SET"), (Level{0, 0, 0}));
  EXPECT_EQ(Cmd({"EXISTS", StockKey("NEVER-SET")}), Int(0));
}

// --- commit ---

TEST_F(LuaScriptsTest, CommitMovesReservedToSoldAndItsReplayChangesNothing) {
  SetStock("A", 10);
  SetStock("B", 5);
  ASSERT_EQ(Reserve("o-1", kNowMs, kDeadlineMs, {{"A", 2}, {"B", 3}}),
            ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));

  EXPECT_EQ(Commit("o-1", kNowMs + 1000), CommittedReply(true));

  EXPECT_EQ(Stock("A"), (Level{8, 0, 2}));
  EXPECT_EQ(Stock("B"), (Level{2, 0, 3}));
  EXPECT_EQ(Record("o-1")["state"], "COMMITTED");
  EXPECT_EQ(Record("o-1")["closed_at_ms"], absl::StrCat(kNowMs + 1000));
  EXPECT_TRUE(ZSet(kDeadlines).empty());

  const std::string before = Snapshot();
  EXPECT_EQ(Commit("o-1", kNowMs + 2000), CommittedReply(false));
  // Replayed long after the deadline: still the sale, not an expiry.
  EXPECT_EQ(Commit("o-1", kDeadlineMs + 1), CommittedReply(false));
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(LuaScriptsTest, CommitOfAnUnknownOrderIsNotFound) {
  SetStock("A", 10);
  EXPECT_EQ(CommitWithSkus("o-unknown", kNowMs, {"A"}), StateReply("NOT_FOUND"));
  EXPECT_EQ(Stock("A"), (Level{10, 0, 0}));
  EXPECT_EQ(Cmd({"EXISTS", RecordKey("o-unknown")}), Int(0));
}

TEST_F(LuaScriptsTest, CommitAtOrAfterTheDeadlineReleasesInsteadOfSelling) {
  SetStock("A", 10);
  for (const std::string order : {"o-in-time", "o-at-deadline", "o-after-deadline"}) {
    ASSERT_EQ(Reserve(order, kNowMs, kDeadlineMs, {{"A", 2}}),
              ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));
  }

  // No expiry has run yet; the payments arrive one millisecond before, at and after the deadline.
  EXPECT_EQ(Commit("o-in-time", kDeadlineMs - 1), CommittedReply(true));
  EXPECT_EQ(Commit("o-at-deadline", kDeadlineMs), ReleasedReply(kExpired, true));
  EXPECT_EQ(Commit("o-after-deadline", kDeadlineMs + 3'600'000), ReleasedReply(kExpired, true));

  EXPECT_EQ(Stock("A"), (Level{8, 0, 2}));
  EXPECT_TRUE(ZSet(kDeadlines).empty());
  EXPECT_EQ(Record("o-at-deadline")["state"], "RELEASED");
  EXPECT_EQ(Record("o-at-deadline")["release_reason"], kExpired);

  const std::string before = Snapshot();
  EXPECT_EQ(Commit("o-at-deadline", kDeadlineMs + 1), ReleasedReply(kExpired, false));
  EXPECT_EQ(Commit("o-after-deadline", kDeadlineMs - 1), ReleasedReply(kExpired, false));
  EXPECT_EQ(Snapshot(), before);
}

// --- release ---

TEST_F(LuaScriptsTest, ReleaseGivesTheReservedStockBack) {
  SetStock("A", 10);
  SetStock("B", 5);
  for (const std::string reason : {kDeclined, kCustomer}) {
    SCOPED_TRACE(reason);
    const std::string order = "o-" + reason;
    ASSERT_EQ(Reserve(order, kNowMs, kDeadlineMs, {{"A", 2}, {"B", 3}}),
              ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));
    ASSERT_EQ(Stock("A"), (Level{8, 2, 0}));

    EXPECT_EQ(Release(order, kNowMs + 1000, reason), ReleasedReply(reason, true));

    EXPECT_EQ(Stock("A"), (Level{10, 0, 0}));
    EXPECT_EQ(Stock("B"), (Level{5, 0, 0}));
    EXPECT_EQ(Record(order)["state"], "RELEASED");
    EXPECT_EQ(Record(order)["release_reason"], reason);
    EXPECT_EQ(Record(order)["closed_at_ms"], absl::StrCat(kNowMs + 1000));
    EXPECT_TRUE(ZSet(kDeadlines).empty());
  }
}

TEST_F(LuaScriptsTest, SecondReleaseKeepsTheFirstReasonAndChangesNothing) {
  SetStock("A", 10);
  ASSERT_EQ(Reserve("o-1", kNowMs, kDeadlineMs, {{"A", 2}}),
            ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));
  ASSERT_EQ(Release("o-1", kNowMs + 1000, kCustomer), ReleasedReply(kCustomer, true));
  const std::string before = Snapshot();

  EXPECT_EQ(Release("o-1", kNowMs + 2000, kCustomer), ReleasedReply(kCustomer, false));
  EXPECT_EQ(Release("o-1", kNowMs + 3000, kDeclined), ReleasedReply(kCustomer, false));

  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(Stock("A"), (Level{10, 0, 0}));
}

TEST_F(LuaScriptsTest, CommitAfterReleaseDoesNotSell) {
  SetStock("A", 10);
  ASSERT_EQ(Reserve("o-1", kNowMs, kDeadlineMs, {{"A", 2}}),
            ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));
  ASSERT_EQ(Release("o-1", kNowMs + 1000, kDeclined), ReleasedReply(kDeclined, true));
  const std::string before = Snapshot();

  EXPECT_EQ(Commit("o-1", kNowMs + 2000), ReleasedReply(kDeclined, false));

  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(Stock("A"), (Level{10, 0, 0}));
}

TEST_F(LuaScriptsTest, ReleaseAfterCommitChangesNothing) {
  SetStock("A", 10);
  ASSERT_EQ(Reserve("o-1", kNowMs, kDeadlineMs, {{"A", 2}}),
            ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));
  ASSERT_EQ(Commit("o-1", kNowMs + 1000), CommittedReply(true));
  const std::string before = Snapshot();

  EXPECT_EQ(Release("o-1", kNowMs + 2000, kCustomer), StateReply("COMMITTED"));
  EXPECT_EQ(Release("o-1", kNowMs + 2000, kDeclined), StateReply("COMMITTED"));

  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(Stock("A"), (Level{8, 0, 2}));
}

TEST_F(LuaScriptsTest, ReleaseOfAnUnknownOrderIsNotFoundAndDropsItsStaleDeadline) {
  ASSERT_EQ(Cmd({"ZADD", kDeadlines, absl::StrCat(kNowMs), "o-unknown"}), Int(1));

  EXPECT_EQ(ReleaseWithSkus("o-unknown", kNowMs, kCustomer, {}), StateReply("NOT_FOUND"));

  EXPECT_TRUE(ZSet(kDeadlines).empty());
  EXPECT_EQ(Cmd({"EXISTS", RecordKey("o-unknown")}), Int(0));
}

// --- commit racing expiry ---

TEST_F(LuaScriptsTest, ExpiryBeforeCommitMeansNoSale) {
  SetStock("A", 10);
  ASSERT_EQ(Reserve("o-1", kNowMs, kDeadlineMs, {{"A", 2}}),
            ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));

  ASSERT_EQ(Expire(kDeadlineMs, {"o-1"}), ExpireReply({{"o-1", "EXPIRED"}}));
  // The payment handler's clock may lag the sweeper's: the reservation is gone all the same.
  EXPECT_EQ(Commit("o-1", kDeadlineMs - 1), ReleasedReply(kExpired, false));
  EXPECT_EQ(Commit("o-1", kDeadlineMs + 1), ReleasedReply(kExpired, false));

  EXPECT_EQ(Stock("A"), (Level{10, 0, 0}));
  EXPECT_EQ(Record("o-1")["state"], "RELEASED");
}

TEST_F(LuaScriptsTest, CommitBeforeExpiryMeansTheExpiryFindsItClosed) {
  SetStock("A", 10);
  ASSERT_EQ(Reserve("o-1", kNowMs, kDeadlineMs, {{"A", 2}}),
            ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));

  // The sweeper read o-1 as due, then the commit ran before the sweeper's expire.
  ASSERT_EQ(Commit("o-1", kDeadlineMs - 1), CommittedReply(true));
  EXPECT_EQ(Expire(kDeadlineMs, {"o-1"}), ExpireReply({{"o-1", "CLOSED"}}));

  EXPECT_EQ(Stock("A"), (Level{8, 0, 2}));
  EXPECT_EQ(Record("o-1")["state"], "COMMITTED");
  EXPECT_TRUE(ZSet(kDeadlines).empty());
  EXPECT_TRUE(ZSet(kOutbox).empty());
}

// --- expire ---

TEST_F(LuaScriptsTest, ExpireBeforeTheDeadlineIsNotDueAndKeepsTheDeadline) {
  SetStock("A", 10);
  ASSERT_EQ(Reserve("o-1", kNowMs, kDeadlineMs, {{"A", 2}}),
            ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));
  const std::string before = Snapshot();

  EXPECT_EQ(Expire(kDeadlineMs - 1, {"o-1"}), ExpireReply({{"o-1", "NOT_DUE"}}));

  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(ZSet(kDeadlines), (std::map<std::string, int64_t>{{"o-1", kDeadlineMs}}));
  EXPECT_EQ(Stock("A"), (Level{8, 2, 0}));
}

TEST_F(LuaScriptsTest, ExpireAtTheDeadlineReleasesAndRecordsTheExpiryInTheOutbox) {
  SetStock("A", 10);
  SetStock("B", 5);
  ASSERT_EQ(Reserve("o-1", kNowMs, kDeadlineMs, {{"A", 2}, {"B", 3}}),
            ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));

  EXPECT_EQ(Expire(kDeadlineMs, {"o-1"}), ExpireReply({{"o-1", "EXPIRED"}}));

  EXPECT_EQ(Stock("A"), (Level{10, 0, 0}));
  EXPECT_EQ(Stock("B"), (Level{5, 0, 0}));
  EXPECT_TRUE(ZSet(kDeadlines).empty());
  EXPECT_EQ(ZSet(kOutbox), (std::map<std::string, int64_t>{{"o-1", kDeadlineMs}}));
  std::map<std::string, std::string> record = Record("o-1");
  EXPECT_EQ(record["state"], "RELEASED");
  EXPECT_EQ(record["release_reason"], kExpired);
  EXPECT_EQ(record["closed_at_ms"], absl::StrCat(kDeadlineMs));

  // A second sweep, later, finds it closed and leaves the outbox entry (and its time) alone.
  const std::string before = Snapshot();
  EXPECT_EQ(Expire(kDeadlineMs + 5000, {"o-1"}), ExpireReply({{"o-1", "CLOSED"}}));
  EXPECT_EQ(Release("o-1", kDeadlineMs + 6000, kCustomer), ReleasedReply(kExpired, false));
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(LuaScriptsTest, ExpireDropsTheStaleDeadlinesOfClosedReservations) {
  SetStock("A", 10);
  ASSERT_EQ(Reserve("o-committed", kNowMs, kDeadlineMs, {{"A", 1}}),
            ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));
  ASSERT_EQ(Reserve("o-released", kNowMs, kDeadlineMs, {{"A", 2}}),
            ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));
  ASSERT_EQ(Reserve("o-rejected", kNowMs, kDeadlineMs, {{"A", 100}}), RejectedReply(1, 100, 7));
  ASSERT_EQ(Commit("o-committed", kNowMs + 1), CommittedReply(true));
  ASSERT_EQ(Release("o-released", kNowMs + 1, kDeclined), ReleasedReply(kDeclined, true));
  // Closing removes the deadline entry in the same script, so stale entries are planted here:
  // whatever the sweeper passes for a closed reservation, expire must not leave it behind.
  for (const std::string order : {"o-committed", "o-released", "o-rejected"}) {
    ASSERT_EQ(Cmd({"ZADD", kDeadlines, absl::StrCat(kDeadlineMs), order}), Int(1));
  }

  EXPECT_EQ(
      Expire(kDeadlineMs, {"o-committed", "o-released", "o-rejected"}),
      ExpireReply({{"o-committed", "CLOSED"}, {"o-released", "CLOSED"}, {"o-rejected", "CLOSED"}}));

  EXPECT_TRUE(ZSet(kDeadlines).empty());
  EXPECT_TRUE(ZSet(kOutbox).empty());
  EXPECT_EQ(Stock("A"), (Level{9, 0, 1}));
  EXPECT_EQ(Record("o-released")["release_reason"], kDeclined);
}

TEST_F(LuaScriptsTest, ExpireDropsTheDeadlineOfAMissingRecord) {
  ASSERT_EQ(Cmd({"ZADD", kDeadlines, absl::StrCat(kNowMs), "o-gone"}), Int(1));

  EXPECT_EQ(Expire(kDeadlineMs, {"o-gone"}), ExpireReply({{"o-gone", "NOT_FOUND"}}));

  EXPECT_TRUE(ZSet(kDeadlines).empty());
  EXPECT_TRUE(ZSet(kOutbox).empty());
  EXPECT_EQ(Cmd({"EXISTS", RecordKey("o-gone")}), Int(0));
}

TEST_F(LuaScriptsTest, ExpireBatchMixingEveryStatus) {
  SetStock("A", 10);
  SetStock("B", 10);
  SetStock("C", 10);
  const int64_t later_deadline_ms = kDeadlineMs + kTtlMs;
  ASSERT_EQ(Reserve("o-due-1", kNowMs, kDeadlineMs, {{"A", 1}, {"B", 2}}),
            ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));
  ASSERT_EQ(Reserve("o-future", kNowMs, later_deadline_ms, {{"A", 1}, {"C", 1}}),
            ReservedReply(later_deadline_ms, kNowMs, "RESERVED"));
  ASSERT_EQ(Reserve("o-committed", kNowMs, kDeadlineMs, {{"B", 1}, {"C", 1}}),
            ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));
  ASSERT_EQ(Reserve("o-due-2", kNowMs, kDeadlineMs - 1, {{"C", 3}}),
            ReservedReply(kDeadlineMs - 1, kNowMs, "RESERVED"));
  ASSERT_EQ(Reserve("o-released", kNowMs, kDeadlineMs, {{"A", 2}, {"B", 1}, {"C", 1}}),
            ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));
  ASSERT_EQ(Reserve("o-rejected", kNowMs, kDeadlineMs, {{"A", 1}, {"B", 100}}),
            RejectedReply(2, 100, 6));
  ASSERT_EQ(Commit("o-committed", kNowMs + 1), CommittedReply(true));
  ASSERT_EQ(Release("o-released", kNowMs + 1, kCustomer), ReleasedReply(kCustomer, true));
  for (const std::string order : {"o-committed", "o-rejected", "o-gone"}) {
    ASSERT_EQ(Cmd({"ZADD", kDeadlines, absl::StrCat(kDeadlineMs), order}), Int(1));
  }
  ASSERT_EQ(Stock("A"), (Level{8, 2, 0}));
  ASSERT_EQ(Stock("B"), (Level{7, 2, 1}));
  ASSERT_EQ(Stock("C"), (Level{5, 4, 1}));

  EXPECT_EQ(Expire(kDeadlineMs, {"o-committed", "o-due-1", "o-gone", "o-future", "o-released",
                                 "o-due-2", "o-rejected"}),
            ExpireReply({{"o-committed", "CLOSED"},
                         {"o-due-1", "EXPIRED"},
                         {"o-gone", "NOT_FOUND"},
                         {"o-future", "NOT_DUE"},
                         {"o-released", "CLOSED"},
                         {"o-due-2", "EXPIRED"},
                         {"o-rejected", "CLOSED"}}));

  EXPECT_EQ(Stock("A"), (Level{9, 1, 0}));
  EXPECT_EQ(Stock("B"), (Level{9, 0, 1}));
  EXPECT_EQ(Stock("C"), (Level{8, 1, 1}));
  EXPECT_EQ(ZSet(kDeadlines), (std::map<std::string, int64_t>{{"o-future", later_deadline_ms}}));
  EXPECT_EQ(ZSet(kOutbox),
            (std::map<std::string, int64_t>{{"o-due-1", kDeadlineMs}, {"o-due-2", kDeadlineMs}}));
  EXPECT_EQ(Record("o-due-1")["release_reason"], kExpired);
  EXPECT_EQ(Record("o-due-2")["release_reason"], kExpired);
  EXPECT_EQ(Record("o-released")["release_reason"], kCustomer);
  EXPECT_EQ(Record("o-future")["state"], "RESERVED");

  // The same batch again: everything but o-future is closed or gone by now.
  const std::string before = Snapshot();
  EXPECT_EQ(Expire(kDeadlineMs, {"o-committed", "o-due-1", "o-gone", "o-future", "o-released",
                                 "o-due-2", "o-rejected"}),
            ExpireReply({{"o-committed", "CLOSED"},
                         {"o-due-1", "CLOSED"},
                         {"o-gone", "NOT_FOUND"},
                         {"o-future", "NOT_DUE"},
                         {"o-released", "CLOSED"},
                         {"o-due-2", "CLOSED"},
                         {"o-rejected", "CLOSED"}}));
  EXPECT_EQ(Snapshot(), before);
}

// --- record TTL ---

TEST_F(LuaScriptsTest, OpenRecordsOutliveTheirDeadlineAndClosedOnesAreKeptForTheRetention) {
  SetStock("A", 100);
  for (const std::string order :
       {"o-open", "o-committed", "o-released", "o-expired", "o-commit-late"}) {
    ASSERT_EQ(Reserve(order, kNowMs, kDeadlineMs, {{"A", 1}}),
              ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));
  }
  ASSERT_EQ(Reserve("o-rejected", kNowMs, kDeadlineMs, {{"A", 1000}}), RejectedReply(1, 1000, 95));
  ASSERT_EQ(Commit("o-committed", kNowMs + 1), CommittedReply(true));
  ASSERT_EQ(Release("o-released", kNowMs + 1, kDeclined), ReleasedReply(kDeclined, true));
  ASSERT_EQ(Expire(kDeadlineMs, {"o-expired"}), ExpireReply({{"o-expired", "EXPIRED"}}));
  ASSERT_EQ(Commit("o-commit-late", kDeadlineMs), ReleasedReply(kExpired, true));

  ExpectRecordTtl("o-open", kDeadlineMs - kNowMs + kRetentionMs);
  for (const std::string order :
       {"o-committed", "o-released", "o-expired", "o-commit-late", "o-rejected"}) {
    ExpectRecordTtl(order, kRetentionMs);
  }
}

// --- malformed arguments: an error reply, and nothing changes ---

TEST_F(LuaScriptsTest, MalformedReserveIsAnErrorAndChangesNothing) {
  SetStock("A", 10);
  SetStock("B", 10);
  struct Case {
    std::string name;
    std::vector<Line> lines;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"zero", {{"A", "0"}}, "reserve: quantity must be at least 1"},
      {"negative", {{"A", "-1"}}, "reserve: bad quantity"},
      {"fraction", {{"A", "1.5"}}, "reserve: bad quantity"},
      {"word", {{"A", "abc"}}, "reserve: bad quantity"},
      {"empty", {{"A", ""}}, "reserve: bad quantity"},
      {"exponent", {{"A", "1e3"}}, "reserve: bad quantity"},
      {"hex", {{"A", "0x10"}}, "reserve: bad quantity"},
      {"padded", {{"A", " 2"}}, "reserve: bad quantity"},
      {"leading zero", {{"A", "02"}}, "reserve: bad quantity"},
      {"above 2^53", {{"A", "9007199254740993"}}, "reserve: bad quantity"},
      {"bad second line", {{"A", 1}, {"B", "-2"}}, "reserve: bad quantity"},
      {"comma in sku", {{"A,B", 1}}, "reserve: bad sku"},
      {"repeated sku", {{"A", 1}, {"B", 1}, {"A", 1}}, "reserve: SKUs must be distinct"},
      {"no lines", {}, "reserve: need one sku and quantity per stock key"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string before = Snapshot();
    // An order of its own per case, so that one wrongly accepted cannot mask the next ones.
    RedisReply reply = Reserve("o-" + c.name, kNowMs, kDeadlineMs, c.lines);
    EXPECT_TRUE(reply.is_error()) << reply;
    EXPECT_THAT(reply.str, HasSubstr(c.error));
    EXPECT_EQ(Snapshot(), before);
  }

  // Bad times, and a stock key without its line.
  const std::string now = absl::StrCat(kNowMs);
  const std::string deadline = absl::StrCat(kDeadlineMs);
  const std::string retention = absl::StrCat(kRetentionMs);
  const std::vector<std::pair<std::vector<std::string>, std::string>> raw_cases = {
      {{"o-r1", "soon", deadline, retention, "", "A", "1"}, "reserve: bad now_ms"},
      {{"o-r2", now, "-5", retention, "", "A", "1"}, "reserve: bad deadline_ms"},
      {{"o-r3", now, deadline, "0", "", "A", "1"}, "reserve: bad retention_ms or deadline_ms"},
      {{"o-r4", now, absl::StrCat(kNowMs - 1), retention, "", "A", "1"},
       "reserve: bad retention_ms or deadline_ms"},
      {{"o-r5", now, deadline, retention, "", "A"}, "reserve: need one sku and quantity per stock key"},
  };
  for (const auto& [args, error] : raw_cases) {
    SCOPED_TRACE(absl::StrJoin(args, " "));
    const std::string before = Snapshot();
    RedisReply reply = Eval(redis_.get(), AllScripts().reserve,
                            {RecordKey(args[0]), kDeadlines, StockKey("A")}, args);
    EXPECT_TRUE(reply.is_error()) << reply;
    EXPECT_THAT(reply.str, HasSubstr(error));
    EXPECT_EQ(Snapshot(), before);
  }
  EXPECT_EQ(Stock("A"), (Level{10, 0, 0}));
}

// A repeated SKU passed the per-line check once per line, so two lines of 5 against a stock of 5
// reserved 10 and left available at -5.
TEST_F(LuaScriptsTest, RepeatedSkuCannotOversell) {
  SetStock("A", 5);

  RedisReply reply = Reserve("o-1", kNowMs, kDeadlineMs, {{"A", 5}, {"A", 5}});

  EXPECT_TRUE(reply.is_error()) << reply;
  EXPECT_THAT(reply.str, HasSubstr("reserve: SKUs must be distinct"));
  EXPECT_EQ(Stock("A"), (Level{5, 0, 0}));
  EXPECT_EQ(Cmd({"EXISTS", RecordKey("o-1")}), Int(0));
}

TEST_F(LuaScriptsTest, MalformedCommitAndReleaseAreErrorsAndChangeNothing) {
  SetStock("A", 10);
  SetStock("B", 10);
  SetStock("C", 10);
  ASSERT_EQ(Reserve("o-1", kNowMs, kDeadlineMs, {{"A", 1}, {"B", 2}}),
            ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));
  const std::string before = Snapshot();

  const std::vector<std::vector<std::string>> wrong_skus = {
      {}, {"A"}, {"B", "A"}, {"A", "C"}, {"A", "B", "C"}};
  for (const std::vector<std::string>& skus : wrong_skus) {
    SCOPED_TRACE(absl::StrJoin(skus, ","));
    RedisReply committed = CommitWithSkus("o-1", kNowMs + 1, skus);
    EXPECT_TRUE(committed.is_error()) << committed;
    EXPECT_THAT(committed.str, HasSubstr("commit: keys do not match the reservation"));
    RedisReply released = ReleaseWithSkus("o-1", kNowMs + 1, kCustomer, skus);
    EXPECT_TRUE(released.is_error()) << released;
    EXPECT_THAT(released.str, HasSubstr("release: keys do not match the reservation"));
    EXPECT_EQ(Snapshot(), before);
  }

  // The right SKUs in ARGV, but one stock key missing from KEYS.
  const std::vector<std::string> short_keys = {RecordKey("o-1"), kDeadlines, StockKey("A")};
  const std::string now = absl::StrCat(kNowMs + 1);
  const std::string retention = absl::StrCat(kRetentionMs);
  RedisReply reply =
      Eval(redis_.get(), AllScripts().commit, short_keys, {"o-1", now, retention, "A", "B"});
  EXPECT_THAT(reply.str, HasSubstr("commit: keys do not match the reservation"));
  reply = Eval(redis_.get(), AllScripts().release, short_keys,
               {"o-1", now, retention, kCustomer, "A", "B"});
  EXPECT_THAT(reply.str, HasSubstr("release: keys do not match the reservation"));
  EXPECT_EQ(Snapshot(), before);

  // Bad times and reasons.
  const std::vector<std::string> keys = {RecordKey("o-1"), kDeadlines, StockKey("A"),
                                         StockKey("B")};
  reply = Eval(redis_.get(), AllScripts().commit, keys, {"o-1", "later", retention, "A", "B"});
  EXPECT_THAT(reply.str, HasSubstr("commit: bad now_ms or retention_ms"));
  reply = Eval(redis_.get(), AllScripts().commit, keys, {"o-1", now, "0", "A", "B"});
  EXPECT_THAT(reply.str, HasSubstr("commit: bad now_ms or retention_ms"));
  reply = Eval(redis_.get(), AllScripts().release, keys, {"o-1", now, "0", kCustomer, "A", "B"});
  EXPECT_THAT(reply.str, HasSubstr("release: bad now_ms or retention_ms"));
  for (const std::string reason : {kExpired, "", "customer_request"}) {
    SCOPED_TRACE(reason);
    RedisReply released = ReleaseWithSkus("o-1", kNowMs + 1, reason, {"A", "B"});
    EXPECT_TRUE(released.is_error()) << released;
    EXPECT_THAT(released.str, HasSubstr("release: bad reason"));
  }
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(Stock("A"), (Level{9, 1, 0}));
  EXPECT_EQ(Stock("B"), (Level{8, 2, 0}));
}

TEST_F(LuaScriptsTest, MalformedExpireIsAnErrorAndChangesNothing) {
  SetStock("A", 10);
  SetStock("B", 10);
  ASSERT_EQ(Reserve("o-1", kNowMs, kDeadlineMs, {{"A", 1}, {"B", 2}}),
            ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));
  const std::string before = Snapshot();

  // A due reservation passed with SKUs other than its own.
  for (const std::vector<std::string>& skus :
       std::vector<std::vector<std::string>>{{"A"}, {"B", "A"}, {"A", "B", "C"}}) {
    SCOPED_TRACE(absl::StrJoin(skus, ","));
    RedisReply reply = RunExpire(redis_.get(), kDeadlineMs, {{"o-1", skus}});
    EXPECT_TRUE(reply.is_error()) << reply;
    EXPECT_THAT(reply.str, HasSubstr("expire: keys do not match the reservation of o-1"));
    EXPECT_EQ(Snapshot(), before);
  }

  // Batches beyond the bound, and bad times.
  const std::vector<std::string> keys = {kDeadlines, kOutbox};
  const std::string now = absl::StrCat(kDeadlineMs);
  const std::string retention = absl::StrCat(kRetentionMs);
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {now, retention, "1001"}, {"soon", retention, "0"}, {now, "0", "0"}}) {
    SCOPED_TRACE(absl::StrJoin(args, " "));
    RedisReply reply = Eval(redis_.get(), AllScripts().expire, keys, args);
    EXPECT_TRUE(reply.is_error()) << reply;
    EXPECT_THAT(reply.str, HasSubstr("expire: bad now_ms, retention_ms or batch size"));
    EXPECT_EQ(Snapshot(), before);
  }
}

// --- limits ---

TEST_F(LuaScriptsTest, LargestQuantityAgainstStockOf2Pow53IsExact) {
  EXPECT_EQ(SetStock("A", "9007199254740992"), RedisReply::Array({Int(kTwoPow53), Int(0), Int(0)}));

  ASSERT_EQ(Reserve("o-1", kNowMs, kDeadlineMs, {{"A", kInt32Max}}),
            ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));
  EXPECT_EQ(Stock("A"), (Level{kTwoPow53 - kInt32Max, kInt32Max, 0}));
  EXPECT_EQ(Hash(StockKey("A")),
            (std::map<std::string, std::string>{{"available", "9007197107257345"},
                                                {"reserved", "2147483647"}}));
  EXPECT_EQ(Record("o-1")["quantities"], "2147483647");

  ASSERT_EQ(Commit("o-1", kNowMs + 1), CommittedReply(true));
  EXPECT_EQ(Stock("A"), (Level{kTwoPow53 - kInt32Max, 0, kInt32Max}));
  EXPECT_EQ(Hash(StockKey("A")),
            (std::map<std::string, std::string>{
                {"available", "9007197107257345"}, {"reserved", "0"}, {"sold", "2147483647"}}));
}

// Lua prints numbers of 15 or more digits as %.14g: the record once stored this quantity as
// "1.2345678901234e+14", and the commit then sold 5 less than it had reserved.
TEST_F(LuaScriptsTest, FifteenDigitQuantityIsStoredAndCommittedExactly) {
  const int64_t quantity = 123'456'789'012'345;
  SetStock("A", kTwoPow53);

  ASSERT_EQ(Reserve("o-1", kNowMs, kDeadlineMs, {{"A", quantity}}),
            ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));
  EXPECT_EQ(Record("o-1")["quantities"], "123456789012345");
  ASSERT_EQ(Commit("o-1", kNowMs + 1), CommittedReply(true));

  EXPECT_EQ(ExactStock("A"), (Level{kTwoPow53 - quantity, 0, quantity}));
}

TEST_F(LuaScriptsTest, StockSetTakesOnlyPlainIntegersUpTo2Pow53) {
  SetStock("A", 7);
  for (const std::string bad : {"9007199254740993", "9007199254740999", "10000000000000000", "1e3",
                                "-1", "abc", "", "1.5", " 5", "+5", "007", "0x10"}) {
    SCOPED_TRACE(bad);
    const std::string before = Snapshot();
    RedisReply reply = SetStock("A", bad);
    EXPECT_TRUE(reply.is_error()) << reply;
    EXPECT_THAT(reply.str, HasSubstr("stock_set: available must be an integer in [0, 2^53]"));
    EXPECT_EQ(Snapshot(), before);
  }

  EXPECT_EQ(SetStock("A", "0"), RedisReply::Array({Int(0), Int(0), Int(0)}));
  EXPECT_EQ(SetStock("A", "9007199254740992"), RedisReply::Array({Int(kTwoPow53), Int(0), Int(0)}));
  EXPECT_EQ(Hash(StockKey("A"))["available"], "9007199254740992");
}

TEST_F(LuaScriptsTest, StockGetOfANeverSetSkuIsZeroAndCreatesNothing) {
  EXPECT_EQ(Eval(redis_.get(), AllScripts().stock_get, {StockKey("NEVER-SET")}, {}),
            RedisReply::Array({Int(0), Int(0), Int(0)}));
  EXPECT_EQ(Cmd({"EXISTS", StockKey("NEVER-SET")}), Int(0));
}

TEST_F(LuaScriptsTest, StockSetKeepsReservedAndSold) {
  SetStock("A", 10);
  ASSERT_EQ(Reserve("o-open", kNowMs, kDeadlineMs, {{"A", 3}}),
            ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));
  ASSERT_EQ(Reserve("o-sold", kNowMs, kDeadlineMs, {{"A", 2}}),
            ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));
  ASSERT_EQ(Commit("o-sold", kNowMs + 1), CommittedReply(true));
  ASSERT_EQ(Stock("A"), (Level{5, 3, 2}));

  EXPECT_EQ(SetStock("A", "100"), RedisReply::Array({Int(100), Int(3), Int(2)}));
  EXPECT_EQ(Stock("A"), (Level{100, 3, 2}));

  // The open reservation still closes against the new level.
  EXPECT_EQ(Release("o-open", kNowMs + 2, kCustomer), ReleasedReply(kCustomer, true));
  EXPECT_EQ(Stock("A"), (Level{103, 0, 2}));
}

// --- concurrent callers, each with its own connection ---

TEST_F(LuaScriptsTest, ConcurrentReservationsNeverOversell) {
  constexpr int kThreads = 4;
  constexpr int kOrdersPerThread = 50;
  constexpr int kStock = 50;
  SetStock("A", kStock);
  std::vector<std::unique_ptr<RedisClient>> clients;
  for (int t = 0; t < kThreads; ++t) {
    clients.push_back(Connect(*server_));
    ASSERT_NE(clients.back(), nullptr);
  }

  std::vector<std::vector<RedisReply>> replies(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kOrdersPerThread; ++i) {
        replies[t].push_back(RunReserve(clients[t].get(), absl::StrCat("o-", t, "-", i), kNowMs,
                                        kDeadlineMs, {{"A", 1}}));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  int reserved = 0;
  std::set<std::string> reserved_orders;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kOrdersPerThread; ++i) {
      const RedisReply& reply = replies[t][i];
      if (reply == ReservedReply(kDeadlineMs, kNowMs, "RESERVED")) {
        ++reserved;
        reserved_orders.insert(absl::StrCat("o-", t, "-", i));
      } else {
        // Rejected with whatever was left, which is nothing.
        EXPECT_EQ(reply, RejectedReply(1, 1, 0)) << "o-" << t << "-" << i;
      }
    }
  }
  EXPECT_EQ(reserved, kStock);
  EXPECT_EQ(Stock("A"), (Level{0, kStock, 0}));
  std::set<std::string> deadline_orders;
  for (const auto& [order, deadline_ms] : ZSet(kDeadlines)) deadline_orders.insert(order);
  EXPECT_EQ(deadline_orders, reserved_orders);
}

TEST_F(LuaScriptsTest, ConcurrentReplaysOfOneOrderReserveOnce) {
  constexpr int kThreads = 8;
  constexpr int kCallsPerThread = 25;
  SetStock("A", 10);
  std::vector<std::unique_ptr<RedisClient>> clients;
  for (int t = 0; t < kThreads; ++t) {
    clients.push_back(Connect(*server_));
    ASSERT_NE(clients.back(), nullptr);
  }

  std::vector<std::vector<RedisReply>> replies(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        // Every replica of OrderPlaced carries the same order, handled at different times.
        replies[t].push_back(
            RunReserve(clients[t].get(), "o-1", kNowMs + t, kDeadlineMs + t, {{"A", 3}}));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  // Whichever call came first set the outcome; every call returned exactly that outcome.
  const RedisReply first = RunReserve(redis_.get(), "o-1", kNowMs, kDeadlineMs, {{"A", 3}});
  ASSERT_TRUE(first.is_array() && first.elements.size() == 4) << first;
  const int64_t reserved_at_ms = first.elements[2].integer;
  EXPECT_GE(reserved_at_ms, kNowMs);
  EXPECT_LT(reserved_at_ms, kNowMs + kThreads);
  EXPECT_EQ(first, ReservedReply(reserved_at_ms + kTtlMs, reserved_at_ms, "RESERVED"));
  for (int t = 0; t < kThreads; ++t) {
    for (const RedisReply& reply : replies[t]) EXPECT_EQ(reply, first) << "thread " << t;
  }
  EXPECT_EQ(Stock("A"), (Level{7, 3, 0}));
}

TEST_F(LuaScriptsTest, ConcurrentCommitsAndExpiriesAgreeOnEveryOrder) {
  constexpr int kOrders = 100;
  constexpr int kBatch = 5;
  SetStock("A", kOrders);
  std::vector<std::string> orders;
  for (int i = 0; i < kOrders; ++i) {
    orders.push_back(absl::StrCat("o-", i));
    ASSERT_EQ(Reserve(orders.back(), kNowMs, kDeadlineMs, {{"A", 1}}),
              ReservedReply(kDeadlineMs, kNowMs, "RESERVED"));
  }
  std::unique_ptr<RedisClient> payments = Connect(*server_);
  std::unique_ptr<RedisClient> sweeper = Connect(*server_);
  ASSERT_NE(payments, nullptr);
  ASSERT_NE(sweeper, nullptr);

  // The payments arrive just in time, front to back; the sweeper, whose clock has reached the
  // deadline, expires back to front. They meet somewhere in the middle.
  std::vector<RedisReply> commits(kOrders);
  std::map<std::string, std::string> expiries;  // order -> expire status
  std::thread payment_thread([&] {
    for (int i = 0; i < kOrders; ++i) {
      commits[i] =
          RunClose(payments.get(), AllScripts().commit, orders[i], kDeadlineMs - 1, {}, {"A"});
    }
  });
  std::thread sweeper_thread([&] {
    for (int end = kOrders; end > 0; end -= kBatch) {
      std::vector<DueOrder> batch;
      for (int i = end - 1; i >= end - kBatch; --i) batch.push_back({orders[i], {"A"}});
      RedisReply reply = RunExpire(sweeper.get(), kDeadlineMs, batch);
      for (size_t j = 0; j + 1 < reply.elements.size(); j += 2) {
        expiries[reply.elements[j].str] = reply.elements[j + 1].str;
      }
    }
  });
  payment_thread.join();
  sweeper_thread.join();

  int committed = 0;
  std::map<std::string, int64_t> expected_outbox;
  for (int i = 0; i < kOrders; ++i) {
    SCOPED_TRACE(orders[i]);
    if (commits[i] == CommittedReply(true)) {
      ++committed;
      EXPECT_EQ(expiries[orders[i]], "CLOSED");
      EXPECT_EQ(Record(orders[i])["state"], "COMMITTED");
    } else {
      EXPECT_EQ(commits[i], ReleasedReply(kExpired, false));
      EXPECT_EQ(expiries[orders[i]], "EXPIRED");
      EXPECT_EQ(Record(orders[i])["state"], "RELEASED");
      expected_outbox[orders[i]] = kDeadlineMs;
    }
  }
  EXPECT_EQ(Stock("A"), (Level{kOrders - committed, 0, committed}));
  EXPECT_EQ(ZSet(kOutbox), expected_outbox);
  EXPECT_TRUE(ZSet(kDeadlines).empty());
}

}  // namespace
}  // namespace orderplatform::lua
