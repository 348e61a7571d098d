// The daemon (NodeServer): node.proto served asynchronously on one completion queue; see
// docs/runtime.md ("Threads") and node_logic.hpp for what a node computes.
#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>

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
  // write failed (the caller then returns the result up the chain).
  bool deliver(const hivemind::v1::TaskReply& reply, std::uint64_t token,
               Clock::time_point deadline);
  void defer(Deferred* d) {
    if (std::find(deferred_.begin(), deferred_.end(), d) == deferred_.end()) deferred_.push_back(d);
  }
  void undefer(Deferred* d) { std::erase(deferred_, d); }

  NodeLogic logic;
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
        writes_.push(sci_reply(out_));
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
  WriteQueue<Stream, hivemind::v1::SciReply> writes_;
  static constexpr std::size_t kMaxHeldBack = 256;  // replies held back at most
  hivemind::v1::SciStep step_;
  std::vector<std::uint8_t> out_;
  bool reading_ = false;
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
  // `sent`: called once the message is written (false: it never left).
  bool push(Message m, std::function<void(bool)> sent = {}) {
    const bool queued = writes_.push(std::move(m), std::move(sent));
    next();
    return queued;
  }
  void end(grpc::Status s) {
    writes_.end(std::move(s));
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
              const auto deadline = inner_deadline(ctx);
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

// The hand-over: an alarm due at once carries the reply to the queue's thread, which queues it
// on the subscription (if any) and frees the hand-over; the worker waits until it is written.
bool AsyncNode::deliver(const hivemind::v1::TaskReply& reply, std::uint64_t token,
                        Clock::time_point deadline) {
  struct Delivery {
    grpc::Alarm alarm;
    hivemind::v1::TaskReply reply;
    Event fired;
  };
  auto* d = new Delivery{{}, reply, Event([](bool) {})};
  auto sent = std::make_shared<std::promise<bool>>();
  std::future<bool> written = sent->get_future();
  d->fired = Event([this, d, token, sent](bool ok) {
    const bool queued =
        ok && !closing_ && deliveries && deliveries->request().token() == token &&
        deliveries->push(std::move(d->reply), [sent](bool left) { sent->set_value(left); });
    if (!queued) sent->set_value(false);
    delete d;
  });
  // Due in the past: gRPC fires it at once (a deadline of "now" waits for its next
  // millisecond tick, about 0.8 ms here).
  d->alarm.Set(cq.get(), gpr_inf_past(GPR_CLOCK_MONOTONIC), d->fired.tag());
  return written.wait_until(deadline) == std::future_status::ready && written.get();
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
