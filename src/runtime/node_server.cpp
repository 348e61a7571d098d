// The daemon (NodeServer): node.proto served asynchronously on one completion queue; see
// docs/runtime.md ("Threads") and node_logic.hpp for what a node computes.
#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/resource_quota.h>
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "hivemind/runtime/node.hpp"
#include "node_logic.hpp"

namespace hivemind::runtime {

namespace {

using namespace detail;

// Calls downstream end a little before the caller's own deadline, so that an absent node below
// is reported (and bypassed) by its neighbour, not mistaken for this one; and never after the
// node's own call timeout from now, whatever deadline the caller sent (a year, or none).
Clock::time_point inner_deadline(const grpc::ServerContext& ctx, double timeout_s) {
  const auto own = Clock::now() + to_duration(timeout_s);
  const auto left = ctx.deadline() - std::chrono::system_clock::now();
  if (left > std::chrono::hours(24 * 365)) return own;
  return std::min(own, Clock::now() + std::chrono::duration_cast<Clock::duration>(left * 0.9));
}

// The most a subscription (SciSubscribe, Deliveries) queues for a subscriber whose reads lag:
// beyond it the subscriber is dropped (RESOURCE_EXHAUSTED), not buffered without end.
constexpr std::size_t kMaxQueuedMessages = 64;
// How long a worker waits for a delivery's write to a subscriber before it drops the
// subscription as a slow reader and returns the result up the chain instead (no result is
// lost either way). A result is a few kB; on a live stream its write completes in well under
// a millisecond here, so this is far above an honest reader's time.
constexpr double kDeliveryWriteWaitS = 1.0;
// A task whose message is at least this large gives the memory it held back to the system
// once no other task is in flight (malloc_trim), so one large message does not leave the
// daemon's resident size at its peak.
constexpr std::size_t kTrimAfterBytes = 16u << 20;

// The node's byte budget for the payloads of the tasks it holds at once
// (NodeConfig::max_inflight_bytes): a task takes its share on arrival, before its values are
// decoded, and gives it back when it ends.
class InflightBudget {
 public:
  explicit InflightBudget(std::uint64_t bytes) : limit_(bytes) {}
  // False (nothing taken) where `bytes` more would pass the budget.
  bool take(std::uint64_t bytes) {
    std::lock_guard lock(mu_);
    if (bytes > limit_ - std::min(used_, limit_)) return false;
    used_ += bytes;
    ++tasks_;
    return true;
  }
  // Returns whether no task is in flight any more.
  bool give(std::uint64_t bytes) {
    std::lock_guard lock(mu_);
    used_ -= bytes;
    return --tasks_ == 0;
  }
  std::uint64_t used() {
    std::lock_guard lock(mu_);
    return used_;
  }
  std::uint64_t limit() const { return limit_; }

 private:
  std::mutex mu_;
  const std::uint64_t limit_;
  std::uint64_t used_ = 0;
  std::size_t tasks_ = 0;
};

std::string mib(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return text;
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
  // False once stopping: nothing would run the job.
  bool post(std::function<void()> f) {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    if (idle_.empty()) {
      queue_.push_back(std::move(f));
      return true;
    }
    Idle* w = idle_.back();
    idle_.pop_back();
    w->job = std::move(f);
    w->cv.notify_one();
    return true;
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
template <class Request, class Message>
class Subscriber;
using SciSubscriber = Subscriber<hivemind::v1::SciSubscription, hivemind::v1::SciReply>;
using DeliverySubscriber = Subscriber<hivemind::v1::DeliverySubscription, hivemind::v1::TaskReply>;

inline hivemind::v1::SciReply sci_reply(const std::vector<std::uint8_t>& message) {
  hivemind::v1::SciReply r;
  r.set_message(std::string(message.begin(), message.end()));
  return r;
}

// A call whose writes wait until the queue's thread has handled every event already complete
// (AsyncNode::defer): replies to a backlog of reads then leave in one send.
struct Deferred {
  virtual void flush() = 0;
  virtual ~Deferred() = default;
};

// The daemon's service (node.proto) on one completion queue served by one thread. While no
// task runs it is the only thread that polls, so an SCI message is read, stepped and sent on
// without a hand-over between threads (the sync server's pollers cost two per message); the
// handlers that block run on `workers`. The subscriptions (`subscriber`, `deliveries`,
// `feed`) are touched on the queue's thread only.
class AsyncNode {
 public:
  AsyncNode(NodeConfig c, const std::string& listen);
  ~AsyncNode() { shutdown(); }
  int port() const { return port_; }
  void shutdown();

  // Called on the queue's thread by the call objects.
  void subscribed(SciSubscriber* s);
  void subscribed(DeliverySubscriber* s);
  void feed_ready();
  void feed_message(const std::string& bytes);
  void feed_ended(const grpc::Status& s);
  void unsubscribed(SciSubscriber* s) {
    if (subscriber == s) subscriber = nullptr;
  }
  void unsubscribed(DeliverySubscriber* s) {
    if (deliveries == s) deliveries = nullptr;
  }
  // On a worker: hands a finished task to the source's subscription (Deliveries) on the
  // queue's thread; true once it is written there, false where none holds `token` or the
  // write failed or did not complete within kDeliveryWriteWaitS (the subscriber is then
  // dropped as a slow reader); the caller then returns the result up the chain.
  bool deliver(const hivemind::v1::TaskReply& reply, std::uint64_t token,
               Clock::time_point deadline);
  // Runs `f` on the queue's thread (`ok` false: the queue is shutting down).
  void on_queue(std::function<void(bool ok)> f);
  void defer(Deferred* d) {
    if (std::find(deferred_.begin(), deferred_.end(), d) == deferred_.end()) deferred_.push_back(d);
  }
  void undefer(Deferred* d) { std::erase(deferred_, d); }

  NodeLogic logic;
  InflightBudget inflight;
  AsyncService service;
  std::unique_ptr<grpc::ServerCompletionQueue> cq;
  Workers workers{8};        // threads
  std::atomic<int> live{0};  // call objects that may still start operations
  SciSubscriber* subscriber = nullptr;
  DeliverySubscriber* deliveries = nullptr;

 private:
  void close_streams();
  UnaryMethod<hivemind::v1::SciRequest, hivemind::v1::SciReply> sci_, start_;
  UnaryMethod<hivemind::v1::PlanRequest, hivemind::v1::PlanReply> plan_;
  UnaryMethod<hivemind::v1::TaskRequest, hivemind::v1::TaskReply> run_;
  UnaryMethod<hivemind::v1::Link, hivemind::v1::ShapeReply> shape_;
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
    if (!m_.blocking)
      respond();
    else if (!n_.workers.post([this] { respond(); }))  // it came in as the server shut down
      responder_.Finish(reply_, {grpc::StatusCode::UNAVAILABLE, "the node is shutting down"},
                        on_finish_.tag());
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
template <class Stream, class Message>
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
  // Called once a message's write completed (false: it never left: the stream broke or ended).
  using Sent = std::function<void(bool)>;
  ~WriteQueue() { drop(); }
  // False when the stream is ending: the message is dropped (and `sent` not called).
  bool push(Message m, Sent sent = {}) {
    if (ending()) return false;
    metadata_sent_ = true;  // the first write carries it
    queue_.push_back({std::move(m), std::move(sent)});
    return true;
  }
  void end(grpc::Status s) {  // drops what is queued
    if (end_) return;
    drop();
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
      message_ = std::move(queue_.front().message);
      sent_ = std::move(queue_.front().sent);
      queue_.pop_front();
      grpc::WriteOptions options;
      if (!queue_.empty()) options.set_buffer_hint();
      busy_ = true;
      stream_.Write(message_, options, tag);
    }
  }
  // The operation in flight completed (`ok` false: the peer went away).
  void done(bool ok) {
    busy_ = false;
    if (sent_) std::exchange(sent_, nullptr)(ok);
    if (!ok && !finished_) end({grpc::StatusCode::CANCELLED, "the stream broke"});
  }

 private:
  struct Queued {
    Message message;
    Sent sent;
  };
  void drop() {
    for (Queued& q : queue_)
      if (q.sent) q.sent(false);
    queue_.clear();
  }
  Stream& stream_;
  Message message_;  // the one being written
  Sent sent_;        // ... its callback
  std::deque<Queued> queue_;
  std::optional<grpc::Status> end_, end_after_;
  bool busy_ = false, finished_ = false, metadata_ = false, metadata_sent_ = false;
};

// SciStream (the benchmark's stream): each message read is stepped on the queue's thread and
// its reply queued; the next read is posted at once (none after an error, so that the status
// goes out without waiting for the client) while the replies waiting to be written stay under
// max_queued() (1,024 of them, and 8 MiB): a client that writes and does not read is then no
// longer read from (HTTP/2 flow control holds it back), so its replies never pile up.
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
          read_on();
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
      client_done_ = true;
      writes_.end_after_queue(grpc::Status::OK);
    } else {
      try {
        n_.logic.step(step_.downstream(), out_);
        writes_.push(sci_reply(out_));
        read_on();
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
  // Replies that may wait to be written before reading stops: all are one node's message,
  // of one size.
  std::size_t max_queued() const {
    constexpr std::size_t kMaxReplies = 1024, kMaxBytes = 8u << 20;
    return std::clamp<std::size_t>(kMaxBytes / std::max<std::size_t>(out_.size(), 1), 1,
                                   kMaxReplies);
  }
  // Posts the next read unless one is posted, the client is done, the stream is ending or
  // max_queued() replies wait to be written.
  void read_on() {
    if (reading_ || client_done_ || writes_.ending() || writes_.finished() ||
        writes_.queued() >= max_queued())
      return;
    reading_ = true;
    stream_.Read(&step_, on_read_.tag());
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
  WriteQueue<Stream, hivemind::v1::SciReply> writes_;
  static constexpr std::size_t kMaxHeldBack = 256;  // replies held back at most
  hivemind::v1::SciStep step_;
  std::vector<std::uint8_t> out_;
  bool reading_ = false, client_done_ = false;
  Event on_request_, on_read_, on_write_;
};

// A subscription to this node's messages, this node's side: SciSubscribe (the upstream
// neighbour's, SCI messages) or Deliveries (the source's, finished tasks). The node pushes
// messages into it and ends it (AsyncNode::subscribed, unsubscribed).
template <class Request, class Message>
class Subscriber {
 public:
  using Start = void (AsyncService::*)(grpc::ServerContext*, Request*,
                                       grpc::ServerAsyncWriter<Message>*, grpc::CompletionQueue*,
                                       grpc::ServerCompletionQueue*, void*);
  static void listen(AsyncNode& n, Start start) { new Subscriber(n, start); }
  void ready() {
    writes_.send_metadata();
    next();
  }
  // `sent`: called once the message is written (false: it never left). A subscriber that has
  // kMaxQueuedMessages unwritten already reads too slowly: it is dropped (and false returned).
  bool push(Message m, std::function<void(bool)> sent = {}) {
    if (writes_.queued() >= kMaxQueuedMessages) {
      drop({grpc::StatusCode::RESOURCE_EXHAUSTED, "the subscriber reads too slowly (" +
                                                      std::to_string(kMaxQueuedMessages) +
                                                      " messages queued): dropped"});
      return false;
    }
    const bool queued = writes_.push(std::move(m), std::move(sent));
    next();
    return queued;
  }
  void end(grpc::Status s) {
    writes_.end(std::move(s));
    next();
  }
  // Ends the stream now, also where a write waits on a peer that does not read: the call is
  // cancelled, so that write completes (failed) and every queued message is dropped.
  void drop(grpc::Status s) {
    n_.unsubscribed(this);
    writes_.end(std::move(s));
    ctx_.TryCancel();
    next();
  }
  const Request& request() const { return request_; }

 private:
  Subscriber(AsyncNode& n, Start start)
      : n_(n),
        start_(start),
        writer_(&ctx_),
        writes_(writer_),
        on_request_([this](bool ok) { arrived(ok); }),
        on_write_([this](bool ok) {
          writes_.done(ok);
          if (!ok) n_.unsubscribed(this);
          next();
        }) {
    (n_.service.*start_)(&ctx_, &request_, &writer_, n_.cq.get(), n_.cq.get(), on_request_.tag());
  }
  void arrived(bool ok) {
    if (!ok) {
      delete this;
      return;
    }
    ++n_.live;
    listen(n_, start_);
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
  Start start_;
  grpc::ServerContext ctx_;
  Request request_;
  grpc::ServerAsyncWriter<Message> writer_;
  WriteQueue<grpc::ServerAsyncWriter<Message>, Message> writes_;
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

// The largest message a node takes: its largest cut on the wire plus room for a task's other
// fields (records, links: tens of bytes per node), at least 4 MiB (gRPC's default; an SCI
// message of a million layers), at most kMaxMessageBytes. gRPC refuses a longer one itself.
int max_receive_bytes(const NodeLogic& logic) {
  const std::size_t bound =
      std::max<std::size_t>(logic.max_cut_wire_bytes() + (1u << 20), 4u << 20);
  return static_cast<int>(std::min<std::size_t>(bound, kMaxMessageBytes));
}

AsyncNode::AsyncNode(NodeConfig c, const std::string& listen)
    : logic(std::move(c)), inflight(logic.config().max_inflight_bytes) {
  const NodeConfig& config = logic.config();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, server_credentials(config.tls), &port_);
  builder.SetMaxReceiveMessageSize(max_receive_bytes(logic));
  // gRPC's own buffers (messages being received, queued writes) under the same budget.
  grpc::ResourceQuota quota("hivemind-node");
  quota.Resize(static_cast<std::size_t>(config.max_inflight_bytes));
  builder.SetResourceQuota(quota);
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
              const std::vector<std::uint8_t> m = logic.update(
                  req.epoch(), nullptr, 0, inner_deadline(ctx, logic.config().call_timeout_s));
              reply.set_message(std::string(m.begin(), m.end()));
              return grpc::Status::OK;
            } catch (const std::exception& e) {  // a bad message or a dead sink: an error reply
              return grpc::Status{grpc::StatusCode::FAILED_PRECONDITION, one_line(e.what())};
            }
          }};
  run_ = {&AsyncService::RequestRun, true,
          [this](grpc::ServerContext& ctx, const TaskRequest& req, TaskReply& reply,
                 std::int64_t arrived) {
            // Held three times over while the task runs: the message, its decoded values,
            // the values sent on.
            const std::uint64_t share = 3 * static_cast<std::uint64_t>(req.ByteSizeLong());
            if (!inflight.take(share))
              return grpc::Status{grpc::StatusCode::RESOURCE_EXHAUSTED,
                                  "task " + std::to_string(req.task()) + ": the node holds " +
                                      mib(inflight.used()) + " of tasks in flight, " + mib(share) +
                                      " more would pass its budget of " + mib(inflight.limit()) +
                                      " (--max-inflight-mib)"};
            struct Give {
              InflightBudget& budget;
              std::uint64_t share;
              ~Give() {
                // The last task out after a large one hands the freed heap back.
                if (budget.give(share) && share >= 3 * kTrimAfterBytes) ::malloc_trim(0);
              }
            } give{inflight, share};
            try {
              const std::vector<c10::IValue> live = logic.decode_live(req);
              const auto deadline = inner_deadline(ctx, logic.config().call_timeout_s);
              NodeLogic::Handoff handoff;
              handoff.deliver = [this, deadline](const TaskReply& r, std::uint64_t token) {
                return deliver(r, token, deadline);
              };
              logic.run(req, live, arrived, deadline, reply, handoff);
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
            [this](grpc::ServerContext&, const Link& req, ShapeReply&, std::int64_t) {
              if (logic.config().sink)
                return grpc::Status{grpc::StatusCode::FAILED_PRECONDITION,
                                    "shape: the sink sends nothing downstream"};
              try {
                logic.shape({req.bandwidth_bytes_per_s(), req.overhead_s()});  // checks ranges
                return grpc::Status::OK;
              } catch (const std::exception& e) {
                return grpc::Status{grpc::StatusCode::INVALID_ARGUMENT, one_line(e.what())};
              }
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
                subscriber->push(sci_reply(logic.update(req.epoch())));
                return grpc::Status::OK;
              } catch (const std::exception& e) {
                return grpc::Status{grpc::StatusCode::FAILED_PRECONDITION, one_line(e.what())};
              }
            }};
  UnaryCall<SciRequest, SciReply>::listen(*this, sci_);
  UnaryCall<TaskRequest, TaskReply>::listen(*this, run_);
  UnaryCall<PlanRequest, PlanReply>::listen(*this, plan_);
  UnaryCall<Link, ShapeReply>::listen(*this, shape_);
  UnaryCall<SciRequest, SciReply>::listen(*this, start_);
  StepStream::listen(*this);
  SciSubscriber::listen(*this, &AsyncService::RequestSciSubscribe);
  DeliverySubscriber::listen(*this, &AsyncService::RequestDeliveries);
  thread_ = std::thread([this] {
    void* tag = nullptr;
    bool ok = false;
    for (;;) {
      // Writes held back (StepStream) go out once no completed event is left to handle.
      if (!deferred_.empty()) {
        const auto got = cq->AsyncNext(&tag, &ok, gpr_inf_past(GPR_CLOCK_MONOTONIC));
        if (got == grpc::CompletionQueue::SHUTDOWN) break;
        if (got == grpc::CompletionQueue::TIMEOUT) {
          std::vector<Deferred*> now;
          now.swap(deferred_);
          for (Deferred* d : now) d->flush();
          continue;
        }
      } else if (!cq->Next(&tag, &ok)) {
        break;
      }
      (*static_cast<Event*>(tag))(ok);
    }
  });
}

void AsyncNode::subscribed(SciSubscriber* s) {
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

void AsyncNode::subscribed(DeliverySubscriber* s) {
  if (closing_) {
    s->end({grpc::StatusCode::UNAVAILABLE, "the node is shutting down"});
    return;
  }
  if (s->request().token() == 0) {
    s->end({grpc::StatusCode::INVALID_ARGUMENT, "Deliveries: token 0 (it must be nonzero)"});
    return;
  }
  if (deliveries && deliveries != s)
    deliveries->end({grpc::StatusCode::CANCELLED, "replaced by a newer Deliveries subscription"});
  deliveries = s;
  s->ready();
}

// An alarm due at once carries `f` to the queue's thread, which runs it and frees the alarm.
void AsyncNode::on_queue(std::function<void(bool ok)> f) {
  struct Posted {
    grpc::Alarm alarm;
    Event fired;
  };
  auto* posted = new Posted{{}, Event([](bool) {})};
  posted->fired = Event([posted, f = std::move(f)](bool ok) {
    f(ok);
    delete posted;
  });
  // Due in the past: gRPC fires it at once (a deadline of "now" waits for its next
  // millisecond tick, about 0.8 ms here).
  posted->alarm.Set(cq.get(), gpr_inf_past(GPR_CLOCK_MONOTONIC), posted->fired.tag());
}

// The hand-over: the queue's thread queues the reply on the subscription (if any); the worker
// waits until it is written, at most kDeliveryWriteWaitS: a subscriber that has not taken it
// by then is dropped (its queued deliveries all fail, their workers return them up the chain),
// so a source that does not read its stream holds no worker for long.
bool AsyncNode::deliver(const hivemind::v1::TaskReply& reply, std::uint64_t token,
                        Clock::time_point deadline) {
  auto sent = std::make_shared<std::promise<bool>>();
  std::future<bool> written = sent->get_future();
  on_queue([this, reply, token, sent](bool ok) mutable {
    const bool queued =
        ok && !closing_ && deliveries && deliveries->request().token() == token &&
        deliveries->push(std::move(reply), [sent](bool left) { sent->set_value(left); });
    if (!queued) sent->set_value(false);
  });
  const auto patience = std::min(deadline, Clock::now() + to_duration(kDeliveryWriteWaitS));
  if (written.wait_until(patience) == std::future_status::ready) return written.get();
  on_queue([this, token](bool ok) {
    if (ok && deliveries && deliveries->request().token() == token) {
      logic.log()(LogLevel::kWarn, "Deliveries: a write waited %.3g s: the subscriber is dropped",
                  kDeliveryWriteWaitS);
      deliveries->drop({grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "Deliveries: the subscriber did not read a result within " +
                            std::to_string(kDeliveryWriteWaitS) + " s: dropped"});
    }
  });
  // The drop fails the write (the call is cancelled); wait for that, not for the peer.
  const auto bound = Clock::now() + to_duration(kDeliveryWriteWaitS);
  return written.wait_until(bound) == std::future_status::ready && written.get();
}

void AsyncNode::feed_ready() {
  if (subscriber) subscriber->ready();
}

void AsyncNode::feed_message(const std::string& bytes) {
  try {
    const std::vector<std::uint8_t> m = logic.pushed(bytes);
    if (subscriber) subscriber->push(sci_reply(m));
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
  if (deliveries) deliveries->end({grpc::StatusCode::UNAVAILABLE, "the node is shutting down"});
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
  // The calls still alive finish on the queue's thread before it shuts down (at most 2 s).
  const auto until = Clock::now() + std::chrono::seconds(2);
  while (live.load() > 0 && Clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  cq->Shutdown();
  thread_.join();
  server_.reset();
}

}  // namespace

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

}  // namespace hivemind::runtime
