// From a model and a route to the explicit split problem (Sec. IV-B): the route is the chain of
// nodes (UE first, cloud last) with the device class each computes on, and the links between
// them. Format "hivemind.route/v1" (docs/models.md):
//
//   {"format": "hivemind.route/v1",
//    "nodes": [{"name": "ue", "device_class": "ue"},
//              {"name": "iab", "device_class": "iab-mec", "speed_scale": 2}, ...],
//    "links": [{"bandwidth_mbps": 100, "overhead_ms": 1}, ...],
//    "deliver": "sink"}
//
// Units are in the field names: bandwidth in megabits per second (10^6 bit/s), overhead in
// milliseconds per transfer. The problem uses bytes per second and seconds.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hivemind/budget.hpp"
#include "hivemind/model/devices.hpp"
#include "hivemind/model/profile.hpp"
#include "hivemind/split/problem.hpp"
#include "hivemind/split/solve.hpp"

namespace hivemind::model {

inline constexpr std::string_view kRouteFormat = "hivemind.route/v1";

struct RouteNode {
  std::string name;
  std::string device_class;
  double speed_scale = 1.0;  // > 0; compute time is divided by it (2 = twice as fast)
};

struct RouteLink {
  double bandwidth_mbps = 0.0;       // up (towards the cloud), megabits per second, > 0
  double overhead_ms = 0.0;          // up, per transfer, milliseconds, >= 0
  double down_bandwidth_mbps = 0.0;  // down (towards the UE); defaults to the up values
  double down_overhead_ms = 0.0;
};

struct Route {
  std::vector<RouteNode> nodes;           // >= 2, source (UE) first
  std::vector<RouteLink> links;           // nodes - 1
  std::optional<split::Deliver> deliver;  // absent: the problem's default (sink)
};

// Parses and validates; throws InputError "<source>: links[1].bandwidth_mbps: 0 must be > 0".
Route parse_route(std::string_view json_text, std::string_view source = "route");
Route load_route(const std::string& path);

// Which bytes a cut carries.
enum class CutSizes {
  kDag,    // cut_bytes: every live tensor (skip connections included); what really crosses
  kChain,  // output_bytes: the layer's own output only, the paper's chain model (s_l)
};

// The explicit problem: s_0 = input bytes, s_l = cut (or output) bytes of layer l, node p's
// tau^p_l = forward_s of layer l on its device class (resolve_device) / speed_scale, link p's
// bandwidth = bandwidth_mbps x 10^6 / 8 bytes/s and overhead = overhead_ms / 1000 s. Throws
// InputError naming the node ("nodes[2].device_class: ...") when a class cannot be resolved,
// and, before building anything, when the problem's compute table (P x L doubles, one step per
// value: each node resolves its device's per-layer costs) is above `budget` (a 2e5-layer
// profile on a 1e4-node route would ask for 16 GB).
split::Problem problem_from_route(const ModelProfile& profile, const Route& route,
                                  const DeviceCatalog& catalog, CutSizes sizes = CutSizes::kDag,
                                  const Budget& budget = {});

// What the paper's chain model would plan, and what that plan really costs.
struct ChainComparison {
  split::Solution chain;       // optimal under the chain model (output bytes)
  split::PlanCost chain_true;  // the same plan evaluated with the true cut bytes
  split::Solution dag;         // optimal with the true cut bytes
};
// `dag` and `chain` are the same problem built with CutSizes::kDag and kChain.
ChainComparison compare_chain_model(const split::Problem& dag, const split::Problem& chain,
                                    split::Method method = split::Method::kSci,
                                    const Budget& budget = {});

}  // namespace hivemind::model
