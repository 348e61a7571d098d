// hivemind-node: one HiveMind node as a daemon (issue 13; include/hivemind/runtime/node.hpp).
// It prints "port N" on its first stdout line once it listens, serves the SCI update and the
// decisions of node.proto, and stops on SIGTERM/SIGINT or after --max-seconds.
// Configured by its own node file (--config, runtime/node_file.hpp: one file per host) or by
// a whole problem file and flags (--problem --position). With --plan it is the source (node
// 0): it runs one planning round through the chain, prints the plan and exits.
#include <grpc/support/log.h>
#include <semaphore.h>
#include <sys/prctl.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <utility>

#include "args.hpp"
#include "commands.hpp"
#include "hivemind/error.hpp"
#include "hivemind/runtime/node.hpp"
#include "hivemind/runtime/node_file.hpp"
#include "hivemind/split/problem_io.hpp"

namespace {

using namespace hivemind;
using namespace hivemind::runtime;

constexpr const char* kHelp = R"(usage: hivemind-node --config NODE.json [--plan] [options]
       hivemind-node --problem PROBLEM.json --position P [options]

One node of a HiveMind chain as a daemon (gRPC, proto/hivemind/v1/node.proto). It knows only
what the paper's node knows (Sec. IV-C): its own per-layer compute costs, the link it receives
data on, the task's cut bytes and deliver mode, and the addresses of the nodes after it. It
takes part in the SCI update (Algorithm 1) with the codec's messages, keeps its split table
and runs its layers of split tasks.

a node file (one per host; docs/runtime.md, "Deploying: one node file per host"):
  --config NODE.json    format hivemind.node/v1, the whole configuration of this node:
                        name, position, nodes (the chain's length), device_class,
                        speed_scale, model, input, profile (absent: the model is profiled
                        here at start-up and a note on stderr says what was derived),
                        incoming (the link into it), downstream (address of each node after
                        it, neighbour first, with the link into that node), deliver, listen,
                        emulation, tls, estimate_links, log_level, timeout_s,
                        max_inflight_mib. Link fields as
                        in a route: bandwidth_mbps, overhead_ms, down_bandwidth_mbps,
                        down_overhead_ms. Paths are relative to the file's folder; device
                        classes resolve in $HIVEMIND_DATA/devices (default: the data/ of the
                        source tree it was built from). No flag overrides a field: with
                        --config only the options of the last group below are accepted

a problem file (every node started from the same file):
  --problem FILE        the problem (hivemind.problem/v1); node P's part is used
  --position P          this node's position, 0 = the source (UE)
  --downstream ADDRS    host:port of every node after P, comma-separated, neighbour first
                        (every node but the sink); the others are used only to bypass a
                        neighbour that misses its deadline
  --model FILE.pt       the TorchScript model it executes for split tasks (its layers must be
                        the problem's: build the problem from its profile); without it the
                        node only plans
  --input SPEC          the model's input shapes, as hivemind profile --input (with --model)
  --listen ADDR         where to listen (default 127.0.0.1:0: a free port, printed)
  --timeout-s S         deadline of each call downstream (default 5); a task's covers the
                        whole rest of the chain. Also the node's bound on serving a call:
                        it never waits longer for a caller, whatever deadline it sent
  --max-inflight-mib M  memory budget for the tasks it holds at once (default 1024): each
                        counts 3x its message; one past it is refused (RESOURCE_EXHAUSTED),
                        and gRPC's buffers are held to it too
  --emulate-devices     pad each layer's real time up to its profile time x dilation
  --emulate-links       shape each send downstream to (bytes / bandwidth + overhead) x
                        dilation (a token bucket plus delay; re-shapeable while running);
                        every emulated link needs a bandwidth of 1 kB/s to 10 TB/s and an
                        overhead of 0 to 10 s, and no wait passes a task's deadline
  --dilation D          the emulation's time dilation, >= 1 (default 1): run every emulated
                        time D times slower so that classes faster than this machine can be
                        padded (docs/runtime.md)
  --no-estimate         plan with the configured incoming link; by default the node estimates
                        it from the transfers it receives (the median of the last 5, each
                        within 0..--timeout-s) for the next SCI update
  --tls-ca F --tls-cert F --tls-key F
                        mutual TLS (PEM files): serve and call only with certificates signed
                        by the CA
  --log-level L         error | warn | info | debug (default error: quiet, failures are
                        replies), on stderr; warn shows bypassed nodes, info SCI rounds

either way:
  --plan                source only: run one planning round through the chain, print the
                        plan (boundaries, cost, SCI message bytes, round time) and exit
  --epoch N             the planning round's number (default 1)
  --max-seconds S       stop serving after S seconds (default 3600)
  --die-with-parent     stop when the parent process dies (tests)
  -h, --help            this help

Exit code 0 on success, 2 on bad input or a planning round that fails (one line on stderr).
)";

// What --config covers: each flag and the node file's field that sets it instead.
constexpr std::pair<const char*, const char*> kFileFields[] = {
    {"--problem", "position, nodes, device_class, incoming, downstream"},
    {"--position", "position"},
    {"--downstream", "downstream"},
    {"--listen", "listen"},
    {"--model", "model"},
    {"--input", "input"},
    {"--timeout-s", "timeout_s"},
    {"--max-inflight-mib", "max_inflight_mib"},
    {"--dilation", "emulation.dilation"},
    {"--emulate-devices", "emulation.devices"},
    {"--emulate-links", "emulation.links"},
    {"--no-estimate", "estimate_links"},
    {"--tls-ca", "tls.ca"},
    {"--tls-cert", "tls.cert"},
    {"--tls-key", "tls.key"},
    {"--log-level", "log_level"},
};

// --problem mode: node --position's part of the problem file, the rest from flags.
NodeConfig from_flags(const cli::Args& args, std::string& listen) {
  const auto problem_path = args.value("--problem");
  if (!problem_path) throw InputError("--problem: required (or --config NODE.json)");
  const split::Problem problem = split::load_problem(*problem_path);
  const int position =
      static_cast<int>(args.integer_or("--position", -1, 0, problem.node_count() - 1));
  if (position < 0) throw InputError("--position: required");
  std::vector<std::string> downstream;
  if (const auto list = args.value("--downstream")) downstream = cli::split_list(*list, ',');
  NodeConfig config = node_config_from_problem(problem, position, downstream);
  config.call_timeout_s = args.number_or("--timeout-s", 5.0, 1e-3, 3600);
  config.max_inflight_bytes = static_cast<std::uint64_t>(
      args.integer_or("--max-inflight-mib", static_cast<long long>(kDefaultMaxInflightBytes >> 20),
                      1, 1 << 20)
      << 20);
  config.emulation.devices = args.flag("--emulate-devices");
  config.emulation.links = args.flag("--emulate-links");
  config.emulation.dilation = args.number_or("--dilation", 1.0, 1.0, 1e6);
  config.estimate_links = !args.flag("--no-estimate");
  config.tls = {args.value_or("--tls-ca", ""), args.value_or("--tls-cert", ""),
                args.value_or("--tls-key", "")};
  config.log_level = parse_log_level(args.value_or("--log-level", "error"));
  if (auto model = args.value("--model")) {
    const auto input = args.value("--input");
    if (!input) throw InputError("--input: required with --model");
    auto executor =
        std::make_shared<model::TorchLayerExecutor>(*model, model::parse_torch_inputs(*input));
    if (static_cast<int>(executor->layer_count()) != problem.layers)
      throw InputError("--model: " + *model + " has " + std::to_string(executor->layer_count()) +
                       " layers, the problem " + std::to_string(problem.layers));
    // The problem must be this model's: every cut carries what the executor's cut holds.
    for (int x = 0; x <= problem.layers; ++x)
      if (executor->cut_bytes(static_cast<std::size_t>(x)) != problem.cut_bytes(x))
        throw InputError("--model: cut " + std::to_string(x) + " of " + *model + " carries " +
                         std::to_string(executor->cut_bytes(static_cast<std::size_t>(x))) +
                         " bytes, the problem says " + std::to_string(problem.cut_bytes(x)) +
                         " (build the problem from this model's profile)");
    config.executor = std::move(executor);
  }
  listen = args.value_or("--listen", "127.0.0.1:0");
  return config;
}

// --config mode: the node file alone (runtime/node_file.hpp); a flag it covers is refused.
NodeConfig from_file(const cli::Args& args, std::string& listen) {
  for (const auto& [flag, field] : kFileFields)
    if (args.value(flag) || args.flag(flag))
      throw InputError(std::string(flag) + ": not with --config (the node file's " + field +
                       " sets it; no flag overrides the file)");
  std::string note;
  NodeFile file = load_node_config(*args.value("--config"), cli::data_dir(), &note);
  if (args.flag("--plan") && file.config.position != 0)
    throw InputError("--plan: the node file's position is " + std::to_string(file.config.position) +
                     "; only the source (0) plans");
  if (!note.empty()) std::cerr << "hivemind-node: " << one_line(note) << "\n";
  listen = file.listen;
  return std::move(file.config);
}

// Posted by SIGTERM and SIGINT (sem_post is async-signal-safe); the main thread waits on it
// instead of waking to poll a flag.
sem_t g_stop;
void on_signal(int) { sem_post(&g_stop); }

}  // namespace

int main(int argc, char** argv) {
  using namespace hivemind;
  return run_guarded("hivemind-node", [&] {
    const std::vector<std::string> argv_vec(argv + 1, argv + argc);
    cli::Args args(
        argv_vec,
        {"--config", "--problem", "--position", "--downstream", "--listen", "--epoch",
         "--timeout-s", "--max-inflight-mib", "--max-seconds", "--model", "--input", "--dilation",
         "--tls-ca", "--tls-cert", "--tls-key", "--log-level"},
        {"--plan", "--die-with-parent", "--emulate-devices", "--emulate-links", "--no-estimate"});
    if (args.help()) {
      std::cout << kHelp;
      return 0;
    }
    if (args.flag("--die-with-parent")) ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    // gRPC's own log lines would break "one line on stderr": every failure it reports reaches
    // us as a status, which we print as that one line.
    gpr_set_log_function([](gpr_log_func_args*) {});
    std::string listen;
    const runtime::NodeConfig config =
        args.value("--config") ? from_file(args, listen) : from_flags(args, listen);
    if (args.flag("--plan")) {
      const auto epoch = static_cast<std::uint64_t>(args.integer_or("--epoch", 1, 0, 1LL << 62));
      const runtime::PlanResult r = runtime::plan_from_source(config, epoch);
      std::printf("boundaries [");
      for (std::size_t i = 0; i < r.boundaries.size(); ++i)
        std::printf("%s%d", i ? ", " : "", r.boundaries[i]);
      std::printf("]\ncost %.9g\nsci_message_bytes %zu\nround_ms %.3f\n", r.cost, r.message_bytes,
                  r.round_s * 1e3);
      return 0;
    }
    runtime::NodeServer server(config, listen);
    std::printf("port %d\n", server.port());
    std::fflush(stdout);
    sem_init(&g_stop, 0, 0);
    std::signal(SIGTERM, on_signal);
    std::signal(SIGINT, on_signal);
    const double max_s = args.number_or("--max-seconds", 3600.0, 1e-3, 1e7);
    // sem_timedwait's deadline is absolute, on the system clock.
    const auto end =
        std::chrono::system_clock::now() +
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(max_s));
    const std::int64_t end_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(end.time_since_epoch()).count();
    const timespec until{static_cast<time_t>(end_ns / 1000000000),
                         static_cast<long>(end_ns % 1000000000)};
    while (sem_timedwait(&g_stop, &until) != 0 && errno == EINTR) {
    }
    server.shutdown();
    return 0;
  });
}
