// A node's own logic, shared by the daemon (node_server.cpp) and the source in the caller's
// process (node.cpp): its rows, the SCI step (Algorithm 1) on a downstream message, its
// decisions (Sec. IV-C3), its part of split tasks, link shaping and estimation, and the bypass
// of absent neighbours. Internal to the runtime library.
#pragma once

#include <grpcpp/grpcpp.h>
#include <torch/serialize.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <span>
#include <thread>

#include "credentials.hpp"
#include "hivemind/error.hpp"
#include "hivemind/runtime/node.hpp"
#include "hivemind/runtime/tensor_wire.hpp"
#include "hivemind/split/sci.hpp"
#include "hivemind/split/sci_codec.hpp"
#include "hivemind/v1/node.grpc.pb.h"

namespace hivemind::runtime::detail {

using Clock = std::chrono::steady_clock;
inline constexpr double kInf = std::numeric_limits<double>::infinity();

// Largest message a node accepts: a cut's live values can be far above gRPC's 4 MB default
// (VGG-16 at 224 px: 12.8 MB after its first convolution); bounded like every input file
// (hivemind/io.hpp, 256 MiB).
inline constexpr int kMaxMessageBytes = 256 * 1024 * 1024;

inline grpc::ChannelArguments channel_arguments() {
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

// A protobuf `bytes` field as the codec reads it.
inline std::span<const std::uint8_t> byte_span(const std::string& bytes) {
  return {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()};
}

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

inline std::int64_t unix_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline void sleep_until(Clock::time_point t) {
  if (Clock::now() < t) std::this_thread::sleep_until(t);
}

// `seconds` as a clock duration, clamped to [0, 100 years]: a double outside int64's range
// (1e308, NaN) converted unchecked is undefined behaviour, and no wait is longer than that.
inline Clock::duration to_duration(double seconds) {
  constexpr double kMaxS = 100.0 * 365 * 24 * 3600;
  if (!(seconds > 0.0)) return Clock::duration::zero();
  return std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(std::min(seconds, kMaxS)));
}

// A transport failure: the neighbour is absent (dead, unreachable, or missed its deadline).
// Any other status is an answer (an error reply from a live node).
inline bool absent(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::UNAVAILABLE ||
         s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
}

// A peer's status as one line: its text is the peer's, so it is escaped (no newline or
// terminal escape reaches a log or a reply).
inline std::string status_line(const grpc::Status& s, const std::string& who) {
  return one_line(who + ": " +
                  (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ? "no answer in time"
                                                                         : s.error_message()));
}

// Eq. 10 for `bytes` over chained links (a bypass crosses several), times the dilation.
inline double emulated_s(double bytes, const std::vector<split::LinkDirection>& links,
                         double dilation) {
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
  // Waits until `bytes` have crossed `links` (each within the ranges of check_emulated_link).
  // A transfer that would end after `deadline` is refused at once (InputError naming `what`)
  // and takes no time on the link, so that one hostile or hopeless send neither sleeps past
  // the task's deadline nor delays the sends after it.
  void send(double bytes, const std::vector<split::LinkDirection>& links,
            Clock::time_point deadline, const std::string& what) {
    double serial = 0.0;
    for (const auto& d : links) serial += bytes / d.bandwidth_bytes_per_s;
    const double total_s = emulated_s(bytes, links, dilation_);
    Clock::time_point start;
    {
      std::lock_guard lock(mu_);
      start = std::max(Clock::now(), free_at_);
      if (start + to_duration(total_s) > deadline)
        throw InputError(
            what + ": the emulated transfer of " + std::to_string(bytes) + " bytes would end " +
            std::to_string(std::chrono::duration<double>(start - Clock::now()).count() + total_s) +
            " s from now, after the deadline");
      free_at_ = start + to_duration(serial * dilation_);
    }
    sleep_until(start + to_duration(total_s));
  }

 private:
  double dilation_;
  std::mutex mu_;
  Clock::time_point free_at_{};
};

// The receiver's estimate of its incoming link (Sec. IV-F uses the links' current state): the
// median of the seconds per byte beyond the link's overhead over the last kLinkSamples
// transfers it saw. Transfers under 1 KiB say little about bandwidth and are not counted;
// nor is a sample outside the plausible band [0, max_s] (a negative time is clock skew; one
// longer than the node's own call timeout could not have been waited for): the times come
// from the sender's stamp, so a single sender's forged stamp must not move a plan. The
// median keeps any one sample, however placed in the band, from moving the estimate once two
// honest ones are in the window. Returns whether the sample was counted.
class LinkEstimator {
 public:
  static constexpr std::size_t kLinkSamples = 5;
  LinkEstimator(split::LinkDirection configured, double dilation, double max_s)
      : configured_(configured), dilation_(dilation), max_s_(max_s) {}
  bool observe(double bytes, double seconds) {
    if (bytes < 1024.0 || !(seconds >= 0.0) || !(seconds <= max_s_)) return false;
    const double excess = std::max(seconds / dilation_ - configured_.overhead_s, 0.0);
    const double sample = std::max(excess / bytes, 1e-15);  // floor: 1 PB/s
    samples_[next_++ % kLinkSamples] = sample;
    return true;
  }
  split::LinkDirection current() const {
    split::LinkDirection d = configured_;
    const std::size_t n = std::min(next_, kLinkSamples);
    if (n == 0) return d;
    std::array<double, kLinkSamples> sorted = samples_;
    std::sort(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(n));
    // The median; of an even count, the mean of the middle two.
    const double median = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    d.bandwidth_bytes_per_s = 1.0 / median;
    return d;
  }

 private:
  split::LinkDirection configured_;
  double dilation_, max_s_;
  std::array<double, kLinkSamples> samples_{};  // seconds per byte, a ring
  std::size_t next_ = 0;                        // samples counted so far
};

// A link direction a peer sent (Shape, a task's path): within check_emulated_link's ranges
// where the node emulates it (`emulated`), else only planned with: a bandwidth > 0 and an
// overhead >= 0, both finite. Throws InputError naming `what`.
inline void check_link(const split::LinkDirection& d, const std::string& what, bool emulated) {
  if (emulated) return check_emulated_link(d, what);
  if (!(d.bandwidth_bytes_per_s > 0.0) || !std::isfinite(d.bandwidth_bytes_per_s) ||
      !(d.overhead_s >= 0.0) || !std::isfinite(d.overhead_s))
    throw InputError(what + ": bandwidth " + std::to_string(d.bandwidth_bytes_per_s) +
                     " B/s and overhead " + std::to_string(d.overhead_s) +
                     " s (need > 0 and >= 0, finite)");
}

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
    // Escaped: a line may quote a peer's text or a file name (no forged line, no terminal
    // escape).
    std::fprintf(stderr, "hivemind-node[%d] %s: %s\n", position_, kNames[static_cast<int>(level)],
                 one_line(line).c_str());
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
        estimator_(c_.incoming ? c_.incoming->up : split::LinkDirection{}, c_.emulation.dilation,
                   c_.call_timeout_s) {
    check_tls(c_.tls);
    if (c_.emulation.links) {  // the links this node shapes its sends with
      for (std::size_t k = 0; k < c_.downstream.size(); ++k) {
        const std::string what = "link into node " + std::to_string(c_.position + 1 + k);
        check_emulated_link(c_.downstream[k].link.up, what);
        check_emulated_link(c_.downstream[k].link.down, what + " (down)");
      }
    }
    if (c_.executor) {  // what each cut carries on the wire: a task's message is checked first
      for (std::size_t x = 0; x <= c_.executor->layer_count(); ++x)
        cut_wire_.push_back(wire_size(c_.executor->example_cut(x)));
    }
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
        const grpc::Status s = call(target, &hivemind::v1::Node::Stub::Sci, req, reply,
                                    attempt_deadline(target, deadline));
        if (s.ok()) {
          const std::string& bytes = reply.message();
          if (received_bytes) *received_bytes = bytes.size();
          split::decode_sci(byte_span(bytes),
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
        byte_span(bytes),
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

  // The source's subscription to the tasks peers_[k] finishes that carry `token` (Deliveries).
  std::unique_ptr<grpc::ClientAsyncReader<hivemind::v1::TaskReply>> deliveries(
      std::size_t k, std::uint64_t token, grpc::ClientContext& ctx, grpc::CompletionQueue& cq) {
    hivemind::v1::DeliverySubscription request;
    request.set_token(token);
    return peers_[k].stub->PrepareAsyncDeliveries(&ctx, request, &cq);
  }

  // A Run call to peers_[k] on `cq`, started, under the node's deadline (or `deadline`).
  std::unique_ptr<grpc::ClientAsyncResponseReader<hivemind::v1::TaskReply>> run_on(
      std::size_t k, grpc::ClientContext& ctx, const hivemind::v1::TaskRequest& req,
      grpc::CompletionQueue& cq, Clock::time_point deadline) {
    set_deadline(ctx, deadline);
    return peers_[k].stub->AsyncRun(&ctx, req, &cq);
  }

  std::size_t peer_count() const { return peers_.size(); }

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
    step_rows(down, target, table_);
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

  // The one SCI step every caller runs (update, pushed, the stream's step): this node's rows as
  // a real update builds them — the compute row, the incoming link's row rebuilt from the link
  // as estimated now (Eq. 10; the configured one with --no-estimate), the relay step over
  // absent nodes p+1 .. p+target — then Algorithm 1 on `down` (ignored at the sink) into
  // `table`. Called with mu_ held.
  void step_rows(const split::SciMessage& down, std::size_t target, split::SciNodeOutput& table) {
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
    split::sci_node(in, table);
  }

 public:
  // One SCI step on a given downstream message (the benchmark's stream): no call downstream,
  // the table is not kept; otherwise the step a real update runs (step_rows: the incoming row
  // rebuilt from the link estimate, as update() and pushed() do).
  void step(const std::string& downstream, std::vector<std::uint8_t>& out) {
    std::lock_guard lock(mu_);
    if (!c_.sink)
      split::decode_sci(byte_span(downstream), {c_.task.layers, c_.architecture, std::nullopt},
                        step_down_);
    step_rows(step_down_, /*target=*/0, step_table_);
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

  // How run() hands a task on. `forward`: the call to peers_[target] (default: a blocking
  // unary Run; the source's also takes the result delivered to it straight). `deliver`: at the
  // node that finishes a task, hands its reply to the source's Deliveries subscription; false
  // where there is none (the reply then carries the result up the chain).
  struct Handoff {
    std::function<grpc::Status(std::size_t target, const hivemind::v1::TaskRequest&,
                               hivemind::v1::TaskReply&, Clock::time_point deadline)>
        forward;
    std::function<bool(const hivemind::v1::TaskReply&, std::uint64_t token)> deliver;
  };

  // A task arriving at this node with the live values of cut x: its layers x+1..stop (its own
  // decision, Sec. IV-C3), then downstream or, after layer L, the result. A neighbour that
  // fails is bypassed: the task is re-sent from this node's cut (the last completed one) to
  // the next live node, after a local SCI update without it. Each node's record travels on
  // with the task; the node that finishes it returns them all with the result.
  // The live values of a task's cut, decoded once the message is known to be what this node's
  // model carries at that cut: the cut in 0..L, the exact byte count its values take on the
  // wire (tensor shapes are the model's, so it is fixed), and no more values than it holds,
  // so a hostile message of the right size cannot decode into many small tensors.
  std::vector<c10::IValue> decode_live(const hivemind::v1::TaskRequest& req) const {
    const std::string task = "task " + std::to_string(req.task());
    if (!c_.executor) throw InputError("node " + std::to_string(c_.position) + " runs no model");
    const int x = req.cut();
    if (x < 0 || x > c_.task.layers)
      throw InputError(task + ": cut " + std::to_string(x) + " is not in 0.." +
                       std::to_string(c_.task.layers));
    const WireSize& want = cut_wire_[static_cast<std::size_t>(x)];
    if (req.live().size() != want.bytes)
      throw InputError(task + ": cut " + std::to_string(x) + " carries " +
                       std::to_string(want.bytes) + " bytes on the wire (" +
                       std::to_string(want.values) + " values), the task " +
                       std::to_string(req.live().size()));
    return decode_values(req.live(), task, want.values);
  }

  void run(const hivemind::v1::TaskRequest& req, const std::vector<c10::IValue>& live,
           std::int64_t arrived_unix_ns, Clock::time_point deadline, hivemind::v1::TaskReply& reply,
           const Handoff& handoff = {}) {
    if (!c_.executor) throw InputError("node " + std::to_string(c_.position) + " runs no model");
    const std::string task = "task " + std::to_string(req.task());  // for messages
    // A task of another model (its architecture hash, docs/formats.md) is refused before
    // anything runs; the source's own task (hash 0: it starts here) is this node's model.
    if (req.architecture() != 0 && req.architecture() != c_.architecture)
      throw InputError(task + ": a different model (hash " + std::to_string(req.architecture()) +
                       ", this node plans " + std::to_string(c_.architecture) + ")");
    // What came with the task from the nodes before: at most one record and one link each.
    if (req.runs_size() > c_.position || req.path_size() > c_.position)
      throw InputError(task + ": " + std::to_string(req.runs_size()) + " records and " +
                       std::to_string(req.path_size()) + " links from before node " +
                       std::to_string(c_.position) + " (at most " + std::to_string(c_.position) +
                       " each)");
    for (int k = 0; k < req.path_size(); ++k) {
      const split::LinkDirection d{req.path(k).bandwidth_bytes_per_s(), req.path(k).overhead_s()};
      check_link(d, task + ": path link " + std::to_string(k), c_.emulation.links);
    }
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
      if (req.links() == 1 && req.sent_unix_ns() > 0 && req.live().size() >= 1024 &&
          !estimator_.observe(static_cast<double>(req.live().size()), transfer_s))
        log_(LogLevel::kWarn,
             "task %llu: a transfer of %.6g s is outside 0..%g s: not counted in "
             "the link estimate",
             static_cast<unsigned long long>(req.task()), transfer_s, c_.call_timeout_s);
    }
    hivemind::v1::NodeRun me;
    me.set_position(c_.position);
    me.set_first_layer(x + 1);
    me.set_last_layer(stop);
    me.set_bytes_in(req.live().size());
    me.set_transfer_in_s(transfer_s);
    me.set_planned_transfer_in_s(req.planned_transfer_s());
    const auto t0 = Clock::now();
    const std::vector<c10::IValue> out = execute(x, stop, live, deadline);
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
      finish(req, out, me, reply, handoff, deadline);
      return;
    }
    hivemind::v1::TaskRequest next;
    next.set_task(req.task());
    next.set_cut(stop);
    next.set_architecture(c_.architecture);
    next.set_deliver_to(req.deliver_to());
    *next.mutable_runs() = req.runs();
    *next.mutable_path() = req.path();
    encode_values(out, *next.mutable_live());  // tensor_wire.hpp: raw tensors, no pickle
    std::vector<split::LinkDirection> links;   // the links the transfer crosses
    for (std::size_t target = current_target();;) {
      // The transfer over links p .. (the chosen node's): shaped when emulating; planned as
      // Eq. 10 for the cut's bytes s_x on those links.
      links.clear();
      {
        std::lock_guard lock(mu_);
        links.push_back(out_link_);
      }
      for (std::size_t k = 1; k <= target; ++k) links.push_back(peers_[k].link.up);
      me.clear_bypassed();
      for (std::size_t k = 0; k < target; ++k) me.add_bypassed(peers_[k].position);
      next.mutable_runs()->DeleteSubrange(req.runs_size(), next.runs_size() - req.runs_size());
      *next.add_runs() = me;
      next.mutable_path()->DeleteSubrange(req.path_size(), next.path_size() - req.path_size());
      for (std::size_t k = 0; k <= target; ++k) {
        hivemind::v1::Link* back = next.add_path();  // the result's way back: down
        back->set_bandwidth_bytes_per_s(peers_[k].link.down.bandwidth_bytes_per_s);
        back->set_overhead_s(peers_[k].link.down.overhead_s);
      }
      next.set_links(static_cast<int>(target) + 1);
      next.set_planned_transfer_s(emulated_s(c_.task.cut_bytes[static_cast<std::size_t>(stop)],
                                             links, c_.emulation.dilation));
      next.set_sent_unix_ns(unix_ns());
      if (c_.emulation.links)
        shaper_.send(static_cast<double>(next.live().size()), links, deadline, task);
      const Clock::time_point attempt = *attempt_deadline(target, deadline);
      const grpc::Status s =
          handoff.forward ? handoff.forward(target, next, reply, attempt)
                          : call(target, &hivemind::v1::Node::Stub::Run, next, reply, attempt);
      if (s.ok()) return;  // the reply is the finishing node's (or says it was delivered)
      if (!absent(s) || target + 1 >= peers_.size() || Clock::now() >= deadline)
        throw InputError(status_line(s, who(target)));
      // Node target is absent: re-plan here without it, then retry from cut `stop`.
      log_(LogLevel::kWarn, "task %llu: %s; bypassing it, retrying from cut %d",
           static_cast<unsigned long long>(req.task()), status_line(s, who(target)).c_str(), stop);
      me.set_retries(me.retries() + 1);
      mark_absent(target, deadline);
      target = current_target();
      reply.Clear();
    }
  }

  // Throws InputError outside check_emulated_link's ranges where this node emulates its links
  // (elsewhere the link is only planned with: a bandwidth > 0 and an overhead >= 0, finite).
  void shape(const split::LinkDirection& d) {
    check_link(d, "shape", c_.emulation.links);
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
  // The largest cut's values on the wire (bytes; 0 without a model).
  std::size_t max_cut_wire_bytes() const {
    std::size_t largest = 0;
    for (const WireSize& w : cut_wire_) largest = std::max(largest, w.bytes);
    return largest;
  }
  const Logger& log() const { return log_; }

 private:
  std::string who(std::size_t k) const {
    return "node " + std::to_string(peers_[k].position) + " at " + peers_[k].address;
  }

  // The task ends at this node: the result with every node's record, this one's last. With
  // deliver: source, the result's return over the links back to the source (`path`, down) is
  // emulated here and planned as Eq. 10 for s_L; then the reply goes straight to the source
  // where it subscribed, else up the chain.
  void finish(const hivemind::v1::TaskRequest& req, const std::vector<c10::IValue>& out,
              hivemind::v1::NodeRun& me, hivemind::v1::TaskReply& reply, const Handoff& handoff,
              Clock::time_point deadline) {
    const std::vector<char> bytes = torch::pickle_save(c_.executor->result(out));
    if (c_.task.deliver == split::Deliver::kSource && req.path_size() > 0) {
      std::vector<split::LinkDirection> back;
      for (const auto& link : req.path())
        back.push_back({link.bandwidth_bytes_per_s(), link.overhead_s()});
      me.set_planned_return_s(
          emulated_s(c_.task.cut_bytes[static_cast<std::size_t>(c_.task.layers)], back,
                     c_.emulation.dilation));
      const auto t_back = Clock::now();
      if (c_.emulation.links)
        return_shaper_.send(static_cast<double>(bytes.size()), back, deadline,
                            "task " + std::to_string(req.task()) + ": the result's return");
      me.set_return_s(seconds_since(t_back));
    }
    reply.set_task(req.task());
    reply.set_result(std::string(bytes.begin(), bytes.end()));
    *reply.mutable_runs() = req.runs();
    *reply.add_runs() = me;
    if (req.deliver_to() != 0 && handoff.deliver && handoff.deliver(reply, req.deliver_to())) {
      reply.Clear();
      reply.set_task(req.task());
      reply.set_delivered(true);
    }
  }

  std::size_t current_target() {
    std::lock_guard lock(mu_);
    return target_;
  }

  // The deadline of a call to peers_[k]. Where a node after it could still be tried (a
  // bypass), kAttemptShare of the time left: a neighbour that hangs (DEADLINE_EXCEEDED) then
  // leaves the rest for the local SCI update without it and the retry past it (Failures in
  // docs/runtime.md); the last peer gets all of it. Without this a hung middle node used up
  // the whole deadline and every task through it failed (tests/runtime/failures_test.cpp).
  static constexpr double kAttemptShare = 0.75;
  std::optional<Clock::time_point> attempt_deadline(
      std::size_t k, std::optional<Clock::time_point> deadline) const {
    if (!deadline || k + 1 >= peers_.size()) return deadline;
    const auto now = Clock::now();
    if (*deadline <= now) return deadline;
    return now + std::chrono::duration_cast<Clock::duration>((*deadline - now) * kAttemptShare);
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
  // up to dilation x the profile's time of the layers so far (slack carried to later layers),
  // never past `deadline`.
  std::vector<c10::IValue> execute(int x, int stop, const std::vector<c10::IValue>& live,
                                   Clock::time_point deadline) {
    const auto i = static_cast<std::size_t>(x) + 1, j = static_cast<std::size_t>(stop);
    if (!c_.emulation.devices || stop <= x) return c_.executor->run(i, j, live);
    const auto t0 = Clock::now();
    double target = 0.0;
    std::vector<c10::IValue> values = live;
    for (std::size_t l = i; l <= j; ++l) {
      values = c_.executor->run(l, l, values);
      target += c_.compute_s[l - 1] * c_.emulation.dilation;
      sleep_until(std::min(t0 + to_duration(target), deadline));
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
    grpc::ClientContext ctx;
    set_deadline(ctx, deadline);
    return (peers_[k].stub.get()->*method)(&ctx, request, &reply);
  }
  // A call's deadline: the node's call timeout from now, or `deadline` if sooner.
  void set_deadline(grpc::ClientContext& ctx, std::optional<Clock::time_point> deadline) const {
    Clock::time_point until = Clock::now() + to_duration(c_.call_timeout_s);
    if (deadline) until = std::min(until, *deadline);
    ctx.set_deadline(std::chrono::system_clock::now() + (until - Clock::now()));
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
  std::vector<WireSize> cut_wire_;   // per cut 0..L: its values on the wire (with a model)
  split::LinkDirection out_link_{};  // guarded by mu_: link p as shaped now
  split::SciNodeOutput table_;       // guarded by mu_: the latest split table
  split::SciNodeOutput relay_;       // guarded by mu_: the absent nodes' relay step
  std::size_t target_ = 0;           // guarded by mu_: peers_[target_] is planned through
  std::uint64_t epoch_ = 0;          // guarded by mu_
  split::SciMessage step_down_;      // guarded by mu_ (the stream's scratch)
  split::SciNodeOutput step_table_;  // guarded by mu_
  split::SciMessage push_down_;      // pushed(): one thread at a time
};

}  // namespace hivemind::runtime::detail
