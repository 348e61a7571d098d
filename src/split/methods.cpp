#include "hivemind/split/methods.hpp"

#include "hivemind/error.hpp"

namespace hivemind::split {

const std::vector<MethodInfo>& method_registry() {
  static const std::vector<MethodInfo> registry = {
      {Method::kSci, "sci", "per-node Split Cost Information, O(L) per node", true, true},
      {Method::kAlgorithm1, "algorithm1", "the paper's Algorithm 1, O(L^2) per node", true, true},
      {Method::kDijkstra, "dijkstra", "explicit graph of Eq. 5-7", true, true},
      {Method::kBrute, "brute", "every plan; small only", true, true},
      {Method::kUeOnly, "ue-only", "baseline: the UE runs every layer", false, true},
      {Method::kCloudOnly, "cloud-only", "baseline: the cloud runs every layer", false, true},
      {Method::kSingleSplit, "single-split", "baseline (Neurosurgeon): one cut UE | cloud", false,
       true},
      {Method::kBottleneck, "bottleneck", "throughput: minimise the slowest stage", true, false},
      {Method::kStandard, "standard",
       "baseline: plan without omega / split one RNN step (collaborative, rnn)", false, false},
      {Method::kLinear, "linear", "Eq. 11: one weighted sum of the metrics", true, false},
      {Method::kBarrier, "barrier", "Eq. 12: W_c on every edge (the paper)", false, false},
      {Method::kExact, "exact", "minimum best effort with every end-to-end limit met", true, false},
      {Method::kOptMetric, "opt-", "one metric alone, e.g. opt-energy", true, false},
  };
  return registry;
}

const MethodInfo& method_info(Method method) {
  for (const auto& m : method_registry())
    if (m.method == method) return m;
  return method_registry().front();  // unreachable: every enumerator is registered
}

const std::vector<Method>& table_methods() {
  static const std::vector<Method> methods = [] {
    std::vector<Method> v;
    for (const auto& m : method_registry())
      if (m.on_tables) v.push_back(m.method);
    return v;
  }();
  return methods;
}

std::string_view to_string(Method method) { return method_info(method).name; }

bool is_optimal(Method method) {
  const MethodInfo& m = method_info(method);
  return m.on_tables && m.optimal;
}

std::string MethodChoice::name() const {
  return method == Method::kOptMetric ? "opt-" + metric : std::string(to_string(method));
}

MethodChoice parse_method(std::string_view name) {
  if (name.size() > 4 && name.substr(0, 4) == "opt-")
    return {Method::kOptMetric, std::string(name.substr(4))};
  for (const auto& m : method_registry())
    if (m.method != Method::kOptMetric && m.name == name) return m.method;
  std::string valid;
  for (const auto& m : method_registry())
    valid += (valid.empty() ? "" : ", ") +
             (m.method == Method::kOptMetric ? std::string("opt-METRIC") : std::string(m.name));
  throw InputError("method: unknown method \"" + std::string(name) + "\" (expected one of " +
                   valid + ")");
}

}  // namespace hivemind::split
