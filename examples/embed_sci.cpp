// Embedding HiveMind: run the per-node SCI computation the way separate daemons would (Sec.
// IV-C, Fig. 4, Algorithm 1) — each node only sees its own costs, its incoming link and the
// message its downstream neighbour sent over the wire (sci_codec.hpp: node p encodes, node p-1
// decodes and checks it); it builds its own cost rows from them (cost_model.hpp) — then take
// the decisions downstream (Sec. IV-C3). Prints the plan and
// checks its cost against the one-call API within float32 rounding (the wire carries float32,
// docs/formats.md), and shows a message of another model being refused.
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "hivemind/error.hpp"
#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/cost_model.hpp"
#include "hivemind/split/paper_examples.hpp"
#include "hivemind/split/sci.hpp"
#include "hivemind/split/sci_codec.hpp"
#include "hivemind/split/solve.hpp"

int main() {
  using namespace hivemind::split;
  const Problem problem = paper_fig2_problem(/*mec_cloud_capacity=*/0.5);
  const int P = problem.node_count();
  const int L = problem.layers;
  // What every node holds: the task (the model's cut bytes and the deliver mode).
  const TaskTraffic task = TaskTraffic::of(problem);
  // Every node plans the same model: they agree on its architecture hash (L and cut bytes
  // here; a profiled model adds layer names and parameter bytes), not on latencies.
  const std::uint64_t arch = architecture_hash(problem);
  const std::uint64_t epoch = 1;  // the planning round

  // Phase 1, sink to source: node p computes its SCI message from what it knows and sends it.
  std::vector<SciNodeOutput> node(P);
  std::vector<std::uint8_t> wire;  // the bytes node p sends node p-1
  for (int p = P - 1; p >= 0; --p) {
    // Node p's own rows: its layer costs (Eq. 7) and its incoming link p-1 (Eq. 10), which it
    // measures as the receiver.
    std::vector<double> compute, incoming;
    build_compute_row(problem.nodes[p].compute_s, {}, 1.0, 1.0, compute);
    if (p > 0)
      build_transfer_row(task, latency_of(problem.links[p - 1].up),
                         latency_of(problem.links[p - 1].down), 1.0, incoming);
    SciNodeInput in;
    in.compute = compute;
    in.incoming = incoming;
    SciMessage received;
    if (p + 1 < P) {  // decode and check what node p+1 sent: this model, this round, from p+1
      received = decode_sci(wire, {L, arch, static_cast<std::uint32_t>(p + 1)});
      if (received.header.epoch != epoch) return 1;
      in.downstream_zeta = received.zeta;
    }
    sci_node(in, node[p]);
    if (p == 0) break;  // the source sends nothing
    encode_sci({arch, epoch, static_cast<std::uint32_t>(p)}, node[p].zeta, wire);
    std::printf("node %d sends %zu-byte SCI message, zeta_1 = %.4f\n", p, wire.size(),
                node[p].zeta[1]);
  }
  // Phase 2, source to sink: each node decides locally from the upstream stop.
  std::vector<int> plan;
  int stop = 0;
  for (int p = 0; p < P; ++p) plan.push_back(stop = sci_decide(node[p], stop));
  const ChainCosts costs = compile(problem);  // the whole chain's tables, to check the plan
  const double cost = evaluate(costs, plan).total;
  std::printf("plan [%d, %d, %d], cost %.4f\n", plan[0], plan[1], plan[2], cost);

  // A node configured with another model refuses the message instead of planning with it.
  Problem other = problem;
  other.output_bytes[0] *= 2;
  try {
    decode_sci(wire, {L, architecture_hash(other), 1u});
    return 1;
  } catch (const hivemind::InputError& e) {
    std::printf("a node planning another model refuses it: %s\n", e.what());
  }
  // The one-call API (double precision, in process) gives the same cost, within float32
  // rounding (the plan may differ only on a tie; here it does not).
  const Solution reference = solve(costs, Method::kSci);
  const bool same = std::fabs(cost - reference.cost) <= P * FLT_EPSILON * reference.cost;
  std::printf("%s the in-process solve (%.4f)\n", same ? "matches" : "DIFFERS FROM",
              reference.cost);
  return same ? 0 : 1;
}
