#include "hivemind/runtime/node.hpp"

#include <grpcpp/grpcpp.h>
#include <torch/serialize.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <set>

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

// How long a planning round waits for the Deliveries subscriptions to stand (s).
constexpr double kDeliveriesReadyS = 5.0;

// The source's side of Deliveries: a subscription to every downstream node's finished tasks
// and the source's Run calls, on one completion queue waited on in the caller's thread. A
// task is done when its result arrives over a subscription, or when its Run call returns it
// (a node finished it without a subscriber). The Run call of a task already delivered stays
// in flight until the acknowledgements come up the chain, and is then freed.
class SourceDeliveries {
 public:
  explicit SourceDeliveries(NodeLogic& logic) : logic_(logic), token_(random_token()) {
    for (std::size_t k = 0; k < logic.peer_count(); ++k) {
      auto st = std::make_unique<Stream>();
      st->reader = logic.deliveries(k, token_, st->ctx, cq_);
      st->reader->StartCall(st.get());
      streams_.push_back(std::move(st));
    }
  }
  // The token the source's tasks carry (TaskRequest::deliver_to).
  std::uint64_t token() const { return token_; }
  // Every subscription stands (its node sent its initial metadata) or has ended, by `deadline`.
  void wait_ready(Clock::time_point deadline) {
    const auto until = std::chrono::system_clock::now() + (deadline - Clock::now());
    while (std::any_of(streams_.begin(), streams_.end(),
                       [](const auto& st) { return st->state < Stream::kReading; })) {
      void* tag = nullptr;
      bool ok = false;
      if (cq_.AsyncNext(&tag, &ok, until) != grpc::CompletionQueue::GOT_EVENT) return;
      handle(tag, ok);
    }
  }
  ~SourceDeliveries() {
    closing_ = true;
    for (auto& st : streams_) st->ctx.TryCancel();
    for (Call* c : calls_) c->ctx.TryCancel();
    void* tag = nullptr;
    bool ok = false;
    while (!calls_.empty() || std::any_of(streams_.begin(), streams_.end(), [](const auto& st) {
      return st->state != Stream::kDone;
    })) {
      if (!cq_.Next(&tag, &ok)) break;
      handle(tag, ok);
    }
    cq_.Shutdown();
    while (cq_.Next(&tag, &ok)) {
    }
  }
  // A subscription ended (its node died or restarted): the next round subscribes anew.
  bool broken() const {
    return std::any_of(streams_.begin(), streams_.end(),
                       [](const auto& st) { return st->state == Stream::kDone; });
  }
  // The task `req` sent to peers_[target]: its result by `deadline` (`reply.delivered`: it
  // came over a subscription), or the Run call's error status.
  grpc::Status forward(std::size_t target, const hivemind::v1::TaskRequest& req,
                       hivemind::v1::TaskReply& reply, Clock::time_point deadline) {
    auto* call = new Call();
    call->reader = logic_.run_on(target, call->ctx, req, cq_, deadline);
    call->reader->Finish(&call->reply, &call->status, call);
    calls_.insert(call);
    task_ = req.task();
    got_.reset();
    struct Done {  // later deliveries are stale
      std::optional<std::uint64_t>& task;
      ~Done() { task.reset(); }
    } done_waiting{task_};
    bool acknowledged = false;  // the chain says the result went over a subscription
    // The call ends by its deadline; a delivery it announced gets a second more.
    const auto until =
        std::chrono::system_clock::now() + (deadline - Clock::now()) + std::chrono::seconds(1);
    for (;;) {
      if (got_) {
        reply = std::move(*got_);
        reply.set_delivered(true);
        got_.reset();
        return grpc::Status::OK;
      }
      void* tag = nullptr;
      bool ok = false;
      if (cq_.AsyncNext(&tag, &ok, until) != grpc::CompletionQueue::GOT_EVENT)
        return {grpc::StatusCode::DEADLINE_EXCEEDED,
                acknowledged ? "the result was sent to the source but did not arrive"
                             : "no answer in time"};
      if (tag != call) {
        handle(tag, ok);
        continue;
      }
      calls_.erase(call);
      std::unique_ptr<Call> done(call);
      if (!done->status.ok()) return done->status;
      if (!done->reply.delivered()) {
        reply = std::move(done->reply);
        return grpc::Status::OK;
      }
      acknowledged = true;
    }
  }

 private:
  struct Stream {
    enum State { kStarting, kMetadata, kReading, kFinishing, kDone };
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientAsyncReader<hivemind::v1::TaskReply>> reader;
    hivemind::v1::TaskReply message;
    grpc::Status status;
    State state = kStarting;
  };
  struct Call {
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientAsyncResponseReader<hivemind::v1::TaskReply>> reader;
    hivemind::v1::TaskReply reply;
    grpc::Status status;
  };
  // An event of a subscription, or of a Run call left in flight.
  void handle(void* tag, bool ok) {
    if (auto it = calls_.find(static_cast<Call*>(tag)); it != calls_.end()) {
      delete *it;
      calls_.erase(it);
      return;
    }
    auto* st = static_cast<Stream*>(tag);
    if (st->state == Stream::kFinishing) {
      st->state = Stream::kDone;
      return;
    }
    if (st->state == Stream::kReading && ok && task_ && st->message.task() == *task_)
      got_ = std::move(st->message);
    if (!ok || closing_) {
      st->state = Stream::kFinishing;
      st->reader->Finish(&st->status, st);
      return;
    }
    if (st->state == Stream::kStarting) {
      st->state = Stream::kMetadata;
      st->reader->ReadInitialMetadata(st);
      return;
    }
    st->state = Stream::kReading;
    st->reader->Read(&st->message, st);
  }
  static std::uint64_t random_token() {
    std::random_device device;
    std::uint64_t t = 0;
    while (t == 0)
      t = (static_cast<std::uint64_t>(device()) << 32) ^ static_cast<std::uint64_t>(device());
    return t;
  }

  NodeLogic& logic_;
  const std::uint64_t token_;
  grpc::CompletionQueue cq_;
  std::vector<std::unique_ptr<Stream>> streams_;
  std::set<Call*> calls_;              // in flight
  std::optional<std::uint64_t> task_;  // the task waited for
  std::optional<hivemind::v1::TaskReply> got_;
  bool closing_ = false;
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
  std::unique_ptr<SourceDeliveries> deliveries;
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
  // The subscriptions for results (Deliveries), anew where one ended. A node whose
  // subscription does not stand within 5 s (or the call timeout) returns results up the chain.
  if (!impl_->deliveries || impl_->deliveries->broken()) {
    impl_->deliveries.reset();
    impl_->deliveries = std::make_unique<SourceDeliveries>(impl_->logic);
    impl_->deliveries->wait_ready(
        Clock::now() +
        to_duration(std::min(kDeliveriesReadyS, impl_->logic.config().call_timeout_s)));
  }
  return r;
}

TaskResult Source::run(std::uint64_t task, const std::vector<c10::IValue>& inputs) {
  if (impl_->boundaries.empty()) throw InputError("source: run a planning round first");
  const NodeConfig& c = impl_->logic.config();
  const auto t0 = Clock::now();
  hivemind::v1::TaskRequest req;
  req.set_task(task);
  req.set_cut(0);
  if (impl_->deliveries) req.set_deliver_to(impl_->deliveries->token());
  hivemind::v1::TaskReply reply;
  NodeLogic::Handoff handoff;
  if (impl_->deliveries)
    handoff.forward = [this](std::size_t target, const hivemind::v1::TaskRequest& next,
                             hivemind::v1::TaskReply& down, Clock::time_point deadline) {
      return impl_->deliveries->forward(target, next, down, deadline);
    };
  impl_->logic.run(req, inputs, 0, Clock::now() + to_duration(c.call_timeout_s), reply, handoff);
  TaskResult r;
  r.end_to_end_s = seconds_since(t0);
  r.delivered = reply.delivered();
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

void check_emulated_link(const split::LinkDirection& d, const std::string& what) {
  const auto number = [](double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", v);
    return std::string(text);
  };
  const double b = d.bandwidth_bytes_per_s, o = d.overhead_s;
  if (!(b >= kMinEmulatedBandwidth && b <= kMaxEmulatedBandwidth))
    throw InputError(what + ": bandwidth " + number(b) + " B/s is outside [" +
                     number(kMinEmulatedBandwidth) + ", " + number(kMaxEmulatedBandwidth) +
                     "] B/s");
  if (!(o >= 0.0 && o <= kMaxEmulatedOverheadS))
    throw InputError(what + ": overhead " + number(o) + " s is outside [0, " +
                     number(kMaxEmulatedOverheadS) + "] s");
}

void shape_link(const std::string& address, const split::LinkDirection& up, const TlsFiles& tls,
                double timeout_s) {
  auto stub = hivemind::v1::Node::NewStub(
      grpc::CreateCustomChannel(address, channel_credentials(tls), channel_arguments()));
  hivemind::v1::Link req;
  req.set_bandwidth_bytes_per_s(up.bandwidth_bytes_per_s);
  req.set_overhead_s(up.overhead_s);
  hivemind::v1::ShapeReply reply;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + to_duration(timeout_s));
  const grpc::Status s = stub->Shape(&ctx, req, &reply);
  if (!s.ok()) throw InputError(status_line(s, "shape " + address));
}

}  // namespace hivemind::runtime
