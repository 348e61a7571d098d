// The verdict rules of summary.md (rules.hpp): each the paper's number, the window the verdict
// applies around it and the text of that window, side by side. The windows of Figs. 6, 11
// (<= 79 ms, > 300 ms, 89.8%), 13, 14, 15, 18 and 19a are issue 25 step 4's; the others are
// the rules the figures applied inline before, unchanged.

#include "rules.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace hivemind::experiments::detail {
// context.cpp (the same library): x printed with printf format f; x within a factor of target.
std::string fmt(const char* f, double x);
bool within_factor(double x, double target, double factor);
}  // namespace hivemind::experiments::detail

namespace hivemind::experiments::rules {

using detail::fmt;
using detail::within_factor;

namespace {

Verdict grade(bool match, bool partial) {
  return match ? Verdict::kMatch : partial ? Verdict::kPartial : Verdict::kDiffers;
}

std::string join(const std::string& a, const std::string& b) {
  return a.empty() ? b : b.empty() ? a : a + "; " + b;
}

}  // namespace

std::string word(Verdict v) {
  // In the order of the enum.
  static const char* const kWords[] = {"match",       "partial",    "differs",     "not comparable",
                                       "not checked", "calibrated", "not testable"};
  static_assert(std::size(kWords) == static_cast<std::size_t>(Verdict::kNotTestable) + 1);
  return kWords[static_cast<int>(v)];
}

// Fig. 2 (Sec. III): the paper's example solved exactly, so the claim holds or it does not.
Judgement fig2_exact(bool holds) {
  return {holds ? Verdict::kMatch : Verdict::kDiffers,
          "exact: the paper's 3-layer example, solved exactly at 37 capacities"};
}

// Table I (Sec. VII-A): data/scenarios/calibrate.py fits the background UEs to these means
// and stds, so the table is the calibration's target, not a result: "calibrated" when the fit
// holds, partial / differs when it misses.
Judgement table1(const std::vector<LinkFit>& links) {
  int close = 0;
  bool stds_close = true;
  for (const LinkFit& l : links) {
    close += l.mean_error <= 0.15;
    stds_close = stds_close && l.std_ratio >= 0.67 && l.std_ratio <= 1.5;
  }
  const Verdict v = close >= 9 && stds_close ? Verdict::kCalibrated
                    : close >= 6             ? Verdict::kPartial
                                             : Verdict::kDiffers;
  return {v,
          "calibrated (the calibration's target, no evidence): >= 9 of 11 means within 15% and "
          "every std within 0.67-1.5x; partial: >= 6 means within 15%"};
}

// Fig. 6 (Sec. IV-F): "the split latency surges to over 500 ms" when a link's capacity drops
// between t1 (the SCI update) and t2 (the transfer). A task whose plan was already above the
// level at t1 (e.g. planned UE-only during a blockage: planned = paid) is no surge, at either
// level.
Judgement fig6_surge(const Fig6Surges& s) {
  Judgement j{grade(s.stale_above_500 > 0, s.stale_above_250 > 0),
              "match: a task above 500 ms whose plan was below 500 ms at t1; partial: a task "
              "above 250 ms whose plan was below 250 ms at t1 (a task planned above the level "
              "at t1 is no surge)"};
  if (s.stale_above_500 == 0 && s.slow_at_t1_above_500 > 0)
    j.note = std::to_string(s.slow_at_t1_above_500) + " of the " + std::to_string(s.above_500) +
             " tasks above 500 ms were planned above it at t1 (no surge)";
  return j;
}

// Figs. 11 and 12 (Sec. VII-B): "HiveMind achieves the minimal running cost for all traffic
// intensities". Within 1% of the best: a plan made at t1 can lose by a hair to a baseline that
// was luckier with the capacity at t2.
Judgement lowest_cost(const std::vector<CostPair>& cases) {
  bool within1 = true, within5 = true;
  for (const CostPair& c : cases) {
    within1 = within1 && !(c.hivemind > c.baseline * 1.01);
    within5 = within5 && c.hivemind <= c.baseline * 1.05;
  }
  return {grade(within1, within5),
          "match: lowest within 1% in all 6 load x task cases; partial: within 5% in all"};
}

// Fig. 11(a) (Sec. VII-B): "HiveMind is able to keep a stable running latency of <= 79 ms". The
// paper's UE-only time is ~115 ms (Fig. 14: single split converges to 115 ms; Fig. 11(a): the
// single split converges to UE-only), so the bound is 0.69x UE-only: HiveMind's bound (our
// p95, the statistic compared with 79 ms) must be that far below UE only as well as under
// 79 ms. Window: 0.69 +- 20%.
Judgement stable_latency(const StableLatency& s) {
  constexpr double kLimitS = 0.079, kLo = 0.55, kHi = 0.83, kPartialMax = 0.9;
  const double r = s.p95_over_ue;
  Judgement j{grade(s.p95_s <= kLimitS && r >= kLo && r <= kHi,
                    s.worst_mean_s <= kLimitS && r <= kPartialMax),
              "match: p95 <= 79 ms over all loads and 0.55-0.83x UE-only's mean latency (the "
              "paper's 79 ms is 0.69x its ~115 ms UE-only, +-20%); partial: every load's mean "
              "<= 79 ms and the p95 <= 0.9x UE-only's"};
  j.note = "HiveMind's p95 is " + fmt("%.2fx", r) + " UE-only's mean (the paper's bound " +
           fmt("%.2fx", kPaperRatioToUe) + ")";
  if (r > kPartialMax && s.p95_s <= kLimitS)
    j.note += ": the 79 ms bound holds because UE only itself is that fast here";
  return j;
}

// Fig. 11(a): "the latency of the cloud-only baseline quickly increases to over 300ms". Window
// 300-600 ms (over 300, at most 2x it); partial within 2x of that window.
Judgement cloud_only_high_load(double mean_s) {
  Judgement j{grade(mean_s > 0.3 && mean_s <= 0.6, mean_s > 0.15 && mean_s <= 1.2),
              "match: high-load mean 300-600 ms (over 300 ms, at most 2x); partial: 150-1200 ms"};
  if (mean_s > 0.6) j.note = fmt("%.1fx the paper's 300 ms", mean_s / 0.3);
  return j;
}

// Fig. 11(a): "the single split converges to the UE-only baseline".
Judgement single_converges(double single_s, double ue_only_s) {
  const double gap = std::abs(single_s - ue_only_s) / ue_only_s;
  return {grade(gap < 0.05, gap < 0.2), "match: high-load means within 5%; partial: within 20%"};
}

// Abstract and Sec. VII-B: "outperforms cloud and UE-based baselines by up to 89.8% under high
// traffic load". A reduction r is HiveMind at 1 - r of the baseline: the paper's 0.102. The
// window is on that ratio, both ways: within 1.5x (84.7-93.2%) for match, 3x (69.4-96.6%) for
// partial.
Judgement outperforms_high_load(double hivemind_s, double cloud_s, double ue_only_s) {
  const double red_cloud = 1 - hivemind_s / cloud_s, red_ue = 1 - hivemind_s / ue_only_s;
  const double best = std::max(red_cloud, red_ue), least = std::min(red_cloud, red_ue);
  constexpr double kPaperRatio = 1 - 0.898;
  Judgement j{grade(least > 0 && within_factor(1 - best, kPaperRatio, 1.5),
                    least > 0 && within_factor(1 - best, kPaperRatio, 3)),
              "match: below both baselines at high load and HiveMind within 1.5x of the paper's "
              "0.102x the farther one (a 84.7-93.2% reduction); partial: below both and within "
              "3x (69.4-96.6%)"};
  if (least <= 0)
    j.note = "HiveMind is not below " +
             std::string(red_ue <= red_cloud ? "UE only" : "cloud only") + " at high load";
  else if (!within_factor(1 - best, kPaperRatio, 1.5))
    j.note = "HiveMind is " + fmt("%.3fx", 1 - best) + " the farther baseline (the paper's " +
             fmt("%.3fx", kPaperRatio) + ")";
  return j;
}

// Fig. 11(b): "the energy consumption of the cloud-only method reaches up to 890J" over an
// unstated number of iterations.
Judgement training_energy() {
  return {Verdict::kNotComparable, "- (the paper's joules are not per task)"};
}

// Sec. III (and the abstract): 37-90% vs cloud ML, 32-55% vs single split; +-10 points.
Judgement sec3_ranges(double lo_cloud, double hi_cloud, double lo_single, double hi_single) {
  const bool in_range =
      lo_cloud >= 0.27 && hi_cloud <= 1.0 && lo_single >= 0.22 && hi_single <= 0.65;
  return {grade(in_range, lo_cloud > 0 && lo_single > 0),
          "match: every load's reduction within 10 points of the paper's ranges; partial: a "
          "reduction (> 0) vs both at every load"};
}

// Fig. 12 (Sec. VII-B): "the running latency of HiveMind converges to the UE-only approach as
// the network load increases".
Judgement sub6_converges(double low_gap, double mid_gap, double high_gap) {
  const bool never_worse = std::min({low_gap, mid_gap, high_gap}) >= -0.01;
  const bool converges =
      low_gap > 0.01 && low_gap >= mid_gap && mid_gap >= high_gap && high_gap < low_gap / 2;
  return {grade(never_worse && converges, never_worse),
          "match: a gain over UE only (> 1%) at low load that shrinks with load to under half, "
          "never worse by > 1%; partial: never worse by > 1%"};
}

// Fig. 13 (Sec. VII-B): "HiveMind achieves the highest relative efficiency on RCNN, 3x over
// ResNet18 and 1.8x over VGG11". The partial window (3x either way) is wide: a verdict that
// rests on it alone says so, and every baseline that beats HiveMind on a model is named.
Judgement fig13_efficiency(double rcnn_over_resnet, double rcnn_over_vgg,
                           const std::vector<Beat>& beats) {
  const bool top = rcnn_over_resnet > 1 && rcnn_over_vgg > 1;
  const bool close =
      std::abs(rcnn_over_resnet / 3 - 1) <= 0.3 && std::abs(rcnn_over_vgg / 1.8 - 1) <= 0.3;
  const bool wide = within_factor(rcnn_over_resnet, 3, 3) && within_factor(rcnn_over_vgg, 1.8, 3);
  Judgement j{top ? grade(close, wide) : Verdict::kDiffers,
              "match: R-CNN highest and both ratios within 30% of 3x / 1.8x; partial: R-CNN "
              "highest and both ratios within 3x of the paper's (a wide window: the reason says "
              "when a verdict rests on it)"};
  if (j.verdict == Verdict::kPartial)
    j.note = "partial only by the 3x window: " + fmt("%.2f", rcnn_over_resnet / 3) + " and " +
             fmt("%.2f", rcnn_over_vgg / 1.8) + " of the paper's 3x and 1.8x";
  std::string b;
  for (const Beat& x : beats)
    b += (b.empty() ? "" : ", ") + x.method + " on " + x.model + " (relative cost " +
         fmt("%.3g", x.method_cost) + " vs HiveMind's " + fmt("%.3g", x.hivemind_cost) + ")";
  j.note = join(j.note,
                b.empty() ? "no baseline beats HiveMind on any model" : "beating HiveMind: " + b);
  return j;
}

// Fig. 14 (Sec. VII-B): at x20 "the improved IAB MECs result in the most latency reduction,
// 14.5% lower latency than the CN MECs, and 47.2% than the cloud server". When improving a
// class moves HiveMind's mean by < 0.1% from x0.1 to x20, HiveMind never computes there: the
// comparison is not exercised, so the claim is "not checked" rather than "partial".
Judgement fig14_iab_lowest(const Fig14Classes& c) {
  constexpr double kUnused = 0.001;
  const double m_cn = 1 - c.iab_s / c.cn_s, m_cl = 1 - c.iab_s / c.cloud_s;
  Judgement j{m_cn > 0.01 && m_cl > 0.01
                  ? grade(std::abs(m_cn - 0.145) <= 0.1 && std::abs(m_cl - 0.472) <= 0.1, true)
                  : Verdict::kDiffers,
              "match: IAB lowest and both margins within 10 points of the paper's; partial: IAB "
              "lowest by > 1% against both; not checked: improving CN or cloud moves HiveMind's "
              "mean by < 0.1% from x0.1 to x20 (never used)"};
  const bool cn = c.cn_spread < kUnused, cloud = c.cloud_spread < kUnused;
  if (cn || cloud) {
    j.verdict = Verdict::kNotChecked;
    j.note = std::string(cn && cloud ? "improved CN and improved cloud move"
                         : cn        ? "improved CN moves"
                                     : "improved cloud moves") +
             " HiveMind's mean by < 0.1% from x0.1 to x20: HiveMind computes (almost) nothing "
             "there, so which improvement helps most is not exercised";
  }
  return j;
}

// Fig. 14: "the single-split and cloud-only approaches converge to 115 ms and 181 ms regardless
// of the MEC capabilities".
Judgement fig14_flat(const Fig14Baselines& b, bool calibrated) {
  const bool flat = std::abs(b.single_20 - b.single_01) / b.single_01 < 0.1 &&
                    std::abs(b.cloud_20 - b.cloud_01) / b.cloud_01 < 0.1;
  const bool levels_close =
      std::abs(b.single_1 / 0.115 - 1) <= 0.3 && std::abs(b.cloud_1 / 0.181 - 1) <= 0.3;
  const Verdict v = flat ? grade(levels_close, true) : Verdict::kDiffers;
  return {calibrated && v == Verdict::kMatch ? Verdict::kCalibrated : v,
          "match: both flat within 10% from x0.1 to x20 and at x1 within 30% of 115 / 181 ms; "
          "partial: flat",
          flat ? "communication-bound" : ""};
}

// Fig. 14: "the overall latency performance for x10 and x20 is very close".
Judgement fig14_saturates(double at10_s, double at20_s) {
  const double d = std::abs(at10_s - at20_s) / at10_s;
  return {grade(d < 0.1, d < 0.25), "match: within 10%; partial: within 25%"};
}

// Fig. 15 (Sec. VII-C1): after a handover that adds one hop, the assignment of the unchanged
// part of the route stays the same. Every node on both routes counts, the UE too: a node
// that moves more than a quarter of the model's layers has not kept its assignment.
Judgement fig15_assignment_kept(const std::vector<NodeLayers>& common, int layers) {
  bool within1 = true, within_quarter = true;
  std::string changed;
  for (const NodeLayers& n : common) {
    const double d = std::abs(n.after - n.before);
    within1 = within1 && d <= 1.0;
    within_quarter = within_quarter && d <= layers / 4.0;
    if (d > 1.0)
      changed += (changed.empty() ? "" : ", ") + n.name + " " + fmt("%.1f", n.before) + "->" +
                 fmt("%.1f", n.after);
  }
  return {grade(within1, within_quarter),
          "match: every node on both routes, the UE included, keeps its mean layer count within "
          "+-1; partial: within +-25% of the model's layers",
          changed.empty() ? "" : "changed: " + changed + " (of " + std::to_string(layers) + ")"};
}

Judgement fig15_no_handover() { return {Verdict::kNotChecked, "-"}; }

// Fig. 15: "the average latency only increases by less than 5 ms".
Judgement fig15_latency_increase(double increase_s) {
  return {grade(increase_s < 0.005, increase_s < 0.01), "match: < 5 ms; partial: < 10 ms"};
}

namespace {
std::string too_few(int spikes) {
  return "only " + std::to_string(spikes) +
         " of the standard split's tasks above 100 ms at this load, too few to measure a share (" +
         std::to_string(kMinSpikes) + " needed)";
}
}  // namespace

// Fig. 16 (Sec. VII-C2): at 10 ms coherence "the predictive split still leaves 12% of latency
// spikes over 100 ms": of the standard split's spikes, the share not removed.
Judgement fig16_spikes_left(int spikes, double removed) {
  const std::string tol =
      "match: 7-17% of the standard split's spikes left; partial: 3-50% left (needs >= 20 "
      "spikes)";
  if (spikes < kMinSpikes) return {Verdict::kNotChecked, tol, too_few(spikes)};
  const double left = 1.0 - removed;
  return {grade(std::abs(left - 0.12) <= 0.05, left >= 0.03 && left <= 0.5), tol};
}

// Fig. 16 at 50 ms coherence: "eliminates all latency spikes" (Sec. IV-F: > 95%).
Judgement fig16_spikes_removed(int spikes, double removed) {
  const std::string tol =
      "match: >= 95% of the standard split's spikes removed; partial: >= 50% (needs >= 20 "
      "spikes)";
  if (spikes < kMinSpikes) return {Verdict::kNotChecked, tol, too_few(spikes)};
  return {grade(removed >= 0.95, removed >= 0.5), tol};
}

// Fig. 17 (Sec. VII-C3): the predictive gain turns into a loss at a 13% relative error.
Judgement fig17_crossover(bool forecasts, double gain, double crossover) {
  const std::string tol =
      "match: a gain at 0% error (predictive median below the standard's) that first turns "
      "into a loss at 8-18% error; partial: a gain that turns into a loss at some error up to "
      "30%";
  if (!forecasts) return {Verdict::kNotChecked, tol};
  if (!(gain > 0))
    return {Verdict::kDiffers, tol, "no gain at 0% error: there is nothing to turn into a loss"};
  if (crossover < 0) return {Verdict::kDiffers, tol};
  return {grade(std::abs(crossover - 0.13) <= 0.05, true), tol};
}

// Fig. 17: beyond 17% error the median latency converges to ~130 ms.
Judgement fig17_converges(bool forecasts, double median_at_30_s) {
  const std::string tol = "match: median at 30% error within 20% of 130 ms; partial: within 50%";
  if (!forecasts) return {Verdict::kNotChecked, tol};
  const double d = std::abs(median_at_30_s / 0.13 - 1);
  return {grade(d <= 0.2, d <= 0.5), tol};
}

namespace {
// Fig. 18's claims are about a latency-energy trade-off: when opt. latency and opt. energy pick
// the same plan on >= 99% of the tasks, there is none to arbitrate.
constexpr double kSamePlanShare = 0.99;
const char* const kNotTestable =
    "; not testable: opt. latency and opt. energy pick the same plan on >= 99% of tasks";
std::string same_plans(const Fig18Tradeoff& t) {
  return "opt. latency and opt. energy picked the same plan on " + std::to_string(t.same_plan) +
         " of " + std::to_string(t.tasks) + " tasks" +
         (t.same_share() >= kSamePlanShare ? ": no latency-energy trade-off to arbitrate" : "");
}
}  // namespace

// Fig. 18 (Sec. VII-D): linear combine "averages 75 ms" (latency needlessly low).
Judgement fig18_linear(double linear_mean_s, const Fig18Tradeoff& t) {
  const std::string tol =
      "latency only (the paper's joules are not per task): match: mean within 30% of 75 ms; "
      "partial: mean below the 120 ms threshold" +
      std::string(kNotTestable);
  if (t.same_share() >= kSamePlanShare) return {Verdict::kNotTestable, tol, same_plans(t)};
  return {grade(std::abs(linear_mean_s / 0.075 - 1) <= 0.3, linear_mean_s < 0.12), tol,
          same_plans(t)};
}

// Fig. 18: HiveMind's barrier method "outperforms the heuristic linear multi-objective by
// 22.9% on the best effort objective" and keeps the latency under 120 ms.
Judgement fig18_barrier(double energy_cut, double max_latency_s, double mean_latency_s,
                        const Fig18Tradeoff& t) {
  const std::string tol =
      "match: energy cut within 10 points of 22.9% and max latency <= 120 ms; partial: an "
      "energy cut and mean latency <= 120 ms" +
      std::string(kNotTestable);
  if (t.same_share() >= kSamePlanShare) return {Verdict::kNotTestable, tol, same_plans(t)};
  return {grade(std::abs(energy_cut - 0.229) <= 0.1 && max_latency_s <= 0.12,
                energy_cut > 0 && mean_latency_s <= 0.12),
          tol, same_plans(t)};
}

// Fig. 19(a) (Sec. VII-E): "the split RNN outperforms the standard HiveMind by 1.7x under low
// load and 2.3x under high load, due to the increasing hidden state transfer cost": the gain
// rises with load, and a gain that falls is no reproduction of it, at either verdict.
Judgement fig19a(double low, double high) {
  Judgement j{grade(std::abs(low / 1.7 - 1) <= 0.3 && std::abs(high / 2.3 - 1) <= 0.3 && high > low,
                    low > 1 && high > 1 && within_factor(low, 1.7, 3) &&
                        within_factor(high, 2.3, 3) && high >= low),
              "match: both within 30% of 1.7x / 2.3x and higher at high load; partial: > 1x and "
              "within 3x of the paper's at both loads, not lower at high load than at low"};
  if (high < low) j.note = "the gain falls with load where the paper's rises";
  return j;
}

// Fig. 19(b): split collaborative learning "outperforms standard HiveMind by 1.5x under high
// network load".
Judgement fig19b(double high) {
  return {grade(std::abs(high / 1.5 - 1) <= 0.3, high > 1 && within_factor(high, 1.5, 3)),
          "match: within 30% of 1.5x at high load; partial: > 1x and within 3x of 1.5x"};
}

}  // namespace hivemind::experiments::rules
