#include "hivemind/sim/nonlinear.hpp"

#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <utility>

#include "hivemind/error.hpp"
#include "hivemind/split/cost_model.hpp"
#include "hivemind/split/objectives.hpp"
#include "hivemind/split/rnn.hpp"
#include "hivemind/split/sci.hpp"
#include "hivemind/split/training.hpp"

namespace hivemind::sim {

const char* to_string(NonlinearMethod method) {
  return method == NonlinearMethod::kStandard ? "standard" : "nonlinear";
}

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kMs = 1e3;  // the objective's latency unit (ms), as the engine's

// A route link as the task sees it: its planning capacity at t1 and its radio power models
// (nullptr = no radio energy, e.g. a wired link).
struct LinkView {
  int id = 0;
  double overhead_s = 0.0;
  double cap_bps = 0.0;  // split::planning_capacity of the capacity read at t1
  const RadioPower* up = nullptr;
  const RadioPower* down = nullptr;
};

// A chain task on one route: what moves (cuts, deliver mode, gradients), each route node's
// per-layer forward and backward latencies (s; +inf rows for a relay) and counted power (W).
struct Chain {
  split::TaskTraffic traffic;
  std::vector<std::vector<double>> fwd, bwd;  // bwd empty = inference
  std::vector<double> power_w;                // 0 = compute energy not counted
  double push_bytes = 0.0;                    // Eq. 13: parameters pushed to the sink after
  int nodes() const { return static_cast<int>(fwd.size()); }
};

struct Tables {
  split::ChainCosts lat_ms, energy_j;
};

// Eq. 7/9/10 in ms and J (cost_model.hpp, row by row).
Tables build_tables(const Chain& c, const std::vector<LinkView>& links) {
  Tables t;
  const int P = c.nodes();
  auto row = [&](int p, double unit, std::vector<double>& r) {
    split::build_compute_row(
        c.fwd[p], c.bwd.empty() ? std::span<const double>() : std::span(c.bwd[p]), 1.0, unit, r);
  };
  t.lat_ms = split::build_chain_costs(
      c.traffic, P, [&](int p, std::vector<double>& r) { row(p, kMs, r); },
      [&](int p) {
        const split::TransferCost d{links[p].cap_bps / 8.0, kMs, links[p].overhead_s * kMs};
        return std::pair{d, d};
      });
  t.energy_j = split::build_chain_costs(
      c.traffic, P, [&](int p, std::vector<double>& r) { row(p, c.power_w[p], r); },
      [&](int p) {
        const LinkView& l = links[p];
        const double rate = l.cap_bps / 8.0;
        return std::pair{split::TransferCost{rate, l.up ? l.up->power_w(l.cap_bps) : 0.0, 0.0},
                         split::TransferCost{rate, l.down ? l.down->power_w(l.cap_bps) : 0.0, 0.0}};
      });
  return t;
}

// `t` with omega^p of Eq. 13 in finish: the parameters pushed from node p to the sink.
Tables with_push(Tables t, const Chain& c, const std::vector<LinkView>& links) {
  if (c.push_bytes > 0)
    for (int p = c.nodes() - 2; p >= 0; --p) {
      const LinkView& l = links[p];
      const double s = c.push_bytes * 8.0 / l.cap_bps;
      t.lat_ms.finish[p] = t.lat_ms.finish[p + 1] + (s + l.overhead_s) * kMs;
      t.energy_j.finish[p] = t.energy_j.finish[p + 1] + (l.up ? s * l.up->power_w(l.cap_bps) : 0);
    }
  return t;
}

// Sec. V / VII-E: energy best effort with latency (ms) <= threshold_ms, by `planner`; no plan
// meeting it: the latency-optimal plan (`fallback`), as run_simulation's planners.
split::Boundaries plan_multi(const Tables& t, double threshold_ms, split::Method planner,
                             const Budget& budget, bool& fallback) {
  split::CompiledObjective obj;
  obj.names = {"latency_ms", "energy_j"};
  obj.metric = {t.lat_ms, t.energy_j};
  obj.best_effort = t.energy_j;
  obj.limited = {0};
  obj.threshold = {threshold_ms};
  obj.linear_weight = {1.0};
  split::Boundaries b = planner == split::Method::kExact
                            ? split::solve_exact(obj, {}, budget).boundaries
                            : split::solve_barrier(obj, {}, nullptr, budget);
  fallback = b.empty();
  if (fallback) {
    split::SciChainSolver solver;
    solver.solve(t.lat_ms, b);
    if (b.empty()) throw InputError("fig. 19: no plan has a finite latency on this route");
  }
  return b;
}

// Runs operations one after the other on the network from time t: compute on a node, or a
// transfer started now (overhead psi first, then the bits integrated over the capacity).
struct Executor {
  Network& net;
  const std::vector<LinkView>& links;
  double t = 0.0;
  double energy_j = 0.0;

  void compute(double s, double power_w) {
    t += s;
    energy_j += s * power_w;
  }
  void send(int p, double bytes, bool up) {
    if (!std::isfinite(t)) return;
    const LinkView& l = links[p];
    const double bits = bytes * 8.0;
    const Network::Sent sent = net.send(l.id, t, bits);
    t = sent.end_s;
    if (!std::isfinite(t)) return;
    if (const RadioPower* r = up ? l.up : l.down) energy_j += r->energy_j(bits, sent.rate_bps);
  }

  // One pass of `c` under plan b, in the cost model's terms (cost_model.hpp,
  // build_transfer_row): forward node by node, each link carrying the cut it is crossed at
  // (after the finishing node only under Deliver::kSink); Deliver::kSource returns s_L down to
  // the UE; training runs the backward pass from the finishing node down, the gradient of each
  // cut back over the link that carried it (none where gradient_bytes < 0); then the push.
  void run_chain(const Chain& c, const split::Boundaries& b) {
    const int P = c.nodes();
    const int L = c.traffic.layers;
    const auto& cut = c.traffic.cut_bytes;
    const int fin = split::node_of_layer(b, L);
    int first = 1;
    for (int p = 0; p < P; ++p) {
      double s = 0.0;
      for (int l = first; l <= b[p]; ++l) s += c.fwd[p][l - 1];
      compute(s, c.power_w[p]);
      if (p + 1 < P && (b[p] < L || c.traffic.deliver == split::Deliver::kSink))
        send(p, cut[b[p]], /*up=*/true);
      first = b[p] + 1;
    }
    if (c.traffic.deliver == split::Deliver::kSource)
      for (int k = fin - 1; k >= 0; --k) send(k, cut[L], /*up=*/false);
    if (!c.bwd.empty())
      for (int p = fin; p >= 0; --p) {
        const int lo = p == 0 ? 1 : b[p - 1] + 1;
        double s = 0.0;
        for (int l = lo; l <= b[p]; ++l) s += c.bwd[p][l - 1];
        compute(s, c.power_w[p]);
        if (p > 0 && c.traffic.gradient_bytes[b[p - 1]] >= 0)
          send(p - 1, c.traffic.gradient_bytes[b[p - 1]], /*up=*/false);
      }
    if (c.push_bytes > 0)
      for (int k = fin; k + 1 < P; ++k) send(k, c.push_bytes, /*up=*/true);
  }
};

// A route node's devices.
struct NodeCosts {
  const DeviceCosts* dev = nullptr;
  double power_w = 0.0;
};

void check(const NonlinearConfig& c, const ModelCosts& m) {
  if (!(c.period_s > 0 && std::isfinite(c.period_s)))
    throw InputError("fig. 19: period " + exact_number(c.period_s) + " s must be > 0");
  if (!(c.duration_s > 0 && c.duration_s <= 1e6))
    throw InputError("fig. 19: duration " + exact_number(c.duration_s) +
                     " s is out of range (0, 1e6]");
  // The task index is an int: at most 1e7 tasks (a period down to 0.1 s over 1e6 s).
  if (!(c.duration_s / c.period_s <= 1e7))
    throw InputError("fig. 19: " + exact_number(c.duration_s) + " s at one task every " +
                     exact_number(c.period_s) + " s is more than 1e7 tasks");
  if (!(c.threshold_s > 0 && std::isfinite(c.threshold_s)))
    throw InputError("fig. 19: threshold " + exact_number(c.threshold_s) + " s must be > 0");
  if (c.planner != split::Method::kBarrier && c.planner != split::Method::kExact)
    throw InputError("fig. 19: the planner must be barrier or exact");
  if (m.layers < 1 || m.cut_bytes.size() != static_cast<std::size_t>(m.layers) ||
      m.out_bytes.size() != static_cast<std::size_t>(m.layers))
    throw InputError("fig. 19: model " + m.model + " has inconsistent layer tables");
  for (const auto& [cls, d] : m.devices)
    if (!d.relay && (d.forward_s.size() != static_cast<std::size_t>(m.layers) ||
                     d.backward_s.size() != static_cast<std::size_t>(m.layers)))
      throw InputError("fig. 19: model " + m.model + ": device class " + cls + " has " +
                       std::to_string(d.forward_s.size()) + " layer costs, expected " +
                       std::to_string(m.layers));
  if (c.model == NonlinearModel::kRnn) {
    const RnnLayout& r = c.rnn;
    if (r.prefix < 0 || r.module_layers < 1 || r.steps < 1 || r.hidden_layer < 1 ||
        r.hidden_layer > r.module_layers ||
        static_cast<long long>(r.prefix) + static_cast<long long>(r.steps) * r.module_layers >
            m.layers)
      throw InputError("fig. 19: model " + m.model + " (" + std::to_string(m.layers) +
                       " layers) does not fit the RNN layout (prefix " + std::to_string(r.prefix) +
                       ", " + std::to_string(r.steps) + " steps of " +
                       std::to_string(r.module_layers) + " layers, hidden layer " +
                       std::to_string(r.hidden_layer) + ")");
  }
}

class Fig19 {
 public:
  Fig19(const Scenario& s, const ModelCosts& m, const NonlinearConfig& c)
      : s_(s),
        m_(m),
        c_(c),
        net_(s, NetworkOptions{c.load, c.seed, 0.0, c.start_offset_s,
                               c.duration_s + 2.0 * kTaskGiveUpS + 1.0, c.budget}) {}

  NonlinearResult run() {
    NonlinearResult out;
    for (long k = 0;; ++k) {
      const double t = static_cast<double>(k) * c_.period_s;
      if (t >= c_.duration_s) break;
      task(static_cast<int>(k), t, out);
    }
    summarise(out);
    return out;
  }

 private:
  void task(int k, double t, NonlinearResult& out) {
    const Route& r = net_.route_at(t);
    const int P = static_cast<int>(r.nodes.size());
    links_.assign(P - 1, {});
    for (int p = 0; p + 1 < P; ++p) {
      LinkView& v = links_[p];
      v.id = r.links[p];
      const ScenarioLink& info = net_.link_info(v.id);
      v.overhead_s = info.overhead_s;
      v.cap_bps = split::planning_capacity(net_.capacity_bps(v.id, t), info.capacity_bps);
      if (!info.radio_power.empty()) {
        v.up = &s_.radio_power_up.at(info.radio_power);
        v.down = &s_.radio_power_down.at(info.radio_power);
      }
    }
    nodes_.assign(P, {});
    for (int p = 0; p < P; ++p) {
      const auto it = m_.devices.find(s_.nodes[r.nodes[p]].device);
      if (it == m_.devices.end())
        throw InputError("fig. 19: device class \"" + s_.nodes[r.nodes[p]].device +
                         "\" has no costs");
      nodes_[p].dev = &it->second;
      nodes_[p].power_w = it->second.energy_counted ? it->second.active_power_w : 0.0;
    }
    NonlinearRecord rec[2];
    for (int m = 0; m < 2; ++m) {
      rec[m].task = k;
      rec[m].arrival_s = t;
      rec[m].method = static_cast<NonlinearMethod>(m);
      rec[m].route = r.nodes;
    }
    if (c_.model == NonlinearModel::kRnn)
      rnn(t, rec);
    else
      collaborative(t, rec);
    for (auto& x : rec) out.records.push_back(std::move(x));
  }

  // Sec. VI-A: the module (RnnLayout) as a Problem, linearised (non-linear) or repeated
  // (standard).
  void rnn(double t, NonlinearRecord rec[2]) {
    const RnnLayout& lay = c_.rnn;
    const int Lm = lay.module_layers, R = lay.steps, P = static_cast<int>(nodes_.size());
    split::Problem module;
    module.layers = Lm;
    module.deliver = s_.deliver;
    const double H = m_.out_bytes[lay.prefix + lay.hidden_layer - 1];
    module.input_bytes = m_.out_bytes[lay.prefix];  // x_r: the first module layer's slice
    for (int l = 1; l <= Lm; ++l)
      module.output_bytes.push_back(l == lay.hidden_layer ? 0.0 : m_.out_bytes[lay.prefix + l - 1]);
    for (int p = 0; p < P; ++p) {
      split::Node n;
      const DeviceCosts& d = *nodes_[p].dev;
      n.compute_s.assign(Lm, d.relay ? kInf : 0.0);
      if (!d.relay)
        for (int s = 0; s < R; ++s)
          for (int l = 0; l < Lm; ++l) n.compute_s[l] += d.forward_s[lay.prefix + s * Lm + l] / R;
      module.nodes.push_back(std::move(n));
    }
    split::RnnSpec spec;
    spec.steps = R;
    spec.hidden_bytes = H;
    const double phi_ms = c_.threshold_s * kMs;

    // Standard: one module planned with the limit shared by its R steps, run R times, H back
    // from the last layer's node to the first's after each of the first R-1 steps.
    {
      const Chain step = chain_of(split::rnn_step_problem(module, spec));
      const Tables tab = build_tables(step, links_);
      NonlinearRecord& x = rec[0];
      x.boundaries = plan_multi(tab, phi_ms / R, c_.planner, c_.budget, x.fallback);
      const int first = split::node_of_layer(x.boundaries, 1);
      const int last = split::node_of_layer(x.boundaries, Lm);
      double ret_ms = 0.0, ret_j = 0.0;  // one return of H, down links last-1 .. first
      for (int k = first; k < last; ++k) {
        const double s = H * 8.0 / links_[k].cap_bps;
        ret_ms += (s + links_[k].overhead_s) * kMs;
        if (links_[k].down) ret_j += s * links_[k].down->power_w(links_[k].cap_bps);
      }
      x.planned_latency_s =
          (R * split::plan_total(tab.lat_ms, x.boundaries) + (R - 1) * ret_ms) / kMs;
      x.planned_energy_j = R * split::plan_total(tab.energy_j, x.boundaries) + (R - 1) * ret_j;
      Executor ex{net_, links_, t, 0.0};
      for (int s = 0; s < R && std::isfinite(ex.t); ++s) {
        ex.run_chain(step, x.boundaries);
        if (s + 1 < R)
          for (int k = last - 1; k >= first; --k) ex.send(k, H, /*up=*/false);
      }
      x.latency_s = ex.t - t;
      x.energy_j = std::isfinite(ex.t) ? ex.energy_j : kInf;
    }
    // Non-linear: Sec. VI-A's linear problem of R x L layers, planned once, run once.
    {
      const Chain lin = chain_of(split::linearize_rnn(module, spec));
      const Tables tab = build_tables(lin, links_);
      finish(t, lin, tab, phi_ms, rec[1]);
    }
  }

  // Sec. VI-B, Eq. 13: the agent trains (Eq. 9) and pushes its parameters to the sink.
  void collaborative(double t, NonlinearRecord rec[2]) {
    const int L = m_.layers, P = static_cast<int>(nodes_.size());
    Chain c;
    c.traffic.layers = L;
    for (int x = 0; x <= L; ++x) c.traffic.cut_bytes.push_back(m_.bytes_at(x));
    c.traffic.deliver = split::Deliver::kNone;  // the loss is computed where layer L ran
    c.traffic.gradient_bytes.assign(L + 1, -1.0);
    for (int x = 1; x < L; ++x) c.traffic.gradient_bytes[x] = m_.bytes_at(x);
    for (int p = 0; p < P; ++p) {
      const DeviceCosts& d = *nodes_[p].dev;
      c.fwd.push_back(d.relay ? std::vector<double>(L, kInf) : d.forward_s);
      c.bwd.push_back(d.relay ? std::vector<double>(L, kInf) : d.backward_s);
      c.power_w.push_back(nodes_[p].power_w);
    }
    c.push_bytes = m_.param_bytes;
    const Tables without = build_tables(c, links_);
    const Tables with = with_push(without, c, links_);
    const double phi_ms = c_.threshold_s * kMs;
    // Standard: plans without the push (Eq. 9), pays it.
    {
      NonlinearRecord& x = rec[0];
      x.boundaries = plan_multi(without, phi_ms, c_.planner, c_.budget, x.fallback);
      record(t, c, with, x);
    }
    finish(t, c, with, phi_ms, rec[1]);
  }

  // Plans `c` on `tab` and records its planned and realised cost.
  void finish(double t, const Chain& c, const Tables& tab, double phi_ms, NonlinearRecord& x) {
    x.boundaries = plan_multi(tab, phi_ms, c_.planner, c_.budget, x.fallback);
    record(t, c, tab, x);
  }

  void record(double t, const Chain& c, const Tables& tab, NonlinearRecord& x) {
    x.planned_latency_s = split::plan_total(tab.lat_ms, x.boundaries) / kMs;
    x.planned_energy_j = split::plan_total(tab.energy_j, x.boundaries);
    Executor ex{net_, links_, t, 0.0};
    ex.run_chain(c, x.boundaries);
    x.latency_s = ex.t - t;
    x.energy_j = std::isfinite(ex.t) ? ex.energy_j : kInf;
  }

  // An inference chain of a Problem on this route (compute_s per node, counted power).
  Chain chain_of(const split::Problem& pr) const {
    Chain c;
    c.traffic = split::TaskTraffic::of(pr);
    for (std::size_t p = 0; p < nodes_.size(); ++p) {
      c.fwd.push_back(pr.nodes[p].compute_s);
      c.power_w.push_back(nodes_[p].power_w);
    }
    return c;
  }

  void summarise(NonlinearResult& out) const {
    NonlinearSummary& s = out.summary;
    const double phi = c_.threshold_s;
    for (const auto& r : out.records) {
      NonlinearMethodSummary& m = s.method[static_cast<int>(r.method)];
      ++m.tasks;
      m.mean_energy_j += r.energy_j;
      m.mean_latency_s += r.latency_s;
      m.within_limit += r.latency_s <= phi;
      m.planned_within_limit += r.planned_latency_s <= phi;
      m.fallbacks += r.fallback;
    }
    for (auto& m : s.method)
      if (m.tasks > 0) {
        const double n = m.tasks;
        m.mean_energy_j /= n;
        m.mean_latency_s /= n;
        m.within_limit /= n;
        m.planned_within_limit /= n;
        m.fallbacks /= n;
      }
    // NaN when the non-linear method's mean energy is 0 or not finite (nothing counted, or a
    // task that never finished): no ratio to report.
    const double den = s.method[1].mean_energy_j;
    s.efficiency = den > 0 && std::isfinite(den) ? s.method[0].mean_energy_j / den : NAN;
    for (std::size_t i = 0; i + 1 < out.records.size(); i += 2)
      s.nonlinear_worse += out.records[i + 1].energy_j > out.records[i].energy_j;
  }

  const Scenario& s_;
  const ModelCosts& m_;
  const NonlinearConfig& c_;
  Network net_;
  std::vector<LinkView> links_;
  std::vector<NodeCosts> nodes_;
};

}  // namespace

NonlinearResult run_nonlinear(const Scenario& scenario, const ModelCosts& model,
                              const NonlinearConfig& config) {
  check(config, model);
  Fig19 f(scenario, model, config);
  return f.run();
}

}  // namespace hivemind::sim
