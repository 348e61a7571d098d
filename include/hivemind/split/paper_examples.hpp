// Small problems taken from the paper, used by the demo, the golden tests and the examples.
#pragma once

#include "hivemind/split/problem.hpp"

namespace hivemind::split {

// Sec. III / Fig. 2: a 3-layer model (compute loads 0.5, 1, 4 units; data 1.2 (input), 1, 4
// units, the final output 0) on UE, MEC and cloud with capacities 1, 3 and 10 (tau = load /
// capacity); UE-MEC link capacity 2, MEC-cloud link `mec_cloud_capacity` (the paper sweeps it
// from 1 to 1/10). Transfers cost data / capacity, no overhead. Deliver: sink.
Problem paper_fig2_problem(double mec_cloud_capacity);

}  // namespace hivemind::split
