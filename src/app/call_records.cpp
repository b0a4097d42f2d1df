#include "app/call_records.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>

#include "common/log.hpp"
#include "media/recording_call_leg.hpp"

namespace va::app {
namespace {

calls::EndReason end_reason_of(const media::CallEnded& ended, bool outbound) {
  switch (ended.reason) {
    case media::EndReason::local_hangup:
      return calls::EndReason::agent_hangup;
    case media::EndReason::remote_hangup:
    case media::EndReason::cancelled:
      return calls::EndReason::caller_hangup;
    case media::EndReason::rejected:
      return calls::EndReason::rejected;
    case media::EndReason::no_answer:
      // Ours: the callee did not answer. Theirs: nobody came to the room (LiveKit) — a failed call.
      return outbound ? calls::EndReason::rejected : calls::EndReason::failed;
    case media::EndReason::media_timeout:
      return calls::EndReason::media_timeout;
    case media::EndReason::transferred:
      return calls::EndReason::transferred;
    case media::EndReason::shutdown:
      return calls::EndReason::drained;
    case media::EndReason::error:
      return calls::EndReason::failed;
  }
  return calls::EndReason::failed;
}

std::string_view dtmf_source_name(media::DtmfSource s) {
  switch (s) {
    case media::DtmfSource::rfc4733:
      return "rfc4733";
    case media::DtmfSource::sip_info:
      return "sip_info";
    case media::DtmfSource::inband:
      return "inband";
    case media::DtmfSource::livekit_data:
      return "livekit";
  }
  return "unknown";
}

// The decorator: the flow's handler does the call, this one reports it. Runs on the call's thread; the
// orchestrator is thread-safe. A step the store could not keep is logged and counted by the orchestrator,
// and the call goes on: a caller is never dropped for a record.
//
// A call whose route records (CallInfo::record) runs its handler on a RecordingCallLeg, which shows the
// agent's audio to the recorder; the caller's audio is shown here, in on_audio. Recording starts at the
// answer.
class RecordedCall final : public media::CallHandler {
 public:
  RecordedCall(std::unique_ptr<media::CallHandler> inner, calls::Orchestrator& orchestrator,
               media::RecordingWriter* recordings, LiveCallControl* control)
      : inner_(std::move(inner)), orchestrator_(orchestrator), recordings_(recordings), control_(control) {}
  ~RecordedCall() override {
    if (control_) control_->detach(id_, slot_);
    if (recorder_) recorder_->stop(media::CallRecorder::Clock::now());
  }
  RecordedCall(const RecordedCall&) = delete;
  RecordedCall& operator=(const RecordedCall&) = delete;

  void start(media::CallLeg& leg, const media::CallInfo& info) override {
    outbound_ = info.outbound;
    record_mode_ = recordings_ ? info.record : media::RecordingMode::off;
    sip_call_id_ = info.call_id;
    calls::CallStart s;
    s.id = info.record_id;  // chosen by who placed the call (the admin API), or a new one
    s.direction = info.outbound ? calls::Direction::outbound : calls::Direction::inbound;
    s.source = info.transport == "livekit" ? calls::Source::livekit : calls::Source::sip;
    s.caller = info.caller;
    s.called = info.dialed;
    s.trunk = info.trunk;
    s.room = info.room;
    s.participant_identity = info.participant;
    s.sip_call_id = info.call_id;
    s.flow = info.flow;
    s.attributes = info.attributes;
    auto recorded = orchestrator_.call_started(s);
    auto with_record = info;
    if (recorded.ok()) {
      id_ = recorded.value();
      with_record.record_id = id_;
      if (control_) slot_ = control_->attach(id_, info.executor, leg);
    } else {
      with_record.record_id.clear();
    }
    started_ = std::chrono::steady_clock::now();
    if (record_mode_ != media::RecordingMode::off) {
      tap_ = std::make_unique<media::RecordingCallLeg>(leg);
      inner_->start(*tap_, with_record);
    } else {
      inner_->start(leg, with_record);
    }
  }

  void on_answered() override {
    if (!id_.empty() && !answered_) {
      answered_ = true;
      answered_at_ = std::chrono::steady_clock::now();
      if (slot_) slot_->answered = true;
      (void)orchestrator_.step(id_, calls::CallState::answered);
      (void)orchestrator_.step(id_, calls::CallState::active);
    }
    if (tap_ && !recorder_) start_recording();
    inner_->on_answered();
  }
  void on_audio(const media::AudioFrame& frame) override {
    if (recorder_) recorder_->caller_audio(frame, media::CallRecorder::Clock::now());
    inner_->on_audio(frame);
  }
  void on_dtmf(const media::DtmfEvent& event) override {
    if (!id_.empty()) {
      auto since = std::chrono::steady_clock::now() - (answered_ ? answered_at_ : started_);
      (void)orchestrator_.note_dtmf(
          id_, {id_, event.digit, std::chrono::duration_cast<std::chrono::milliseconds>(since).count(),
                event.duration.count(), std::string(dtmf_source_name(event.source))});
    }
    inner_->on_dtmf(event);
  }
  void on_hold_changed(bool held) override {
    if (!id_.empty() && !transferring_)
      (void)orchestrator_.step(id_, held ? calls::CallState::on_hold : calls::CallState::active);
    inner_->on_hold_changed(held);
  }
  void on_transfer_progress(int status, bool final) override {
    if (!id_.empty()) {
      if (!transferring_) {
        transferring_ = orchestrator_.step(id_, calls::CallState::transferring) == std::nullopt;
      }
      if (final && status >= 300 && transferring_) {  // refused: the agent has the caller back
        transferring_ = false;
        (void)orchestrator_.step(id_, calls::CallState::active, "transfer failed: " + std::to_string(status));
      }
    }
    inner_->on_transfer_progress(status, final);
  }
  void on_ended(const media::CallEnded& ended) override {
    inner_->on_ended(ended);  // first: the conversation hands over its transcript as it finishes
    if (control_) control_->detach(id_, slot_);
    slot_.reset();
    if (recorder_) recorder_->stop(media::CallRecorder::Clock::now());
    if (id_.empty()) return;
    calls::CallEnd end;
    end.reason = end_reason_of(ended, outbound_);
    if (ended.sip_status != 0) end.sip_status = ended.sip_status;
    end.detail = ended.detail.empty() ? std::string(media::to_string(ended.reason)) : ended.detail;
    (void)orchestrator_.call_ended(id_, end);
  }

 private:
  // Named by the call's record id (its SIP Call-ID when the store could not keep the call).
  void start_recording() {
    const auto& name = id_.empty() ? sip_call_id_ : id_;
    recorder_ = recordings_->start(name, record_mode_, media::CallRecorder::Clock::now());
    tap_->attach(recorder_);
    log::info("recording the call",
              {{"call", name},
               {"mode", record_mode_ == media::RecordingMode::split ? "split" : "stereo"},
               {"file", recorder_->files().front()}});
    if (id_.empty()) return;
    calls::CallStart update;
    update.recordings = recorder_->files();
    (void)orchestrator_.update_metadata(id_, update);
  }

  // Declared before inner_: the handler may use the leg until it is destroyed.
  std::unique_ptr<media::RecordingCallLeg> tap_;
  std::unique_ptr<media::CallHandler> inner_;
  calls::Orchestrator& orchestrator_;
  media::RecordingWriter* recordings_;
  LiveCallControl* control_;
  std::shared_ptr<LiveCallControl::Slot> slot_;
  media::RecordingMode record_mode_ = media::RecordingMode::off;
  std::shared_ptr<media::CallRecorder> recorder_;
  std::string sip_call_id_;
  std::string id_;
  bool outbound_ = false;
  bool answered_ = false;
  bool transferring_ = false;
  std::chrono::steady_clock::time_point started_{};
  std::chrono::steady_clock::time_point answered_at_{};
};

}  // namespace

std::string instance_name(const config::Config& cfg) {
  if (!cfg.storage.instance.empty()) return cfg.storage.instance;
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) == 0 && host[0] != '\0') return host.data();
  return "voice-agent";
}

Result<CallRecords, std::string> open_call_records(const config::Config& cfg, metrics::Registry& metrics) {
  auto opened = calls::open_store(cfg.storage.url);
  if (!opened.ok()) return "call records: " + opened.error().message;
  CallRecords records;
  records.store = std::move(opened.value());
  if (auto e = records.store->migrate()) return "call records: " + e->message;
  records.orchestrator = std::make_unique<calls::Orchestrator>(
      *records.store, calls::OrchestratorOptions{instance_name(cfg)}, metrics);
  auto recovered = records.orchestrator->recover_unfinished();
  if (!recovered.ok()) return "call records: ending the calls left unfinished: " + recovered.error().message;
  if (!cfg.events.url.empty()) {
    calls::OutboxOptions o;
    o.url = cfg.events.url;
    o.secrets = {cfg.events.secret};
    o.request_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.events.timeout);
    o.backoff.initial = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.events.backoff_initial);
    o.backoff.max = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.events.backoff_max);
    o.max_attempts = static_cast<int>(cfg.events.max_attempts);
    o.instance = instance_name(cfg);
    records.outbox = std::make_unique<calls::Outbox>(*records.store, std::move(o), metrics);
    if (!records.outbox->error().empty()) return "call events: " + records.outbox->error();
    records.orchestrator->subscribe(
        [outbox = records.outbox.get()](const calls::CallEvent&) { outbox->wake(); });
  }
  log::info("call records open", {{"backend", std::string(records.store->backend())},
                                  {"instance", instance_name(cfg)},
                                  {"calls_ended_at_start", static_cast<std::int64_t>(recovered.value())}});
  return records;
}

Result<CallRecordings, std::string> open_call_recordings(const config::Config& cfg,
                                                         metrics::Registry& metrics) {
  CallRecordings out;
  const auto& routing = cfg.routing;
  const bool recording = routing.outbound.record != config::RecordMode::off ||
                         std::any_of(routing.inbound.begin(), routing.inbound.end(),
                                     [](const auto& r) { return r.record != config::RecordMode::off; });
  if (recording) {
    media::RecordingWriterOptions o;
    o.dir = cfg.recording.dir;
    out.writer = std::make_unique<media::RecordingWriter>(std::move(o), &metrics);
    if (!out.writer->open_error().empty()) return out.writer->open_error();
  }
  std::error_code ec;
  if (cfg.recording.retention > Duration(0) &&
      (recording || std::filesystem::is_directory(cfg.recording.dir, ec))) {
    // Hourly: retention is at least an hour (config_schema.cpp), and a sweep of a few thousand names is
    // cheap.
    out.retention = std::make_unique<media::RecordingRetention>(
        cfg.recording.dir, std::chrono::duration_cast<std::chrono::seconds>(cfg.recording.retention),
        std::chrono::hours(1), &metrics);
  }
  if (recording)
    log::info("call recordings",
              {{"dir", out.writer->dir().string()},
               {"retention", cfg.recording.retention > Duration(0) ? format_duration(cfg.recording.retention)
                                                                   : std::string("forever")}});
  return out;
}

void record_calls(media::CallHandlerRegistry& registry, calls::Orchestrator& orchestrator,
                  media::RecordingWriter* recordings, LiveCallControl* control) {
  registry.decorate([&orchestrator, recordings, control](
                        std::unique_ptr<media::CallHandler> inner) -> std::unique_ptr<media::CallHandler> {
    return std::make_unique<RecordedCall>(std::move(inner), orchestrator, recordings, control);
  });
}

void attach_conversation(calls::Orchestrator& orchestrator, const std::string& record_id,
                         const voice::Conversation& conversation) {
  std::vector<calls::TranscriptSegment> transcript;
  std::int64_t seq = 0;
  for (const auto& e : conversation.transcript()) {
    calls::TranscriptSegment s;
    s.call_id = record_id;
    s.seq = ++seq;
    s.speaker = e.speaker == voice::Speaker::agent ? calls::Speaker::agent : calls::Speaker::caller;
    s.text = e.text;
    s.start_ms = e.start.count();
    s.end_ms = e.end.count();
    s.interrupted = e.interrupted;
    if (e.interrupted) s.cut_ms = e.cut_at.count();
    transcript.push_back(std::move(s));
  }
  std::vector<calls::TurnMetrics> turns;
  std::int64_t n = 0;
  for (const auto& t : conversation.turns()) {
    calls::TurnMetrics m;
    m.call_id = record_id;
    m.turn = ++n;
    m.total_ms = t.total;
    m.endpointing_ms = t.endpointing;
    m.end_of_speech_to_final_ms = t.end_of_speech_to_final;
    m.final_to_reply_ms = t.final_to_reply;
    m.reply_to_first_audio_ms = t.reply_to_first_audio;
    m.first_audio_to_first_frame_ms = t.first_audio_to_first_frame;
    m.recognition_ms = t.recognition_compute;
    m.llm_first_token_ms = t.llm_first_token;
    turns.push_back(std::move(m));
  }
  (void)orchestrator.attach_conversation(record_id, std::move(transcript), std::move(turns));
  // What the flow set (`set:` actions, the hang-up reason): the record's attributes, before call.ended
  // carries them.
  if (!conversation.metadata().empty()) {
    calls::CallStart update;
    update.attributes = conversation.metadata();
    (void)orchestrator.update_metadata(record_id, update);
  }
}

}  // namespace va::app
