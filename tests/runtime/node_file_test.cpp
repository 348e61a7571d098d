// Node files (hivemind.node/v1, runtime/node_file.hpp): one configuration per host. A 3-node
// chain UE -> MEC -> cloud started from three node files plans what the same chain built from
// a route (model::problem_from_route + node_config_from_problem) plans; each file yields
// exactly that node's part of the route's problem; node-file and problem-file daemons
// interoperate (one architecture hash) and run split tasks; bad files are one line, exit 2.
// The model is the built-in ResNet-18 at 32x32 with a profile measured once here.
#include "hivemind/runtime/node_file.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "hivemind/error.hpp"
#include "hivemind/io.hpp"
#include "hivemind/model/devices.hpp"
#include "hivemind/model/route.hpp"
#include "hivemind/model/torch_profiler.hpp"
#include "hivemind/model/zoo.hpp"
#include "hivemind/process.hpp"
#include "hivemind/runtime/local_chain.hpp"
#include "hivemind/split/problem_io.hpp"
#include "hivemind/split/sci_codec.hpp"
#include "hivemind/split/solve.hpp"
#include "runtime_testing.hpp"

namespace hivemind::runtime {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::temp_dir;

const std::string kInput = "1,3,32,32";

// The data folder hivemind-node reads (its compile-time HIVEMIND_DATA_DIR: the tree's data/).
std::string data_dir() { return (fs::path(HIVEMIND_EXAMPLES).parent_path() / "data").string(); }

// hivemind-node daemons started here, stopped by PID (SIGTERM, reaped; SIGKILL after 10 s)
// when this goes, also when a test fails half-way.
class Daemons {
 public:
  explicit Daemons(fs::path dir) : dir_(std::move(dir)) {}
  ~Daemons() {
    for (const pid_t pid : pids_) ::kill(pid, SIGTERM);
    for (const pid_t pid : pids_) wait_for(pid, 10.0);
  }
  Daemons(const Daemons&) = delete;
  Daemons& operator=(const Daemons&) = delete;

  // Starts hivemind-node with `args` (and --die-with-parent); returns 127.0.0.1:<port> once
  // its output has the "port N" line (a start-up note on stderr may come before it). Throws
  // InputError with its output when it exits first or prints no port within 60 s.
  std::string start(const std::string& name, std::vector<std::string> args) {
    const std::string out = output(name);
    args.insert(args.begin(), HIVEMIND_NODE_EXE);
    args.push_back("--die-with-parent");
    const pid_t pid = spawn({args, "", out});
    pids_.push_back(pid);
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < end) {
      if (fs::exists(out)) {
        std::istringstream lines(read_text_file(out));
        for (std::string line; std::getline(lines, line) && !lines.eof();)
          if (line.rfind("port ", 0) == 0) return "127.0.0.1:" + line.substr(5);
      }
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pids_.pop_back();
        throw InputError(name + " exited: " + read_text_file(out));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw InputError(name + " printed no port: " + read_text_file(out));
  }
  std::string output(const std::string& name) const { return (dir_ / (name + ".out")).string(); }

 private:
  fs::path dir_;
  std::vector<pid_t> pids_;
};

// What `hivemind-node ... --plan` printed.
struct PrintedPlan {
  std::string boundaries;  // "boundaries [a, b, c]"
  std::string cost;        // "cost 0.0123"
  std::string text;
};

PrintedPlan plan_with(const fs::path& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {HIVEMIND_NODE_EXE};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--plan");
  const std::string out = (dir / "plan.out").string();
  const ExitStatus st = run_process({argv, "", out}, 120.0);
  PrintedPlan p;
  p.text = read_text_file(out);
  EXPECT_TRUE(st.ok()) << p.text;
  std::istringstream lines(p.text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("boundaries ", 0) == 0) p.boundaries = line;
    if (line.rfind("cost ", 0) == 0) p.cost = line;
  }
  return p;
}

std::vector<int> parse_boundaries(const std::string& line) {  // "boundaries [3, 40, 69]"
  std::vector<int> b;
  std::string digits;
  for (const char c : line.substr(line.find('[') + 1) + ",") {
    if (c >= '0' && c <= '9') digits += c;
    if ((c == ',' || c == ']') && !digits.empty()) {
      b.push_back(std::stoi(digits));
      digits.clear();
    }
  }
  return b;
}

// The chain of every test: UE -> MEC -> cloud, as a route and as node files.
const char* const kClasses[] = {"ue", "iab-mec", "cloud"};
const char* const kNames[] = {"ue", "mec", "cloud"};
json link(int k) {  // link k: into node k+1
  return k == 0 ? json{{"bandwidth_mbps", 100}, {"overhead_ms", 1}}
                : json{{"bandwidth_mbps", 400}, {"overhead_ms", 5}, {"down_bandwidth_mbps", 800}};
}

json route_json() {
  json nodes = json::array();
  for (int p = 0; p < 3; ++p) nodes.push_back({{"name", kNames[p]}, {"device_class", kClasses[p]}});
  return {{"format", "hivemind.route/v1"},
          {"nodes", nodes},
          {"links", json::array({link(0), link(1)})},
          {"deliver", "sink"}};
}

class NodeFiles : public ::testing::Test {
 protected:
  // Once for every test: the model and its profile, measured here (class "cpu"), in a folder
  // beside each test's own (node files name them by relative paths: "../model/...").
  static void SetUpTestSuite() {
    const fs::path dir = temp_dir("model");
    model_ = (dir / "resnet18.pt").string();
    model::save_torchscript_resnet18(model_, /*classes=*/10);
    model::TorchProfileOptions o;
    o.model_path = model_;
    o.inputs = model::parse_torch_inputs(kInput);
    o.warmup = 1;
    o.reps = 3;
    o.backward = false;
    o.power_w = 0.0;
    profile_ = (dir / "resnet18.profile.json").string();
    write_text_file_atomic(profile_, model::to_json(model::profile_torchscript(o).profile));
  }

  // The route's problem from the same profile file (its missing classes derived the same way).
  static split::Problem route_problem() {
    const model::ModelProfile profile = model::load_model(profile_, data_dir());
    return model::problem_from_route(
        profile, model::parse_route(route_json().dump()),
        model::load_device_catalog(data_dir() + "/devices/devices.json"));
  }

  // Node p's file: model and profile by relative paths, the downstream nodes at `addresses`
  // (addresses[q] is node q's).
  static json node_json(int p, const std::vector<std::string>& addresses,
                        bool with_profile = true) {
    json j = {{"format", "hivemind.node/v1"},
              {"name", kNames[p]},
              {"position", p},
              {"nodes", 3},
              {"device_class", kClasses[p]},
              {"model", "../model/resnet18.pt"},
              {"input", kInput},
              {"deliver", "sink"},
              {"listen", "127.0.0.1:0"},
              {"emulation", {{"devices", false}, {"links", false}, {"dilation", 1.0}}},
              {"log_level", "error"},
              {"timeout_s", 30}};
    if (with_profile) j["profile"] = "../model/resnet18.profile.json";
    if (p > 0) j["incoming"] = link(p - 1);
    json down = json::array();
    for (int q = p + 1; q < 3; ++q)
      down.push_back({{"address", addresses[static_cast<std::size_t>(q)]}, {"link", link(q - 1)}});
    if (p < 2) j["downstream"] = down;
    return j;
  }

  static std::string write(const fs::path& dir, const std::string& name, const json& j) {
    const std::string path = (dir / name).string();
    write_text_file_atomic(path, j.dump(2));
    return path;
  }

  static inline std::string model_, profile_;
};

TEST_F(NodeFiles, ThreeNodeFilesPlanAsTheChainBuiltFromTheRoute) {
  const fs::path dir = temp_dir("three_files");
  std::vector<std::string> addresses(3);
  std::vector<std::string> files(3);
  Daemons daemons(dir);
  // Sink first: each node's file names the addresses after it.
  for (int p = 2; p >= 0; --p) {
    files[p] = write(dir, std::string(kNames[p]) + ".json", node_json(p, addresses));
    if (p > 0) addresses[p] = daemons.start(kNames[p], {"--config", files[p]});
  }
  const PrintedPlan got = plan_with(dir, {"--config", files[0]});

  // The same chain built from the route: every node file yields exactly node_config_from_problem
  // of the route's problem (compute row, links in bytes/s and s, cut bytes, hash) ...
  const split::Problem problem = route_problem();
  for (int p = 0; p < 3; ++p) {
    const std::vector<std::string> after(addresses.begin() + p + 1, addresses.end());
    const NodeConfig want = node_config_from_problem(problem, p, after);
    std::string note;
    const NodeFile file = load_node_config(files[p], data_dir(), &note);
    const NodeConfig& c = file.config;
    EXPECT_EQ(file.name, kNames[p]);
    EXPECT_EQ(file.listen, "127.0.0.1:0");
    EXPECT_EQ(c.position, p);
    EXPECT_EQ(c.sink, p == 2);
    EXPECT_EQ(c.compute_s, want.compute_s) << p;
    EXPECT_EQ(c.architecture, want.architecture);
    EXPECT_EQ(c.architecture, split::architecture_hash(problem));
    EXPECT_EQ(c.task.cut_bytes, want.task.cut_bytes);
    EXPECT_EQ(c.task.deliver, split::Deliver::kSink);
    ASSERT_EQ(c.incoming.has_value(), p > 0);
    if (p > 0) {
      // link p-1 = 100 Mbit/s, 1 ms (p = 1): 100e6 / 8 = 12.5e6 bytes/s, 1e-3 s; link 1 down
      // 800 Mbit/s = 1e8 bytes/s.
      EXPECT_EQ(c.incoming->up.bandwidth_bytes_per_s, want.incoming->up.bandwidth_bytes_per_s);
      EXPECT_EQ(c.incoming->up.overhead_s, want.incoming->up.overhead_s);
      EXPECT_EQ(c.incoming->down.bandwidth_bytes_per_s, want.incoming->down.bandwidth_bytes_per_s);
      EXPECT_EQ(c.incoming->down.overhead_s, want.incoming->down.overhead_s);
    }
    ASSERT_EQ(c.downstream.size(), want.downstream.size());
    for (std::size_t k = 0; k < c.downstream.size(); ++k) {
      EXPECT_EQ(c.downstream[k].address, want.downstream[k].address);
      EXPECT_EQ(c.downstream[k].link.up.bandwidth_bytes_per_s,
                want.downstream[k].link.up.bandwidth_bytes_per_s);
      EXPECT_EQ(c.downstream[k].link.down.overhead_s, want.downstream[k].link.down.overhead_s);
    }
    EXPECT_NE(c.executor, nullptr);
    // The profile has class cpu only: cpu1, cpu16, cuda are derived, and said so.
    EXPECT_NE(note.find("derived"), std::string::npos) << note;
  }
  EXPECT_EQ(problem.links[0].up.bandwidth_bytes_per_s, 100e6 / 8);
  EXPECT_EQ(problem.links[1].down.bandwidth_bytes_per_s, 800e6 / 8);

  // ... so the plan costs the library's SCI optimum on that problem (float32 messages) ...
  const split::Solution want = split::solve(split::compile(problem), split::Method::kSci);
  const std::vector<int> boundaries = parse_boundaries(got.boundaries);
  ASSERT_EQ(boundaries.size(), 3u) << got.text;
  const double tol = 1e-6 * (1 + want.cost) * 3;
  EXPECT_NEAR(split::evaluate(split::compile(problem), boundaries).total, want.cost, tol);
  EXPECT_NEAR(std::stod(got.cost.substr(5)), want.cost, tol) << got.text;

  // ... and the same chain started from the route's problem file prints the same plan.
  const std::string problem_file = (dir / "problem.json").string();
  write_text_file_atomic(problem_file, split::to_json(problem));
  LocalChain chain(HIVEMIND_NODE_EXE, dir / "problem_chain");
  const std::vector<std::string> after = chain.start(problem_file, 3);
  const PrintedPlan from_problem = plan_with(
      dir, {"--problem", problem_file, "--position", "0", "--downstream", join_addresses(after)});
  EXPECT_EQ(from_problem.boundaries, got.boundaries) << from_problem.text << got.text;
  EXPECT_EQ(from_problem.cost, got.cost) << from_problem.text << got.text;
}

// Issue 23, finding 10: a model file named with a newline and a terminal escape makes the
// start-up note one escaped line, not three raw ones.
TEST_F(NodeFiles, AModelFileNameIsEscapedInTheStartUpNote) {
  const fs::path dir = temp_dir("escaped");
  const fs::path evil = dir / "evil\n\x1b[31mRED.pt";
  fs::copy_file(model_, evil);
  std::vector<std::string> addresses = {"", "", "127.0.0.1:1"};  // nothing is called
  json j = node_json(1, addresses, /*with_profile=*/false);
  j["model"] = evil.filename().string();
  Daemons daemons(dir);
  daemons.start("mec", {"--config", write(dir, "mec.json", j)});
  const std::string out = read_text_file(daemons.output("mec"));
  EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
  EXPECT_NE(out.find("hivemind-node: no profile: measured evil\\n"), std::string::npos) << out;
  fs::remove_all(dir);
}

TEST_F(NodeFiles, NodeFileAndProblemFileNodesInteroperate) {
  const fs::path dir = temp_dir("mixed");
  const split::Problem problem = route_problem();
  const std::string problem_file = (dir / "problem.json").string();
  write_text_file_atomic(problem_file, split::to_json(problem));
  std::vector<std::string> addresses(3);
  Daemons daemons(dir);
  // The cloud from the problem file, the MEC from a node file without a profile (it measures
  // the model at start-up): their architecture hashes agree, since both hash L and the cut
  // bytes, which a measurement on any machine gives the same.
  addresses[2] = daemons.start("cloud", {"--problem", problem_file, "--position", "2", "--model",
                                         model_, "--input", kInput});
  const std::string mec = write(dir, "mec.json", node_json(1, addresses, /*with_profile=*/false));
  addresses[1] = daemons.start("mec", {"--config", mec});
  const std::string mec_out = read_text_file(daemons.output("mec"));
  EXPECT_NE(mec_out.find("hivemind-node: no profile: measured resnet18 here"), std::string::npos)
      << mec_out;
  std::string note;
  const NodeFile measured = load_node_config(mec, data_dir(), &note);
  EXPECT_EQ(measured.config.architecture, split::architecture_hash(problem));
  EXPECT_NE(note.find("derived"), std::string::npos) << note;

  // The UE from its node file, here: plans through both and runs split tasks whose output is
  // the monolithic forward.
  const std::string ue = write(dir, "ue.json", node_json(0, addresses));
  NodeFile source = load_node_config(ue, data_dir());
  const auto executor = source.config.executor;
  Source chain(source.config);
  const PlanResult plan = chain.plan(1);
  ASSERT_EQ(plan.boundaries.size(), 3u);
  EXPECT_TRUE(plan.absent.empty());
  EXPECT_EQ(plan.boundaries.back(), problem.layers);
  torch::manual_seed(5);
  for (std::uint64_t task = 0; task < 2; ++task) {
    std::vector<c10::IValue> in;
    for (const auto& v : executor->example_cut(0))
      in.emplace_back(torch::randn(v.toTensor().sizes()));
    const TaskResult r = chain.run(task, in);
    const at::Tensor mono = executor->forward(in).toTensor();
    const at::Tensor split = r.output.toTensor();
    ASSERT_EQ(split.sizes(), mono.sizes());
    EXPECT_LE((split - mono).abs().max().item<double>(), 1e-5) << "task " << task;
  }
  // The node-file UE planning from the command line, too.
  const PrintedPlan printed = plan_with(dir, {"--config", ue});
  EXPECT_EQ(parse_boundaries(printed.boundaries).size(), 3u) << printed.text;
}

TEST_F(NodeFiles, BadFilesAndFlagsAreOneLineAndExitTwo) {
  const fs::path dir = temp_dir("bad_files");
  const std::vector<std::string> addresses = {"", "127.0.0.1:1", "127.0.0.1:2"};
  const json good = node_json(1, addresses);
  // Each case: how the good MEC file is spoilt, and what the one line must name.
  struct Case {
    std::string what;
    std::function<void(json&)> spoil;
    std::string names;
  };
  const std::vector<Case> cases = {
      {"missing field", [](json& j) { j.erase("device_class"); }, "device_class: missing field"},
      {"wrong format", [](json& j) { j["format"] = "hivemind.node/v0"; },
       "format: unknown format \"hivemind.node/v0\""},
      {"bad link value", [](json& j) { j["downstream"][0]["link"]["bandwidth_mbps"] = 0; },
       "downstream[0].link.bandwidth_mbps: 0 must be > 0"},
      {"negative overhead", [](json& j) { j["incoming"]["overhead_ms"] = -1; },
       "incoming.overhead_ms: -1 is negative"},
      {"misspelt link field", [](json& j) { j["incoming"]["bandwidth"] = 5; },
       "incoming.bandwidth: unknown field"},
      {"position >= nodes", [](json& j) { j["position"] = 3; }, "position: 3 must be < nodes (3)"},
      {"downstream count", [](json& j) { j["downstream"].push_back(j["downstream"][0]); },
       "downstream: 2 entries, but node 1 of 3 needs 1"},
      {"no incoming", [](json& j) { j.erase("incoming"); }, "incoming: missing field"},
      {"unknown device class", [](json& j) { j["device_class"] = "quantum"; },
       "device_class: \"quantum\""},
      {"missing model file", [](json& j) { j["model"] = "no-such-model.pt"; },
       "model: " + (dir / "no-such-model.pt").string() + ": no such file"},
      {"missing profile file", [](json& j) { j["profile"] = "nope.json"; }, "profile: "},
      {"bad input", [](json& j) { j["input"] = "1,x"; }, "input: "},
      {"unknown field", [](json& j) { j["timeout"] = 5; }, "timeout: unknown field"},
      {"bad dilation", [](json& j) { j["emulation"]["dilation"] = 0.5; },
       "emulation.dilation: 0.5"},
      {"bad log level", [](json& j) { j["log_level"] = "loud"; }, "log_level: \"loud\""},
      {"partial tls",
       [](json& j) {
         j["tls"] = {{"ca", "ca.pem"}};
       },
       "tls.cert: required"},
      {"unreadable tls",
       [](json& j) {
         j["tls"] = {{"ca", "a"}, {"cert", "b"}, {"key", "c"}};
       },
       "tls.ca: "},
  };
  const std::string out = (dir / "out.txt").string();
  auto one_line_exit_two = [&](const std::vector<std::string>& args, const std::string& names,
                               const std::string& what) {
    std::vector<std::string> argv = {HIVEMIND_NODE_EXE};
    argv.insert(argv.end(), args.begin(), args.end());
    const ExitStatus st = run_process({argv, "", out}, 60.0);
    EXPECT_EQ(st.code, 2) << what;
    const std::string text = read_text_file(out);
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << what << ": " << text;
    EXPECT_EQ(text.rfind("hivemind-node: ", 0), 0u) << what << ": " << text;
    EXPECT_NE(text.find(names), std::string::npos) << what << ": " << text;
  };
  for (const Case& c : cases) {
    json j = good;
    c.spoil(j);
    const std::string file = write(dir, "node.json", j);
    one_line_exit_two({"--config", file}, file + ": " + c.names, c.what);
    // The library says the same (the daemon only prints it).
    try {
      load_node_config(file, data_dir());
      ADD_FAILURE() << c.what << ": accepted";
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(file + ": ", 0), 0u) << e.what();
    }
  }
  const std::string file = write(dir, "node.json", good);
  const std::string fig2 = std::string(HIVEMIND_EXAMPLES) + "/fig2.json";
  one_line_exit_two({"--config", (dir / "missing.json").string()}, "missing.json", "no file");
  write_text_file_atomic((dir / "broken.json").string(), "{\"format\": ");
  one_line_exit_two({"--config", (dir / "broken.json").string()}, "not JSON", "not JSON");
  // --config is the whole configuration: no flag overrides a field.
  one_line_exit_two({"--config", file, "--problem", fig2}, "--problem: not with --config", "mix");
  one_line_exit_two({"--config", file, "--position", "1"}, "--position: not with --config", "mix");
  one_line_exit_two({"--config", file, "--downstream", "127.0.0.1:1"}, "--downstream: not with",
                    "mix");
  one_line_exit_two({"--config", file, "--listen", "127.0.0.1:0"}, "--listen: not with", "mix");
  one_line_exit_two({"--config", file, "--emulate-links"}, "--emulate-links: not with", "mix");
  one_line_exit_two({"--config", file, "--plan"}, "--plan: the node file's position is 1",
                    "plan at the MEC");
}

}  // namespace
}  // namespace hivemind::runtime
