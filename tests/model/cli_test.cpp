// `hivemind solve --model ... --route ...` as a user runs it: real binary, real files.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "hivemind/io.hpp"
#include "hivemind/model/zoo.hpp"
#include "hivemind/split/problem_io.hpp"

namespace {

const std::string kData = HIVEMIND_DATA_DIR;
const std::string kBin = HIVEMIND_BIN;

struct Result {
  int code = -1;
  std::string out, err;
};

std::filesystem::path temp_dir() {
  static const auto dir = [] {
    auto d = std::filesystem::temp_directory_path() /
             ("hivemind_model_cli_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

Result run(const std::string& args) {
  const auto out = temp_dir() / "out.txt", err = temp_dir() / "err.txt";
  const std::string cmd = kBin + " " + args + " >" + out.string() + " 2>" + err.string();
  const int status = std::system(cmd.c_str());
  Result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = hivemind::read_text_file(out.string());
  r.err = hivemind::read_text_file(err.string());
  return r;
}

std::string write(const std::string& name, const std::string& text) {
  const auto path = temp_dir() / name;
  std::ofstream(path) << text;
  return path.string();
}

TEST(Cli, EveryShippedRouteSolvesEveryZooModel) {
  for (const char* route : {"four_roles", "five_hops", "measured_runs"})
    for (const char* model : {"resnet18", "resnet18_32", "resnet50", "resnet152", "vgg11", "vgg16",
                              "rcnn", "gru_tagger", "qmix"}) {
      const Result r = run(std::string("solve --model ") + model + " --route " + kData +
                           "/routes/" + route + ".json");
      EXPECT_EQ(r.code, 0) << model << " on " << route << ": " << r.err;
      EXPECT_NE(r.out.find("boundaries ["), std::string::npos) << r.out;
      EXPECT_EQ(r.err, "");
    }
}

// One measurement is enough (issue 12): a profile with a single class named as `hivemind
// profile` names this machine's ("cpu") plans on every shipped route and simulates in every
// shipped scenario; one stderr line says which classes were derived from which.
TEST(Cli, OneMeasurementPlansOnEveryRouteAndSimulatesEveryScenario) {
  hivemind::model::ModelProfile p = hivemind::model::load_model("resnet18", kData);
  hivemind::model::DeviceProfile cpu = *p.device("cpu1");
  cpu.device_class = "cpu";
  p.devices = {cpu};
  p.model = "my_resnet";
  const std::string file = write("my_resnet.json", hivemind::model::to_json(p));
  const std::string note = "hivemind: profile " + file + ": derived cpu1, cpu16, cuda from cpu";
  for (const char* route : {"four_roles", "five_hops", "measured_runs"}) {
    const Result r =
        run("solve --model " + file + " --route " + kData + "/routes/" + route + ".json");
    EXPECT_EQ(r.code, 0) << route << ": " << r.err;
    EXPECT_NE(r.out.find("boundaries ["), std::string::npos) << r.out;
    EXPECT_EQ(r.err.rfind(note, 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  for (const char* scenario : {"chain5", "mmwave-iab", "sub6"}) {
    const Result r = run(std::string("simulate ") + scenario + " --model " + file +
                         " --duration 1 --period-ms 200");
    EXPECT_EQ(r.code, 0) << scenario << ": " << r.err;
    EXPECT_NE(r.out.find("HiveMind"), std::string::npos) << r.out;
    EXPECT_EQ(r.err.rfind(note, 0), 0u) << r.err;
  }
}

TEST(Cli, EmittedProblemSolvesToTheSameAnswer) {
  const std::string file = (temp_dir() / "emitted.json").string();
  const Result direct = run("solve --model resnet18 --route " + kData +
                            "/routes/four_roles.json --emit-problem " + file);
  ASSERT_EQ(direct.code, 0) << direct.err;
  const hivemind::split::Problem p = hivemind::split::load_problem(file);
  EXPECT_EQ(p.layers, 69);
  EXPECT_EQ(p.node_count(), 4);
  EXPECT_EQ(p.input_bytes, 602112);
  EXPECT_EQ(p.output_bytes[4], 1605632);  // layer1_0_conv1: its output + the block input
  EXPECT_DOUBLE_EQ(p.links[0].up.bandwidth_bytes_per_s, 100e6 / 8);
  const Result again = run("solve " + file);
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(again.out, direct.out);
}

TEST(Cli, ModelByProfilePath) {
  const Result r = run("solve --model " + kData + "/zoo/vgg11_224.json --route " + kData +
                       "/routes/four_roles.json --format json");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.front(), '{');
}

struct BadCli {
  std::string args;
  std::string error;  // the whole stderr line
};

TEST(Cli, BadInputIsOneLineAndExitTwo) {
  const std::string route = kData + "/routes/four_roles.json";
  const std::string bad_route = write("bad_route.json", R"({"format": "hivemind.route/v1",
    "nodes": [{"device_class": "ue"}, {"device_class": "cloud"}],
    "links": [{"bandwidth_mbps": -5}]})");
  const std::string bad_class = write("bad_class.json", R"({"format": "hivemind.route/v1",
    "nodes": [{"device_class": "ue"}, {"device_class": "tpu"}],
    "links": [{"bandwidth_mbps": 5}]})");
  const std::string bad_profile = write("bad_profile.json", R"({"format": "hivemind.profile/v1",
    "model": "m", "input_bytes": 4, "layers": [{"name": "a", "kind": "x", "output_bytes": 4,
    "cut_bytes": -4}]})");
  const std::string out_file = (temp_dir() / "never.json").string();
  const BadCli cases[] = {
      {"solve --model resnet18 --route " + bad_route,
       bad_route + ": links[0].bandwidth_mbps: -5 must be > 0"},
      {"solve --model resnet18 --route " + bad_class,
       "nodes[1].device_class: \"tpu\" is neither in model resnet18_224 (has: cpu1, cpu16, "
       "cuda) nor in the devices file (cpu1, cpu16, cuda, ue, iab-mec, core-mec, cloud)"},
      {"solve --model " + bad_profile + " --route " + route,
       bad_profile + ": layers[0].cut_bytes: -4 is negative"},
      {"solve --model resnet18", "--route: required with --model"},
      {"solve --model resnet18 --route " + route + " " + route,
       "give either PROBLEM.json or --model with --route, not both (got \"" + route + "\")"},
      {"solve " + route + " --chain-sizes", "--chain-sizes: needs --model"},
      {"solve --model alexnet --route " + route + " --emit-problem " + out_file,
       "--model: \"alexnet\" is neither a zoo model nor a profile file (zoo: resnet18_224, "
       "resnet18_32, resnet50_224, resnet152_224, vgg11_224, vgg16_224, rcnn_vgg16_224, "
       "gru_tagger_200, qmix_agent, resnet18_88, vgg11_88, rcnn_vgg16_88; aliases resnet18, "
       "resnet50, resnet152, vgg11, vgg16, rcnn, "
       "gru_tagger, qmix)"},
  };
  for (const auto& c : cases) {
    const Result r = run(c.args);
    EXPECT_EQ(r.code, 2) << c.args;
    EXPECT_EQ(r.out, "") << c.args;
    EXPECT_EQ(r.err, "hivemind: " + c.error + "\n") << c.args;
  }
  EXPECT_FALSE(std::filesystem::exists(out_file)) << "nothing half-written";
}

TEST(Cli, ChainSizesPlansWithOutputBytes) {
  const std::string route = kData + "/routes/four_roles.json";
  const std::string dag_file = (temp_dir() / "dag.json").string();
  const std::string chain_file = (temp_dir() / "chain.json").string();
  ASSERT_EQ(run("solve --model resnet18 --route " + route + " --emit-problem " + dag_file).code, 0);
  ASSERT_EQ(
      run("solve --model resnet18 --route " + route + " --chain-sizes --emit-problem " + chain_file)
          .code,
      0);
  const auto dag = hivemind::split::load_problem(dag_file);
  const auto chain = hivemind::split::load_problem(chain_file);
  // layer 5 (layer1_0_conv1) outputs 802,816 bytes, but the block input (802,816) is live too.
  EXPECT_EQ(chain.output_bytes[4], 802816);
  EXPECT_EQ(dag.output_bytes[4], 2 * 802816);
  EXPECT_EQ(chain.nodes[0].compute_s, dag.nodes[0].compute_s);
}

// Always compiled (issue 24: it was compiled out when cmd_solve.cpp lacked a string).
TEST(Cli, ChainSizesShowsWhatThePlanReallyCosts) {
  const Result r =
      run("solve --model resnet18 --route " + kData + "/routes/four_roles.json --chain-sizes");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("chain-model plan"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("DAG-aware plan"), std::string::npos) << r.out;
}

}  // namespace
