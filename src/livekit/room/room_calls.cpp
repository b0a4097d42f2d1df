#include "livekit/room/room_calls.hpp"

#include <boost/asio/post.hpp>
#include <utility>
#include <vector>

#include "common/log.hpp"
#include "livekit/room/room_leg.hpp"

namespace va::livekit::room {
namespace {

// Job assignment → first published frame: the caller's ring time (LiveKit's SIP bridge answers once our
// track is published). Buckets around the 300 ms target.
std::vector<double> ring_time_buckets() {
  return {0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 2, 5};
}

}  // namespace

// One call: the leg, the handler driving it, and the bookkeeping around them. It stands between the leg and
// the handler as the leg's observer, so it learns when the call ends; everything else passes through.
class RoomCalls::Call : public media::CallLegObserver, public std::enable_shared_from_this<Call> {
 public:
  Call(RoomCalls& owner, AgentJob job, media::MediaThreads::Shard& shard)
      : owner_(owner),
        job_(std::move(job)),
        shard_(shard),
        log_(log::Fields{{"job", job_.id}, {"room", job_.room_name}}) {}

  void start(std::chrono::steady_clock::time_point assigned) {
    RoomLegOptions options;
    options.url = job_.url;
    options.token = job_.token;
    options.room_name = job_.room_name;
    options.caller_selection = owner_.options_.caller_selection;
    options.delete_room_on_hangup = owner_.options_.delete_room_on_hangup;
    options.track_name = owner_.options_.track_name;
    options.caller_timeout = owner_.options_.caller_timeout;
    options.started = assigned;
    std::weak_ptr<Call> weak = shared_from_this();
    RoomLegHooks hooks;
    hooks.caller_found = [weak](const RoomParticipant& caller) {
      if (auto self = weak.lock()) self->on_caller(caller);
    };
    hooks.first_frame_published = [weak](std::chrono::nanoseconds ring) {
      if (auto self = weak.lock()) self->on_first_frame(ring);
    };
    leg_ = RoomLeg::create(*owner_.library_, shard_.io.get_executor(), *shard_.clock, owner_.admin_,
                           std::move(options), std::move(hooks));
    leg_->set_observer(this);
    leg_->start();
  }

  void hang_up(media::EndReason reason) {
    if (leg_ && !leg_->ended()) leg_->hangup(reason);
  }

  boost::asio::any_io_executor executor() { return shard_.io.get_executor(); }
  const AgentJob& job() const { return job_; }

  // The webhook side of the call (under RoomCalls' mutex): the caller's sip.callID once the leg found the
  // caller, and how many events were joined to it.
  std::string caller_call_id;
  std::string caller_identity;
  std::size_t webhook_events = 0;

  // media::CallLegObserver: to the handler, once there is one.
  void on_answered() override {
    if (handler_) handler_->on_answered();
  }
  void on_audio(const media::AudioFrame& frame) override {
    if (handler_) handler_->on_audio(frame);
  }
  void on_dtmf(const media::DtmfEvent& event) override {
    if (handler_) handler_->on_dtmf(event);
  }
  void on_hold_changed(bool held) override {
    if (handler_) handler_->on_hold_changed(held);
  }
  void on_transfer_progress(int status, bool final) override {
    if (handler_) handler_->on_transfer_progress(status, final);
  }
  void on_ended(const media::CallEnded& ended) override {
    log_.info("livekit call ended",
              {{"reason", std::string(media::to_string(ended.reason))}, {"detail", ended.detail}});
    if (handler_) handler_->on_ended(ended);
    bool failed = ended.reason == media::EndReason::error || ended.reason == media::EndReason::no_answer;
    auto result = failed ? std::string(media::to_string(ended.reason)) : std::string("completed");
    owner_.calls_.with({result}).inc();
    // The handler may still be on the stack (it can hang up from inside a callback): let go after this.
    auto self = shared_from_this();
    boost::asio::post(executor(), [self, failed, detail = ended.detail] {
      self->handler_.reset();
      self->leg_.reset();
      self->owner_.forget(self->job_.id, failed ? (detail.empty() ? "call failed" : detail) : std::string());
    });
  }

 private:
  void on_caller(const RoomParticipant& caller) {
    owner_.caller_found(*this, caller);
    auto route = owner_.options_.route ? owner_.options_.route(job_, caller) : RoomCallRoute{};
    auto info = call_info_from(caller);
    info.flow = route.flow;
    info.language = route.language;
    info.record = route.record;
    info.executor = executor();
    info.room = job_.room_name;
    log_.info("livekit call", {{"caller", caller.identity},
                               {"sip", caller.sip},
                               {"call_id", info.call_id},
                               {"from", info.caller},
                               {"to", info.dialed},
                               {"flow", info.flow},
                               {"language", info.language},
                               {"route", route.route}});
    handler_ = owner_.handlers_.make(info.flow);
    if (!handler_) {
      log_.warn("no handler for the call's flow: hanging up", {{"flow", info.flow}});
      leg_->hangup(media::EndReason::rejected);
      return;
    }
    handler_->start(*leg_, info);
  }

  void on_first_frame(std::chrono::nanoseconds ring) {
    owner_.ring_time_.get().observe(std::chrono::duration<double>(ring).count());
    log_.info("livekit agent track published",
              {{"ring_ms", std::chrono::duration<double, std::milli>(ring).count()}});
  }

  RoomCalls& owner_;
  AgentJob job_;
  media::MediaThreads::Shard& shard_;
  log::Logger log_;
  std::shared_ptr<RoomLeg> leg_;
  std::unique_ptr<media::CallHandler> handler_;
};

RoomCalls::RoomCalls(FfiLibrary* library, std::string library_error, media::MediaThreads& threads,
                     RoomAdministration* admin, const media::CallHandlerRegistry& handlers,
                     RoomCallsOptions options, RoomCallsReports reports, metrics::Registry& metrics)
    : library_(library),
      library_error_(std::move(library_error)),
      threads_(threads),
      admin_(admin),
      handlers_(handlers),
      options_(std::move(options)),
      reports_(std::move(reports)),
      calls_(metrics.counter("livekit_calls_total",
                             "LiveKit calls (agent jobs) by outcome: completed, error, no_answer, refused",
                             {"result"})),
      active_gauge_(metrics.gauge("livekit_calls_active", "LiveKit calls in progress")),
      webhooks_(metrics.counter("livekit_call_webhooks_total",
                                "LiveKit webhook events by whether they belong to a LiveKit call in progress",
                                {"matched"})),
      ring_time_(metrics.histogram("livekit_ring_time_seconds",
                                   "Job assignment to the agent's first published audio frame: the caller's "
                                   "ring time behind LiveKit's SIP bridge",
                                   {}, ring_time_buckets())) {}

RoomCalls::~RoomCalls() = default;

void RoomCalls::run(const AgentJob& job, std::chrono::steady_clock::time_point assigned) {
  if (!library_) {
    log::error("cannot join the room: LiveKit's Rust core is not loaded",
               {{"job", job.id}, {"room", job.room_name}, {"error", library_error_}});
    calls_.with({"refused"}).inc();
    if (reports_.job_finished) reports_.job_finished(job.id, library_error_);
    return;
  }
  auto& shard = threads_.next();
  auto call = std::make_shared<Call>(*this, job, shard);
  {
    std::lock_guard lock(mutex_);
    calls_by_job_[job.id] = call;
    active_gauge_.get().set(static_cast<double>(calls_by_job_.size()));
  }
  if (reports_.job_running) reports_.job_running(job.id);
  boost::asio::post(call->executor(), [call, assigned] { call->start(assigned); });
}

void RoomCalls::terminate(const std::string& job_id) {
  std::shared_ptr<Call> call;
  {
    std::lock_guard lock(mutex_);
    auto it = calls_by_job_.find(job_id);
    if (it == calls_by_job_.end()) return;
    call = it->second;
  }
  boost::asio::post(call->executor(), [call] { call->hang_up(media::EndReason::local_hangup); });
}

void RoomCalls::hang_up_all() {
  std::vector<std::shared_ptr<Call>> calls;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, call] : calls_by_job_) calls.push_back(call);
  }
  for (auto& call : calls)
    boost::asio::post(call->executor(), [call] { call->hang_up(media::EndReason::shutdown); });
}

std::size_t RoomCalls::active() const {
  std::lock_guard lock(mutex_);
  return calls_by_job_.size();
}

void RoomCalls::caller_found(Call& call, const RoomParticipant& caller) {
  std::lock_guard lock(mutex_);
  call.caller_identity = caller.identity;
  call.caller_call_id = caller.attribute("sip.callID");
}

void RoomCalls::on_event(const WebhookEvent& event) {
  if (!event.room) return;
  std::lock_guard lock(mutex_);
  Call* call = nullptr;
  for (auto& [id, candidate] : calls_by_job_) {
    if (candidate->job().room_name == event.room->name) call = candidate.get();
  }
  if (!call) {
    webhooks_.with({"false"}).inc();
    return;
  }
  webhooks_.with({"true"}).inc();
  ++call->webhook_events;
  log::Fields fields{{"job", call->job().id},
                     {"room", event.room->name},
                     {"event", event.name},
                     {"event_id", event.id},
                     {"call_id", call->caller_call_id}};
  if (event.participant) {
    fields.emplace_back("participant", event.participant->identity);
    auto id = event.participant->attributes.find("sip.callID");
    bool the_caller = event.participant->identity == call->caller_identity;
    if (the_caller && id != event.participant->attributes.end() && !call->caller_call_id.empty() &&
        id->second != call->caller_call_id) {
      fields.emplace_back("webhook_call_id", id->second);
      log::warn("livekit webhook names another sip.callID for the call's caller", std::move(fields));
      return;
    }
  }
  log::info("livekit webhook event of a call", std::move(fields));
}

std::size_t RoomCalls::webhook_events(const std::string& job_id) const {
  std::lock_guard lock(mutex_);
  auto it = calls_by_job_.find(job_id);
  return it == calls_by_job_.end() ? 0 : it->second->webhook_events;
}

void RoomCalls::forget(const std::string& job_id, const std::string& error) {
  {
    std::lock_guard lock(mutex_);
    calls_by_job_.erase(job_id);
    active_gauge_.get().set(static_cast<double>(calls_by_job_.size()));
  }
  if (reports_.job_finished) reports_.job_finished(job_id, error);
}

}  // namespace va::livekit::room
