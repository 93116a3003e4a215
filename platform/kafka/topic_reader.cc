#include "platform/kafka/topic_reader.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "platform/kafka/rdkafka_util.h"

namespace orderplatform::kafka {
namespace {

// Named for broker logs and ACLs; the reader assigns partitions itself and never joins it.
constexpr char kReaderGroup[] = "orderplatform.topic-reader";

int RemainingMs(absl::Time deadline) {
  return static_cast<int>(
      std::clamp<int64_t>(absl::ToInt64Milliseconds(deadline - absl::Now()), 0, 1 << 30));
}

// A consumer handle for probing. It never subscribes, so it never joins `group`, and it never
// commits; librdkafka 2.0 still wants a group.id before it allows rd_kafka_assign().
absl::StatusOr<rd_kafka_t*> NewProbe(const KafkaOptions& options, const std::string& group) {
  internal::ConfigList config = {
      {"group.id", group}, {"enable.auto.commit", "false"}, {"enable.partition.eof", "false"}};
  absl::StatusOr<internal::ConfPtr> conf = internal::BuildConfig(options, config, {});
  if (!conf.ok()) return conf.status();
  return internal::NewClient(RD_KAFKA_CONSUMER, *std::move(conf));
}

struct ClientCloser {
  void operator()(rd_kafka_t* rk) const {
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }
};
using Client = std::unique_ptr<rd_kafka_t, ClientCloser>;

struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter>;

absl::StatusOr<int> PartitionCount(rd_kafka_t* rk, const std::string& topic, absl::Time deadline) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &metadata, RemainingMs(deadline));
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(
        absl::StrCat("metadata for ", topic, ": ", rd_kafka_err2str(err)));
  }
  absl::StatusOr<int> count = absl::NotFoundError(absl::StrCat("no topic ", topic));
  if (metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    count = metadata->topics[0].partition_cnt;
  }
  rd_kafka_metadata_destroy(metadata);
  return count;
}

}  // namespace

absl::StatusOr<std::vector<ConsumedMessage>> ReadTopic(const KafkaOptions& kafka,
                                                       const std::string& topic,
                                                       absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::StatusOr<rd_kafka_t*> probe = NewProbe(kafka, kReaderGroup);
  if (!probe.ok()) return probe.status();
  Client rk(*probe);
  absl::StatusOr<int> partitions = PartitionCount(rk.get(), topic, deadline);
  if (!partitions.ok()) return partitions.status();

  std::vector<int64_t> begin(*partitions);
  std::vector<int64_t> end(*partitions);
  PartitionList assignment(rd_kafka_topic_partition_list_new(*partitions));
  for (int p = 0; p < *partitions; ++p) {
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
        rk.get(), topic.c_str(), p, &begin[p], &end[p], RemainingMs(deadline));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::UnavailableError(absl::StrCat("watermarks: ", rd_kafka_err2str(err)));
    }
    rd_kafka_topic_partition_list_add(assignment.get(), topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  if (rd_kafka_resp_err_t err = rd_kafka_assign(rk.get(), assignment.get()); err) {
    return absl::InternalError(absl::StrCat("assign: ", rd_kafka_err2str(err)));
  }

  std::vector<std::vector<ConsumedMessage>> by_partition(*partitions);
  auto done = [&] {
    for (int p = 0; p < *partitions; ++p) {
      int64_t next = by_partition[p].empty() ? begin[p] : by_partition[p].back().offset + 1;
      if (next < end[p]) return false;
    }
    return true;
  };
  // Bounded by the deadline.
  while (!done()) {
    if (absl::Now() >= deadline) {
      std::string progress;
      for (int p = 0; p < *partitions; ++p) {
        absl::StrAppend(&progress, " [", p, "] ", by_partition[p].size(), " of ", begin[p], "..",
                        end[p]);
      }
      return absl::DeadlineExceededError(
          absl::StrCat("could not read all of ", topic, " in time:", progress));
    }
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), std::min(RemainingMs(deadline), 100));
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->offset < end[m->partition]) {
      by_partition[m->partition].push_back(internal::ToConsumedMessage(*m));
    }
    rd_kafka_message_destroy(m);
  }
  std::vector<ConsumedMessage> all;
  for (auto& messages : by_partition) {
    for (auto& m : messages) all.push_back(std::move(m));
  }
  return all;
}

absl::StatusOr<std::vector<int64_t>> CommittedOffsets(const KafkaOptions& kafka,
                                                      const std::string& group,
                                                      const std::string& topic,
                                                      absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::StatusOr<rd_kafka_t*> probe = NewProbe(kafka, group);
  if (!probe.ok()) return probe.status();
  Client rk(*probe);
  absl::StatusOr<int> partitions = PartitionCount(rk.get(), topic, deadline);
  if (!partitions.ok()) return partitions.status();
  PartitionList list(rd_kafka_topic_partition_list_new(*partitions));
  for (int p = 0; p < *partitions; ++p)
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p);
  rd_kafka_resp_err_t err = rd_kafka_committed(rk.get(), list.get(), RemainingMs(deadline));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("committed offsets: ", rd_kafka_err2str(err)));
  }
  std::vector<int64_t> offsets(*partitions, -1);
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& p = list->elems[i];
    if (p.err == RD_KAFKA_RESP_ERR_NO_ERROR && p.offset >= 0) offsets[p.partition] = p.offset;
  }
  return offsets;
}

}  // namespace orderplatform::kafka
