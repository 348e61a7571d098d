#include "hivemind/runtime/node.hpp"

#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>
#include <torch/serialize.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <future>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

#include "credentials.hpp"
#include "hivemind/error.hpp"
#include "hivemind/runtime/tensor_wire.hpp"
#include "hivemind/split/sci.hpp"
#include "hivemind/split/sci_codec.hpp"
#include "hivemind/v1/node.grpc.pb.h"

namespace hivemind::runtime {

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kInf = std::numeric_limits<double>::infinity();

// Largest message a node accepts: a cut's live values can be far above gRPC's 4 MB default
// (VGG-16 at 224 px: 12.8 MB after its first convolution); bounded like every input file
// (hivemind/io.hpp, 256 MiB).
constexpr int kMaxMessageBytes = 256 * 1024 * 1024;

grpc::ChannelArguments channel_arguments() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  // A neighbour that comes back is re-admitted at the next SCI update: reconnect within
  // 0.1-1 s, not gRPC's default backoff of up to 120 s.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  return args;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::int64_t unix_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void sleep_until(Clock::time_point t) {
  if (Clock::now() < t) std::this_thread::sleep_until(t);
}

Clock::duration to_duration(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// A transport failure: the neighbour is absent (dead, unreachable, or missed its deadline).
// Any other status is an answer (an error reply from a live node).
bool absent(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::UNAVAILABLE ||
         s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
}

std::string status_line(const grpc::Status& s, const std::string& who) {
  return who + ": " +
         (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ? "no answer in time"
                                                                : s.error_message());
}

// Eq. 10 for `bytes` over chained links (a bypass crosses several), times the dilation.
double emulated_s(double bytes, const std::vector<split::LinkDirection>& links, double dilation) {
  double total = 0.0;
  for (const auto& d : links) total += split::latency_of(d).of(bytes);
  return total * dilation;
}

// The emulated link out of a node in one direction (Emulation::links): a FIFO token bucket
// without burst (a transfer starts when the previous one has left, then takes bytes /
// bandwidth) plus the link's overhead as a delay, all times `dilation`. Thread-safe.
class LinkShaper {
 public:
  explicit LinkShaper(double dilation) : dilation_(dilation) {}
  // Waits until `bytes` have crossed `links`.
  void send(double bytes, const std::vector<split::LinkDirection>& links) {
    double serial = 0.0;
    for (const auto& d : links) serial += bytes / d.bandwidth_bytes_per_s;
    Clock::time_point start;
    {
      std::lock_guard lock(mu_);
      start = std::max(Clock::now(), free_at_);
      free_at_ = start + to_duration(serial * dilation_);
    }
    sleep_until(start + to_duration(emulated_s(bytes, links, dilation_)));
  }

 private:
  double dilation_;
  std::mutex mu_;
  Clock::time_point free_at_{};
};

// The receiver's estimate of its incoming link (Sec. IV-F uses the links' current state):
// an EWMA of the seconds per byte beyond the link's overhead, from the transfers it sees;
// transfers under 1 KiB say little about bandwidth and are not counted.
class LinkEstimator {
 public:
  LinkEstimator(split::LinkDirection configured, double weight, double dilation)
      : configured_(configured), weight_(weight), dilation_(dilation) {}
  void observe(double bytes, double seconds) {
    if (bytes < 1024.0 || !(seconds >= 0.0)) return;
    const double excess = std::max(seconds / dilation_ - configured_.overhead_s, 0.0);
    const double sample = std::max(excess / bytes, 1e-15);  // floor: 1 PB/s
    seconds_per_byte_ =
        seconds_per_byte_ ? (1 - weight_) * *seconds_per_byte_ + weight_ * sample : sample;
  }
  split::LinkDirection current() const {
    split::LinkDirection d = configured_;
    if (seconds_per_byte_) d.bandwidth_bytes_per_s = 1.0 / *seconds_per_byte_;
    return d;
  }

 private:
  split::LinkDirection configured_;
  double weight_, dilation_;
  std::optional<double> seconds_per_byte_;
};

// A node's view of one downstream node: its address, the link into it, a channel.
struct Peer {
  int position = 0;
  std::string address;
  split::Link link;
  std::unique_ptr<hivemind::v1::Node::Stub> stub;
};

class Logger {
 public:
  Logger(LogLevel level, int position) : level_(level), position_(position) {}
  template <class... A>
  void operator()(LogLevel level, const char* format, A... a) const {
    if (level > level_) return;
    static const char* kNames[] = {"error", "warn", "info", "debug"};
    char line[512];
    std::snprintf(line, sizeof line, format, a...);
    std::fprintf(stderr, "hivemind-node[%d] %s: %s\n", position_, kNames[static_cast<int>(level)],
                 line);
  }

 private:
  LogLevel level_;
  int position_;
};

// Node p's logic: the SCI step (Algorithm 1) on its own rows and the downstream message, its
// decisions (Sec. IV-C3), its part of split tasks, and the bypass of dead neighbours.
class NodeLogic {
 public:
  explicit NodeLogic(NodeConfig c)
      : c_(std::move(c)),
        log_(c_.log_level, c_.position),
        shaper_(c_.emulation.dilation),
        return_shaper_(c_.emulation.dilation),
        estimator_(c_.incoming ? c_.incoming->up : split::LinkDirection{}, c_.ewma_weight,
                   c_.emulation.dilation) {
    check_tls(c_.tls);
    const auto credentials = channel_credentials(c_.tls);
    for (std::size_t k = 0; k < c_.downstream.size(); ++k) {
      Peer peer{c_.position + 1 + static_cast<int>(k), c_.downstream[k].address,
                c_.downstream[k].link, nullptr};
      peer.stub = hivemind::v1::Node::NewStub(
          grpc::CreateCustomChannel(peer.address, credentials, channel_arguments()));
      peers_.push_back(std::move(peer));
    }
    if (!c_.downstream.empty()) out_link_ = c_.downstream.front().link.up;
    split::build_compute_row(c_.compute_s, {}, 1.0, 1.0, compute_row_);
    if (c_.incoming)
      split::build_transfer_row(c_.task, split::latency_of(c_.incoming->up),
                                split::latency_of(c_.incoming->down), 1.0, configured_row_);
    relay_compute_.assign(c_.compute_s.size(), kInf);
  }

  // The SCI update below this node and this node's step (Algorithm 1); returns its encoded
  // message. The first downstream node that answers is the one it plans through: the nodes
  // before it are absent for this round, their compute removed and their links chained.
  // `first`: the first downstream node tried (the ones before it were just found absent).
  std::vector<std::uint8_t> update(std::uint64_t epoch, std::size_t* received_bytes = nullptr,
                                   std::size_t first = 0,
                                   std::optional<Clock::time_point> deadline = std::nullopt) {
    const auto t0 = Clock::now();
    split::SciMessage down;
    std::size_t target = 0;
    if (!c_.sink) {
      for (target = first; target < peers_.size(); ++target) {
        hivemind::v1::SciRequest req;
        req.set_epoch(epoch);
        hivemind::v1::SciReply reply;
        const grpc::Status s = call(target, &hivemind::v1::Node::Stub::Sci, req, reply, deadline);
        if (s.ok()) {
          const std::string& bytes = reply.message();
          if (received_bytes) *received_bytes = bytes.size();
          split::decode_sci(
              std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
              {c_.task.layers, c_.architecture,
               static_cast<std::uint32_t>(peers_[target].position)},
              down);
          if (down.header.epoch != epoch)
            throw InputError("SCI message: epoch " + std::to_string(down.header.epoch) +
                             ", this round is " + std::to_string(epoch));
          break;
        }
        if (!absent(s) || target + 1 == peers_.size())
          throw InputError(status_line(s, who(target)));  // an error reply, or the sink is gone
        log_(LogLevel::kWarn, "SCI epoch %llu: %s; bypassing it",
             static_cast<unsigned long long>(epoch), status_line(s, who(target)).c_str());
      }
    }
    return step_on(down, target, epoch, t0);
  }

  // A message pushed up by the first downstream node (SciSubscribe; every node below present):
  // this node's step on it (Algorithm 1), kept as its split table; returns its own message for
  // the upstream neighbour (nothing at the source). Called on one thread at a time.
  std::vector<std::uint8_t> pushed(const std::string& bytes) {
    const auto t0 = Clock::now();
    split::decode_sci(
        std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
        {c_.task.layers, c_.architecture, static_cast<std::uint32_t>(peers_.front().position)},
        push_down_);
    return step_on(push_down_, 0, push_down_.header.epoch, t0);
  }

  // The subscription to the first downstream node's SCI messages (SciSubscribe).
  std::unique_ptr<grpc::ClientAsyncReader<hivemind::v1::SciReply>> subscribe(
      grpc::ClientContext& ctx, grpc::CompletionQueue& cq) {
    static const hivemind::v1::SciSubscription kRequest;
    return peers_.front().stub->PrepareAsyncSciSubscribe(&ctx, kRequest, &cq);
  }

  // Asks the sink to start SCI epoch `epoch` up the subscriptions (SciStart).
  grpc::Status start_at_sink(std::uint64_t epoch) {
    hivemind::v1::SciRequest req;
    req.set_epoch(epoch);
    hivemind::v1::SciReply reply;
    return call(peers_.size() - 1, &hivemind::v1::Node::Stub::SciStart, req, reply);
  }

 private:
  // This node's step (Algorithm 1) on the message `down` of node p+target+1 (the nodes between
  // absent); keeps the table, returns the encoded message for the upstream neighbour.
  std::vector<std::uint8_t> step_on(const split::SciMessage& down, std::size_t target,
                                    std::uint64_t epoch, Clock::time_point t0) {
    std::lock_guard lock(mu_);
    split::SciNodeInput in;
    in.compute = compute_row_;
    if (c_.incoming && c_.estimate_links) {  // Eq. 10 on the link as estimated now
      split::build_transfer_row(c_.task, split::latency_of(estimator_.current()),
                                split::latency_of(c_.incoming->down), 1.0, incoming_row_);
      in.incoming = incoming_row_;
    } else if (c_.incoming) {
      in.incoming = configured_row_;
    }
    if (!c_.sink) {
      // Nodes p+1 .. p+target are absent: one relay step without compute whose incoming
      // transfer is their links' (links p .. p+target-1) chained; the message of node
      // p+target+1 already holds the link into it.
      if (target > 0) {
        relay_row_.assign(static_cast<std::size_t>(c_.task.layers) + 1, 0.0);
        for (std::size_t k = 0; k < target; ++k) {
          split::build_transfer_row(c_.task, split::latency_of(peers_[k].link.up),
                                    split::latency_of(peers_[k].link.down), 1.0, scratch_row_);
          for (std::size_t x = 0; x < relay_row_.size(); ++x) relay_row_[x] += scratch_row_[x];
        }
        split::sci_node({relay_compute_, relay_row_, 0.0, down.zeta}, relay_);
        in.downstream_zeta = relay_.zeta;
      } else {
        in.downstream_zeta = down.zeta;
      }
    }
    split::sci_node(in, table_);
    target_ = target;
    epoch_ = epoch;
    std::vector<std::uint8_t> out;
    if (c_.position > 0)
      split::encode_sci({c_.architecture, epoch, static_cast<std::uint32_t>(c_.position)},
                        table_.zeta, out);
    log_(LogLevel::kInfo, "SCI epoch %llu: message %zu B up, round below and here %.3f ms",
         static_cast<unsigned long long>(epoch), out.size(), seconds_since(t0) * 1e3);
    return out;
  }

 public:
  // One SCI step on a given downstream message (the benchmark's stream): no call downstream,
  // the configured incoming link, the table is not kept.
  void step(const std::string& downstream, std::vector<std::uint8_t>& out) {
    std::lock_guard lock(mu_);
    split::SciNodeInput in;
    in.compute = compute_row_;
    in.incoming = configured_row_;  // empty at the source
    if (!c_.sink) {
      split::decode_sci(
          std::span(reinterpret_cast<const std::uint8_t*>(downstream.data()), downstream.size()),
          {c_.task.layers, c_.architecture, std::nullopt}, step_down_);
      in.downstream_zeta = step_down_.zeta;
    }
    split::sci_node(in, step_table_);
    split::encode_sci(
        {c_.architecture, step_down_.header.epoch, static_cast<std::uint32_t>(c_.position)},
        step_table_.zeta, out);
  }

  // This node's stop for upstream stop x, the absent nodes' (they stop where it does), then
  // the decisions downstream.
  void plan(int x, hivemind::v1::PlanReply& reply) {
    int stop = 0;
    std::size_t target = 0;
    {
      std::lock_guard lock(mu_);
      stop = split::sci_decide(table_, x);
      target = target_;
    }
    reply.add_boundaries(stop);
    if (c_.sink) return;
    for (std::size_t k = 0; k < target; ++k) {
      reply.add_boundaries(stop);
      reply.add_absent(peers_[k].position);
    }
    hivemind::v1::PlanRequest req;
    req.set_upstream_stop(stop);
    hivemind::v1::PlanReply down;
    const grpc::Status s = call(target, &hivemind::v1::Node::Stub::Plan, req, down);
    if (!s.ok()) throw InputError(status_line(s, who(target)));
    for (int b : down.boundaries()) reply.add_boundaries(b);
    for (int a : down.absent()) reply.add_absent(a);
  }

  // A task arriving at this node with the live values of cut x: its layers x+1..stop (its own
  // decision, Sec. IV-C3), then downstream or, after layer L, the result. A neighbour that
  // fails is bypassed: the task is re-sent from this node's cut (the last completed one) to
  // the next live node, after a local SCI update without it.
  void run(const hivemind::v1::TaskRequest& req, const std::vector<c10::IValue>& live,
           std::int64_t arrived_unix_ns, Clock::time_point deadline,
           hivemind::v1::TaskReply& reply) {
    if (!c_.executor) throw InputError("node " + std::to_string(c_.position) + " runs no model");
    // A task of another model (its architecture hash, docs/formats.md) is refused before
    // anything runs; the source's own task (hash 0: it starts here) is this node's model.
    if (req.architecture() != 0 && req.architecture() != c_.architecture)
      throw InputError("task " + std::to_string(req.task()) + ": a different model (hash " +
                       std::to_string(req.architecture()) + ", this node plans " +
                       std::to_string(c_.architecture) + ")");
    const int x = req.cut();
    // The transfer that brought the task: the sender's start to the arrival here (0 at the
    // source, where nothing was sent).
    const double transfer_s = req.sent_unix_ns() > 0
                                  ? static_cast<double>(arrived_unix_ns - req.sent_unix_ns()) * 1e-9
                                  : 0.0;
    int stop = 0;
    {
      std::lock_guard lock(mu_);
      stop = split::sci_decide(table_, x);
      if (req.links() == 1 && req.sent_unix_ns() > 0)
        estimator_.observe(static_cast<double>(req.live().size()), transfer_s);
    }
    hivemind::v1::NodeRun me;
    me.set_position(c_.position);
    me.set_first_layer(x + 1);
    me.set_last_layer(stop);
    me.set_bytes_in(req.live().size());
    me.set_transfer_in_s(transfer_s);
    me.set_planned_transfer_in_s(req.planned_transfer_s());
    const auto t0 = Clock::now();
    const std::vector<c10::IValue> out = execute(x, stop, live);
    me.set_compute_s(seconds_since(t0));
    double planned = 0.0;
    for (int l = x + 1; l <= stop; ++l) planned += c_.compute_s[static_cast<std::size_t>(l - 1)];
    me.set_planned_compute_s(planned * c_.emulation.dilation);
    // The task ends here once layer L ran, unless the result must still reach the sink
    // (deliver: sink, Eq. 1): then cut L travels on, each node after relaying it.
    const int L = c_.task.layers;
    if (c_.sink && stop != L)
      throw InputError("the sink stopped at layer " + std::to_string(stop) + " of " +
                       std::to_string(L));
    if (stop == L && (c_.sink || c_.task.deliver != split::Deliver::kSink)) {
      const std::vector<char> bytes = torch::pickle_save(c_.executor->result(out));
      reply.set_result(std::string(bytes.begin(), bytes.end()));
      *reply.add_runs() = me;
      return;
    }
    hivemind::v1::TaskRequest next;
    next.set_task(req.task());
    next.set_cut(stop);
    next.set_architecture(c_.architecture);
    encode_values(out, *next.mutable_live());  // tensor_wire.hpp: raw tensors, no pickle
    hivemind::v1::TaskReply down;
    std::size_t target_used = 0;
    std::vector<split::LinkDirection> links;  // the links the transfer crossed
    for (std::size_t target = current_target();;) {
      // The transfer over links p .. (the chosen node's): shaped when emulating; planned as
      // Eq. 10 for the cut's bytes s_x on those links.
      next.set_sent_unix_ns(unix_ns());
      next.set_links(static_cast<int>(target) + 1);
      links.clear();
      {
        std::lock_guard lock(mu_);
        links.push_back(out_link_);
      }
      for (std::size_t k = 1; k <= target; ++k) links.push_back(peers_[k].link.up);
      next.set_planned_transfer_s(emulated_s(c_.task.cut_bytes[static_cast<std::size_t>(stop)],
                                             links, c_.emulation.dilation));
      if (c_.emulation.links) shaper_.send(static_cast<double>(next.live().size()), links);
      const grpc::Status s = call(target, &hivemind::v1::Node::Stub::Run, next, down, deadline);
      target_used = target;
      if (s.ok()) break;
      if (!absent(s) || target + 1 >= peers_.size() || Clock::now() >= deadline)
        throw InputError(status_line(s, who(target)));
      // Node target is absent: re-plan here without it, then retry from cut `stop`.
      log_(LogLevel::kWarn, "task %llu: %s; bypassing it, retrying from cut %d",
           static_cast<unsigned long long>(req.task()), status_line(s, who(target)).c_str(), stop);
      me.set_retries(me.retries() + 1);
      mark_absent(target, deadline);
      target = current_target();
      down.Clear();
    }
    // deliver: source — the result comes back over the same links (their down direction,
    // Eq. 10): emulated when the links are.
    if (c_.task.deliver == split::Deliver::kSource) {
      std::vector<split::LinkDirection> back;
      for (std::size_t k = 0; k <= target_used; ++k) back.push_back(peers_[k].link.down);
      me.set_planned_return_s(
          emulated_s(c_.task.cut_bytes[static_cast<std::size_t>(L)], back, c_.emulation.dilation));
      const auto t_back = Clock::now();
      if (c_.emulation.links) return_shaper_.send(static_cast<double>(down.result().size()), back);
      me.set_return_s(seconds_since(t_back));
    }
    for (std::size_t k = 0; k < target_used; ++k) me.add_bypassed(peers_[k].position);
    reply.set_result(down.result());
    *reply.add_runs() = me;
    for (const auto& r : down.runs()) *reply.add_runs() = r;
  }

  void shape(const split::LinkDirection& d) {
    std::lock_guard lock(mu_);
    out_link_ = d;
    log_(LogLevel::kInfo, "link out shaped to %.6g B/s, overhead %.6g s", d.bandwidth_bytes_per_s,
         d.overhead_s);
  }

  std::uint64_t epoch() {
    std::lock_guard lock(mu_);
    return epoch_;
  }
  double zeta1() {
    std::lock_guard lock(mu_);
    return table_.zeta.size() > 1 ? table_.zeta[1] : 0.0;
  }
  const NodeConfig& config() const { return c_; }

 private:
  std::string who(std::size_t k) const {
    return "node " + std::to_string(peers_[k].position) + " at " + peers_[k].address;
  }

  std::size_t current_target() {
    std::lock_guard lock(mu_);
    return target_;
  }

  // Node `k` of peers_ missed its deadline: a local SCI update of the current epoch starting
  // after it (the nodes after it answer for this epoch again).
  void mark_absent(std::size_t k, Clock::time_point deadline) {
    std::uint64_t epoch = 0;
    {
      std::lock_guard lock(mu_);
      epoch = epoch_;
    }
    update(epoch, nullptr, k + 1, deadline);
  }

  // Layers x+1..stop on this machine; when emulating the device, each layer's end is padded
  // up to dilation x the profile's time of the layers so far (slack carried to later layers).
  std::vector<c10::IValue> execute(int x, int stop, const std::vector<c10::IValue>& live) {
    const auto i = static_cast<std::size_t>(x) + 1, j = static_cast<std::size_t>(stop);
    if (!c_.emulation.devices || stop <= x) return c_.executor->run(i, j, live);
    const auto t0 = Clock::now();
    double target = 0.0;
    std::vector<c10::IValue> values = live;
    for (std::size_t l = i; l <= j; ++l) {
      values = c_.executor->run(l, l, values);
      target += c_.compute_s[l - 1] * c_.emulation.dilation;
      sleep_until(t0 + to_duration(target));
    }
    return values;
  }

  // One unary call to peers_[k] under the node's deadline (or `deadline`, if sooner).
  template <class Request, class Reply>
  grpc::Status call(std::size_t k,
                    grpc::Status (hivemind::v1::Node::Stub::*method)(grpc::ClientContext*,
                                                                     const Request&, Reply*),
                    const Request& request, Reply& reply,
                    std::optional<Clock::time_point> deadline = std::nullopt) {
    Clock::time_point until = Clock::now() + to_duration(c_.call_timeout_s);
    if (deadline) until = std::min(until, *deadline);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + (until - Clock::now()));
    return (peers_[k].stub.get()->*method)(&ctx, request, &reply);
  }

  NodeConfig c_;
  Logger log_;
  LinkShaper shaper_;         // sends downstream
  LinkShaper return_shaper_;  // the result's return upstream (deliver: source)
  std::vector<Peer> peers_;
  std::vector<double> compute_row_, relay_compute_;  // tau^p (Eq. 7); +inf: an absent node
  std::vector<double> configured_row_;               // Eq. 10 on the configured incoming link
  std::vector<double> incoming_row_, relay_row_, scratch_row_;  // guarded by mu_
  std::mutex mu_;
  LinkEstimator estimator_;          // guarded by mu_
  split::LinkDirection out_link_{};  // guarded by mu_: link p as shaped now
  split::SciNodeOutput table_;       // guarded by mu_: the latest split table
  split::SciNodeOutput relay_;       // guarded by mu_: the absent nodes' relay step
  std::size_t target_ = 0;           // guarded by mu_: peers_[target_] is planned through
  std::uint64_t epoch_ = 0;          // guarded by mu_
  split::SciMessage step_down_;      // guarded by mu_ (the stream's scratch)
  split::SciNodeOutput step_table_;  // guarded by mu_
  split::SciMessage push_down_;      // pushed(): one thread at a time
};

// Calls downstream end a little before the caller's own deadline, so that an absent node below
// is reported (and bypassed) by its neighbour, not mistaken for this one.
Clock::time_point inner_deadline(const grpc::ServerContext& ctx) {
  const auto left = ctx.deadline() - std::chrono::system_clock::now();
  if (left > std::chrono::hours(24 * 365)) return Clock::now() + std::chrono::hours(24 * 365);
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(left * 0.9);
}

// A completion-queue tag: what to do when the operation started with it completes (`ok`: it
// succeeded). A call object owns one per operation it can have outstanding.
class Event {
 public:
  explicit Event(std::function<void(bool)> f) : f_(std::move(f)) {}
  void* tag() { return this; }
  void operator()(bool ok) { f_(ok); }

 private:
  std::function<void(bool)> f_;
};

// Threads for the handlers that block (a call downstream, a model's layers): the completion
// queue's thread hands them over and goes on serving. The thread idle the shortest takes the
// next job (its caches and LibTorch's per-thread state are warm); stopping runs what is queued.
class Workers {
 public:
  explicit Workers(int n) {
    for (int i = 0; i < n; ++i) threads_.emplace_back([this] { loop(); });
  }
  ~Workers() { stop(); }
  void post(std::function<void()> f) {
    std::lock_guard lock(mu_);
    if (idle_.empty()) {
      queue_.push_back(std::move(f));
      return;
    }
    Idle* w = idle_.back();
    idle_.pop_back();
    w->job = std::move(f);
    w->cv.notify_one();
  }
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      for (Idle* w : idle_) w->cv.notify_one();
    }
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }

 private:
  struct Idle {
    std::condition_variable cv;
    std::function<void()> job;
  };
  void loop() {
    Idle me;
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mu_);
        if (!queue_.empty()) {
          job = std::move(queue_.front());
          queue_.pop_front();
        } else {
          if (stopping_) return;
          idle_.push_back(&me);
          me.cv.wait(lock, [&] { return me.job || stopping_; });
          if (!me.job) {
            idle_.erase(std::find(idle_.begin(), idle_.end(), &me));
            return;
          }
          job = std::move(me.job);
          me.job = nullptr;
        }
      }
      job();
    }
  }
  std::mutex mu_;
  std::deque<std::function<void()>> queue_;
  std::vector<Idle*> idle_;  // a stack: the last one in takes the next job
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

using AsyncService = hivemind::v1::Node::AsyncService;
// One unary method: one call waits for a request at a time; its handler runs on the queue's
// thread (`blocking` false: it never waits) or on the workers.
template <class Request, class Reply>
struct UnaryMethod {
  using Start = void (AsyncService::*)(grpc::ServerContext*, Request*,
                                       grpc::ServerAsyncResponseWriter<Reply>*,
                                       grpc::CompletionQueue*, grpc::ServerCompletionQueue*, void*);
  Start start;
  bool blocking;
  // (context, request, reply, arrival on the system clock in ns) -> status
  std::function<grpc::Status(grpc::ServerContext&, const Request&, Reply&, std::int64_t)> handle;
};

class Feed;
class Subscriber;

// A call whose writes wait until the queue's thread has handled every event already complete
// (AsyncNode::defer): replies to a backlog of reads then leave in one send.
struct Deferred {
  virtual void flush() = 0;
  virtual ~Deferred() = default;
};

// The daemon's service (node.proto) on one completion queue served by one thread. While no
// task runs it is the only thread that polls, so an SCI message is read, stepped and sent on
// without a hand-over between threads (the sync server's pollers cost two per message); the
// handlers that block run on `workers`. The SCI subscriptions (`subscriber`, `feed`) are
// touched on the queue's thread only.
class AsyncNode {
 public:
  AsyncNode(NodeConfig c, const std::string& listen);
  ~AsyncNode() { shutdown(); }
  int port() const { return port_; }
  void shutdown();

  // Called on the queue's thread by the call objects.
  void subscribed(Subscriber* s);
  void feed_ready();
  void feed_message(const std::string& bytes);
  void feed_ended(const grpc::Status& s);
  void unsubscribed(Subscriber* s) {
    if (subscriber == s) subscriber = nullptr;
  }
  void defer(Deferred* d) {
    if (std::find(deferred_.begin(), deferred_.end(), d) == deferred_.end()) deferred_.push_back(d);
  }
  void undefer(Deferred* d) { std::erase(deferred_, d); }

  NodeLogic logic;
  AsyncService service;
  std::unique_ptr<grpc::ServerCompletionQueue> cq;
  Workers workers{8};
  std::atomic<int> live{0};  // call objects that may still start operations
  Subscriber* subscriber = nullptr;

 private:
  void close_streams();
  UnaryMethod<hivemind::v1::SciRequest, hivemind::v1::SciReply> sci_, start_;
  UnaryMethod<hivemind::v1::PlanRequest, hivemind::v1::PlanReply> plan_;
  UnaryMethod<hivemind::v1::TaskRequest, hivemind::v1::TaskReply> run_;
  UnaryMethod<hivemind::v1::ShapeRequest, hivemind::v1::ShapeReply> shape_;
  std::promise<void>* closed_ = nullptr;  // shutdown(): the streams are closed
  std::unique_ptr<grpc::Server> server_;
  std::thread thread_;
  int port_ = 0;
  Feed* feed_ = nullptr;
  std::vector<Deferred*> deferred_;
  bool closing_ = false;
};

template <class Request, class Reply>
class UnaryCall {
 public:
  static void listen(AsyncNode& n, const UnaryMethod<Request, Reply>& m) { new UnaryCall(n, m); }

 private:
  UnaryCall(AsyncNode& n, const UnaryMethod<Request, Reply>& m)
      : n_(n),
        m_(m),
        responder_(&ctx_),
        on_request_([this](bool ok) { arrived(ok); }),
        on_finish_([this](bool) {
          --n_.live;
          delete this;
        }) {
    (n_.service.*m_.start)(&ctx_, &request_, &responder_, n_.cq.get(), n_.cq.get(),
                           on_request_.tag());
  }
  void arrived(bool ok) {
    if (!ok) {  // the server is shutting down
      delete this;
      return;
    }
    ++n_.live;
    arrived_ns_ = unix_ns();
    listen(n_, m_);
    if (m_.blocking)
      n_.workers.post([this] { respond(); });
    else
      respond();
  }
  void respond() {
    const grpc::Status s = m_.handle(ctx_, request_, reply_, arrived_ns_);
    responder_.Finish(reply_, s, on_finish_.tag());
  }

  AsyncNode& n_;
  const UnaryMethod<Request, Reply>& m_;
  grpc::ServerContext ctx_;
  Request request_;
  Reply reply_;
  grpc::ServerAsyncResponseWriter<Reply> responder_;
  Event on_request_, on_finish_;
  std::int64_t arrived_ns_ = 0;
};

// The write side of a server stream: the initial metadata, messages one at a time, then the
// status. Messages that queued behind a write in flight go out together (all but the last
// with a buffer hint), so a backlog costs one send, not one per message; no message waits for
// a later one.
template <class Stream>
class WriteQueue {
 public:
  explicit WriteQueue(Stream& stream) : stream_(stream) {}
  bool busy() const { return busy_; }
  bool finished() const { return finished_; }  // Finish started
  bool ending() const { return end_ || end_after_; }
  std::size_t queued() const { return queue_.size(); }
  void send_metadata() {
    if (!metadata_sent_) metadata_ = metadata_sent_ = true;
  }
  void push(std::string bytes) {
    if (ending()) return;
    metadata_sent_ = true;  // the first write carries it
    queue_.push_back(std::move(bytes));
  }
  void end(grpc::Status s) {  // drops what is queued
    if (end_) return;
    queue_.clear();
    end_ = std::move(s);
  }
  void end_after_queue(grpc::Status s) {
    if (!ending()) end_after_ = std::move(s);
  }
  // Starts the next operation if none is in flight (Finish only if `may_finish`).
  void pump(void* tag, bool may_finish = true) {
    if (busy_ || finished_) return;
    if (!end_ && end_after_ && queue_.empty() && !metadata_) end_ = end_after_;
    if (end_) {
      if (!may_finish) return;
      busy_ = finished_ = true;
      stream_.Finish(*end_, tag);
    } else if (metadata_) {
      metadata_ = false;
      busy_ = true;
      stream_.SendInitialMetadata(tag);
    } else if (!queue_.empty()) {
      reply_.set_message(std::move(queue_.front()));
      queue_.pop_front();
      grpc::WriteOptions options;
      if (!queue_.empty()) options.set_buffer_hint();
      busy_ = true;
      stream_.Write(reply_, options, tag);
    }
  }
  // The operation in flight completed (`ok` false: the peer went away).
  void done(bool ok) {
    busy_ = false;
    if (!ok && !finished_) end({grpc::StatusCode::CANCELLED, "the stream broke"});
  }

 private:
  Stream& stream_;
  hivemind::v1::SciReply reply_;
  std::deque<std::string> queue_;
  std::optional<grpc::Status> end_, end_after_;
  bool busy_ = false, finished_ = false, metadata_ = false, metadata_sent_ = false;
};

// SciStream (the benchmark's stream): each message read is stepped on the queue's thread and
// its reply queued; the next read is posted at once (none after an error, so that the status
// goes out without waiting for the client).
class StepStream : public Deferred {
 public:
  static void listen(AsyncNode& n) { new StepStream(n); }
  void flush() override { next(); }

 private:
  explicit StepStream(AsyncNode& n)
      : n_(n),
        stream_(&ctx_),
        writes_(stream_),
        on_request_([this](bool ok) { arrived(ok); }),
        on_read_([this](bool ok) { read(ok); }),
        on_write_([this](bool ok) {
          writes_.done(ok);
          next();
        }) {
    n_.service.RequestSciStream(&ctx_, &stream_, n_.cq.get(), n_.cq.get(), on_request_.tag());
  }
  void arrived(bool ok) {
    if (!ok) {  // the server is shutting down
      delete this;
      return;
    }
    ++n_.live;
    listen(n_);
    reading_ = true;
    stream_.Read(&step_, on_read_.tag());
  }
  void read(bool ok) {
    reading_ = false;
    if (!ok) {  // the client is done writing, or gone
      writes_.end_after_queue(grpc::Status::OK);
    } else {
      try {
        n_.logic.step(step_.downstream(), out_);
        writes_.push(std::string(out_.begin(), out_.end()));
        if (!writes_.ending()) {
          reading_ = true;
          stream_.Read(&step_, on_read_.tag());
        }
        if (reading_ && writes_.queued() < kMaxHeldBack) {
          n_.defer(this);
          return;
        }
      } catch (const std::exception& e) {
        writes_.end({grpc::StatusCode::INVALID_ARGUMENT, one_line(e.what())});
      }
    }
    next();
  }
  void next() {
    if (writes_.busy()) return;
    if (writes_.finished()) {
      if (!reading_) {
        n_.undefer(this);
        --n_.live;
        delete this;
      }
      return;
    }
    writes_.pump(on_write_.tag(), /*may_finish=*/!reading_);
  }

  AsyncNode& n_;
  grpc::ServerContext ctx_;
  using Stream = grpc::ServerAsyncReaderWriter<hivemind::v1::SciReply, hivemind::v1::SciStep>;
  Stream stream_;
  WriteQueue<Stream> writes_;
  static constexpr std::size_t kMaxHeldBack = 256;
  hivemind::v1::SciStep step_;
  std::vector<std::uint8_t> out_;
  bool reading_ = false;
  Event on_request_, on_read_, on_write_;
};

// SciSubscribe, this node's side: the upstream neighbour's subscription. The node pushes its
// messages into it and ends it (AsyncNode).
class Subscriber {
 public:
  static void listen(AsyncNode& n) { new Subscriber(n); }
  void ready() {
    writes_.send_metadata();
    next();
  }
  void push(std::string bytes) {
    writes_.push(std::move(bytes));
    next();
  }
  void end(grpc::Status s) {
    writes_.end(std::move(s));
    next();
  }

 private:
  explicit Subscriber(AsyncNode& n)
      : n_(n),
        writer_(&ctx_),
        writes_(writer_),
        on_request_([this](bool ok) { arrived(ok); }),
        on_write_([this](bool ok) {
          writes_.done(ok);
          if (!ok) n_.unsubscribed(this);
          next();
        }) {
    n_.service.RequestSciSubscribe(&ctx_, &request_, &writer_, n_.cq.get(), n_.cq.get(),
                                   on_request_.tag());
  }
  void arrived(bool ok) {
    if (!ok) {
      delete this;
      return;
    }
    ++n_.live;
    listen(n_);
    n_.subscribed(this);
  }
  void next() {
    if (writes_.busy()) return;
    if (writes_.finished()) {
      n_.unsubscribed(this);
      --n_.live;
      delete this;
      return;
    }
    writes_.pump(on_write_.tag());
  }

  AsyncNode& n_;
  grpc::ServerContext ctx_;
  hivemind::v1::SciSubscription request_;
  grpc::ServerAsyncWriter<hivemind::v1::SciReply> writer_;
  WriteQueue<grpc::ServerAsyncWriter<hivemind::v1::SciReply>> writes_;
  Event on_request_, on_write_;
};

// SciSubscribe, the client's side: this node's subscription to its downstream neighbour. One
// operation in flight at a time: start, initial metadata (the chain below stands), reads, and
// the status once the stream ends (cancel() ends it).
class Feed {
 public:
  explicit Feed(AsyncNode& n) : n_(n), on_op_([this](bool ok) { done(ok); }) {
    ++n_.live;
    reader_ = n_.logic.subscribe(ctx_, *n_.cq);
    reader_->StartCall(on_op_.tag());
  }
  bool ready() const { return state_ == State::kReading; }
  void cancel() { ctx_.TryCancel(); }

 private:
  enum class State { kStarting, kMetadata, kReading, kFinishing };
  void done(bool ok) {
    if (state_ == State::kFinishing) {
      n_.feed_ended(status_);
      --n_.live;
      delete this;
      return;
    }
    if (!ok) {
      state_ = State::kFinishing;
      reader_->Finish(&status_, on_op_.tag());
      return;
    }
    if (state_ == State::kStarting) {
      state_ = State::kMetadata;
      reader_->ReadInitialMetadata(on_op_.tag());
      return;
    }
    if (state_ == State::kMetadata) {
      state_ = State::kReading;
      n_.feed_ready();
    } else {
      n_.feed_message(message_.message());
    }
    reader_->Read(&message_, on_op_.tag());
  }

  AsyncNode& n_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientAsyncReader<hivemind::v1::SciReply>> reader_;
  hivemind::v1::SciReply message_;
  grpc::Status status_;
  State state_ = State::kStarting;
  Event on_op_;
};

AsyncNode::AsyncNode(NodeConfig c, const std::string& listen) : logic(std::move(c)) {
  const NodeConfig& config = logic.config();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, server_credentials(config.tls), &port_);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.RegisterService(&service);
  cq = builder.AddCompletionQueue();
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0)
    throw InputError(
        "--listen: cannot listen on " + listen +
        (config.tls.enabled() ? " (or --tls-cert and --tls-key do not belong together)" : ""));
  using namespace hivemind::v1;
  sci_ = {&AsyncService::RequestSci, true,
          [this](grpc::ServerContext& ctx, const SciRequest& req, SciReply& reply, std::int64_t) {
            try {
              const std::vector<std::uint8_t> m =
                  logic.update(req.epoch(), nullptr, 0, inner_deadline(ctx));
              reply.set_message(std::string(m.begin(), m.end()));
              return grpc::Status::OK;
            } catch (const std::exception& e) {  // a bad message or a dead sink: an error reply
              return grpc::Status{grpc::StatusCode::FAILED_PRECONDITION, one_line(e.what())};
            }
          }};
  run_ = {&AsyncService::RequestRun, true,
          [this](grpc::ServerContext& ctx, const TaskRequest& req, TaskReply& reply,
                 std::int64_t arrived) {
            try {
              const std::vector<c10::IValue> live =
                  decode_values(req.live(), "task " + std::to_string(req.task()));
              logic.run(req, live, arrived, inner_deadline(ctx), reply);
              return grpc::Status::OK;
            } catch (const std::exception& e) {  // a bad message, a failing layer, no live node
              return grpc::Status{grpc::StatusCode::INVALID_ARGUMENT, one_line(e.what())};
            }
          }};
  plan_ = {&AsyncService::RequestPlan, true,
           [this](grpc::ServerContext&, const PlanRequest& req, PlanReply& reply, std::int64_t) {
             try {
               logic.plan(req.upstream_stop(), reply);
               return grpc::Status::OK;
             } catch (const std::exception& e) {
               return grpc::Status{grpc::StatusCode::INVALID_ARGUMENT, one_line(e.what())};
             }
           }};
  shape_ = {&AsyncService::RequestShape, false,
            [this](grpc::ServerContext&, const ShapeRequest& req, ShapeReply&, std::int64_t) {
              const double b = req.bandwidth_bytes_per_s(), o = req.overhead_s();
              if (!(b > 0.0) || !std::isfinite(b))
                return grpc::Status{
                    grpc::StatusCode::INVALID_ARGUMENT,
                    "shape: bandwidth_bytes_per_s " + std::to_string(b) + " must be > 0"};
              if (!(o >= 0.0) || !std::isfinite(o))
                return grpc::Status{grpc::StatusCode::INVALID_ARGUMENT,
                                    "shape: overhead_s " + std::to_string(o) + " must be >= 0"};
              if (logic.config().sink)
                return grpc::Status{grpc::StatusCode::FAILED_PRECONDITION,
                                    "shape: the sink sends nothing downstream"};
              logic.shape({b, o});
              return grpc::Status::OK;
            }};
  // At the sink no call leaves the node: its step runs on the queue's thread.
  start_ = {&AsyncService::RequestSciStart, false,
            [this](grpc::ServerContext&, const SciRequest& req, SciReply&, std::int64_t) {
              if (!logic.config().sink)
                return grpc::Status{grpc::StatusCode::FAILED_PRECONDITION,
                                    "SCI start: node " + std::to_string(logic.config().position) +
                                        " is not the sink"};
              if (!subscriber)
                return grpc::Status{grpc::StatusCode::FAILED_PRECONDITION,
                                    "SCI start: no upstream subscription"};
              try {
                const std::vector<std::uint8_t> m = logic.update(req.epoch());
                subscriber->push(std::string(m.begin(), m.end()));
                return grpc::Status::OK;
              } catch (const std::exception& e) {
                return grpc::Status{grpc::StatusCode::FAILED_PRECONDITION, one_line(e.what())};
              }
            }};
  UnaryCall<SciRequest, SciReply>::listen(*this, sci_);
  UnaryCall<TaskRequest, TaskReply>::listen(*this, run_);
  UnaryCall<PlanRequest, PlanReply>::listen(*this, plan_);
  UnaryCall<ShapeRequest, ShapeReply>::listen(*this, shape_);
  UnaryCall<SciRequest, SciReply>::listen(*this, start_);
  StepStream::listen(*this);
  Subscriber::listen(*this);
  thread_ = std::thread([this] {
    void* tag = nullptr;
    bool ok = false;
    for (;;) {
      // Writes held back (StepStream) go out once no completed event is left to handle.
      if (!deferred_.empty() && cq->AsyncNext(&tag, &ok, gpr_inf_past(GPR_CLOCK_MONOTONIC)) ==
                                    grpc::CompletionQueue::TIMEOUT) {
        std::vector<Deferred*> now;
        now.swap(deferred_);
        for (Deferred* d : now) d->flush();
        continue;
      }
      if (deferred_.empty() && !cq->Next(&tag, &ok)) break;
      (*static_cast<Event*>(tag))(ok);
    }
  });
}

void AsyncNode::subscribed(Subscriber* s) {
  if (closing_) {
    s->end({grpc::StatusCode::UNAVAILABLE, "the node is shutting down"});
    return;
  }
  if (subscriber && subscriber != s)
    subscriber->end({grpc::StatusCode::CANCELLED, "replaced by a newer SCI subscription"});
  subscriber = s;
  if (logic.config().sink || (feed_ && feed_->ready()))
    s->ready();
  else if (!feed_)
    feed_ = new Feed(*this);
}

void AsyncNode::feed_ready() {
  if (subscriber) subscriber->ready();
}

void AsyncNode::feed_message(const std::string& bytes) {
  try {
    const std::vector<std::uint8_t> m = logic.pushed(bytes);
    if (subscriber) subscriber->push(std::string(m.begin(), m.end()));
  } catch (const std::exception& e) {  // a bad message from below: the chain above learns it
    if (subscriber) subscriber->end({grpc::StatusCode::FAILED_PRECONDITION, one_line(e.what())});
  }
}

void AsyncNode::feed_ended(const grpc::Status& s) {
  feed_ = nullptr;
  if (subscriber)
    subscriber->end({grpc::StatusCode::UNAVAILABLE,
                     "the SCI subscription below ended: " + one_line(s.error_message())});
  if (closing_ && closed_) closed_->set_value();
}

void AsyncNode::close_streams() {
  closing_ = true;
  if (subscriber) subscriber->end({grpc::StatusCode::UNAVAILABLE, "the node is shutting down"});
  if (feed_)
    feed_->cancel();  // feed_ended() fulfils closed_
  else
    closed_->set_value();
}

void AsyncNode::shutdown() {
  if (!server_) return;
  // The streams end first (on the queue's thread: an alarm due now), so that the server does
  // not wait for them.
  std::promise<void> closed;
  closed_ = &closed;
  Event on_close([this](bool) { close_streams(); });
  grpc::Alarm alarm;
  alarm.Set(cq.get(), std::chrono::system_clock::now(), on_close.tag());
  closed.get_future().wait();
  closed_ = nullptr;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  workers.stop();
  // The calls still alive finish on the queue's thread before it shuts down.
  for (int i = 0; i < 2000 && live.load() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  cq->Shutdown();
  thread_.join();
  server_.reset();
}

}  // namespace

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

struct NodeServer::Impl {
  std::unique_ptr<AsyncNode> node;
};

NodeServer::NodeServer(NodeConfig config, const std::string& listen) : impl_(new Impl) {
  impl_->node = std::make_unique<AsyncNode>(std::move(config), listen);
}

NodeServer::~NodeServer() { shutdown(); }

int NodeServer::port() const { return impl_->node->port(); }

void NodeServer::shutdown() {
  if (impl_ && impl_->node) impl_->node->shutdown();
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
