// The Kafka ceilings of the bench, measured against a development broker of their own (so the
// stack's topics stay untouched): produce `messages` records of a real OrderPlaced's size with
// the platform's own producer (kafka::Producer: idempotent, acks=all, linger.ms=1), time from
// the first send to the last acknowledgement; then read them all back with a plain librdkafka
// consumer assigned to every partition from the beginning (the platform consumer's fetch
// settings), time from the first message to the last.
//
//   absl::StatusOr<KafkaCeilings> c = MeasureKafkaCeilings({.brokers = broker->bootstrap()});
//
// The development broker keeps only the last 5 MB (or 100,000 messages) of a partition: with
// too few partitions the oldest records are gone before they are read, which is reported as an
// error rather than a fast consumer. 8 partitions hold 100,000 OrderPlaced-sized records.
#ifndef ORDERPLATFORM_TOOLS_BENCH_KAFKA_CEILING_H_
#define ORDERPLATFORM_TOOLS_BENCH_KAFKA_CEILING_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace orderplatform::bench {

struct KafkaCeilingOptions {
  std::string brokers;
  std::string topic = "orders.v1";
  int64_t messages = 100000;
  absl::Duration timeout = absl::Minutes(3);  // per direction
};

struct KafkaCeilings {
  double produce_per_s = 0;
  double consume_per_s = 0;
  int64_t messages = 0;
  int partitions = 0;
  int message_bytes = 0;  // value bytes of one record (a serialized OrderPlaced)
};

absl::StatusOr<KafkaCeilings> MeasureKafkaCeilings(const KafkaCeilingOptions& options);

}  // namespace orderplatform::bench

#endif  // ORDERPLATFORM_TOOLS_BENCH_KAFKA_CEILING_H_
