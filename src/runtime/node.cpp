#include "hivemind/runtime/node.hpp"

#include <grpcpp/grpcpp.h>
#include <torch/serialize.h>

#include <chrono>
#include <mutex>

#include "hivemind/error.hpp"
#include "hivemind/split/sci.hpp"
#include "hivemind/split/sci_codec.hpp"
#include "hivemind/v1/node.grpc.pb.h"

namespace hivemind::runtime {

namespace {

using Clock = std::chrono::steady_clock;

// Largest message a node accepts: a cut's live values can be far above gRPC's 4 MB default
// (VGG-16 at 224 px: 12.8 MB after its first convolution); bounded like every input file
// (hivemind/io.hpp, 256 MiB).
constexpr int kMaxMessageBytes = 256 * 1024 * 1024;

grpc::ChannelArguments channel_arguments() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  return args;
}

// Node p's own rows (cost_model.hpp): its compute row (Eq. 7) and its incoming link's row
// (Eq. 10), built from its own data.
struct Rows {
  std::vector<double> compute, incoming;
};

Rows own_rows(const NodeConfig& c) {
  Rows r;
  split::build_compute_row(c.compute_s, {}, 1.0, 1.0, r.compute);
  if (c.incoming)
    split::build_transfer_row(c.task, split::latency_of(c.incoming->up),
                              split::latency_of(c.incoming->down), 1.0, r.incoming);
  return r;
}

grpc::ClientContext& with_deadline(grpc::ClientContext& ctx, double seconds) {
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::microseconds(static_cast<long long>(seconds * 1e6)));
  return ctx;
}

std::string status_line(const grpc::Status& s, const std::string& who) {
  return who + ": " +
         (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ? "no answer in time"
                                                                : s.error_message());
}

// The live values of a cut on the wire: one tuple, torch.save's pickle format.
std::string pickle(const std::vector<c10::IValue>& values) {
  const std::vector<char> bytes = torch::pickle_save(c10::ivalue::Tuple::create(values));
  return std::string(bytes.begin(), bytes.end());
}

std::vector<c10::IValue> unpickle(const std::string& bytes, const std::string& what) {
  try {
    const c10::IValue v = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
    if (!v.isTuple()) throw InputError(what + ": not a tuple of values");
    const auto& elements = v.toTupleRef().elements();
    return std::vector<c10::IValue>(elements.begin(), elements.end());
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(what + ": not a pickled tuple of tensors (" + one_line(e.what()) + ")");
  }
}

// One planning step of node p: the downstream message (if any) decoded and checked, then
// sci_node on its own rows (Algorithm 1).
class NodeLogic {
 public:
  explicit NodeLogic(NodeConfig c) : c_(std::move(c)), rows_(own_rows(c_)) {
    if (!c_.sink)
      stub_ = hivemind::v1::Node::NewStub(grpc::CreateCustomChannel(
          c_.downstream, grpc::InsecureChannelCredentials(), channel_arguments()));
  }

  // Runs the update below this node and this node's step; returns its encoded message.
  std::vector<std::uint8_t> update(std::uint64_t epoch, std::size_t* received_bytes = nullptr) {
    split::SciMessage down;
    if (!c_.sink) {
      hivemind::v1::SciRequest req;
      req.set_epoch(epoch);
      hivemind::v1::SciReply reply;
      call(&hivemind::v1::Node::Stub::Sci, req, reply);
      const std::string& bytes = reply.message();
      if (received_bytes) *received_bytes = bytes.size();
      split::decode_sci(
          std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
          {c_.task.layers, c_.architecture, static_cast<std::uint32_t>(c_.position + 1)}, down);
      if (down.header.epoch != epoch)
        throw InputError("SCI message: epoch " + std::to_string(down.header.epoch) +
                         ", this round is " + std::to_string(epoch));
    }
    split::SciNodeInput in;
    in.compute = rows_.compute;
    in.incoming = rows_.incoming;
    if (!c_.sink) in.downstream_zeta = down.zeta;
    std::lock_guard lock(mu_);
    split::sci_node(in, table_);
    std::vector<std::uint8_t> out;
    if (c_.position > 0)
      split::encode_sci({c_.architecture, epoch, static_cast<std::uint32_t>(c_.position)},
                        table_.zeta, out);
    return out;
  }

  // This node's stop for upstream stop x, then the downstream decisions.
  std::vector<int> plan(int x) {
    int stop = 0;
    {
      std::lock_guard lock(mu_);
      stop = split::sci_decide(table_, x);
    }
    std::vector<int> b{stop};
    if (!c_.sink) {
      hivemind::v1::PlanRequest req;
      req.set_upstream_stop(stop);
      hivemind::v1::PlanReply reply;
      call(&hivemind::v1::Node::Stub::Plan, req, reply);
      b.insert(b.end(), reply.boundaries().begin(), reply.boundaries().end());
    }
    return b;
  }

  // A task arriving at this node with the live values of cut x: its layers x+1..stop (its own
  // decision, Sec. IV-C3), then downstream or, after layer L, the result.
  void run(std::uint64_t task, int x, const std::vector<c10::IValue>& live, std::size_t bytes_in,
           hivemind::v1::TaskReply& reply) {
    if (!c_.executor) throw InputError("node " + std::to_string(c_.position) + " runs no model");
    int stop = 0;
    {
      std::lock_guard lock(mu_);
      stop = split::sci_decide(table_, x);
    }
    const auto t0 = Clock::now();
    const std::vector<c10::IValue> out =
        c_.executor->run(static_cast<std::size_t>(x) + 1, static_cast<std::size_t>(stop), live);
    hivemind::v1::NodeRun me;
    me.set_position(c_.position);
    me.set_first_layer(x + 1);
    me.set_last_layer(stop);
    me.set_compute_s(std::chrono::duration<double>(Clock::now() - t0).count());
    me.set_bytes_in(bytes_in);
    if (stop == c_.task.layers || c_.sink) {
      if (stop != c_.task.layers)
        throw InputError("the sink stopped at layer " + std::to_string(stop) + " of " +
                         std::to_string(c_.task.layers));
      const std::vector<char> bytes = torch::pickle_save(c_.executor->result(out));
      reply.set_result(std::string(bytes.begin(), bytes.end()));
      *reply.add_runs() = me;
      return;
    }
    hivemind::v1::TaskRequest req;
    req.set_task(task);
    req.set_cut(stop);
    req.set_live(pickle(out));
    hivemind::v1::TaskReply down;
    call(&hivemind::v1::Node::Stub::Run, req, down);
    reply.set_result(down.result());
    *reply.add_runs() = me;
    for (const auto& r : down.runs()) *reply.add_runs() = r;
  }

  double zeta1() {
    std::lock_guard lock(mu_);
    return table_.zeta.size() > 1 ? table_.zeta[1] : 0.0;
  }

 private:
  // One unary call to the downstream neighbour under the node's deadline; a failure is one
  // InputError line naming the neighbour.
  template <class Request, class Reply>
  void call(grpc::Status (hivemind::v1::Node::Stub::*method)(grpc::ClientContext*, const Request&,
                                                             Reply*),
            const Request& request, Reply& reply) {
    grpc::ClientContext ctx;
    const grpc::Status s =
        (stub_.get()->*method)(&with_deadline(ctx, c_.call_timeout_s), request, &reply);
    if (!s.ok())
      throw InputError(
          status_line(s, "node " + std::to_string(c_.position + 1) + " at " + c_.downstream));
  }

  NodeConfig c_;
  Rows rows_;
  std::unique_ptr<hivemind::v1::Node::Stub> stub_;
  std::mutex mu_;
  split::SciNodeOutput table_;  // the latest split table
};

class Service final : public hivemind::v1::Node::Service {
 public:
  explicit Service(NodeConfig c) : logic_(std::move(c)) {}

  grpc::Status Sci(grpc::ServerContext*, const hivemind::v1::SciRequest* req,
                   hivemind::v1::SciReply* reply) override {
    try {
      const std::vector<std::uint8_t> m = logic_.update(req->epoch());
      reply->set_message(std::string(m.begin(), m.end()));
      return grpc::Status::OK;
    } catch (const std::exception& e) {  // a bad message or a dead neighbour: an error reply
      return {grpc::StatusCode::FAILED_PRECONDITION, one_line(e.what())};
    }
  }

  grpc::Status Run(grpc::ServerContext*, const hivemind::v1::TaskRequest* req,
                   hivemind::v1::TaskReply* reply) override {
    try {
      const std::vector<c10::IValue> live =
          unpickle(req->live(), "task " + std::to_string(req->task()));
      logic_.run(req->task(), req->cut(), live, req->live().size(), *reply);
      return grpc::Status::OK;
    } catch (const std::exception& e) {  // a bad message, a failing layer, a dead neighbour
      return {grpc::StatusCode::INVALID_ARGUMENT, one_line(e.what())};
    }
  }

  grpc::Status Plan(grpc::ServerContext*, const hivemind::v1::PlanRequest* req,
                    hivemind::v1::PlanReply* reply) override {
    try {
      for (int b : logic_.plan(req->upstream_stop())) reply->add_boundaries(b);
      return grpc::Status::OK;
    } catch (const std::exception& e) {
      return {grpc::StatusCode::INVALID_ARGUMENT, one_line(e.what())};
    }
  }

 private:
  NodeLogic logic_;
};

}  // namespace

NodeConfig node_config_from_problem(const split::Problem& problem, int position,
                                    const std::string& downstream) {
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
  c.compute_s = problem.nodes[position].compute_s;
  if (position > 0) c.incoming = problem.links[position - 1];
  if (!c.sink && downstream.empty())
    throw InputError("--downstream: node " + std::to_string(position) +
                     " is not the sink and needs its downstream neighbour's address");
  c.downstream = downstream;
  return c;
}

struct NodeServer::Impl {
  std::unique_ptr<Service> service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
};

NodeServer::NodeServer(NodeConfig config, const std::string& listen) : impl_(new Impl) {
  impl_->service = std::make_unique<Service>(std::move(config));
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &impl_->port);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.RegisterService(impl_->service.get());
  impl_->server = builder.BuildAndStart();
  if (!impl_->server || impl_->port == 0) throw InputError("--listen: cannot listen on " + listen);
}

NodeServer::~NodeServer() { shutdown(); }

int NodeServer::port() const { return impl_->port; }

void NodeServer::shutdown() {
  if (impl_ && impl_->server) {
    impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    impl_->server.reset();
  }
}

struct Source::Impl {
  explicit Impl(NodeConfig c) : config(std::move(c)), logic(config) {}
  NodeConfig config;
  NodeLogic logic;
  std::vector<int> boundaries;
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
  impl_->logic.update(epoch, &r.message_bytes);
  r.boundaries = impl_->logic.plan(0);
  r.cost = impl_->logic.zeta1();
  r.round_s = std::chrono::duration<double>(Clock::now() - t0).count();
  impl_->boundaries = r.boundaries;
  return r;
}

TaskResult Source::run(std::uint64_t task, const std::vector<c10::IValue>& inputs) {
  if (impl_->boundaries.empty()) throw InputError("source: run a planning round first");
  const auto t0 = Clock::now();
  hivemind::v1::TaskReply reply;
  impl_->logic.run(task, 0, inputs, 0, reply);
  TaskResult r;
  r.output = torch::pickle_load(std::vector<char>(reply.result().begin(), reply.result().end()));
  for (const auto& n : reply.runs())
    r.runs.push_back({n.position(), n.first_layer(), n.last_layer(), n.compute_s(),
                      static_cast<std::size_t>(n.bytes_in())});
  r.boundaries = impl_->boundaries;
  r.end_to_end_s = std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

PlanResult plan_from_source(const NodeConfig& source, std::uint64_t epoch) {
  return Source(source).plan(epoch);
}

}  // namespace hivemind::runtime
