// The verdicts of `hivemind reproduce --quick` (summary.md): (i) several recomputed here from
// the CSV files the same run writes, with the rule and tolerance each row states, and compared
// with the summary's; (ii) the whole list of (figure, claim, verdict) of the quick run (fixed
// seeds: deterministic) compared with the list committed below, so that a verdict that flips
// fails a test.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "hivemind/io.hpp"

namespace hivemind {
namespace {

// Runs `hivemind reproduce --quick --quiet --no-plots` with `extra` arguments into a fresh
// temporary folder and returns it; the folder is removed when the object goes.
class QuickRun {
 public:
  explicit QuickRun(const std::string& extra)
      : dir_(std::filesystem::temp_directory_path() /
             ("hm_verdicts_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir_);
    const std::string cmd = std::string(HIVEMIND_TEST_CLI) +
                            " reproduce --quick --quiet --no-plots " + extra + " --out " +
                            dir_.string() + " >/dev/null";
    ok_ = std::system(cmd.c_str()) == 0;
  }
  ~QuickRun() { std::filesystem::remove_all(dir_); }
  bool ok() const { return ok_; }
  std::string file(const std::string& name) const { return read_text_file((dir_ / name).string()); }

 private:
  std::filesystem::path dir_;
  bool ok_ = false;
};

// One row of a claims table of summary.md.
struct Row {
  std::string fig, claim, verdict;
};

// The claims tables of summary.md, in order: the measured pass's ("| figure | paper's claim |
// tolerance | ours | verdict | from this run |"), the paper-stated pass's and the sensitivity
// pass's (224 px), each row split on " | ".
std::vector<std::vector<Row>> claim_tables(const std::string& summary) {
  std::vector<std::vector<Row>> tables;
  std::istringstream in(summary);
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| figure | paper's claim |", 0) == 0) {
      tables.emplace_back();
      inside = true;
      continue;
    }
    if (!inside || line.rfind("|---", 0) == 0) continue;
    if (line.rfind("| ", 0) != 0) {
      inside = false;
      continue;
    }
    std::vector<std::string> cells;
    std::size_t at = 2;  // after "| "
    for (std::size_t bar; (bar = line.find(" | ", at)) != std::string::npos; at = bar + 3)
      cells.push_back(line.substr(at, bar - at));
    EXPECT_EQ(cells.size(), 5u) << line;  // the 6th cell (the reason) ends with " |"
    if (cells.size() >= 5) tables.back().push_back({cells[0], cells[1], cells[4]});
  }
  return tables;
}

// The verdict of the row of `table` whose figure is `fig` and whose claim starts with `claim`.
std::string verdict_of(const std::vector<Row>& table, const std::string& fig,
                       const std::string& claim) {
  for (const Row& r : table)
    if (r.fig == fig && r.claim.rfind(claim, 0) == 0) return r.verdict;
  ADD_FAILURE() << "no row " << fig << " \"" << claim << "\"";
  return "";
}

// A CSV file written by the run: its header's column names, then the rows split on ',' (no
// field of these files holds a comma).
struct Csv {
  std::map<std::string, std::size_t> column;
  std::vector<std::vector<std::string>> rows;
  const std::string& at(const std::vector<std::string>& row, const std::string& name) const {
    return row.at(column.at(name));
  }
};

Csv parse_csv(const std::string& text) {
  Csv csv;
  std::istringstream in(text);
  std::string line;
  for (bool header = true; std::getline(in, line); header = false) {
    std::vector<std::string> fields;
    std::istringstream cells(line);
    for (std::string f; std::getline(cells, f, ',');) fields.push_back(f);
    if (!line.empty() && line.back() == ',') fields.emplace_back();
    if (header) {
      for (std::size_t i = 0; i < fields.size(); ++i) csv.column[fields[i]] = i;
    } else {
      csv.rows.push_back(std::move(fields));
    }
  }
  return csv;
}

double mean(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

// The q-th percentile, linear between the two nearest order statistics (what summary.md's
// numbers state: "p95").
double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q / 100.0 * static_cast<double>(v.size() - 1);
  const std::size_t lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

// Fig. 2's three verdicts from fig2.csv (mec_cloud_capacity, method, cost, plan), each
// architecture's cost at 37 capacities from 1 down to 0.1, rows in that order.
struct Fig2 {
  std::string lowest, cloud_monotone, single_moves;
};
Fig2 fig2_verdicts(const Csv& csv) {
  std::vector<std::string> caps;
  std::map<std::string, std::map<std::string, double>> cost;       // cap -> method -> cost
  std::map<std::string, std::map<std::string, std::string>> plan;  // cap -> method -> plan
  for (const auto& row : csv.rows) {
    const std::string& cap = csv.at(row, "mec_cloud_capacity");
    if (caps.empty() || caps.back() != cap) caps.push_back(cap);
    cost[cap][csv.at(row, "method")] = std::stod(csv.at(row, "cost"));
    plan[cap][csv.at(row, "method")] = csv.at(row, "plan");
  }
  EXPECT_EQ(caps.size(), 37u);
  // "match" when multi-split is at or below every other architecture at every capacity.
  bool lowest = true, monotone = true;
  double prev_cloud = -1.0;
  for (const std::string& cap : caps) {
    const double multi = cost[cap].at("Multi-split");
    for (const char* other :
         {"UE computing", "Cloud ML", "Edge single split", "Cloud single split"})
      lowest = lowest && multi <= cost[cap].at(other) + 1e-12;
    // "match" when cloud ML's cost never drops as the capacity drops.
    const double cloud = cost[cap].at("Cloud ML");
    monotone = monotone && !(prev_cloud >= 0 && cloud < prev_cloud - 1e-12);
    prev_cloud = cloud;
  }
  // "match" when the single split keeps no layer on the UE at capacity 1 (b_0 = 0) and some at
  // 0.1 (b_0 > 0).
  auto ue_layers = [&](const std::string& cap) {
    return std::stoi(plan[cap].at("Cloud single split"));  // b_0, before the first '/'
  };
  const bool moves = ue_layers(caps.front()) == 0 && ue_layers(caps.back()) > 0;
  return {lowest ? "match" : "differs", monotone ? "match" : "differs",
          moves ? "match" : "differs"};
}

// Fig. 11's verdicts on mmWave IAB from fig11_inference.csv (latency) and fig11_training.csv
// (energy, the training objective), pooled over seeds per load and method.
struct Fig11 {
  std::string lowest, p95, cloud_300, single_ue, outperforms;
};
Fig11 fig11_verdicts(const Csv& inference, const Csv& training) {
  const std::vector<std::string> methods = {"HiveMind", "UE only", "Cloud only", "Single split"};
  // key "inference/high" -> method -> values (s for inference, J for training)
  std::map<std::string, std::map<std::string, std::vector<double>>> values;
  for (const Csv* csv : {&inference, &training}) {
    const bool energy = csv == &training;
    for (const auto& row : csv->rows)
      values[csv->at(row, "task") + "/" + csv->at(row, "load")][csv->at(row, "method")].push_back(
          energy ? std::stod(csv->at(row, "energy_j"))
                 : std::stod(csv->at(row, "latency_ms")) / 1e3);
  }
  EXPECT_EQ(values.size(), 6u);
  // Lowest: HiveMind's mean within 1% of every baseline's in all 6 (task, load) cases: match;
  // within 5%: partial.
  bool within1 = true, within5 = true;
  for (const auto& [key, by_method] : values) {
    const double hm = mean(by_method.at("HiveMind"));
    for (std::size_t m = 1; m < methods.size(); ++m) {
      const double other = mean(by_method.at(methods[m]));
      within1 = within1 && hm <= other * 1.01;
      within5 = within5 && hm <= other * 1.05;
    }
  }
  auto lat = [&](const std::string& load, const std::string& method) {
    return mean(values.at("inference/" + load).at(method));
  };
  // p95 of HiveMind's latency over all loads <= 79 ms and 0.55-0.83x UE-only's mean latency over
  // all loads (the paper's 0.69x): match; every load's mean <= 79 ms and the p95 <= 0.9x
  // UE-only's: partial.
  std::vector<double> hm_all;
  double worst_mean = 0.0, ue_only = 0.0;
  for (const char* load : {"low", "mid", "high"}) {
    const auto& v = values.at(std::string("inference/") + load).at("HiveMind");
    hm_all.insert(hm_all.end(), v.begin(), v.end());
    worst_mean = std::max(worst_mean, lat(load, "HiveMind"));
    ue_only += lat(load, "UE only") / 3;
  }
  const double p95 = percentile(hm_all, 95);
  const double worst_ratio = p95 / ue_only;
  // Cloud only at high load: mean in (300, 600] ms match, in (150, 1200] ms partial.
  const double cloud = lat("high", "Cloud only");
  // Single split vs UE only at high load: |single - ue| / ue < 5% match, < 20% partial.
  const double gap =
      std::abs(lat("high", "Single split") - lat("high", "UE only")) / lat("high", "UE only");
  // Reductions at high load: below both baselines and HiveMind / the farther baseline within
  // 1.5x of the paper's 0.102 (89.8%): match; within 3x: partial.
  const double red_cloud = 1 - lat("high", "HiveMind") / cloud;
  const double red_ue = 1 - lat("high", "HiveMind") / lat("high", "UE only");
  const double best = std::max(red_cloud, red_ue), least = std::min(red_cloud, red_ue);
  auto grade = [](bool match, bool partial) {
    return match ? "match" : partial ? "partial" : "differs";
  };
  const double rest = 1 - best;
  return {grade(within1, within5),
          grade(p95 <= 0.079 && worst_ratio >= 0.55 && worst_ratio <= 0.83,
                worst_mean <= 0.079 && worst_ratio <= 0.9),
          grade(cloud > 0.3 && cloud <= 0.6, cloud > 0.15 && cloud <= 1.2),
          grade(gap < 0.05, gap < 0.2),
          grade(least > 0 && rest >= 0.102 / 1.5 && rest <= 0.102 * 1.5,
                least > 0 && rest >= 0.102 / 3 && rest <= 0.102 * 3)};
}

// (i) Fig. 2's three verdicts and five of Fig. 11's, in the three passes (measured 88 px,
// paper-stated 88 px, 224 px sensitivity), recomputed from the CSVs by the tolerance each row
// states. Shown to fail: "p95 <= 0.079 ? \"match\"" (src/experiments/cost_figures.cpp, before the
// split reproduce.cpp; both tried) turned into "p95 > 0.079 ?": the summary said partial
// (88 px) and match (224 px) where the CSVs give match and differs; Fig. 2's "multi_best ?
// \"match\" : \"differs\"" (then reproduce.cpp, now fig2_table1.cpp) swapped: the summary said
// differs, the CSV match.
TEST(Verdicts, RecomputedFromTheCsvs) {
  const QuickRun run("--only fig2,fig11");
  ASSERT_TRUE(run.ok());
  const auto tables = claim_tables(run.file("summary.md"));
  ASSERT_EQ(tables.size(), 3u);  // the measured, the paper-stated and the sensitivity pass's

  const Fig2 f2 = fig2_verdicts(parse_csv(run.file("fig2.csv")));
  EXPECT_EQ(verdict_of(tables[0], "Fig. 2", "Multi-split has the lowest overhead"), f2.lowest);
  EXPECT_EQ(verdict_of(tables[0], "Fig. 2", "Cloud ML's overhead keeps increasing"),
            f2.cloud_monotone);
  EXPECT_EQ(verdict_of(tables[0], "Fig. 2", "Single split starts with all layers on the cloud"),
            f2.single_moves);

  const char* suffixes[3] = {"", "_paper", "_224px"};
  for (int t = 0; t < 3; ++t) {
    const std::string suffix = suffixes[t];
    const Fig11 v = fig11_verdicts(parse_csv(run.file("fig11_inference" + suffix + ".csv")),
                                   parse_csv(run.file("fig11_training" + suffix + ".csv")));
    const auto& table = tables[t];
    SCOPED_TRACE(t == 0 ? "88 px" : suffix);
    EXPECT_EQ(verdict_of(table, "Fig. 11", "HiveMind has the lowest mean cost"), v.lowest);
    EXPECT_EQ(verdict_of(table, "Fig. 11", "HiveMind keeps a stable inference latency"), v.p95);
    EXPECT_EQ(verdict_of(table, "Fig. 11", "Cloud-only latency exceeds 300 ms"), v.cloud_300);
    EXPECT_EQ(verdict_of(table, "Fig. 11", "Single split converges to UE-only"), v.single_ue);
    EXPECT_EQ(verdict_of(table, "Fig. 11", "HiveMind outperforms the cloud and UE"), v.outperforms);
  }
}

// (ii) Every verdict of the quick run, in the summary's order: the measured pass's table, the
// paper-stated pass's, then the sensitivity pass's (224 px), against the lists below (the quick
// run's seeds are fixed, so its verdicts are too). A verdict that changes must change here, in
// the same commit, with the reason.
// Shown to fail: "p95 <= 0.079 ? \"match\"" (cost_figures.cpp; reproduce.cpp before the split;
// both tried) turned into "p95 > 0.079 ?": the rows "Fig. 11 | HiveMind keeps a stable
// inference latency" of both tables differed (partial for match, match for differs).
// Changed by issue 25 step 4 (src/experiments/rules.hpp, rules that can fail): Table I match ->
// calibrated (the calibration's target); Fig. 11 "<= 79 ms" match -> differs (p95 1.00x UE
// only's, the paper's 0.69x), "> 300 ms" and "89.8%" match -> differs (two-sided windows: 2.8 s,
// 98.2%); Fig. 14 "IAB lowest" partial -> not checked (improved CN and cloud never used);
// Fig. 15 "assignment kept" partial -> differs (gnb1 59.4 -> 0 layers); Fig. 19a partial ->
// differs (the gain falls with load).
// Changed by issue 25 step 3 (a node without data estimates Delta t; Figs. 16-17 at high load):
// Fig. 17's two claims not checked -> differs (the predictive split forecasts now, and its
// median equals the standard's at every error).
TEST(Verdicts, QuickRunMatchesTheCommittedList) {
  const std::vector<Row> expected88 = {
      {"Fig. 2", "Multi-split has the lowest overhead", "match"},
      {"Fig. 2", "Cloud ML's overhead keeps increasing", "match"},
      {"Fig. 2", "Single split starts with all layers on the cloud", "match"},
      {"Table I", "Per-link UE bandwidth mean/std", "calibrated"},
      {"Fig. 6", "On the 5-hop chain the split latency surges", "differs"},
      {"Fig. 11", "HiveMind has the lowest mean cost", "differs"},
      {"Fig. 11", "HiveMind keeps a stable inference latency", "differs"},
      {"Fig. 11", "Cloud-only latency exceeds 300 ms", "differs"},
      {"Fig. 11", "Single split converges to UE-only", "match"},
      {"Fig. 11", "HiveMind outperforms the cloud and UE", "differs"},
      {"Fig. 11", "Training energy: cloud-only reaches up to 890 J", "not comparable"},
      {"Sec. III", "Multi-split reduces latency by 37-90%", "partial"},
      {"Fig. 12", "HiveMind has the lowest mean cost", "differs"},
      {"Fig. 12", "Sub-6 GHz: HiveMind's latency converges to UE-only", "match"},
      {"Fig. 13", "HiveMind's relative efficiency is highest on R-CNN", "partial"},
      {"Fig. 14", "At x20, improved IAB MECs give the lowest latency", "not checked"},
      {"Fig. 14", "Single split and cloud only stay at ~115 ms", "differs"},
      {"Fig. 14", "x10 and x20 give nearly the same latency", "match"},
      {"Fig. 15", "After a handover adding one hop", "differs"},
      {"Fig. 15", "Average latency increases by less than 5 ms", "match"},
      {"Fig. 16", "10 ms coherence", "not checked"},
      {"Fig. 16", "50 ms coherence", "not checked"},
      {"Fig. 17", "The predictive gain turns into a loss", "differs"},
      {"Fig. 17", "Beyond 17% error the median latency converges", "differs"},
      {"Fig. 18", "Linear combine averages 75 ms", "partial"},
      {"Fig. 18", "HiveMind multi-objective cuts energy by 22.9%", "differs"},
      {"Fig. 19a", "Split RNN outperforms standard HiveMind", "differs"},
      {"Fig. 19b", "Split collaborative learning outperforms", "differs"},
  };
  // The paper-stated pass (issue 25): the 88 px workload with the UE at 115 ms for resnet18_88
  // and 3 ms of SCI processing per node (data/scenarios/paper-stated.json), Figs. 6 and 11-18:
  // the measured pass's rows from Fig. 6 on, with these verdicts changed (claims as listed).
  std::vector<Row> expected_paper(expected88.begin() + 4, expected88.end() - 2);  // no Fig. 19
  const std::map<std::string, std::string> paper_changes = {
      {"HiveMind keeps a stable inference latency", "match"},
      {"10 ms coherence", "differs"},
      {"50 ms coherence", "differs"},
      {"Linear combine averages 75 ms", "not testable"},
      {"HiveMind multi-objective cuts energy by 22.9%", "not testable"},
  };
  for (Row& r : expected_paper)
    if (const auto it = paper_changes.find(r.claim); it != paper_changes.end())
      r.verdict = it->second;
  const std::vector<Row> expected224 = {
      {"Fig. 6", "On the 5-hop chain the split latency surges", "differs"},
      {"Fig. 11", "HiveMind has the lowest mean cost", "differs"},
      {"Fig. 11", "HiveMind keeps a stable inference latency", "differs"},
      {"Fig. 11", "Cloud-only latency exceeds 300 ms", "differs"},
      {"Fig. 11", "Single split converges to UE-only", "match"},
      {"Fig. 11", "HiveMind outperforms the cloud and UE", "differs"},
      {"Fig. 11", "Training energy: cloud-only reaches up to 890 J", "not comparable"},
      {"Sec. III", "Multi-split reduces latency by 37-90%", "partial"},
      {"Fig. 12", "HiveMind has the lowest mean cost", "differs"},
      {"Fig. 12", "Sub-6 GHz: HiveMind's latency converges to UE-only", "match"},
      {"Fig. 13", "HiveMind's relative efficiency is highest on R-CNN", "partial"},
      {"Fig. 14", "At x20, improved IAB MECs give the lowest latency", "not checked"},
      {"Fig. 14", "Single split and cloud only stay at ~115 ms", "partial"},
      {"Fig. 14", "x10 and x20 give nearly the same latency", "match"},
      {"Fig. 16", "10 ms coherence", "differs"},
      {"Fig. 16", "50 ms coherence", "differs"},
      {"Fig. 18", "Linear combine averages 75 ms", "differs"},
      {"Fig. 18", "HiveMind multi-objective cuts energy by 22.9%", "differs"},
  };
  const QuickRun run("");
  ASSERT_TRUE(run.ok());
  const auto tables = claim_tables(run.file("summary.md"));
  ASSERT_EQ(tables.size(), 3u);
  const std::vector<Row>* expected[3] = {&expected88, &expected_paper, &expected224};
  const char* names[3] = {"88 px", "paper-stated", "224 px"};
  for (int t = 0; t < 3; ++t) {
    SCOPED_TRACE(names[t]);
    const auto& got = tables[t];
    EXPECT_EQ(got.size(), expected[t]->size());
    for (std::size_t i = 0; i < std::min(got.size(), expected[t]->size()); ++i) {
      const Row& want = (*expected[t])[i];
      EXPECT_EQ(got[i].fig, want.fig) << "row " << i;
      EXPECT_EQ(got[i].claim.rfind(want.claim, 0), 0u) << "row " << i << ": " << got[i].claim;
      EXPECT_EQ(got[i].verdict, want.verdict)
          << "row " << i << ": " << want.fig << " \"" << want.claim << "\"";
    }
  }
}

}  // namespace
}  // namespace hivemind
