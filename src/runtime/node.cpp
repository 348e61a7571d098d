#include "hivemind/runtime/node.hpp"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <mutex>

#include "hivemind/error.hpp"
#include "hivemind/split/sci.hpp"
#include "hivemind/split/sci_codec.hpp"
#include "hivemind/v1/node.grpc.pb.h"

namespace hivemind::runtime {

namespace {

using Clock = std::chrono::steady_clock;

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

// One planning step of node p: the downstream message (if any) decoded and checked, then
// sci_node on its own rows (Algorithm 1).
class NodeLogic {
 public:
  explicit NodeLogic(NodeConfig c) : c_(std::move(c)), rows_(own_rows(c_)) {
    if (!c_.sink)
      stub_ = hivemind::v1::Node::NewStub(
          grpc::CreateChannel(c_.downstream, grpc::InsecureChannelCredentials()));
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

PlanResult plan_from_source(const NodeConfig& source, std::uint64_t epoch) {
  if (source.position != 0)
    throw InputError("plan_from_source: node " + std::to_string(source.position) +
                     " is not the source");
  const auto t0 = Clock::now();
  NodeLogic logic(source);
  PlanResult r;
  logic.update(epoch, &r.message_bytes);
  r.boundaries = logic.plan(0);
  r.cost = logic.zeta1();
  r.round_s = std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

}  // namespace hivemind::runtime
