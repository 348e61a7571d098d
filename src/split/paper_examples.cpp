#include "hivemind/split/paper_examples.hpp"

namespace hivemind::split {

Problem paper_fig2_problem(double mec_cloud_capacity) {
  const double loads[] = {0.5, 1.0, 4.0};
  const double capacities[] = {1.0, 3.0, 10.0};
  const char* names[] = {"ue", "mec", "cloud"};
  Problem p;
  p.layers = 3;
  p.input_bytes = 1.2;
  p.output_bytes = {1.0, 4.0, 0.0};
  for (int n = 0; n < 3; ++n) {
    Node node{names[n], {}};
    for (double load : loads) node.compute_s.push_back(load / capacities[n]);
    p.nodes.push_back(node);
  }
  Link ue_mec, mec_cloud;
  ue_mec.up = ue_mec.down = {2.0, 0.0};
  mec_cloud.up = mec_cloud.down = {mec_cloud_capacity, 0.0};
  p.links = {ue_mec, mec_cloud};
  p.deliver = Deliver::kSink;
  return p;
}

}  // namespace hivemind::split
