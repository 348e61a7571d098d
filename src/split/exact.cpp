// The exact constrained optimum for multiple objectives: Pareto-front SCI messages.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "hivemind/budget.hpp"
#include "hivemind/error.hpp"
#include "hivemind/split/objectives.hpp"
#include "hivemind/split/sci_codec.hpp"

namespace hivemind::split {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int kMaxDims = 1 + kMaxExactLimits;

// A cost-to-go label: v[0] best effort, v[1..C] the limited metrics; `stop` the last layer the
// node runs (i-1 = relay) and `down` the index of the label it extends in the downstream
// node's front for split point set stop+1.
struct Label {
  double v[kMaxDims];
  int stop;
  int down;
};
using Front = std::vector<Label>;

bool lex_less(const Label& a, const Label& b, int D) {
  for (int d = 0; d < D; ++d) {
    if (a.v[d] < b.v[d]) return true;
    if (b.v[d] < a.v[d]) return false;
  }
  return false;
}

// Steps to shift, copy or offer one label: its 48 bytes (six words) moved, up to 1 + C values
// added. Measured ~1 ns a step at the front cap on the reference VM (L = 515, P = 10, 4 limits,
// and L = 1e5, P = 3, 1 limit).
constexpr double kLabelSteps = sizeof(Label) / sizeof(double);

// The front cap (see solve_exact): steps and bytes counted while the fronts are built, checked
// against the budget as they grow. `base_bytes`: the cost tables solve_exact reads.
class Meter {
 public:
  Meter(const Budget& budget, int L, int P, int D, double base_bytes)
      : budget_(budget), L_(L), P_(P), D_(D), base_bytes_(base_bytes) {}

  void steps(double n) {
    steps_ += n;
    if (steps_ > budget_.steps) check_steps(budget_, steps_, what());
  }
  // A front of `labels` (capacity) kept in a node's message.
  void keep(std::size_t labels) {
    kept_labels_ += static_cast<double>(labels);
    buffer(0);
  }
  // Bytes of the kept fronts plus a merge buffer of `labels` about to be reserved.
  void buffer(std::size_t labels) {
    const double bytes = base_bytes_ + (kept_labels_ + static_cast<double>(labels)) * sizeof(Label);
    if (bytes > budget_.bytes) check_bytes(budget_, bytes, what());
  }
  void at_node(int p) { node_ = p; }

 private:
  std::string what() const {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3g", kept_labels_);
    return "method exact (L = " + std::to_string(L_) + ", P = " + std::to_string(P_) + ", " +
           std::to_string(D_ - 1) + (D_ == 2 ? " limit" : " limits") +
           "): the Pareto fronts hold " + buf + " labels at node " + std::to_string(node_) +
           " and still grow (front cap)";
  }

  const Budget& budget_;
  int L_, P_, D_;
  int node_ = 0;
  double base_bytes_;
  double steps_ = 0.0;
  double kept_labels_ = 0.0;
};

// Merges two fronts sorted lexicographically (a first on exact ties) and keeps the labels that
// no other label weakly dominates (the first of identical labels survives).
void merge_pareto(const Front& a, const Front& b, int D, Front& out, Meter& meter) {
  out.clear();
  meter.buffer(a.size() + b.size());
  meter.steps(static_cast<double>(a.size() + b.size()) * kLabelSteps);  // every label offered
  out.reserve(a.size() + b.size());
  std::size_t ia = 0, ib = 0;
  double best1 = kInf;  // D == 2: smallest v[1] among kept labels (all have v[0] <= current)
  auto offer = [&](const Label& l) {
    if (D == 1) {
      if (out.empty()) out.push_back(l);
      return;
    }
    if (D == 2) {
      if (l.v[1] < best1) {
        best1 = l.v[1];
        out.push_back(l);
      }
      return;
    }
    meter.steps(static_cast<double>(out.size()) * (D - 1));  // dominance tests
    for (const Label& k : out) {                             // k.v[0] <= l.v[0] by the merge order
      bool dominated = true;
      for (int d = 1; d < D && dominated; ++d) dominated = k.v[d] <= l.v[d];
      if (dominated) return;
    }
    out.push_back(l);
  };
  while (ia < a.size() || ib < b.size()) {
    if (ib == b.size() || (ia < a.size() && !lex_less(b[ib], a[ia], D)))
      offer(a[ia++]);
    else
      offer(b[ib++]);
  }
}

struct NodeFronts {
  std::vector<Front> front;  // per split point set i = 0..L+1
};

}  // namespace

ExactResult solve_exact(const CompiledObjective& obj, const std::vector<std::vector<int>>& windows,
                        const Budget& budget, std::vector<ParetoMessage>* wire) {
  const int C = static_cast<int>(obj.limited.size());
  if (C > kMaxExactLimits)
    throw InputError("objective.limits: " + std::to_string(C) +
                     " limits, the exact method takes at most " + std::to_string(kMaxExactLimits));
  const int D = 1 + C;
  const ChainCosts& be = obj.best_effort;
  const int L = be.layers;
  const int P = be.node_count();
  auto table = [&](int k) -> const ChainCosts& {
    return k == 0 ? be : obj.metric[obj.limited[k - 1]];
  };
  // Up front, what any input needs: its D cost tables (compute and transfer, read), D prefix
  // sums per layer and one (possibly empty) front per node and split point set; the labels are
  // counted as they come (the front cap).
  const double Ld = L, Pd = P;
  const double input_bytes = D * 2.0 * Pd * (Ld + 1) * sizeof(double);
  const double fixed_bytes =
      input_bytes + (Ld + 1) * D * sizeof(double) + Pd * (Ld + 2) * sizeof(Front);
  {
    const std::string what = "method exact (L = " + std::to_string(L) +
                             ", P = " + std::to_string(P) + ", " + std::to_string(C) +
                             (C == 1 ? " limit)" : " limits)");
    check_steps(budget, Pd * (Ld + 2) * D, what);
    check_bytes(budget, fixed_bytes, what);
  }
  Meter meter(budget, L, P, D, fixed_bytes);

  std::vector<NodeFronts> nodes(P);
  Front sink_end(1);  // the virtual end: nothing left to pay
  for (int d = 0; d < kMaxDims; ++d) sink_end[0].v[d] = 0.0;
  sink_end[0].stop = -1;
  sink_end[0].down = -1;
  const Front empty;

  std::vector<std::vector<double>> T(D, std::vector<double>(L + 1, 0.0));
  std::vector<char> blocked(L + 1, 0);
  Front S, cand, run, relay, tmp;
  double in[kMaxDims], fin[kMaxDims];

  for (int p = P - 1; p >= 0; --p) {
    meter.at_node(p);
    auto downstream = [&](int k) -> const Front& {
      if (p + 1 == P) return k == L + 1 ? sink_end : empty;
      return nodes[p + 1].front[k];
    };
    // Prefix sums per dimension; a layer with infinite compute in any table is a barrier.
    for (int l = 1; l <= L; ++l) {
      blocked[l] = 0;
      for (int k = 0; k < D; ++k) {
        const double t = table(k).compute[p][l - 1];
        if (!std::isfinite(t)) blocked[l] = 1;
        T[k][l] = T[k][l - 1] + (std::isfinite(t) ? t : 0.0);
      }
    }
    for (int k = 0; k < D; ++k) fin[k] = table(k).finish[p];
    auto feasible = [&](const Label& l) {
      for (int c = 1; c < D; ++c)
        if (l.v[c] > obj.threshold[c - 1]) return false;
      return true;
    };
    // Candidates "stop at j" in prefix-sum coordinates: downstream label + T_j (+ finish at L).
    auto stop_at = [&](int j, Front& out) {
      out.clear();
      const Front& f = downstream(j + 1);
      meter.buffer(f.size());
      meter.steps(static_cast<double>(f.size()) * kLabelSteps);
      for (std::size_t q = 0; q < f.size(); ++q) {
        Label l = f[q];
        for (int k = 0; k < D; ++k) l.v[k] += T[k][j] + (j == L ? fin[k] : 0.0);
        l.stop = j;
        l.down = static_cast<int>(q);
        out.push_back(l);
      }
    };
    NodeFronts& me = nodes[p];
    me.front.assign(L + 2, Front());
    S.clear();
    for (int i = L + 1; i >= 1; --i) {
      for (int k = 0; k < D; ++k) in[k] = p > 0 ? table(k).transfer[p - 1][i - 1] : 0.0;
      // Runs: labels of "node p runs i..j", j in the window, in prefix-sum coordinates.
      if (i <= L) {
        if (windows.empty()) {
          // Running union over j >= i (Algorithm 1's min over j, with fronts for minima).
          if (blocked[i]) {
            S.clear();
          } else {
            stop_at(i, cand);
            merge_pareto(S, cand, D, tmp, meter);  // S (larger j) first on ties
            S.swap(tmp);
            // Prune: actual value = abs - T_{i-1} + in >= abs - T_{i-1}, and T_{i-1} only
            // falls as i falls, so a label over a threshold here stays over it.
            tmp.clear();
            meter.steps(static_cast<double>(S.size()) * (D - 1));
            for (const Label& l : S) {
              bool ok = true;
              for (int c = 1; c < D && ok; ++c) ok = l.v[c] - T[c][i - 1] <= obj.threshold[c - 1];
              if (ok) tmp.push_back(l);
            }
            S.swap(tmp);
          }
        } else {
          // Memory window: j in [i, windows[p][i]], barrier-free; union taken afresh.
          S.clear();
          const int last = std::min(L, windows[p][i]);
          for (int j = i; j <= last && !blocked[j]; ++j) {
            stop_at(j, cand);
            merge_pareto(cand, S, D, tmp, meter);  // larger j first on ties
            S.swap(tmp);
          }
        }
      } else {
        S.clear();
      }
      run.clear();
      meter.steps(static_cast<double>(S.size()) * kLabelSteps);
      for (const Label& s : S) {
        Label l = s;
        for (int k = 0; k < D; ++k) l.v[k] = l.v[k] - T[k][i - 1] + in[k];
        if (feasible(l)) run.push_back(l);
      }
      relay.clear();
      const Front& f = downstream(i);
      meter.steps(static_cast<double>(f.size()) * kLabelSteps);
      for (std::size_t q = 0; q < f.size(); ++q) {
        Label l = f[q];
        for (int k = 0; k < D; ++k) l.v[k] += in[k];
        l.stop = i - 1;
        l.down = static_cast<int>(q);
        if (feasible(l)) relay.push_back(l);
      }
      merge_pareto(run, relay, D, me.front[i], meter);  // run before relay on ties
      meter.keep(me.front[i].capacity());
    }
    me.front[0] = me.front[1];
    meter.keep(me.front[0].capacity());
  }

  ExactResult result;
  for (int p = 1; p < P; ++p) {  // node 0 sends no message
    std::size_t labels = 0;
    for (const Front& f : nodes[p].front) labels += f.size();
    const std::size_t bytes = pareto_message_bytes(L, D, labels);  // the codec's wire size
    result.stats.max_message_bytes = std::max(result.stats.max_message_bytes, bytes);
    result.stats.total_message_bytes += bytes;
    result.stats.max_labels = std::max(result.stats.max_labels, labels);
    result.stats.total_labels += labels;
    if (wire) {  // node p's message for node p-1, in the codec's form (labels in order)
      ParetoMessage m;
      m.header.sender = static_cast<std::uint32_t>(p);
      m.values_per_label = D;
      m.fronts.resize(nodes[p].front.size());
      for (std::size_t i = 0; i < m.fronts.size(); ++i)
        for (const Label& l : nodes[p].front[i]) m.fronts[i].emplace_back(l.v, l.v + D);
      wire->push_back(std::move(m));
    }
  }
  const Front& top = nodes[0].front[1];
  if (top.empty()) return result;
  // Decisions, downstream (Sec. IV-C3 with labels): node p follows its label's stop and hands
  // node p+1 the index of the label to continue.
  Label label = top[0];  // lexicographic order: least best effort first
  result.best_effort = label.v[0];
  for (int p = 0; p < P; ++p) {
    result.boundaries.push_back(label.stop);
    if (p + 1 < P) label = nodes[p + 1].front[label.stop + 1][label.down];
  }
  return result;
}

}  // namespace hivemind::split
