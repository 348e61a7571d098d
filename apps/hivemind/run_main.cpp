// hivemind-run: `hivemind run` execs this launcher (issue 13, item 5). It splits a TorchScript
// model across local processes the way Fig. 5 of the paper runs it: node 0 (the UE) in this
// process, one hivemind-node daemon per other node of a route on 127.0.0.1, a planning round
// (SCI update, Algorithm 1, and the decisions of Sec. IV-C3), then N split inferences, each
// checked against the monolithic forward. It prints the plan, the per-node measured-vs-planned
// table and the end-to-end latency; writes the last output (torch.save format) and a JSON-lines
// trace when asked. Daemons are stopped by PID on every exit path; the work folder (problem
// file, node logs, built-in model) is removed unless --keep-dir.
#include <grpc/support/log.h>
#include <signal.h>
#include <stdlib.h>
#include <torch/serialize.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "args.hpp"
#include "commands.hpp"
#include "hivemind/error.hpp"
#include "hivemind/io.hpp"
#include "hivemind/model/devices.hpp"
#include "hivemind/model/latency_model.hpp"
#include "hivemind/model/route.hpp"
#include "hivemind/model/torch_executor.hpp"
#include "hivemind/model/torch_profiler.hpp"
#include "hivemind/model/zoo.hpp"
#include "hivemind/process.hpp"
#include "hivemind/runtime/local_chain.hpp"
#include "hivemind/runtime/node.hpp"
#include "hivemind/split/problem_io.hpp"
#include "sibling.hpp"

namespace {

namespace fs = std::filesystem;
using namespace hivemind;
using Clock = std::chrono::steady_clock;

constexpr const char* kHelp = R"(usage: hivemind run [options]

Split inference across local node daemons (issue 13; the paper's Fig. 5). Node 0 of the route
(the UE) runs in this process; every other node is a hivemind-node daemon on 127.0.0.1 (a port
it picks), started sink first. One planning round (the SCI update of Algorithm 1 through the
chain, then each node's own decision, Sec. IV-C3) fixes the split; then N requests run split:
each node executes its own layers with LibTorch and sends the live values of its cut (every
tensor a later layer reads, skip connections included) downstream. Every output is compared
with the monolithic forward of the whole model in this process.

With no options: the built-in ResNet-18 (random weights, 10 classes) at input 1,3,32,32 on
data/routes/four_roles.json (UE -> IAB MEC -> core MEC -> cloud), 10 requests.

The plan needs per-layer times of every device class of the route. Without --profile the
model is profiled once on this machine (LibTorch, cpu, forward only, a few repetitions; its
class is "cpu"), and the catalogued classes (cpu1, cpu16, cuda) are derived from that one
measurement with the latency models (data/devices/latency_models.json; a note on stderr says
how well it fitted); the route's classes (ue, iab-mec, ...) are then derived from those by
data/devices/devices.json, as `hivemind solve --model --route` does.

options:
  --route FILE         the chain (hivemind.route/v1; default data/routes/four_roles.json)
  --model F.pt         a TorchScript model (torch.jit.save), or resnet18 (default): the
                       built-in ResNet-18, written into the work folder
  --input SPEC         shape of each forward() input, as hivemind profile --input
                       (default 1,3,32,32 for the built-in model; required for another
                       model unless --input-file gives the tensor)
  --input-file X.pt    the input of every request: a tensor (or a tuple/list of tensors, one
                       per forward() input) saved by Python's torch.save; default: random
                       N(0,1) tensors of --input's shapes, fixed seed, new ones per request
  --requests N         split inferences to run (default 10, at most 1000000)
  --out Y.pt           write the last request's output there (torch.save format: Python's
                       torch.load reads it), atomically
  --trace T.jsonl      write a JSON-lines trace (one line per node per request, one per
                       request), atomically
  --profile FILE       per-layer times from a profile (hivemind.profile/v1 file, or a zoo
                       name) instead of profiling: its layers and cut bytes must be the
                       model's
  --devices FILE       device classes (default data/devices/devices.json)
  --emulate            emulate the route on this machine: every node (the source too) pads
                       each layer's real time up to its planned time, and shapes each send to
                       the link's planned time (Eq. 10), both x the dilation
  --dilation D|auto    time dilation of the emulation, >= 1 (only with --emulate; default
                       auto): every emulated time runs D times slower, so that device classes
                       faster than this machine can still be padded up to. auto = the smallest
                       factor that makes the route's fastest class slower than this machine:
                       1.25 x max over nodes p of (sum of this machine's layer times / sum of
                       node p's planned layer times), at least 1, rounded up to 2 significant
                       digits (this machine's times are measured even with --profile)
  --shape N:K:MBPS[:MS][,...]
                       with --emulate: before request N (0-based), re-shape link K (0 = UE ->
                       first MEC) to MBPS megabit/s and MS milliseconds overhead (default:
                       the route's); with --replan-every the split follows at the next SCI
                       update, from the links the receivers estimated; N past the last
                       request is refused
  --replan-every N     run a new planning round (the next epoch) every N requests; the nodes
                       plan with the links they estimated from the transfers they received
                       (default 0: plan once)
  --timeout-s S        deadline of each call downstream, seconds (default 30); a request's
                       covers the whole chain
  --log-level L        error | warn | info | debug (default error): the source's log lines on
                       stderr; each daemon's go to its output file in the work folder
  --tls-ca F --tls-cert F --tls-key F
                       mutual TLS between the nodes (PEM files; all three)
  --keep-dir DIR       use DIR as the work folder (created if missing) and keep it: the
                       problem file (problem.json), the built-in model (resnet18.pt), each
                       daemon's output (node<P>.<N>.out: its port line, then its log);
                       default: a fresh folder under $TMPDIR, removed at the end
  -h, --help           this help

Output: the plan (boundaries b_0..b_{P-1}: node p runs layers b_{p-1}+1..b_p; its cost; the SCI
message's bytes; the round's time), then per node the mean compute time measured and planned,
the bytes it received and the mean transfer time into it measured and planned; end-to-end
mean/min/max against the planned (dilation x plan cost), the monolithic forward's time on this
machine and the largest difference of any output from the monolithic forward. Nodes after the
one that runs the last layer relay the result to the sink (deliver: sink, the route's
default) or are not reached (deliver: source or none); the result reaches node 0 straight
from the node that finished the task (a Deliveries subscription; "results: N of M" says how
many came that way), and with deliver: source its return over the links crossed is emulated
and planned there too (Eq. 10, down). Without --emulate the
nodes run at this machine's speed over loopback, so measured and planned differ by design;
with --emulate their ratio should be near 1.

Trace (--trace), seconds and bytes: per request and node that ran, {"task", "node" (position),
"name", "device_class", "first_layer", "last_layer" (first > last: it only relayed),
"compute_s", "planned_compute_s", "bytes_in" (pickled values received), "transfer_in_s",
"planned_transfer_in_s", "return_s", "planned_return_s" (deliver: source, at the node
that ran the last layer: the result's return over the links back to the source), "retries",
"bypassed"}; then per request {"task",
"epoch", "boundaries", "end_to_end_s", "delivered" (the result came straight from the node
that finished the task), "planned_s", "monolithic_s", "max_abs_diff"}.

Every daemon is started with --die-with-parent and lives at most 120 s + (requests + planning
rounds) x --timeout-s; all are stopped by PID (SIGTERM, SIGKILL after 10 s) on every exit path.
Exit code 0 on success; 2 with one line on stderr on bad input or any failure (a daemon that
does not start: the last line of its log; an output that differs from the monolithic forward
by more than 1e-3 x its largest magnitude).
)";

// Ctrl-C / SIGTERM: checked between steps and requests (a call in flight ends within
// --timeout-s), so the guards below still stop the daemons and remove the work folder. A
// second signal ends the process at once (SA_RESETHAND); the daemons then die with it.
std::atomic<bool> g_interrupted{false};
void on_signal(int) { g_interrupted = true; }
void check_interrupted() {
  if (g_interrupted) throw InputError("interrupted");
}

// The first line of an exception's text (LibTorch's carry a backtrace after it).
std::string first_line(const std::string& text) {
  const auto nl = text.find('\n');
  return nl == std::string::npos ? text : text.substr(0, nl);
}

// The work folder: a fresh one under the temp dir, removed by the destructor, or --keep-dir.
class WorkDir {
 public:
  explicit WorkDir(const std::optional<std::string>& keep) {
    if (keep) {
      if (keep->empty()) throw InputError("--keep-dir: empty folder name");
      create_output_dir(*keep, "--keep-dir");
      path_ = *keep;
      kept_ = true;
      return;
    }
    std::string tmpl = (fs::temp_directory_path() / "hivemind-run-XXXXXX").string();
    if (!::mkdtemp(tmpl.data()))
      throw InputError("cannot create a work folder under " + fs::temp_directory_path().string());
    path_ = tmpl;
  }
  ~WorkDir() {
    std::error_code ec;
    if (!kept_) fs::remove_all(path_, ec);
  }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  std::string file(const std::string& name) const { return (fs::path(path_) / name).string(); }
  const std::string& path() const { return path_; }
  bool kept() const { return kept_; }

 private:
  std::string path_;
  bool kept_ = false;
};

// ---- inputs ----------------------------------------------------------------------------------

std::string dtype_name(c10::ScalarType t) {
  switch (t) {
    case c10::ScalarType::Float:
      return "float32";
    case c10::ScalarType::Double:
      return "float64";
    case c10::ScalarType::Long:
      return "int64";
    case c10::ScalarType::Int:
      return "int32";
    default:
      return "";
  }
}

// A tensor saved by Python's torch.save (zip format), or a tuple/list of them: the forward()
// inputs of every request. Also returns their --input spec (dtype:shape;...).
std::vector<c10::IValue> load_input_file(const std::string& path, std::string& spec) {
  const std::string bytes = read_text_file(path);
  c10::IValue value;
  try {
    value = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  } catch (const std::exception& e) {
    throw InputError("--input-file: " + path + " is not a tensor saved by torch.save (" +
                     first_line(e.what()) + ")");
  }
  std::vector<c10::IValue> inputs;
  if (value.isTensor()) {
    inputs.push_back(value);
  } else if (value.isTuple()) {
    for (const auto& v : value.toTupleRef().elements()) inputs.push_back(v);
  } else if (value.isList()) {
    for (const auto& v : value.toListRef()) inputs.push_back(v);
  } else {
    throw InputError("--input-file: " + path + " holds a " + value.tagKind() +
                     ", not a tensor (or a tuple of tensors)");
  }
  if (inputs.empty()) throw InputError("--input-file: " + path + " holds no tensor");
  spec.clear();
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    if (!inputs[k].isTensor())
      throw InputError("--input-file: " + path + ": item " + std::to_string(k) + " is a " +
                       inputs[k].tagKind() + ", not a tensor");
    at::Tensor t = inputs[k].toTensor().contiguous();
    inputs[k] = t;
    const std::string dtype = dtype_name(t.scalar_type());
    if (dtype.empty())
      throw InputError("--input-file: " + path + ": tensor " + std::to_string(k) + " is of type " +
                       std::string(c10::toString(t.scalar_type())) +
                       " (float32, float64, int64 or int32 are supported)");
    spec += (k ? ";" : "") + dtype + ":";
    for (std::size_t d = 0; d < static_cast<std::size_t>(t.dim()); ++d)
      spec += (d ? "," : "") + std::to_string(t.size(static_cast<int64_t>(d)));
  }
  return inputs;
}

// Random N(0,1) float inputs, zeros for integer ones (valid token ids), of `specs`' shapes.
std::vector<c10::IValue> random_inputs(const std::vector<model::TorchInputSpec>& specs) {
  std::vector<c10::IValue> inputs;
  for (const auto& s : specs) {
    const std::vector<int64_t> shape(s.shape.begin(), s.shape.end());
    if (s.dtype == "float32" || s.dtype == "float64")
      inputs.emplace_back(torch::randn(
          shape,
          torch::TensorOptions().dtype(s.dtype == "float32" ? torch::kFloat : torch::kDouble)));
    else
      inputs.emplace_back(torch::zeros(
          shape, torch::TensorOptions().dtype(s.dtype == "int64" ? torch::kLong : torch::kInt)));
  }
  return inputs;
}

std::vector<c10::IValue> clone(const std::vector<c10::IValue>& values) {
  std::vector<c10::IValue> out;
  for (const auto& v : values) out.emplace_back(v.isTensor() ? v.toTensor().clone() : v);
  return out;
}

// ---- output checks -----------------------------------------------------------------------------

// Largest |a - b| over every tensor of two results of the same structure; +inf when the
// structures or shapes differ.
double max_abs_diff(const c10::IValue& a, const c10::IValue& b) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  if (a.isTensor() && b.isTensor()) {
    const at::Tensor x = a.toTensor(), y = b.toTensor();
    if (x.sizes() != y.sizes()) return kInf;
    if (x.numel() == 0) return 0.0;
    return (x.to(torch::kDouble) - y.to(torch::kDouble)).abs().max().item<double>();
  }
  auto items = [](const c10::IValue& v) -> std::optional<std::vector<c10::IValue>> {
    if (v.isTuple()) return v.toTupleRef().elements().vec();
    if (v.isList()) return v.toListRef().vec();
    return std::nullopt;
  };
  const auto ia = items(a), ib = items(b);
  if (ia && ib) {
    if (ia->size() != ib->size()) return kInf;
    double m = 0.0;
    for (std::size_t k = 0; k < ia->size(); ++k) m = std::max(m, max_abs_diff((*ia)[k], (*ib)[k]));
    return m;
  }
  if ((a.isDouble() || a.isInt()) && (b.isDouble() || b.isInt()))
    return std::abs(a.toScalar().toDouble() - b.toScalar().toDouble());
  if (a.isNone() && b.isNone()) return 0.0;
  if (a.isBool() && b.isBool()) return a.toBool() == b.toBool() ? 0.0 : kInf;
  return kInf;
}

// Largest |value| of every tensor in a result (the scale of the tolerance).
double max_abs(const c10::IValue& v) {
  if (v.isTensor())
    return v.toTensor().numel() ? v.toTensor().abs().max().to(torch::kDouble).item<double>() : 0;
  double m = 0.0;
  if (v.isTuple())
    for (const auto& x : v.toTupleRef().elements()) m = std::max(m, max_abs(x));
  if (v.isList())
    for (const auto& x : v.toListRef()) m = std::max(m, max_abs(x));
  return m;
}

// ---- dilation ----------------------------------------------------------------------------------

// Rounded up to 2 significant digits (6.21 -> 6.3, 12.01 -> 13).
double round_up_2_digits(double x) {
  if (!(x > 0)) return x;
  const double step = std::pow(10.0, std::floor(std::log10(x)) - 1);
  return std::ceil(x / step - 1e-9) * step;
}

struct AutoDilation {
  double dilation = 1.0;
  std::string why;
};

// D = max(1, 1.25 x max_p sum_l t_l / sum_l tau^p_l), t = this machine's per-layer forward
// times, tau^p = node p's planned ones: every node's layers, dilated, take at least 1.25 x
// what this machine needs for them on average, so padding (never shortening) can emulate them.
AutoDilation auto_dilation(const std::vector<double>& here_s, const split::Problem& problem) {
  double here = 0.0;
  for (double t : here_s) here += t;
  int fastest = -1;
  double ratio = 0.0, fastest_s = 0.0;
  for (int p = 0; p < problem.node_count(); ++p) {
    double planned = 0.0;
    for (double t : problem.nodes[static_cast<std::size_t>(p)].compute_s) planned += t;
    if (planned <= 0) continue;
    if (here / planned > ratio) {
      ratio = here / planned;
      fastest = p;
      fastest_s = planned;
    }
  }
  AutoDilation d;
  const double raw = 1.25 * ratio;
  d.dilation = std::max(1.0, round_up_2_digits(raw));
  char line[512];
  if (fastest < 0) {
    std::snprintf(line, sizeof line, "no node has planned compute time");
  } else {
    std::snprintf(line, sizeof line,
                  "this machine runs the %zu layers in %.3f ms (sum of layer medians); the "
                  "route's fastest node, %s, is planned at %.3f ms: 1.25 x %.3f / %.3f = %.3g, "
                  "rounded up to 2 digits%s",
                  here_s.size(), here * 1e3,
                  one_line(problem.nodes[static_cast<std::size_t>(fastest)].name).c_str(),
                  fastest_s * 1e3, here * 1e3, fastest_s * 1e3, raw, raw < 1 ? ", at least 1" : "");
  }
  d.why = line;
  return d;
}

// ---- report ------------------------------------------------------------------------------------

std::string boundaries_text(const std::vector<int>& b) {
  std::string s = "[";
  for (std::size_t i = 0; i < b.size(); ++i) s += (i ? ", " : "") + std::to_string(b[i]);
  return s + "]";
}

std::string ms(double s) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f", s * 1e3);
  return b;
}

// Per node, over all requests.
struct NodeStats {
  int runs = 0;
  int first_layer = 1, last_layer = 0;  // of the latest request
  bool layers_changed = false;
  double compute_s = 0, planned_compute_s = 0, bytes_in = 0, transfer_s = 0, planned_transfer_s = 0;
  int retries = 0;
};

// One --shape entry: before request `at`, link `link` becomes `up`.
struct Reshape {
  long long at = 0;
  int link = 0;
  split::LinkDirection up;
};

// "N:K:MBPS[:MS][,...]" on the route's links (units as the route's); the overhead defaults to
// the route's.
std::vector<Reshape> parse_shapes(const std::string& text, const model::Route& route) {
  std::vector<Reshape> out;
  for (const std::string& item : cli::split_list(text, ',')) {
    const std::vector<std::string> f = cli::split_list(item, ':');
    const auto bad = [&](const std::string& why) {
      return InputError("--shape: \"" + item + "\": " + why +
                        " (expected N:K:MBPS[:MS], e.g. 10:1:5:2)");
    };
    if (f.size() < 3 || f.size() > 4) throw bad("needs 3 or 4 fields");
    Reshape r;
    try {
      std::size_t used = 0;
      r.at = std::stoll(f[0], &used);
      if (used != f[0].size() || r.at < 0) throw bad("request \"" + f[0] + "\" is not >= 0");
      r.link = std::stoi(f[1], &used);
      if (used != f[1].size() || r.link < 0 || r.link >= static_cast<int>(route.links.size()))
        throw bad("link \"" + f[1] + "\" is not one of 0.." +
                  std::to_string(route.links.size() - 1));
      const double mbps = std::stod(f[2], &used);
      if (used != f[2].size() || !(mbps > 0) || !std::isfinite(mbps))
        throw bad("bandwidth \"" + f[2] + "\" Mbit/s is not > 0");
      r.up = {mbps * 1e6 / 8, route.links[static_cast<std::size_t>(r.link)].overhead_ms / 1e3};
      if (f.size() == 4) {
        const double overhead_ms = std::stod(f[3], &used);
        if (used != f[3].size() || !(overhead_ms >= 0) || !std::isfinite(overhead_ms))
          throw bad("overhead \"" + f[3] + "\" ms is not >= 0");
        r.up.overhead_s = overhead_ms / 1e3;
      }
      // The ranges every emulated link keeps (runtime/node.hpp), checked before any work.
      runtime::check_emulated_link(r.up, "--shape: \"" + item + "\"");
    } catch (const InputError&) {
      throw;
    } catch (const std::exception&) {
      throw bad("not numbers");
    }
    out.push_back(r);
  }
  return out;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string s;
  for (const auto& item : items) s += (s.empty() ? "" : sep) + item;
  return s;
}

int run(const std::vector<std::string>& argv) {
  cli::Args args(
      argv,
      {"--route", "--model", "--input", "--input-file", "--requests", "--out", "--trace",
       "--profile", "--devices", "--dilation", "--replan-every", "--shape", "--timeout-s",
       "--log-level", "--tls-ca", "--tls-cert", "--tls-key", "--keep-dir"},
      {"--emulate"});
  if (args.help()) {
    std::cout << kHelp << cli::resource_options_help();
    return 0;
  }
  args.expect_positional(0, "");
  gpr_set_log_function([](gpr_log_func_args*) {});  // failures reach us as statuses: one line
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESETHAND;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  // Flags, then every file a user named, before anything starts.
  const long long requests = args.integer_or("--requests", 10, 1, 1000000);
  const long long replan_every = args.integer_or("--replan-every", 0, 0, 1000000);
  const double timeout_s = args.number_or("--timeout-s", 30.0, 1e-3, 3600.0);
  const runtime::LogLevel log_level =
      runtime::parse_log_level(args.value_or("--log-level", "error"));
  const bool emulate = args.flag("--emulate");
  const std::string dilation_arg = args.value_or("--dilation", emulate ? "auto" : "1");
  std::optional<double> dilation;  // nullopt: auto
  if (dilation_arg != "auto") dilation = args.number_or("--dilation", 1.0, 1.0, 1e6);
  if (args.value("--dilation") && !emulate)
    throw InputError("--dilation: only with --emulate (without it nothing is emulated)");
  const runtime::TlsFiles tls{args.value_or("--tls-ca", ""), args.value_or("--tls-cert", ""),
                              args.value_or("--tls-key", "")};
  if (tls.enabled() && (tls.ca.empty() || tls.cert.empty() || tls.key.empty()))
    throw InputError("--tls-ca, --tls-cert, --tls-key: give all three");
  const std::string node_exe = cli::sibling_path("hivemind-node");
  if (!cli::is_executable(node_exe))
    throw InputError("hivemind-node is not beside hivemind-run (" + node_exe + ")");

  const std::string route_path =
      args.value_or("--route", cli::data_dir() + "/routes/four_roles.json");
  const model::Route route = model::load_route(route_path);
  std::vector<Reshape> shapes;
  if (const auto spec = args.value("--shape")) {
    if (!emulate) throw InputError("--shape: only with --emulate (links are shaped when emulated)");
    shapes = parse_shapes(*spec, route);
    for (const Reshape& r : shapes)
      if (r.at >= requests)
        throw InputError("--shape: request " + std::to_string(r.at) + " is past the last of the " +
                         std::to_string(requests) + " requests (0.." +
                         std::to_string(requests - 1) + ")");
  }
  const model::DeviceCatalog catalog = model::load_device_catalog(
      args.value_or("--devices", cli::data_dir() + "/devices/devices.json"));
  const auto input_file = args.value("--input-file");
  if (input_file && args.value("--input"))
    throw InputError("--input-file: give --input or --input-file, not both");
  std::string input_spec;
  std::vector<c10::IValue> fixed_inputs;
  if (input_file) fixed_inputs = load_input_file(*input_file, input_spec);
  // Both outputs are staged now (a refused or unwritable path, or --out and --trace naming
  // one file, fails before any work) and committed together at the end, or neither.
  StagedFiles outputs;
  StagedFile* out_check = nullptr;
  StagedFile* trace_file = nullptr;
  if (auto o = args.value("--out")) out_check = &outputs.add(*o, "--out");
  if (auto t = args.value("--trace")) trace_file = &outputs.add(*t, "--trace");

  WorkDir work(args.value("--keep-dir"));
  std::string model_arg = args.value_or("--model", "resnet18");
  std::error_code ec;
  const bool builtin = model_arg == "resnet18" && !fs::exists(model_arg, ec);
  std::string model_path = model_arg, model_name = fs::path(model_arg).stem().string();
  if (builtin) {
    model_path = work.file("resnet18.pt");
    model::save_torchscript_resnet18(model_path, /*classes=*/10);
    model_name = "resnet18";
    if (input_spec.empty()) input_spec = args.value_or("--input", "1,3,32,32");
  } else if (input_spec.empty()) {
    const auto in = args.value("--input");
    if (!in)
      throw InputError(
          "--input: required with --model FILE (the shape of each forward() input, e.g. "
          "--input 1,3,224,224), or give --input-file");
    input_spec = *in;
  }
  const std::vector<model::TorchInputSpec> specs = model::parse_torch_inputs(input_spec);
  auto executor = std::make_shared<const model::TorchLayerExecutor>(model_path, specs);
  const std::size_t L = executor->layer_count();
  check_interrupted();

  // Per-layer times: measured here (and derived for the catalogued classes), or --profile.
  auto measure_here = [&](int reps) {
    model::TorchProfileOptions o;
    o.model_path = model_path;
    o.inputs = specs;
    o.model_name = model_name;
    o.warmup = 2;
    o.reps = reps;
    o.backward = false;
    o.power_w = 0.0;  // energy is not planned here
    return model::profile_torchscript(o);
  };
  model::ModelProfile profile;
  std::vector<double> here_s;  // this machine's per-layer forward, s
  std::string profile_note;
  std::vector<model::Derivation> derived;
  if (auto file = args.value("--profile")) {
    profile = model::load_model(*file, cli::data_dir(), &derived);
    if (profile.layers.size() != L)
      throw InputError("--profile: " + *file + " has " + std::to_string(profile.layers.size()) +
                       " layers, the model " + std::to_string(L));
    for (std::size_t x = 0; x <= L; ++x) {
      const double want = executor->cut_bytes(x);
      const double got = x == 0 ? profile.input_bytes : profile.layers[x - 1].cut_bytes;
      if (got != want)
        throw InputError("--profile: cut " + std::to_string(x) + " of " + *file + " carries " +
                         exact_number(got) + " bytes, the model's " + exact_number(want) +
                         " (profile this model: hivemind profile)");
    }
    profile_note = "from " + *file;
    if (emulate && !dilation) {
      const model::TorchProfileResult r = measure_here(3);
      for (const auto& c : r.profile.devices.front().layers) here_s.push_back(c.forward_s);
    }
  } else {
    const model::TorchProfileResult r = measure_here(5);
    profile = r.profile;
    for (const auto& c : profile.devices.front().layers) here_s.push_back(c.forward_s);
    derived = model::derive_missing_classes(
        profile, model::load_latency_models(cli::data_dir() + "/devices/latency_models.json"));
    char line[256];
    std::snprintf(line, sizeof line, "measured on this machine (class cpu, %d thread%s): %s ms",
                  r.threads, r.threads == 1 ? "" : "s", ms(r.sum_layer_forward_s).c_str());
    profile_note = std::string(line) + " per forward (sum of layer medians)";
  }
  if (!derived.empty())
    std::cerr << one_line("hivemind run: " + model::describe(derived, model_name)) << "\n";
  split::Problem problem =
      model::problem_from_route(profile, route, catalog, model::CutSizes::kDag, args.budget());
  const int P = problem.node_count();
  check_interrupted();

  AutoDilation why;
  if (emulate && !dilation) why = auto_dilation(here_s, problem);
  const double D = emulate ? (dilation ? *dilation : why.dilation) : 1.0;

  const std::string problem_file = work.file("problem.json");
  write_text_file_atomic(problem_file, split::to_json(problem));

  std::vector<std::string> names;
  for (const auto& n : route.nodes) names.push_back(n.name);
  // File names and flag values through one_line: a name with a newline or ESC stays one line.
  std::printf("hivemind run: %s (%zu layers, input %s) on %s: %s\n", one_line(model_name).c_str(),
              L, one_line(input_spec).c_str(), one_line(route_path).c_str(),
              one_line(join(names, " -> ")).c_str());
  std::printf("per-layer times: %s\n", one_line(profile_note).c_str());
  if (emulate)
    std::printf("emulation: devices and links, dilation %.3g (%s)\n", D,
                dilation ? "--dilation" : ("auto: " + why.why).c_str());
  else
    std::printf(
        "emulation: off (nodes compute at this machine's speed over loopback; planned times "
        "are the route's devices and links; --emulate to emulate them)\n");
  std::fflush(stdout);

  // Daemons, sink first (each needs the addresses of every node after it); stopped by PID on
  // every exit path by the chain's destructor.
  const long long rounds = 1 + (replan_every > 0 ? requests / replan_every : 0);
  const double max_seconds =
      std::min(1e7, 120.0 + static_cast<double>(requests + rounds) * timeout_s);
  std::vector<std::string> extra = {"--model",       model_path,
                                    "--input",       input_spec,
                                    "--timeout-s",   std::to_string(timeout_s),
                                    "--max-seconds", std::to_string(max_seconds),
                                    "--log-level",   args.value_or("--log-level", "error")};
  if (emulate)
    extra.insert(extra.end(),
                 {"--emulate-devices", "--emulate-links", "--dilation", std::to_string(D)});
  if (tls.enabled())
    extra.insert(extra.end(), {"--tls-ca", tls.ca, "--tls-cert", tls.cert, "--tls-key", tls.key});
  const auto t_start = Clock::now();
  runtime::LocalChain chain(node_exe, work.path());
  const std::vector<std::string> after = chain.start(problem_file, P, extra, {}, /*wait_s=*/60.0);
  check_interrupted();
  std::printf("daemons: %d hivemind-node on %s, started in %.2f s\n", P - 1,
              runtime::join_addresses(after).c_str(),
              std::chrono::duration<double>(Clock::now() - t_start).count());

  runtime::NodeConfig config = runtime::node_config_from_problem(problem, 0, after);
  config.executor = executor;
  config.call_timeout_s = timeout_s;
  config.emulation = {emulate, emulate, D};
  config.tls = tls;
  config.log_level = log_level;
  runtime::Source source(config);
  std::uint64_t epoch = 1;
  runtime::PlanResult plan = source.plan(epoch);
  std::printf("\nplan (epoch %llu, SCI): boundaries %s (node p runs layers b_{p-1}+1..b_p)\n",
              static_cast<unsigned long long>(epoch), boundaries_text(plan.boundaries).c_str());
  std::printf(
      "  cost %s ms (planned end-to-end = dilation %.3g x cost = %s ms); SCI message %zu "
      "B; update %s ms (%s), round with the decisions %s ms%s\n",
      ms(plan.cost).c_str(), D, ms(plan.cost * D).c_str(), plan.message_bytes,
      ms(plan.update_s).c_str(), plan.pushed ? "pushed up the subscriptions" : "nested calls",
      ms(plan.round_s).c_str(),
      plan.absent.empty() ? "" : ("; absent nodes " + boundaries_text(plan.absent)).c_str());
  std::fflush(stdout);

  // The requests.
  torch::manual_seed(2026);
  std::map<int, NodeStats> stats;
  long long delivered = 0;  // results straight from the node that finished the task
  double e2e_sum = 0, e2e_min = std::numeric_limits<double>::infinity(), e2e_max = 0,
         planned_sum = 0, mono_sum = 0, worst_diff = 0, worst_scale = 0;
  int replans = 0, replans_changed = 0;
  long long trace_lines = 0;
  c10::IValue last_output;
  const std::vector<int> first_plan = plan.boundaries;
  for (long long task = 0; task < requests; ++task) {
    check_interrupted();
    for (const Reshape& r : shapes) {
      if (r.at != task) continue;
      if (r.link == 0)
        source.shape(r.up);
      else
        runtime::shape_link(after[static_cast<std::size_t>(r.link) - 1], r.up, tls, timeout_s);
      std::printf("before request %lld: link %d (%s -> %s) shaped to %.6g Mbit/s, %.6g ms\n", task,
                  r.link, one_line(route.nodes[static_cast<std::size_t>(r.link)].name).c_str(),
                  one_line(route.nodes[static_cast<std::size_t>(r.link) + 1].name).c_str(),
                  r.up.bandwidth_bytes_per_s * 8 / 1e6, r.up.overhead_s * 1e3);
    }
    if (replan_every > 0 && task > 0 && task % replan_every == 0) {
      const std::vector<int> before = plan.boundaries;
      plan = source.plan(++epoch);
      ++replans;
      if (plan.boundaries != before) {
        ++replans_changed;
        std::printf(
            "replan before request %lld (epoch %llu): boundaries %s, cost %s ms, round %s "
            "ms\n",
            task, static_cast<unsigned long long>(epoch), boundaries_text(plan.boundaries).c_str(),
            ms(plan.cost).c_str(), ms(plan.round_s).c_str());
      }
    }
    const std::vector<c10::IValue> inputs = input_file ? fixed_inputs : random_inputs(specs);
    const runtime::TaskResult r = source.run(static_cast<std::uint64_t>(task), clone(inputs));
    const auto m0 = Clock::now();
    const c10::IValue mono = executor->forward(clone(inputs));
    const double mono_s = std::chrono::duration<double>(Clock::now() - m0).count();
    const double diff = max_abs_diff(r.output, mono);
    const double scale = std::max(1.0, max_abs(mono));
    if (!(diff <= 1e-3 * scale))
      throw InputError("request " + std::to_string(task) + ": the split output differs from the " +
                       "monolithic forward by " + exact_number(diff) + " (tolerance " +
                       exact_number(1e-3 * scale) + "), plan " + boundaries_text(r.boundaries));
    worst_diff = std::max(worst_diff, diff);
    worst_scale = std::max(worst_scale, scale);
    e2e_sum += r.end_to_end_s;
    delivered += r.delivered;
    e2e_min = std::min(e2e_min, r.end_to_end_s);
    e2e_max = std::max(e2e_max, r.end_to_end_s);
    planned_sum += r.planned_s;
    mono_sum += mono_s;
    last_output = r.output;
    for (const runtime::NodeRun& n : r.runs) {
      NodeStats& s = stats[n.position];
      if (s.runs > 0 && (s.first_layer != n.first_layer || s.last_layer != n.last_layer))
        s.layers_changed = true;
      ++s.runs;
      s.first_layer = n.first_layer;
      s.last_layer = n.last_layer;
      s.compute_s += n.compute_s;
      s.planned_compute_s += n.planned_compute_s;
      s.bytes_in += static_cast<double>(n.bytes_in);
      s.transfer_s += n.transfer_in_s;
      s.planned_transfer_s += n.planned_transfer_in_s;
      s.retries += n.retries;
      if (trace_file) {
        const auto& rn = route.nodes.at(static_cast<std::size_t>(n.position));
        const nlohmann::json line = {{"task", task},
                                     {"node", n.position},
                                     {"name", rn.name},
                                     {"device_class", rn.device_class},
                                     {"first_layer", n.first_layer},
                                     {"last_layer", n.last_layer},
                                     {"compute_s", n.compute_s},
                                     {"planned_compute_s", n.planned_compute_s},
                                     {"bytes_in", n.bytes_in},
                                     {"transfer_in_s", n.transfer_in_s},
                                     {"planned_transfer_in_s", n.planned_transfer_in_s},
                                     {"return_s", n.return_s},
                                     {"planned_return_s", n.planned_return_s},
                                     {"retries", n.retries},
                                     {"bypassed", n.bypassed}};
        trace_file->write(line.dump() + "\n");
        ++trace_lines;
      }
    }
    if (trace_file) {
      const nlohmann::json line = {{"task", task},
                                   {"epoch", epoch},
                                   {"boundaries", r.boundaries},
                                   {"end_to_end_s", r.end_to_end_s},
                                   {"delivered", r.delivered},
                                   {"planned_s", r.planned_s},
                                   {"monolithic_s", mono_s},
                                   {"max_abs_diff", diff}};
      trace_file->write(line.dump() + "\n");
      ++trace_lines;
    }
  }

  // The report.
  const double n = static_cast<double>(requests);
  std::printf("\n%lld request%s (%s):\n", requests, requests == 1 ? "" : "s",
              one_line(input_file ? "input " + *input_file
                                  : "random N(0,1) inputs " + input_spec + ", seed 2026")
                  .c_str());
  std::printf("%-10s %-10s %-9s %23s %13s %24s\n", "node", "class", "layers",
              "compute ms meas/plan", "received KB", "transfer ms meas/plan");
  for (int position = 0; position < P; ++position) {
    const auto& rn = route.nodes.at(static_cast<std::size_t>(position));
    const auto it = stats.find(position);
    if (it == stats.end()) {
      std::printf(
          "%-10s %-10s %-9s not reached (deliver: %s: the result returns from the node that "
          "runs the last layer)\n",
          one_line(rn.name).c_str(), one_line(rn.device_class).c_str(), "-",
          std::string(split::to_string(problem.deliver)).c_str());
      continue;
    }
    const NodeStats& s = it->second;
    const std::string layers = s.first_layer > s.last_layer ? "-"
                                                            : std::to_string(s.first_layer) + ".." +
                                                                  std::to_string(s.last_layer);
    const double k = s.runs;
    char compute[64], transfer[64];
    std::snprintf(compute, sizeof compute, "%10.3f / %10.3f", s.compute_s / k * 1e3,
                  s.planned_compute_s / k * 1e3);
    if (position == 0)
      std::snprintf(transfer, sizeof transfer, "%24s", "-");
    else
      std::snprintf(transfer, sizeof transfer, "%10.3f / %10.3f", s.transfer_s / k * 1e3,
                    s.planned_transfer_s / k * 1e3);
    std::printf("%-10s %-10s %-9s %23s %13.1f %24s%s%s\n", one_line(rn.name).c_str(),
                one_line(rn.device_class).c_str(), (layers + (s.layers_changed ? "*" : "")).c_str(),
                compute, s.bytes_in / k / 1e3, transfer,
                s.runs < requests ? (" (in " + std::to_string(s.runs) + " requests)").c_str() : "",
                s.retries ? (" retries " + std::to_string(s.retries)).c_str() : "");
  }
  bool changed = false;
  for (const auto& [position, s] : stats) changed = changed || s.layers_changed;
  if (changed) std::printf("* layers of the last request (a replan moved them)\n");
  const double e2e = e2e_sum / n, planned = planned_sum / n;
  std::printf(
      "end-to-end: mean %s ms, min %s ms, max %s ms; planned %s ms (dilation %.3g x plan "
      "cost); measured / planned %.3f\n",
      ms(e2e).c_str(), ms(e2e_min).c_str(), ms(e2e_max).c_str(), ms(planned).c_str(), D,
      planned > 0 ? e2e / planned : 0.0);
  std::printf(
      "results: %lld of %lld came straight from the node that finished the task (Deliveries)\n",
      delivered, requests);
  std::printf("monolithic forward on this machine: %s ms (mean of %lld)\n",
              ms(mono_sum / n).c_str(), requests);
  std::printf(
      "max abs diff vs monolithic: %.3g (largest |output| %.3g; tolerance 1e-3 x that, "
      "at least 1e-3)\n",
      worst_diff, worst_scale);
  if (replan_every > 0)
    std::printf(
        "planning rounds: %d after the first (every %lld requests), %d changed the plan "
        "(first %s, last %s)\n",
        replans, replan_every, replans_changed, boundaries_text(first_plan).c_str(),
        boundaries_text(plan.boundaries).c_str());

  // Outputs: both renamed into place together, after the last request.
  if (out_check) {
    const std::vector<char> bytes = torch::pickle_save(last_output);
    out_check->write(std::string_view(bytes.data(), bytes.size()));
  }
  outputs.commit();
  if (out_check)
    std::printf("output of request %lld written to %s (torch.save format)\n", requests - 1,
                one_line(out_check->path()).c_str());
  if (trace_file)
    std::printf("trace written to %s (%lld lines)\n", one_line(trace_file->path()).c_str(),
                trace_lines);
  if (work.kept()) std::printf("work folder kept: %s\n", one_line(work.path()).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return hivemind::run_guarded("hivemind: run", [&]() -> int {
    try {
      return run(args);
    } catch (const hivemind::InputError&) {
      throw;
    } catch (const std::exception& e) {
      // LibTorch and gRPC failures (a model that fails, a tensor it refuses): one line, exit 2.
      throw hivemind::InputError(first_line(e.what()));
    }
  });
}
