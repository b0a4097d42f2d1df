#include "livekit/room/room_leg.hpp"

#include <audio_frame.pb.h>
#include <ffi.pb.h>
#include <participant.pb.h>
#include <room.pb.h>
#include <track.pb.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <span>

namespace va::livekit::room {

namespace asio = boost::asio;
namespace pb = google::protobuf;

namespace {

// Silence captured at once after publishing, ahead of real time: the library's source then has something
// to hand WebRTC while our tick jitters (each tick adds one frame, WebRTC takes one per 20 ms).
constexpr int kStartCushionFrames = 2;

RoomParticipant participant_from(const proto::ParticipantInfo& info) {
  RoomParticipant participant;
  participant.identity = info.identity();
  participant.name = info.name();
  participant.sid = info.sid();
  participant.sip = info.kind() == proto::PARTICIPANT_KIND_SIP;
  for (const auto& entry : info.attributes()) participant.attributes[entry.first] = entry.second;
  return participant;
}

// RFC 4733 §3.2 event codes, which the bridge's sip_dtmf packets carry.
std::optional<int> dtmf_code(char digit) {
  if (digit >= '0' && digit <= '9') return digit - '0';
  if (digit == '*') return 10;
  if (digit == '#') return 11;
  if (digit >= 'A' && digit <= 'D') return 12 + (digit - 'A');
  if (digit >= 'a' && digit <= 'd') return 12 + (digit - 'a');
  return std::nullopt;
}

char dtmf_digit(const proto::SipDTMF& dtmf) {
  if (dtmf.has_digit() && dtmf.digit().size() == 1) return dtmf.digit()[0];
  static constexpr std::string_view kCodes = "0123456789*#ABCD";
  return dtmf.code() < kCodes.size() ? kCodes[dtmf.code()] : '\0';
}

media::CallEnded ended_by_room(proto::DisconnectReason reason) {
  media::CallEnded ended;
  ended.detail = "room: " + proto::DisconnectReason_Name(reason);
  switch (reason) {
    case proto::CLIENT_INITIATED:
      ended.reason = media::EndReason::local_hangup;
      break;
    case proto::PARTICIPANT_REMOVED:
    case proto::ROOM_DELETED:
    case proto::ROOM_CLOSED:
    case proto::USER_UNAVAILABLE:
    case proto::USER_REJECTED:
      ended.reason = media::EndReason::remote_hangup;
      break;
    case proto::SERVER_SHUTDOWN:
      ended.reason = media::EndReason::shutdown;
      break;
    case proto::CONNECTION_TIMEOUT:
    case proto::MEDIA_FAILURE:
      ended.reason = media::EndReason::media_timeout;
      break;
    default:
      ended.reason = media::EndReason::error;
      break;
  }
  return ended;
}

}  // namespace

std::shared_ptr<RoomLeg> RoomLeg::create(FfiLibrary& library, asio::any_io_executor executor,
                                         media::MediaClock& clock, RoomAdministration* admin,
                                         RoomLegOptions options, RoomLegHooks hooks) {
  return std::shared_ptr<RoomLeg>(
      new RoomLeg(library, std::move(executor), clock, admin, std::move(options), std::move(hooks)));
}

RoomLeg::RoomLeg(FfiLibrary& library, asio::any_io_executor executor, media::MediaClock& clock,
                 RoomAdministration* admin, RoomLegOptions options, RoomLegHooks hooks)
    : library_(library),
      executor_(std::move(executor)),
      clock_(clock),
      admin_(admin),
      options_(std::move(options)),
      hooks_(std::move(hooks)),
      log_(log::Fields{{"room", options_.room_name}}),
      id_(options_.room_name),
      outgoing_(options_.max_queued_frames),
      connect_timer_(executor_),
      caller_timer_(executor_),
      teardown_timer_(executor_) {}

RoomLeg::~RoomLeg() {
  auto& router = library_.router();
  for (auto id : pending_callbacks_) router.forget_callback(id);
  if (stream_handle_ != 0) router.forget_stream(stream_handle_);
  if (room_handle_ != 0) router.forget_room(room_handle_);
  if (room_ && state_ != State::ended) {
    // Destroyed without an orderly end (shutdown): leave the room anyway; nobody waits for the callback.
    proto::FfiRequest request;
    request.mutable_disconnect()->set_room_handle(room_.id());
    (void)library_.request(request);
  }
}

// ---- requests ----

std::optional<std::uint64_t> RoomLeg::send_async(proto::FfiRequest& request) {
  const auto* oneof = proto::FfiRequest::descriptor()->FindOneofByName("message");
  const auto* field = request.GetReflection()->GetOneofFieldDescriptor(request, oneof);
  auto* inner = request.GetReflection()->MutableMessage(&request, field);
  const auto* id_field = inner->GetDescriptor()->FindFieldByName("request_async_id");
  auto& router = library_.router();
  auto id = router.next_async_id();
  inner->GetReflection()->SetUInt64(inner, id_field, id);
  router.route_callback(id, weak_from_this());
  auto reply = library_.request(request);
  if (!reply.ok()) {
    router.forget_callback(id);
    log_.warn("liblivekit_ffi request failed", {{"request", field->name()}, {"error", reply.error()}});
    return std::nullopt;
  }
  // Protocol 1.2.1 answers with our id. A library that picks its own would answer with that one: follow it
  // (a callback racing ahead of this re-route would then be dropped, and the step's timeout takes over).
  const auto* response_field = reply->response->GetReflection()->GetOneofFieldDescriptor(
      *reply->response, proto::FfiResponse::descriptor()->FindOneofByName("message"));
  if (response_field != nullptr && response_field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
    const auto& answer = reply->response->GetReflection()->GetMessage(*reply->response, response_field);
    if (const auto* async = answer.GetDescriptor()->FindFieldByName("async_id"); async != nullptr) {
      auto answered = answer.GetReflection()->GetUInt64(answer, async);
      if (answered != 0 && answered != id) {
        router.forget_callback(id);
        router.route_callback(answered, weak_from_this());
        id = answered;
      }
    }
  }
  pending_callbacks_.push_back(id);
  return id;
}

void RoomLeg::enqueue(std::shared_ptr<FfiDelivery> delivery) {
  asio::post(executor_, [weak = weak_from_this(), delivery = std::move(delivery)] {
    if (auto self = weak.lock()) self->on_delivery(*delivery);
    // Whatever the leg did not take is dropped with the delivery, here, on the leg's thread.
  });
}

void RoomLeg::on_delivery(FfiDelivery& delivery) {
  const auto& event = *delivery.event;
  if (auto id = event.GetDescriptor()->FindOneofByName("message"); id != nullptr) {
    // A callback answers one request: it is no longer pending (routes of callbacks are one-shot).
    const auto* field = event.GetReflection()->GetOneofFieldDescriptor(event, id);
    if (field != nullptr && field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      const auto& inner = event.GetReflection()->GetMessage(event, field);
      if (const auto* async = inner.GetDescriptor()->FindFieldByName("async_id"); async != nullptr) {
        auto value = inner.GetReflection()->GetUInt64(inner, async);
        std::erase(pending_callbacks_, value);
      }
    }
  }
  switch (event.message_case()) {
    case proto::FfiEvent::kConnect:
      on_connect(delivery);
      break;
    case proto::FfiEvent::kRoomEvent:
      on_room_event(delivery);
      break;
    case proto::FfiEvent::kAudioStreamEvent:
      on_audio_stream_event(delivery);
      break;
    case proto::FfiEvent::kPublishTrack:
      on_published(delivery);
      break;
    case proto::FfiEvent::kCaptureAudioFrame:
      on_captured(delivery);
      break;
    case proto::FfiEvent::kDisconnect:
      if (event.disconnect().async_id() == disconnect_async_id_) finish();
      break;
    case proto::FfiEvent::kPublishSipDtmf:
      if (event.publish_sip_dtmf().has_error()) {
        log_.warn("sending sip_dtmf failed", {{"error", event.publish_sip_dtmf().error()}});
      }
      break;
    default:
      break;  // callbacks of requests we do not care about the outcome of
  }
}

// ---- joining ----

void RoomLeg::start() {
  if (state_ != State::idle) return;
  started_ = options_.started.value_or(std::chrono::steady_clock::now());
  state_ = State::connecting;
  proto::FfiRequest request;
  auto* connect = request.mutable_connect();
  connect->set_url(options_.url);
  connect->set_token(options_.token);
  auto* room_options = connect->mutable_options();
  room_options->set_auto_subscribe(true);
  room_options->set_adaptive_stream(false);
  room_options->set_dynacast(false);
  room_options->set_connect_timeout_ms(static_cast<std::uint64_t>(options_.connect_timeout.count()));
  if (!send_async(request)) {
    fail("liblivekit_ffi refused to connect");
    return;
  }
  connect_in_flight_ = true;
  log_.info("joining LiveKit room", {{"url", options_.url}});
  // The library has its own timeout (connect_timeout_ms, per attempt); this one bounds the whole join.
  connect_timer_.expires_after(options_.connect_timeout + std::chrono::seconds(5));
  connect_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->state_ != State::connecting) return;
    self->fail("joining the room timed out");
  });
}

void RoomLeg::on_connect(FfiDelivery& delivery) {
  connect_in_flight_ = false;
  connect_timer_.cancel();
  const auto& callback = delivery.event->connect();
  if (callback.has_error() || !callback.has_result()) {
    if (state_ == State::connecting) fail("joining the room failed: " + callback.error());
    return;
  }
  const auto& result = callback.result();
  room_ = delivery.handles.take(result.room().handle().id());
  room_handle_ = room_.id();
  local_participant_ = delivery.handles.take(result.local_participant().handle().id());
  local_identity_ = result.local_participant().info().identity();
  if (state_ != State::connecting) {  // hung up while joining: leave at once
    disconnect();
    return;
  }
  state_ = State::connected;
  log_.info("joined LiveKit room", {{"identity", local_identity_},
                                    {"participants", static_cast<std::int64_t>(result.participants_size())},
                                    {"join_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                                    std::chrono::steady_clock::now() - started_)
                                                    .count()}});

  // Publishing first: it is what the caller's ring time waits for.
  publish();
  if (state_ != State::connected) return;

  proto::FfiRequest ready;
  ready.mutable_ready_for_room_event()->set_room_handle(room_.id());
  if (auto reply = library_.request(ready); !reply.ok()) {
    log_.warn("ReadyForRoomEvent refused", {{"error", reply.error()}});
  }

  for (const auto& existing : result.participants()) {
    auto participant = participant_from(existing.participant().info());
    for (const auto& publication : existing.publications()) {
      if (publication.info().kind() == proto::KIND_AUDIO) participant.publishes_audio = true;
    }
    remember(std::move(participant));
    if (state_ != State::connected) return;
  }
  if (!caller_) {
    caller_timer_.expires_after(options_.caller_timeout);
    caller_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self || self->caller_ || self->state_ != State::connected) return;
      self->leave(media::EndReason::no_answer, "no caller joined the room", false);
    });
  }
}

void RoomLeg::publish() {
  proto::FfiRequest new_source;
  auto* source = new_source.mutable_new_audio_source();
  source->set_type(proto::AUDIO_SOURCE_NATIVE);
  source->set_sample_rate(media::kPipelineSampleRate);
  source->set_num_channels(1);
  source->set_queue_size_ms(static_cast<std::uint32_t>(options_.source_queue.count()));
  auto* processing = source->mutable_options();  // the pipeline's audio is clean: no AEC/NS/AGC
  processing->set_echo_cancellation(false);
  processing->set_noise_suppression(false);
  processing->set_auto_gain_control(false);
  auto reply = library_.request(new_source);
  if (!reply.ok() || !reply->response->has_new_audio_source()) {
    fail("creating the audio source failed" + (reply.ok() ? std::string() : ": " + reply.error()));
    return;
  }
  source_ = reply->handles.take(reply->response->new_audio_source().source().handle().id());

  proto::FfiRequest new_track;
  new_track.mutable_create_audio_track()->set_name(options_.track_name);
  new_track.mutable_create_audio_track()->set_source_handle(source_.id());
  auto track = library_.request(new_track);
  if (!track.ok() || !track->response->has_create_audio_track()) {
    fail("creating the audio track failed" + (track.ok() ? std::string() : ": " + track.error()));
    return;
  }
  track_ = track->handles.take(track->response->create_audio_track().track().handle().id());

  proto::FfiRequest publish;
  auto* request = publish.mutable_publish_track();
  request->set_local_participant_handle(local_participant_.id());
  request->set_track_handle(track_.id());
  request->mutable_options()->set_source(proto::SOURCE_MICROPHONE);
  if (!send_async(publish)) fail("publishing the audio track failed");
}

void RoomLeg::on_published(FfiDelivery& delivery) {
  const auto& callback = delivery.event->publish_track();
  if (state_ != State::connected) return;
  if (callback.has_error() || !callback.has_publication()) {
    fail("publishing the audio track failed: " + callback.error());
    return;
  }
  publication_ = delivery.handles.take(callback.publication().handle().id());
  publishing_ = true;
  log_.debug("audio track published", {{"sid", callback.publication().info().sid()}});
  for (int i = 0; i < kStartCushionFrames; ++i) on_tick();
  tick_ = clock_.subscribe([this](const media::MediaTick&) { on_tick(); });
}

// ---- audio out ----

void RoomLeg::on_tick() {
  if (!publishing_ || state_ != State::connected || !source_) return;
  auto next = outgoing_.next();
  if (!next) return;
  capture(*next);
}

void RoomLeg::capture(const OutgoingAudio::Capture& capture) {
  proto::FfiRequest request;
  auto* frame = request.mutable_capture_audio_frame();
  frame->set_source_handle(source_.id());
  auto* buffer = frame->mutable_buffer();
  buffer->set_data_ptr(reinterpret_cast<std::uintptr_t>(capture.frame->samples.data()));
  buffer->set_num_channels(1);
  buffer->set_sample_rate(media::kPipelineSampleRate);
  buffer->set_samples_per_channel(static_cast<std::uint32_t>(media::kFrameSamples));
  auto id = send_async(request);
  if (!id) {
    outgoing_.release(capture.slot);
    return;
  }
  captures_.emplace_back(*id, capture.slot);
}

void RoomLeg::on_captured(FfiDelivery& delivery) {
  const auto& callback = delivery.event->capture_audio_frame();
  auto it = std::find_if(captures_.begin(), captures_.end(),
                         [&](const auto& entry) { return entry.first == callback.async_id(); });
  if (it == captures_.end()) return;
  outgoing_.release(it->second);
  captures_.erase(it);
  if (callback.has_error()) {
    log_.debug("audio frame not captured", {{"error", callback.error()}});
    return;
  }
  if (!first_frame_reported_) {
    first_frame_reported_ = true;
    auto elapsed = std::chrono::steady_clock::now() - started_;
    log_.info("first audio frame published",
              {{"ms", std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()}});
    if (hooks_.first_frame_published) hooks_.first_frame_published(elapsed);
  }
}

bool RoomLeg::send_audio(const media::AudioFrame& frame) {
  if (state_ == State::ended || state_ == State::leaving) return false;
  return outgoing_.push(frame);
}

void RoomLeg::flush_audio() {
  outgoing_.flush();
  if (!source_) return;
  proto::FfiRequest request;
  request.mutable_clear_audio_buffer()->set_source_handle(source_.id());
  if (auto reply = library_.request(request); !reply.ok()) {
    log_.debug("ClearAudioBuffer refused", {{"error", reply.error()}});
  }
}

void RoomLeg::send_dtmf(char digit, std::chrono::milliseconds /*duration: the bridge times the tone*/) {
  auto code = dtmf_code(digit);
  if (!code || !local_participant_ || state_ != State::connected) return;
  proto::FfiRequest request;
  auto* dtmf = request.mutable_publish_sip_dtmf();
  dtmf->set_local_participant_handle(local_participant_.id());
  dtmf->set_code(static_cast<std::uint32_t>(*code));
  dtmf->set_digit(std::string(1, digit));
  if (caller_) dtmf->add_destination_identities(caller_->identity);
  (void)send_async(request);
}

void RoomLeg::hold(bool on) {
  held_ = on;
  if (!track_) return;
  proto::FfiRequest request;
  request.mutable_local_track_mute()->set_track_handle(track_.id());
  request.mutable_local_track_mute()->set_mute(on);
  (void)library_.request(request);
}

media::MediaStats RoomLeg::stats() const {
  media::MediaStats stats;
  stats.codec = "opus/48000";
  stats.packets_sent = outgoing_.frames_sent() + outgoing_.silence_sent();
  stats.packets_received = frames_received_;
  return stats;
}

// ---- the caller ----

void RoomLeg::remember(RoomParticipant participant) {
  auto identity = participant.identity;
  auto& stored = participants_[identity];
  bool publishes_audio = stored.publishes_audio || participant.publishes_audio;
  stored = std::move(participant);
  stored.publishes_audio = publishes_audio;
  consider_caller(stored);
}

void RoomLeg::consider_caller(const RoomParticipant& participant) {
  if (caller_ || state_ != State::connected || !is_caller(participant, options_.caller_selection)) return;
  caller_ = participant;
  id_ = participant.identity;
  caller_timer_.cancel();
  log_.info("caller in the room", {{"identity", participant.identity},
                                   {"sip", participant.sip},
                                   {"call_id", participant.attribute("sip.callID")}});
  if (hooks_.caller_found) hooks_.caller_found(*caller_);
  if (answer_requested_ && !answered_ && state_ == State::connected) {
    answered_ = true;
    if (observer_) observer_->on_answered();
  }
}

void RoomLeg::answer() {
  if (answer_requested_) return;
  answer_requested_ = true;
  if (!caller_) return;  // on_answered when the caller is there
  asio::post(executor_, [weak = weak_from_this()] {
    auto self = weak.lock();
    if (!self || self->answered_ || self->state_ != State::connected) return;
    self->answered_ = true;
    if (self->observer_) self->observer_->on_answered();
  });
}

void RoomLeg::open_caller_stream(FfiHandle track) {
  proto::FfiRequest request;
  auto* stream = request.mutable_new_audio_stream();
  stream->set_track_handle(track.id());
  stream->set_type(proto::AUDIO_STREAM_NATIVE);
  stream->set_sample_rate(media::kPipelineSampleRate);
  stream->set_num_channels(1);
  auto reply = library_.request(request);
  if (!reply.ok() || !reply->response->has_new_audio_stream()) {
    log_.warn("cannot receive the caller's audio", {{"error", reply.ok() ? "no stream" : reply.error()}});
    return;
  }
  caller_stream_ = reply->handles.take(reply->response->new_audio_stream().stream().handle().id());
  stream_handle_ = caller_stream_.id();
  caller_track_ = std::move(track);
  assembler_.reset();
  // Frames the library sent between its response and this route are dropped (with their buffers): at
  // most the stream's first 10 ms.
  library_.router().route_stream(stream_handle_, weak_from_this());
}

void RoomLeg::close_caller_stream() {
  if (stream_handle_ != 0) library_.router().forget_stream(stream_handle_);
  stream_handle_ = 0;
  caller_stream_.reset();
  caller_track_.reset();
}

void RoomLeg::on_audio_stream_event(FfiDelivery& delivery) {
  const auto& event = delivery.event->audio_stream_event();
  if (event.stream_handle() != stream_handle_) return;
  if (event.has_eos()) {
    close_caller_stream();
    return;
  }
  if (!event.has_frame_received()) return;
  const auto& info = event.frame_received().frame().info();
  // The buffer is the library's until its handle (in delivery.handles) is dropped, after this function.
  if (info.num_channels() != 1 || info.sample_rate() != media::kPipelineSampleRate || info.data_ptr() == 0) {
    if (!warned_format_) {
      warned_format_ = true;
      log_.warn("caller audio in an unexpected format",
                {{"rate", static_cast<std::int64_t>(info.sample_rate())},
                 {"channels", static_cast<std::int64_t>(info.num_channels())}});
    }
    return;
  }
  std::span<const std::int16_t> pcm(reinterpret_cast<const std::int16_t*>(info.data_ptr()),
                                    info.samples_per_channel());
  assembler_.push(pcm, [&](const media::AudioFrame& frame) {
    ++frames_received_;
    if (observer_ && state_ == State::connected) observer_->on_audio(frame);
  });
}

void RoomLeg::on_room_event(FfiDelivery& delivery) {
  const auto& event = delivery.event->room_event();
  if (event.room_handle() != room_handle_ || state_ == State::ended) return;
  switch (event.message_case()) {
    case proto::RoomEvent::kParticipantConnected:
      remember(participant_from(event.participant_connected().info().info()));
      break;
    case proto::RoomEvent::kParticipantAttributesChanged: {
      const auto& changed = event.participant_attributes_changed();
      auto it = participants_.find(changed.participant_identity());
      if (it == participants_.end()) break;
      it->second.attributes.clear();
      for (const auto& entry : changed.attributes()) it->second.attributes[entry.key()] = entry.value();
      if (caller_ && caller_->identity == it->first) {
        caller_->attributes = it->second.attributes;
      } else {
        consider_caller(it->second);
      }
      break;
    }
    case proto::RoomEvent::kTrackPublished: {
      const auto& published = event.track_published();
      auto it = participants_.find(published.participant_identity());
      if (it != participants_.end() && published.publication().info().kind() == proto::KIND_AUDIO) {
        it->second.publishes_audio = true;
        consider_caller(it->second);
      }
      break;
    }
    case proto::RoomEvent::kTrackSubscribed: {
      const auto& subscribed = event.track_subscribed();
      if (subscribed.track().info().kind() != proto::KIND_AUDIO) break;
      if (auto it = participants_.find(subscribed.participant_identity()); it != participants_.end()) {
        it->second.publishes_audio = true;
        consider_caller(it->second);
      }
      if (caller_ && caller_->identity == subscribed.participant_identity() && !caller_stream_ &&
          state_ == State::connected) {
        open_caller_stream(delivery.handles.take(subscribed.track().handle().id()));
      }
      break;
    }
    case proto::RoomEvent::kTrackUnsubscribed: {
      const auto& unsubscribed = event.track_unsubscribed();
      if (caller_ && caller_->identity == unsubscribed.participant_identity()) close_caller_stream();
      break;
    }
    case proto::RoomEvent::kDataPacketReceived: {
      const auto& packet = event.data_packet_received();
      if (!packet.has_sip_dtmf()) break;
      if (!caller_ || packet.participant_identity() != caller_->identity) break;
      media::DtmfEvent dtmf;
      dtmf.digit = dtmf_digit(packet.sip_dtmf());
      dtmf.source = media::DtmfSource::livekit_data;
      if (dtmf.digit != '\0' && observer_ && state_ == State::connected) observer_->on_dtmf(dtmf);
      break;
    }
    case proto::RoomEvent::kParticipantDisconnected: {
      const auto& gone = event.participant_disconnected();
      participants_.erase(gone.participant_identity());
      if (caller_ && caller_->identity == gone.participant_identity() && state_ == State::connected) {
        auto reason = transferred_ ? media::EndReason::transferred : media::EndReason::remote_hangup;
        leave(reason, "caller left: " + proto::DisconnectReason_Name(gone.disconnect_reason()), false);
      }
      break;
    }
    case proto::RoomEvent::kDisconnected: {
      auto ended = ended_by_room(event.disconnected().reason());
      if (state_ != State::leaving) ending_ = ended;
      log_.info("disconnected from the room", {{"reason", ended.detail}});
      finish();
      break;
    }
    case proto::RoomEvent::kEos:
      if (state_ != State::leaving) ending_ = {media::EndReason::remote_hangup, 0, "room closed"};
      finish();
      break;
    case proto::RoomEvent::kReconnecting:
      log_.warn("connection to the room lost, reconnecting");
      break;
    case proto::RoomEvent::kReconnected:
      log_.info("reconnected to the room");
      break;
    default:
      break;
  }
}

// ---- ending ----

void RoomLeg::hangup(media::EndReason reason) {
  if (state_ == State::ended || state_ == State::leaving) return;
  leave(reason, std::string(media::to_string(reason)), true);
}

void RoomLeg::transfer(const std::string& target) {
  if (state_ != State::connected || !caller_ || admin_ == nullptr) {
    if (observer_) observer_->on_transfer_progress(admin_ == nullptr ? 501 : 481, true);
    return;
  }
  if (observer_) observer_->on_transfer_progress(100, false);
  admin_->transfer_participant(options_.room_name, caller_->identity, target,
                               [weak = weak_from_this(), executor = executor_](auto error) {
                                 asio::post(executor, [weak, error = std::move(error)] {
                                   auto self = weak.lock();
                                   if (!self || self->state_ == State::ended) return;
                                   if (!error) self->transferred_ = true;
                                   if (error)
                                     self->log_.warn("transfer failed", {{"error", error->to_string()}});
                                   int status = error ? error->sip_status.value_or(500) : 200;
                                   if (self->observer_) self->observer_->on_transfer_progress(status, true);
                                 });
                               });
}

void RoomLeg::fail(std::string detail) {
  log_.warn("room leg failed", {{"detail", detail}});
  if (state_ == State::ended || state_ == State::leaving) return;
  leave(media::EndReason::error, std::move(detail), false);
}

void RoomLeg::leave(media::EndReason reason, std::string detail, bool remove_caller) {
  if (state_ == State::ended || state_ == State::leaving) return;
  bool joining = state_ == State::connecting || state_ == State::idle;
  state_ = State::leaving;
  ending_ = {reason, 0, std::move(detail)};
  publishing_ = false;
  tick_.reset();
  outgoing_.flush();
  caller_timer_.cancel();
  connect_timer_.cancel();
  if (joining) {
    // No room yet: a connect in flight is answered later (on_connect then disconnects), or never.
    if (!connect_in_flight_)
      finish();
    else
      arm_teardown_timer();
    return;
  }
  auto after_removal = [this] {
    if (options_.delete_room_on_hangup && admin_ != nullptr &&
        ending_.reason == media::EndReason::local_hangup) {
      auto step = ++teardown_step_;
      arm_teardown_timer();
      admin_->delete_room(options_.room_name,
                          [weak = weak_from_this(), executor = executor_, step](auto error) {
                            asio::post(executor, [weak, step, error = std::move(error)] {
                              auto self = weak.lock();
                              if (!self || self->teardown_step_ != step || self->state_ != State::leaving)
                                return;
                              if (error)
                                self->log_.warn("deleting the room failed", {{"error", error->to_string()}});
                              self->disconnect();
                            });
                          });
      return;
    }
    disconnect();
  };
  if (remove_caller && caller_ && admin_ != nullptr) {
    auto step = ++teardown_step_;
    arm_teardown_timer();
    admin_->remove_participant(
        options_.room_name, caller_->identity,
        [weak = weak_from_this(), executor = executor_, step, after_removal](auto error) {
          asio::post(executor, [weak, step, after_removal, error = std::move(error)] {
            auto self = weak.lock();
            if (!self || self->teardown_step_ != step || self->state_ != State::leaving) return;
            if (error) self->log_.warn("removing the caller failed", {{"error", error->to_string()}});
            after_removal();
          });
        });
    return;
  }
  after_removal();
}

void RoomLeg::arm_teardown_timer() {
  auto step = teardown_step_;
  teardown_timer_.expires_after(options_.teardown_timeout);
  teardown_timer_.async_wait([weak = weak_from_this(), step](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->teardown_step_ != step || self->state_ != State::leaving) return;
    self->log_.warn("hang-up step timed out; leaving anyway");
    ++self->teardown_step_;
    if (self->room_ && self->disconnect_async_id_ == 0) {
      self->disconnect();
    } else {
      self->finish();
    }
  });
}

void RoomLeg::disconnect() {
  if (!room_) {
    finish();
    return;
  }
  ++teardown_step_;
  proto::FfiRequest request;
  request.mutable_disconnect()->set_room_handle(room_.id());
  request.mutable_disconnect()->set_reason(proto::CLIENT_INITIATED);
  auto id = send_async(request);
  if (!id) {
    finish();
    return;
  }
  disconnect_async_id_ = *id;
  arm_teardown_timer();
}

void RoomLeg::finish() {
  if (state_ == State::ended) return;
  state_ = State::ended;
  publishing_ = false;
  tick_.reset();
  connect_timer_.cancel();
  caller_timer_.cancel();
  teardown_timer_.cancel();
  auto& router = library_.router();
  for (auto id : pending_callbacks_) router.forget_callback(id);
  pending_callbacks_.clear();
  captures_.clear();
  close_caller_stream();
  if (room_handle_ != 0) router.forget_room(room_handle_);
  room_handle_ = 0;
  publication_.reset();
  track_.reset();
  source_.reset();
  local_participant_.reset();
  room_.reset();
  log_.info("room leg ended",
            {{"reason", std::string(media::to_string(ending_.reason))}, {"detail", ending_.detail}});
  if (observer_) observer_->on_ended(ending_);
}

}  // namespace va::livekit::room
