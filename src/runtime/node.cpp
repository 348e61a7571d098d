#include "hivemind/runtime/node.hpp"

#include <grpcpp/grpcpp.h>
#include <torch/serialize.h>

#include <chrono>
#include <memory>

#include "node_logic.hpp"

namespace hivemind::runtime {

using namespace detail;

LogLevel parse_log_level(const std::string& name) {
  if (name == "error") return LogLevel::kError;
  if (name == "warn") return LogLevel::kWarn;
  if (name == "info") return LogLevel::kInfo;
  if (name == "debug") return LogLevel::kDebug;
  throw InputError("--log-level: \"" + name + "\" is not one of error, warn, info, debug");
}

NodeConfig node_config_from_problem(const split::Problem& problem, int position,
                                    const std::vector<std::string>& downstream) {
  split::validate(problem);
  const int P = problem.node_count();
  if (position < 0 || position >= P)
    throw InputError("--position: " + std::to_string(position) + " is outside the chain's 0.." +
                     std::to_string(P - 1));
  NodeConfig c;
  c.position = position;
  c.sink = position == P - 1;
  c.task = split::TaskTraffic::of(problem);
  c.architecture = split::architecture_hash(problem);
  c.compute_s = problem.nodes[static_cast<std::size_t>(position)].compute_s;
  if (position > 0) c.incoming = problem.links[static_cast<std::size_t>(position - 1)];
  const std::size_t after = static_cast<std::size_t>(P - 1 - position);
  if (downstream.size() != after)
    throw InputError("--downstream: node " + std::to_string(position) + " of " + std::to_string(P) +
                     " needs the addresses of the " + std::to_string(after) +
                     " nodes after it, got " + std::to_string(downstream.size()));
  for (std::size_t k = 0; k < after; ++k) {
    if (downstream[k].empty())
      throw InputError("--downstream: address " + std::to_string(k + 1) + " is empty");
    c.downstream.push_back({downstream[k], problem.links[static_cast<std::size_t>(position) + k]});
  }
  return c;
}

// The source's subscription to node 1's SCI messages (SciSubscribe) on a completion queue of
// its own, waited on in the caller's thread; one operation in flight at a time.
class SourceFeed {
 public:
  explicit SourceFeed(NodeLogic& logic) : reader_(logic.subscribe(ctx_, cq_)) {
    reader_->StartCall(this);
    pending_ = true;
  }
  ~SourceFeed() {
    ctx_.TryCancel();
    void* tag = nullptr;
    bool ok = false;
    if (pending_) cq_.Next(&tag, &ok);
    grpc::Status status;
    reader_->Finish(&status, this);
    cq_.Next(&tag, &ok);
    cq_.Shutdown();
    while (cq_.Next(&tag, &ok)) {
    }
  }
  // The subscriptions down to the sink stand (node 1's initial metadata came) by `deadline`.
  bool ready(Clock::time_point deadline) {
    if (ready_) return true;
    if (!await(deadline)) return false;  // the start
    reader_->ReadInitialMetadata(this);
    pending_ = true;
    return ready_ = await(deadline);
  }
  // The next message pushed up by `deadline`; false: none came, or the stream ended.
  bool next(Clock::time_point deadline, std::string& bytes) {
    if (broken_) return false;
    reader_->Read(&message_, this);
    pending_ = true;
    if (!await(deadline)) return false;
    bytes = message_.message();
    return true;
  }

 private:
  bool await(Clock::time_point deadline) {
    if (broken_) return false;
    void* tag = nullptr;
    bool ok = false;
    const auto until = std::chrono::system_clock::now() + (deadline - Clock::now());
    if (cq_.AsyncNext(&tag, &ok, until) != grpc::CompletionQueue::GOT_EVENT) {
      broken_ = true;  // still in flight: the destructor cancels it
      return false;
    }
    pending_ = false;
    broken_ = !ok;
    return ok;
  }

  grpc::ClientContext ctx_;
  grpc::CompletionQueue cq_;
  std::unique_ptr<grpc::ClientAsyncReader<hivemind::v1::SciReply>> reader_;
  hivemind::v1::SciReply message_;
  bool pending_ = false, ready_ = false, broken_ = false;
};

struct Source::Impl {
  explicit Impl(NodeConfig c) : logic(std::move(c)) {}
  // The SCI update as pushed up the subscriptions (Fig. 5, step 1): the sink starts it, each
  // node steps on its neighbour's message and sends its own up. False where any part fails
  // (a node below died or missed the deadline): the caller then runs the nested update, which
  // bypasses absent nodes; the next round subscribes anew.
  bool pushed_update(std::uint64_t epoch, std::size_t* received_bytes) {
    const auto deadline = Clock::now() + to_duration(logic.config().call_timeout_s);
    if (!feed) feed = std::make_unique<SourceFeed>(logic);
    if (!feed->ready(deadline) || !logic.start_at_sink(epoch).ok()) return false;
    std::string bytes;
    do {  // messages of earlier rounds that timed out are stepped past
      if (!feed->next(deadline, bytes)) return false;
      logic.pushed(bytes);
    } while (logic.epoch() != epoch);
    *received_bytes = bytes.size();
    return true;
  }
  NodeLogic logic;
  std::unique_ptr<SourceFeed> feed;
  std::vector<int> boundaries;
  double cost = 0.0;
  std::uint64_t epoch = 0;
};

Source::Source(NodeConfig config) {
  if (config.position != 0)
    throw InputError("source: node " + std::to_string(config.position) + " is not the source");
  impl_ = std::make_unique<Impl>(std::move(config));
}

Source::~Source() = default;

PlanResult Source::plan(std::uint64_t epoch) {
  const auto t0 = Clock::now();
  PlanResult r;
  r.pushed = impl_->pushed_update(epoch, &r.message_bytes);
  if (!r.pushed) {
    impl_->feed.reset();
    impl_->logic.update(epoch, &r.message_bytes);
  }
  r.update_s = seconds_since(t0);
  hivemind::v1::PlanReply reply;
  impl_->logic.plan(0, reply);
  r.boundaries.assign(reply.boundaries().begin(), reply.boundaries().end());
  r.absent.assign(reply.absent().begin(), reply.absent().end());
  r.cost = impl_->logic.zeta1();
  r.round_s = seconds_since(t0);
  impl_->boundaries = r.boundaries;
  impl_->cost = r.cost;
  impl_->epoch = epoch;
  return r;
}

TaskResult Source::run(std::uint64_t task, const std::vector<c10::IValue>& inputs) {
  if (impl_->boundaries.empty()) throw InputError("source: run a planning round first");
  const NodeConfig& c = impl_->logic.config();
  const auto t0 = Clock::now();
  hivemind::v1::TaskRequest req;
  req.set_task(task);
  req.set_cut(0);
  hivemind::v1::TaskReply reply;
  impl_->logic.run(req, inputs, 0, Clock::now() + to_duration(c.call_timeout_s), reply);
  TaskResult r;
  r.end_to_end_s = seconds_since(t0);
  try {
    r.output = torch::pickle_load(std::vector<char>(reply.result().begin(), reply.result().end()));
  } catch (const std::exception& e) {
    throw InputError("task " + std::to_string(task) + ": the result is not a pickled value (" +
                     one_line(e.what()) + ")");
  }
  bool retried = false;
  for (const auto& n : reply.runs()) {
    NodeRun run;
    run.position = n.position();
    run.first_layer = n.first_layer();
    run.last_layer = n.last_layer();
    run.compute_s = n.compute_s();
    run.planned_compute_s = n.planned_compute_s();
    run.bytes_in = static_cast<std::size_t>(n.bytes_in());
    run.transfer_in_s = n.transfer_in_s();
    run.planned_transfer_in_s = n.planned_transfer_in_s();
    run.return_s = n.return_s();
    run.planned_return_s = n.planned_return_s();
    run.retries = n.retries();
    run.bypassed.assign(n.bypassed().begin(), n.bypassed().end());
    retried = retried || run.retries > 0;
    r.runs.push_back(std::move(run));
  }
  r.boundaries = impl_->boundaries;
  r.planned_s = impl_->cost * c.emulation.dilation;
  // A node was bypassed: the SCI is re-run from here without it (its compute removed), so the
  // nodes upstream of the bypass plan on the chain as it now is.
  if (retried) plan(impl_->epoch + 1);
  return r;
}

void Source::shape(const split::LinkDirection& up) { impl_->logic.shape(up); }

PlanResult plan_from_source(const NodeConfig& source, std::uint64_t epoch) {
  return Source(source).plan(epoch);
}

void shape_link(const std::string& address, const split::LinkDirection& up, const TlsFiles& tls,
                double timeout_s) {
  auto stub = hivemind::v1::Node::NewStub(
      grpc::CreateCustomChannel(address, channel_credentials(tls), channel_arguments()));
  hivemind::v1::ShapeRequest req;
  req.set_bandwidth_bytes_per_s(up.bandwidth_bytes_per_s);
  req.set_overhead_s(up.overhead_s);
  hivemind::v1::ShapeReply reply;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + to_duration(timeout_s));
  const grpc::Status s = stub->Shape(&ctx, req, &reply);
  if (!s.ok()) throw InputError(status_line(s, "shape " + address));
}

}  // namespace hivemind::runtime
