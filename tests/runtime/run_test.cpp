// `hivemind run` end to end (issue 13, item 5): the main CLI execs the launcher (hivemind-run),
// which profiles the built-in ResNet-18 (32 px) here, starts a hivemind-node per route node
// after the UE (four_roles: UE -> IAB MEC -> core MEC -> cloud), plans, runs split requests and
// checks them against the monolithic forward. Real processes on loopback; a few seconds each.
#include <gtest/gtest.h>
#include <torch/serialize.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "hivemind/io.hpp"
#include "hivemind/model/torch_executor.hpp"
#include "hivemind/model/torch_profiler.hpp"
#include "hivemind/process.hpp"
#include "runtime_testing.hpp"

namespace hivemind::runtime {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) { return testing::temp_dir("run_" + name); }

// `hivemind run ARGS` with stdout and stderr into `out`; its exit status.
ExitStatus hivemind_run(const std::vector<std::string>& args, const std::string& out) {
  std::vector<std::string> argv = {HIVEMIND_EXE, "run"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process({argv, "", out}, /*timeout_s=*/300.0);
}

// Processes whose command line mentions `marker` (the daemons of one run name its work folder).
int processes_naming(const std::string& marker) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename().string();
    if (pid.empty() || !std::all_of(pid.begin(), pid.end(), ::isdigit)) continue;
    std::error_code ec;
    if (!fs::exists(entry.path() / "cmdline", ec)) continue;
    std::string cmdline;
    try {
      cmdline = read_text_file((entry.path() / "cmdline").string());
    } catch (const std::exception&) {
      continue;  // it ended meanwhile
    }
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(marker) != std::string::npos) ++count;
  }
  return count;
}

// The number after `label` in `text` (NaN when absent).
double number_after(const std::string& text, const std::string& label) {
  const auto at = text.find(label);
  if (at == std::string::npos) return std::nan("");
  return std::strtod(text.c_str() + at + label.size(), nullptr);
}

TEST(HivemindRun, SplitsResNet18OnFourRolesAsTheMonolithicForward) {
  const fs::path dir = fresh_dir("four_roles");
  const fs::path work = dir / "work";
  // The request's input, as Python's torch.save would write it (zip format).
  torch::manual_seed(11);
  const at::Tensor input = torch::randn({1, 3, 32, 32});
  const std::vector<char> pickled = torch::pickle_save(input);
  const std::string in = (dir / "in.pt").string();
  write_text_file_atomic(in, std::string(pickled.begin(), pickled.end()));
  const std::string out = (dir / "out.pt").string(), trace = (dir / "trace.jsonl").string(),
                    log = (dir / "run.txt").string();

  const ExitStatus st = hivemind_run({"--requests", "2", "--input-file", in, "--out", out,
                                      "--trace", trace, "--keep-dir", work.string()},
                                     log);
  const std::string text = read_text_file(log);
  ASSERT_TRUE(st.ok()) << text;
  // Stopped by PID before the launcher exited: nothing names its work folder any more.
  EXPECT_EQ(processes_naming(work.string()), 0);
  for (const char* want :
       {"plan (epoch 1, SCI): boundaries [", "SCI message", "compute ms meas/plan", "received KB",
        "transfer ms meas/plan", "end-to-end: mean",
        "monolithic forward on this machine:", "max abs diff vs monolithic:"})
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  for (const char* node : {"\nue ", "\niab ", "\ncore ", "\ncloud "})
    EXPECT_NE(text.find(node), std::string::npos) << node << "\n" << text;

  // The output file is the monolithic forward of the same model on the same input.
  const std::string model = (work / "resnet18.pt").string();
  ASSERT_TRUE(fs::exists(model));
  const model::TorchLayerExecutor executor(model, model::parse_torch_inputs("1,3,32,32"));
  const at::Tensor mono = executor.forward({input.clone()}).toTensor();
  const std::string bytes = read_text_file(out);
  const at::Tensor got =
      torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end())).toTensor();
  ASSERT_EQ(got.sizes(), mono.sizes());
  EXPECT_LE((got - mono).abs().max().item<double>(), 1e-5);
  // Python reads it too (torch.load), and it equals Python's own forward of the model. Required
  // (python3-torch is one of the Makefile's packages): a Python without torch fails here, as
  // does an output file Python cannot load or a forward differing by more than 1e-4.
  const std::string script =
      "import sys, torch\n"
      "out = torch.load(sys.argv[1]); x = torch.load(sys.argv[2])\n"
      "m = torch.jit.load(sys.argv[3]).eval()\n"
      "with torch.no_grad(): want = m(x)\n"
      "d = (out - want).abs().max().item()\n"
      "print('max abs diff', d)\n"
      "sys.exit(0 if d <= 1e-4 else 1)\n";
  const std::string py = (dir / "check.py").string(), py_out = (dir / "py.txt").string();
  write_text_file_atomic(py, script);
  const ExitStatus p = run_process({{"/usr/bin/python3", py, out, in, model}, "", py_out}, 120.0);
  EXPECT_TRUE(p.ok()) << "/usr/bin/python3 (python3-torch) could not check the output: "
                      << read_text_file(py_out);

  // The trace: per task, one line per node that ran (source first) and one for the task.
  std::istringstream lines(read_text_file(trace));
  std::vector<nlohmann::json> nodes, tasks;
  for (std::string line; std::getline(lines, line);) {
    const nlohmann::json j = nlohmann::json::parse(line);  // throws (fails) if not JSON
    (j.contains("node") ? nodes : tasks).push_back(j);
  }
  ASSERT_EQ(tasks.size(), 2u);
  for (const auto& t : tasks) {
    for (const char* key : {"task", "end_to_end_s", "planned_s", "max_abs_diff", "boundaries"})
      EXPECT_TRUE(t.contains(key)) << key << " " << t.dump();
    EXPECT_GT(t["end_to_end_s"].get<double>(), 0.0);
    EXPECT_LE(t["max_abs_diff"].get<double>(), 1e-5);
  }
  const std::vector<int> b = tasks[0]["boundaries"].get<std::vector<int>>();
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(b.back(), 69);
  // Every node runs and reports: four_roles delivers to the sink, so the nodes after the one
  // that runs layer L relay the result there.
  const std::size_t ran = b.size();
  ASSERT_EQ(nodes.size(), 2 * ran);
  for (const auto& n : nodes) {
    for (const char* key : {"task", "node", "name", "device_class", "first_layer", "last_layer",
                            "compute_s", "planned_compute_s", "bytes_in", "transfer_in_s",
                            "planned_transfer_in_s", "retries", "bypassed"})
      EXPECT_TRUE(n.contains(key)) << key << " " << n.dump();
    const int p = n["node"].get<int>();
    ASSERT_GE(p, 0);
    ASSERT_LT(static_cast<std::size_t>(p), ran);
    // Node p runs b_{p-1}+1 .. b_p and receives the live values of cut b_{p-1}: their bytes
    // plus the pickle's framing (names, shapes: well under 4 KB).
    const int from = p == 0 ? 0 : b[static_cast<std::size_t>(p) - 1];
    EXPECT_EQ(n["first_layer"].get<int>(), from + 1) << n.dump();
    EXPECT_EQ(n["last_layer"].get<int>(), b[static_cast<std::size_t>(p)]) << n.dump();
    const double received = n["bytes_in"].get<double>();
    if (p == 0) {
      EXPECT_EQ(received, 0.0);
      continue;
    }
    const double raw = executor.cut_bytes(static_cast<std::size_t>(from));
    EXPECT_GE(received, raw) << n.dump();
    EXPECT_LE(received, raw + 4096) << n.dump();
    EXPECT_GT(n["planned_transfer_in_s"].get<double>(), 0.0) << n.dump();
  }
  EXPECT_EQ(nodes[0]["name"], "ue");
  EXPECT_EQ(nodes[0]["device_class"], "ue");
  fs::remove_all(dir);
}

TEST(HivemindRun, EmulatedRunReportsMeasuredOverPlanned) {
  const fs::path dir = fresh_dir("emulate");
  const std::string log = (dir / "run.txt").string();
  const ExitStatus st = hivemind_run({"--requests", "2", "--emulate"}, log);
  const std::string text = read_text_file(log);
  ASSERT_TRUE(st.ok()) << text;
  // Emulated devices and links run at the planned speeds: the measured latency is the planned
  // one within a factor 2 (the timing goal, near 1, is a benchmark's; this band only catches a
  // wrong plan or emulation, e.g. a link emulated at twice its bandwidth or half).
  const double ratio = number_after(text, "measured / planned ");
  EXPECT_TRUE(std::isfinite(ratio)) << text;
  EXPECT_GE(ratio, 0.5) << text;
  EXPECT_LE(ratio, 2.0) << text;
  const double dilation = number_after(text, "devices and links, dilation ");
  EXPECT_TRUE(std::isfinite(dilation) && dilation >= 1) << text;
  fs::remove_all(dir);
}

TEST(HivemindRun, BadInputsAreOneLineAndExitTwo) {
  // `hivemind run` execs the launcher found beside it.
  EXPECT_EQ(fs::path(HIVEMIND_RUN_EXE).parent_path(), fs::path(HIVEMIND_EXE).parent_path());
  const fs::path dir = fresh_dir("bad");
  const std::string not_a_model = (dir / "model.pt").string();
  write_text_file_atomic(not_a_model, "this is not TorchScript\n");
  const std::string not_a_tensor = (dir / "input.pt").string();
  write_text_file_atomic(not_a_tensor, "this is not a pickled tensor\n");
  const std::string out = (dir / "missing" / "out.pt").string();
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--route", (dir / "no_such_route.json").string()},
                                             {"--requests", "0"},
                                             {"--requests", "ten"},
                                             {"--model", not_a_model, "--input", "1,3,32,32"},
                                             {"--input-file", not_a_tensor},
                                             {"--out", out},
                                             {"--dilation", "2"},  // without --emulate
                                             {"--emulate", "--dilation", "0.5"},
                                             {"--shape", "1:1:5"},  // without --emulate
                                             {"--emulate", "--shape", "1:7:5"},
                                             {"--emulate", "--shape", "1:1:-5"},
                                             // Issue 23: outside the emulated ranges (a
                                             // double -> int64 overflow emulated 0.5 ms).
                                             {"--emulate", "--shape", "0:0:1e-300"},
                                             {"--emulate", "--shape", "0:0:1:1e308"},
                                             {"--emulate", "--shape", "0:1:1e-6"},
                                             {"--emulate", "--requests", "3", "--shape", "3:1:5"},
                                             {"--no-such-flag"}}) {
    const std::string log = (dir / "run.txt").string();
    const ExitStatus st = hivemind_run(args, log);
    const std::string text = read_text_file(log);
    EXPECT_EQ(st.code, 2) << args.front() << ": " << text;
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
    EXPECT_EQ(text.rfind("hivemind: run: ", 0), 0u) << text;
  }
  EXPECT_FALSE(fs::exists(out));
  // --help: the flags and the defaults.
  const std::string log = (dir / "help.txt").string();
  ASSERT_TRUE(hivemind_run({"--help"}, log).ok());
  const std::string help = read_text_file(log);
  for (const char* want : {"usage: hivemind run", "--route", "--emulate", "--dilation D|auto",
                           "four_roles.json", "--keep-dir"})
    EXPECT_NE(help.find(want), std::string::npos) << want;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hivemind::runtime
