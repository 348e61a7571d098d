#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../../bench/solver_bench.hpp"
#include "args.hpp"
#include "commands.hpp"
#include "hivemind/error.hpp"

namespace hivemind::cli {

namespace {
constexpr const char* kBenchHelp = R"(usage: hivemind bench [OPTIONS]

Times every split solver on synthetic chains (fixed seed) for L in {52, 152, 515, 2000}
layers and P in {3, 10, 30} nodes: one warm-up, then the median of 7 samples, each sample
repeating the solve for at least 20 ms. Cases estimated to take too long are skipped
(dijkstra and brute grow as L^3 P and C(L+P-1, L)). Also reports the SCI message size
(L+2 float32 values). Row "exact": the multi-objective exact method (Pareto-front SCI,
docs/extensions.md) on the same chain plus an energy metric, "minimise energy, latency <= a
binding limit"; its message column is the largest per-node message (label counts + labels).

Every row but "sci-warm" is cold: each solve allocates its own buffers, as a caller of the
plain API does, so the ratios (dijkstra / sci, algorithm1 / sci) compare like with like.
"sci-warm" reuses one solver's buffers across solves (a node's repeated SCI updates).

options:
  --layers LIST     comma-separated L values (default 52,152,515,2000)
  --nodes LIST      comma-separated P values, each >= 2 (default 3,10,30)
  --format FORMAT   table (default) | json: [{"method", "L", "P", "ns_per_solve",
                    "sci_message_bytes", "reuses_buffers"}, ...]
  --quick           fewer samples, shorter ones (a smoke run)
  -h, --help        this help
)";

// A comma-separated list of integers in [min_value, 100000].
std::vector<int> parse_list(const std::string& text, const std::string& option, int min_value) {
  std::vector<int> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      std::size_t used = 0;
      const int v = std::stoi(item, &used);
      if (used != item.size() || v < min_value || v > 100000) throw std::invalid_argument(item);
      out.push_back(v);
    } catch (const std::exception&) {
      throw InputError(option + ": \"" + item + "\" is not an integer in [" +
                       std::to_string(min_value) + ", 100000]");
    }
  }
  if (out.empty()) throw InputError(option + ": empty list");
  return out;
}
}  // namespace

int run_bench(const Argv& argv) {
  Args args(argv, {"--format", "--layers", "--nodes"}, {"--quick"});
  if (args.help()) {
    std::cout << kBenchHelp;
    return 0;
  }
  args.expect_positional(0, "");
  const std::string format = args.value_or("--format", "table");
  if (format != "table" && format != "json")
    throw InputError("--format: unknown format \"" + format + "\" (expected table or json)");
  bench::BenchOptions opt;
  if (auto v = args.value("--layers")) opt.layers = parse_list(*v, "--layers", 1);
  if (auto v = args.value("--nodes"))
    opt.nodes = parse_list(*v, "--nodes", 2);  // a chain has >= 2 nodes
  if (args.flag("--quick")) {
    opt.samples = 3;
    opt.min_sample_s = 0.002;
    opt.max_method_s = 0.5;
  }
  const auto rows = bench::run_solver_bench(opt, [](const bench::BenchRow& r) {
    std::fprintf(stderr, "  bench %-10s L=%-5d P=%-3d %12.0f ns/solve\n", r.method.c_str(),
                 r.layers, r.nodes, r.ns_per_solve);
  });
  if (format == "json") {
    nlohmann::ordered_json doc = nlohmann::ordered_json::array();
    for (const auto& r : rows)
      doc.push_back({{"method", r.method},
                     {"L", r.layers},
                     {"P", r.nodes},
                     {"ns_per_solve", r.ns_per_solve},
                     {"sci_message_bytes", r.sci_message_bytes},
                     {"reuses_buffers", r.reuses_buffers}});
    std::cout << doc.dump(2) << "\n";
    return 0;
  }
  std::map<std::tuple<std::string, int, int>, double> ns;
  std::printf("%-12s %6s %4s %16s %18s\n", "method", "L", "P", "time/solve [ns]",
              "SCI message [B]");
  for (const auto& r : rows) {
    std::printf("%-12s %6d %4d %16.0f %18zu\n", r.method.c_str(), r.layers, r.nodes, r.ns_per_solve,
                r.sci_message_bytes);
    ns[{r.method, r.layers, r.nodes}] = r.ns_per_solve;
  }
  auto ratio = [&](const char* a, const char* b, int L, int P) {
    auto ia = ns.find({a, L, P}), ib = ns.find({b, L, P});
    if (ia == ns.end() || ib == ns.end()) return;
    std::printf("%s / %s at L=%d, P=%d: %.0fx\n", a, b, L, P, ia->second / ib->second);
  };
  std::printf("\n");
  ratio("dijkstra", "sci", 52, 10);
  ratio("algorithm1", "sci", 2000, 10);
  ratio("exact", "sci", 52, 10);
  return 0;
}

}  // namespace hivemind::cli
