// The verdict rules of summary.md (issue 25 step 4), each a pure function of the numbers a
// figure aggregates: plain numbers in, a Judgement out (the verdict, the tolerance the rule
// applies, written beside it so that summary.md's tolerance column and the rule cannot drift
// apart, and what the reason must say). No Context, no job, no simulator type: every rule is
// unit-tested with synthetic numbers (tests/experiments). Each window is stated from the
// paper's number, before any run's number was looked at.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace hivemind::experiments::rules {

enum class Verdict {
  kMatch,
  kPartial,
  kDiffers,
  kNotComparable,  // the paper's unit or setting is not stated
  kNotChecked,     // this run has nothing to test the claim on
  kCalibrated,     // the number is a calibration target (Table I): agreement by construction
  kNotTestable,    // the run has the numbers but they cannot discriminate (Fig. 18)
};

// The word summary.md prints: "match", "partial", "differs", "not comparable", "not checked",
// "calibrated", "not testable".
std::string word(Verdict v);

// The sentences summary.md's verdict legend (summary.cpp) needs for the two verdicts this file
// adds; to be appended to that legend.
inline constexpr const char* kVerdictLegendExtra =
    "**calibrated** = the number is the target the simulator's inputs were calibrated to "
    "(Table I), so agreement holds by construction and is no evidence for the paper; a "
    "calibration that misses its target is partial or differs; **not testable** = this run "
    "has the numbers but they cannot tell the claim from its opposite (the reason says why: "
    "e.g. Fig. 18's opt. latency and opt. energy pick the same plans, so there is no "
    "trade-off to arbitrate).";

struct Judgement {
  Verdict verdict;
  std::string tolerance;  // summary.md's tolerance column
  std::string note = {};  // what the reason must say ("" when nothing)
  std::string word() const { return rules::word(verdict); }
};

// ---- Fig. 2 and Table I (Sec. III, Sec. VII-A) ----

// Fig. 2's three claims, solved exactly on the paper's 3-layer example: `holds` or not.
Judgement fig2_exact(bool holds);

// One link of Table I: our mean's relative error to the paper's and our std / the paper's.
struct LinkFit {
  double mean_error = 0, std_ratio = 1;
};
// The scenarios' background load is calibrated to Table I: "calibrated", never "match".
Judgement table1(const std::vector<LinkFit>& links);

// ---- Fig. 6 (Sec. IV-F) ----

// Tasks above a level whose plan at t1 was below it (they went stale between t1 and t2), at
// the paper's 500 ms and at half of it; and every task above 500 ms.
struct Fig6Surges {
  int stale_above_500 = 0, stale_above_250 = 0, above_500 = 0, slow_at_t1_above_500 = 0;
};
Judgement fig6_surge(const Fig6Surges& s);

// ---- Figs. 11 and 12 (Sec. VII-B, Sec. III) ----

// HiveMind's mean cost and a baseline's, in one (task, load) case.
struct CostPair {
  double hivemind = 0, baseline = 0;
};
// "HiveMind achieves the minimal running cost for all traffic intensities".
Judgement lowest_cost(const std::vector<CostPair>& cases);

// "A stable running latency of <= 79 ms": HiveMind's p95 over every load, its largest mean
// over the loads, and that p95 over UE-only's mean (the same bound, relative).
struct StableLatency {
  double p95_s = 0, worst_mean_s = 0, p95_over_ue = 0;
};
// The paper's 79 ms is 0.69x its UE-only time (79 / 115 ms).
inline constexpr double kPaperRatioToUe = 0.69;
Judgement stable_latency(const StableLatency& s);

// "The latency of the cloud-only baseline quickly increases to over 300ms": high-load mean.
Judgement cloud_only_high_load(double mean_s);

// "The single split converges to the UE-only baseline": high-load means.
Judgement single_converges(double single_s, double ue_only_s);

// "Outperforms cloud and UE-based baselines by up to 89.8% under high traffic load".
Judgement outperforms_high_load(double hivemind_s, double cloud_s, double ue_only_s);

// Fig. 11(b)'s joules: the paper does not say over how many iterations.
Judgement training_energy();

// Sec. III: reductions vs cloud ML and vs single split, lowest and highest over the loads.
Judgement sec3_ranges(double lo_cloud, double hi_cloud, double lo_single, double hi_single);

// Fig. 12: HiveMind's gain over UE only (1 - HiveMind / UE only) at low, mid, high load.
Judgement sub6_converges(double low_gap, double mid_gap, double high_gap);

// ---- Figs. 13 and 14 (Sec. VII-B) ----

// A baseline whose relative cost (cost / UE-only) is below HiveMind's on a model.
struct Beat {
  std::string method, model;
  double method_cost = 0, hivemind_cost = 0;
};
// HiveMind's efficiency on R-CNN over that on ResNet18 and on VGG11; every baseline that beats
// HiveMind on some model.
Judgement fig13_efficiency(double rcnn_over_resnet, double rcnn_over_vgg,
                           const std::vector<Beat>& beats);

// HiveMind's mean latency at x20 with each class improved, and how much each class's
// improvement moves HiveMind's mean at all: (max - min) / min over the scales x0.1 to x20.
struct Fig14Classes {
  double iab_s = 0, cn_s = 0, cloud_s = 0;
  double cn_spread = 1, cloud_spread = 1;
};
Judgement fig14_iab_lowest(const Fig14Classes& c);

// Single split and cloud only under the improved cloud, at x0.1, x1 and x20.
struct Fig14Baselines {
  double single_01 = 0, single_1 = 0, single_20 = 0, cloud_01 = 0, cloud_1 = 0, cloud_20 = 0;
};
// `calibrated`: the UE was set from this claim's 115 ms (the paper-stated pass), so a level
// within the match window is "calibrated", not a match; outside it the verdict stands.
Judgement fig14_flat(const Fig14Baselines& b, bool calibrated = false);

// Improved IAB at x10 and x20.
Judgement fig14_saturates(double at10_s, double at20_s);

// ---- Fig. 15 (Sec. VII-C1) ----

// A node on the route before and after the handover: its mean layer count on each.
struct NodeLayers {
  std::string name;
  double before = 0, after = 0;
};
// `common`: every node on both routes, the UE included; `layers`: the model's.
Judgement fig15_assignment_kept(const std::vector<NodeLayers>& common, int layers);
// The trajectory has no handover that adds a hop.
Judgement fig15_no_handover();
Judgement fig15_latency_increase(double increase_s);

// ---- Figs. 16 and 17 (Sec. VII-C2, C3) ----

// A share of spikes removed needs spikes to remove: fewer and the verdict is "not checked".
inline constexpr int kMinSpikes = 20;
// 10 ms coherence: of the standard split's `spikes` over 100 ms, the share the predictive split
// removed.
Judgement fig16_spikes_left(int spikes, double removed);
// 50 ms coherence.
Judgement fig16_spikes_removed(int spikes, double removed);
// The first error at which the predictive median exceeds the standard's (< 0: none up to 30%);
// `forecasts`: whether the predictive split forecast at all; `gain`: 1 - the predictive median
// at 0% error over the standard's (a loss needs a gain to turn from).
Judgement fig17_crossover(bool forecasts, double gain, double crossover);
// The predictive median at 30% error.
Judgement fig17_converges(bool forecasts, double median_at_30_s);

// ---- Figs. 18 and 19 (Sec. VII-D, VII-E) ----

// The share of tasks on which opt. latency and opt. energy picked the same plan.
struct Fig18Tradeoff {
  int tasks = 0, same_plan = 0;
  double same_share() const { return tasks ? static_cast<double>(same_plan) / tasks : 1.0; }
};
Judgement fig18_linear(double linear_mean_s, const Fig18Tradeoff& t);
// Barrier's energy cut vs linear combine (1 - barrier / linear), its max and mean latency.
Judgement fig18_barrier(double energy_cut, double max_latency_s, double mean_latency_s,
                        const Fig18Tradeoff& t);

// Split RNN's efficiency (standard's energy / non-linear's) at low and high load.
Judgement fig19a(double low, double high);
Judgement fig19b(double high);

}  // namespace hivemind::experiments::rules
