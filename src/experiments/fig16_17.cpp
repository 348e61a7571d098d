// Figs. 16 and 17 (Sec. VII-C2 and C3, Sec. IV-F): predictive splitting at 10 and 50 ms coherence,
// and its median latency against the forecast's relative error.

#include <algorithm>
#include <cmath>
#include <optional>

#include "context.hpp"
#include "figures.hpp"
#include "hivemind/sim/report.hpp"
#include "rules.hpp"

namespace hivemind::experiments::detail {

namespace {

// The trials of Figs. 16-17: standard HiveMind, then the oracle forecast at each relative error
// in `sigmas` (one sigma: also the last-value and EWMA forecasts), link coherence `coherence` s.
// At high load (issue 25): the paper's 50 ms coherence is "typical network dynamics in cellular
// networks during rush hours" (Sec. VII-C2), and only under load do tasks exceed 100 ms.
std::vector<Job> predictive_jobs(Context& ctx, double coherence, const std::vector<double>& sigmas,
                                 const std::string& tag) {
  std::vector<Job> jobs;
  for (int seed = 1; seed <= ctx.seeds(); ++seed) {
    Job j = ctx.trial("mmwave-iab", ctx.resnet(), seed, Load::kHigh, 0.02);
    j.config.coherence_s = coherence;
    j.config.methods = {{"HiveMind", split::Method::kSci}};
    for (double s : sigmas) {
      MethodSpec m{"predictive sigma=" + num(s), split::Method::kSci, Forecaster::kOracle, s};
      j.config.methods.push_back(m);
    }
    if (sigmas.size() == 1) {
      j.config.methods.push_back(
          {"predictive last value", split::Method::kSci, Forecaster::kLastValue});
      j.config.methods.push_back({"predictive EWMA", split::Method::kSci, Forecaster::kEwma});
    }
    j.prefix = tag + "," + num(coherence * 1e3) + "," + std::to_string(seed) + ",";
    jobs.push_back(std::move(j));
  }
  return jobs;
}

// Of method `base`'s tasks above the threshold, how many method `other` ran below it (the
// same task: records are task-major, method-minor).
std::pair<int, int> spikes_removed(const std::vector<const Job*>& jobs, int base, int other,
                                   double threshold_s) {
  std::pair<int, int> n{0, 0};
  for (const Job* j : jobs) {
    const auto& rec = j->result.records;
    for (std::size_t i = 0; i < rec.size(); ++i) {
      if (rec[i].method != base || !(rec[i].latency_s > threshold_s)) continue;
      const std::size_t k = i - base + other;
      if (k >= rec.size() || rec[k].task != rec[i].task) continue;
      ++n.first;
      n.second += rec[k].latency_s <= threshold_s;
    }
  }
  return n;
}

// Fig. 16's rule (rules.hpp) for coherence `coherence_s`: 10 ms (spikes left) or 50 ms (removed).
rules::Judgement fig16_rule(double coherence_s, int spikes, double removed) {
  return coherence_s < 0.03 ? rules::fig16_spikes_left(spikes, removed)
                            : rules::fig16_spikes_removed(spikes, removed);
}

// Fig. 17's numbers from trials whose method 0 is the standard split and method i + 1 the
// oracle at error sigmas[i].
struct Crossing {
  double standard = 0;          // the standard split's median (s)
  std::vector<double> medians;  // the predictive median at each error (s)
  double gain = 0;              // 1 - the predictive median at the first error over the standard's
  double cross = -1;            // the first error whose median exceeds the standard's (-1: none)
  double last = 0;              // the median at the last error (s)
};
Crossing crossing(const std::vector<const Job*>& sel, const std::vector<double>& sigmas) {
  Crossing c;
  c.standard = percentile(pooled(sel, 0, false), 50);
  for (std::size_t i = 0; i < sigmas.size(); ++i) {
    c.last = percentile(pooled(sel, static_cast<int>(i) + 1, false), 50);
    c.medians.push_back(c.last);
    if (i == 0) c.gain = 1 - c.last / c.standard;
    if (c.cross < 0 && c.last > c.standard) c.cross = sigmas[i];
  }
  return c;
}

}  // namespace

void fig16(Context& ctx) {
  std::vector<Panel> panels;
  for (double coh : {0.01, 0.05}) {
    auto jobs = predictive_jobs(ctx, coh, {0.0}, "fig16");
    ctx.run(jobs, "Fig. 16 (" + num(coh * 1e3) + " ms)");
    ctx.write_csv("fig16_" + num(coh * 1e3) + "ms.csv", "fig,coherence_ms,seed,", jobs);
    std::vector<const Job*> sel;
    for (const auto& j : jobs) sel.push_back(&j);
    Panel p{"link coherence time " + num(coh * 1e3) + " ms", "latency (ms)", "CDF", {}};
    p.logx = true;
    const auto& ms = jobs[0].config.methods;
    for (int m = 0; m < static_cast<int>(ms.size()); ++m)
      p.series.push_back(cdf(ms[m].label, pooled(sel, m, false), 1e3));
    panels.push_back(p);
    // Fig. 16's spikes are tasks above 100 ms, as printed; "12%" is read as 12% of tasks.
    constexpr double kSpikeS = 0.1;
    const Spikes st = spikes_of(sel, 0, kSpikeS), pr = spikes_of(sel, 1, kSpikeS);
    const auto [base_spikes, removed_n] = spikes_removed(sel, 0, 1, kSpikeS);
    const double removed = base_spikes ? static_cast<double>(removed_n) / base_spikes : 0.0;
    const std::string ours =
        "tasks > 100 ms: standard " + fmt("%.1f%%", st.share() * 100) + ", predictive (oracle) " +
        fmt("%.1f%%", pr.share() * 100) + ", last value " +
        fmt("%.1f%%", spikes_of(sel, 2, kSpikeS).share() * 100) + ", EWMA " +
        fmt("%.1f%%", spikes_of(sel, 3, kSpikeS).share() * 100) + "; predictive removed " +
        std::to_string(removed_n) + " of the standard split's " + std::to_string(base_spikes) +
        " spikes (" + fmt("%.0f%%", removed * 100) + ")";
    const bool disabled = forecasts_made(sel, 1) == 0;
    const std::string forecast_note =
        disabled ? "predictive split made no forecast: every node's look-ahead Delta t stayed "
                   "below the " +
                       num(coh * 1e3) +
                       " ms coherence time, where Sec. IV-F disables it, so it planned exactly "
                       "like the standard split"
                 : "predictive split forecast " + std::to_string(forecasts_made(sel, 1)) +
                       (ctx.options().forecast_gating
                            ? " link capacities (those whose look-ahead Delta t reached the "
                              "coherence time)"
                            : " link capacities (every link, however short its look-ahead "
                              "Delta t: --no-gating)");
    const std::string why = join_notes(
        {"standard split: " + describe(st, kSpikeS),
         lookahead(sel, 0) + " (SCI update " + fmt("%.0f ms", mean_sci_update_s(sel) * 1e3) + ")",
         "standard split's " + lookahead_per_node(sel, 0), forecast_note});
    const rules::Judgement judged = fig16_rule(coh, base_spikes, removed);
    const std::string verdict = judged.word();
    // The counterfactual (issue 25 step 5): where the gated predictive split leaves spikes, the
    // same runs without Sec. IV-F's gate (every node forecasts) test whether the gate is why.
    std::optional<Counterfactual> ungated;
    if (verdict != "not checked" && verdict != "match" && ctx.options().forecast_gating) {
      auto cf = predictive_jobs(ctx, coh, {0.0}, "fig16");
      for (auto& j : cf) {
        j.config.methods.resize(2);  // standard, oracle
        j.config.forecast_gating = false;
      }
      ctx.run(cf, "Fig. 16 (" + num(coh * 1e3) + " ms, no gating)");
      std::vector<const Job*> cf_sel;
      for (const auto& j : cf) cf_sel.push_back(&j);
      const auto [cf_spikes, cf_removed] = spikes_removed(cf_sel, 0, 1, kSpikeS);
      const double share = cf_spikes ? static_cast<double>(cf_removed) / cf_spikes : 0.0;
      ungated = Counterfactual{
          "no forecast gate (`reproduce --only fig16 --no-gating`; the oracle removes " +
              std::to_string(cf_removed) + " of " + std::to_string(cf_spikes) + " spikes, " +
              fmt("%.0f%%", share * 100) + ")",
          fig16_rule(coh, cf_spikes, share).word()};
    }
    // 10 ms: "leaves 12% of latency spikes over 100 ms", of the standard split's spikes the
    // share the predictive split does not remove; 50 ms: "eliminates all".
    ctx.claim("Fig. 16",
              coh == 0.01 ? "10 ms coherence: predictive split still leaves 12% of the latency "
                            "spikes over 100 ms"
                          : "50 ms coherence: predictive split eliminates all latency spikes over "
                            "100 ms (Sec. IV-F: > 95%)",
              judged.tolerance, ours, verdict, judged.note.empty() ? why : judged.note);
    ctx.cause(!judged.note.empty()
                  ? judged.note
                  : "the standard split's spikes: " + describe(st, kSpikeS) + "; " + forecast_note);
    if (ungated) ctx.counterfactual(ungated->change, ungated->verdict);
  }
  ctx.plot("fig16", "Fig. 16: predictive splitting (mmWave IAB, high load)", panels, 2);
}

void fig17(Context& ctx) {
  const std::vector<double> sigmas = {0.0,  0.025, 0.05, 0.075, 0.10, 0.125,
                                      0.15, 0.175, 0.20, 0.25,  0.30};
  const double coherence_s = 0.05;  // Sec. VII-C3 reuses the 50 ms setup of Fig. 16
  const std::string coherence = fmt("%.0f ms", coherence_s * 1e3);
  auto jobs = predictive_jobs(ctx, coherence_s, sigmas, "fig17");
  ctx.run(jobs, "Fig. 17 (forecast error)");
  ctx.write_csv("fig17.csv", "fig,coherence_ms,seed,", jobs);
  std::vector<const Job*> sel;
  for (const auto& j : jobs) sel.push_back(&j);
  const Crossing measured = crossing(sel, sigmas);
  const double std_med = measured.standard, last = measured.last;
  Series pred{"predictive split", {}, "linespoints"}, st{"standard split", {}, "lines"};
  for (std::size_t i = 0; i < sigmas.size(); ++i) {
    pred.points.emplace_back(sigmas[i] * 100, measured.medians[i] * 1e3);
    st.points.emplace_back(sigmas[i] * 100, std_med * 1e3);
  }
  Panel p{"link coherence " + coherence + ", oracle forecast with Gaussian relative error",
          "relative prediction error (%)",
          "median latency (ms)",
          {pred, st}};
  // y from 0: the medians differ by fractions of a millisecond, which an auto-zoomed axis
  // would draw as large swings.
  double top = 0;
  for (const auto& s : p.series)
    for (const auto& pt : s.points) top = std::max(top, pt.second);
  p.ymin = 0;
  p.ymax = top > 0 ? top * 1.25 : 1.0;
  ctx.plot("fig17", "Fig. 17: impact of link prediction accuracy", {p}, 1);
  bool disabled = true;
  for (std::size_t i = 0; i < sigmas.size(); ++i)
    disabled = disabled && forecasts_made(sel, static_cast<int>(i) + 1) == 0;
  const std::string disabled_note =
      "predictive split made no forecast at any error: every node's look-ahead Delta t stayed "
      "below the " +
      coherence + " coherence time (the SCI update alone takes ~" +
      fmt("%.0f ms", mean_sci_update_s(sel) * 1e3) +
      "), where Sec. IV-F disables it, so forecast errors change no plan";
  const double first = measured.medians.front();
  const std::string levels = std::to_string(forecasts_made(sel, 1)) +
                             " link capacities forecast at 0% error; predictive median " +
                             fmt("%.1f ms", first * 1e3) + " at 0% error, " +
                             fmt("%.1f ms", last * 1e3) + " at 30%; standard " +
                             fmt("%.1f ms", std_med * 1e3) + "; " + lookahead(sel, 0);
  // "Turns into a loss": the median's gain at 0% error and the first error with a loss.
  auto turns = [](const Crossing& c) {
    return "gain at 0% error " + fmt("%.1f%%", c.gain * 100) + ", " +
           (c.cross < 0 ? std::string("no loss up to 30%")
                        : "loss from " + fmt("%.1f%%", c.cross * 100));
  };
  const rules::Judgement crossover =
      rules::fig17_crossover(!disabled, measured.gain, measured.cross);
  ctx.claim("Fig. 17", "The predictive gain turns into a loss at a 13% relative prediction error",
            crossover.tolerance,
            turns(measured) + " (standard median " + fmt("%.1f ms)", std_med * 1e3),
            crossover.word(), join_notes({crossover.note, disabled ? disabled_note : levels}));
  // Why the median does not move (issue 25 step 5): the tasks a forecast can rescue are the
  // standard split's slow ones, and how many the forecast changed.
  int changed = 0, tasks = 0;
  for (const Job* j : sel)
    for (std::size_t i = 0; i + sigmas.size() < j->result.records.size(); i += sigmas.size() + 1) {
      ++tasks;
      changed += j->result.records[i].boundaries != j->result.records[i + 1].boundaries;
    }
  const std::string median_cause =
      disabled ? disabled_note
               : "the oracle forecast (0% error) changed the plan of " + std::to_string(changed) +
                     " of " + std::to_string(tasks) +
                     " tasks: the links it forecast (whose Delta t reached the coherence time, "
                     "the deeper ones) carry no data in these plans, and the first link's "
                     "stays below it (" +
                     lookahead(sel, 0) + "); the standard split's tasks above 100 ms are " +
                     fmt("%.1f%%", spikes_of(sel, 0, 0.1).share() * 100) + " of all";
  // The counterfactual: the same trials without Sec. IV-F's gate (every node forecasts).
  std::optional<Crossing> ungated;
  if (ctx.options().forecast_gating && crossover.verdict != rules::Verdict::kMatch) {
    auto cf = predictive_jobs(ctx, coherence_s, sigmas, "fig17");
    for (auto& j : cf) j.config.forecast_gating = false;
    ctx.run(cf, "Fig. 17 (no gating)");
    std::vector<const Job*> cf_sel;
    for (const auto& j : cf) cf_sel.push_back(&j);
    ungated = crossing(cf_sel, sigmas);
  }
  const std::string ungated_change =
      ungated ? "no forecast gate (`reproduce --only fig17 --no-gating`; " + turns(*ungated) +
                    ", median " + fmt("%.1f ms", ungated->last * 1e3) + " at 30%)"
              : std::string();
  ctx.cause(median_cause);
  if (ungated)
    ctx.counterfactual(ungated_change,
                       rules::fig17_crossover(true, ungated->gain, ungated->cross).word());
  const rules::Judgement converges = rules::fig17_converges(!disabled, last);
  ctx.claim("Fig. 17",
            "Beyond 17% error the median latency converges to ~130 ms (model kept on UE + IAB "
            "MECs)",
            converges.tolerance, fmt("%.1f ms at 30%% error", last * 1e3), converges.word(),
            disabled ? disabled_note : levels);
  ctx.cause(median_cause);
  if (ungated)
    ctx.counterfactual(ungated_change, rules::fig17_converges(true, ungated->last).word());
}

}  // namespace hivemind::experiments::detail
