#include "services/order/order_counters.h"

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

}  // namespace orderplatform::order
