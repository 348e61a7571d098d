// Embedding HiveMind: run the per-node SCI computation the way separate daemons would —
// each node only sees its own costs, its incoming link and its downstream neighbour's
// message — then take the decisions downstream (Sec. IV-C3). Prints the plan and checks it
// against the one-call API.
#include <cstdio>
#include <vector>

#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/paper_examples.hpp"
#include "hivemind/split/sci.hpp"
#include "hivemind/split/solve.hpp"

int main() {
  using namespace hivemind::split;
  const ChainCosts costs = compile(paper_fig2_problem(/*mec_cloud_capacity=*/0.5));
  const int P = costs.node_count();

  // Phase 1, sink to source: node p computes its SCI message from what it knows.
  std::vector<SciNodeOutput> node(P);
  for (int p = P - 1; p >= 0; --p) {
    SciNodeInput in;
    in.compute = costs.compute[p];
    if (p > 0) in.incoming = costs.transfer[p - 1];
    in.finish = costs.finish[p];
    if (p + 1 < P) in.downstream_zeta = node[p + 1].zeta;  // the message received
    sci_node(in, node[p]);
    std::printf("node %d sends %zu-byte SCI message, zeta_1 = %.4f\n", p,
                sci_message_bytes(costs.layers), node[p].zeta[1]);
  }
  // Phase 2, source to sink: each node decides locally from the upstream stop.
  std::vector<int> plan;
  int stop = 0;
  for (int p = 0; p < P; ++p) plan.push_back(stop = sci_decide(node[p], stop));
  std::printf("plan [%d, %d, %d], cost %.4f\n", plan[0], plan[1], plan[2],
              evaluate(costs, plan).total);
  return plan == solve(costs, Method::kSci).boundaries ? 0 : 1;
}
