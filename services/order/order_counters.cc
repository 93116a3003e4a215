#include "services/order/order_counters.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace orderplatform::order {

std::string OrderCounters::Summary() const {
  std::string out;
#define ORDER_COUNTER_SUMMARY(name, meaning) \
  absl::StrAppend(&out, out.empty() ? "" : ",", #name, ":", name.load());
  ORDER_COUNTERS(ORDER_COUNTER_SUMMARY)
#undef ORDER_COUNTER_SUMMARY
  return out;
}

metrics::CollectorHandle ExportOrderCounters(metrics::Registry* registry,
                                             const OrderCounters* counters) {
  return registry->AddCollector([counters](std::vector<metrics::FamilySnapshot>* out) {
    auto add = [out](const char* name, const char* meaning, int64_t value) {
      metrics::FamilySnapshot family{
          .name = name, .help = meaning, .type = metrics::MetricType::kCounter};
      family.samples.push_back({.value = static_cast<double>(value)});
      out->push_back(std::move(family));
    };
#define ORDER_COUNTER_EXPORT(name, meaning) \
  add("orderplatform_order_" #name "_total", meaning, counters->name.load());
    ORDER_COUNTERS(ORDER_COUNTER_EXPORT)
#undef ORDER_COUNTER_EXPORT
  });
}

}  // namespace orderplatform::order
