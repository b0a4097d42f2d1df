// media::CallLeg for a LiveKit room (design.md "the one seam"; issue 11): voice-agent joins the room as a
// participant through liblivekit_ffi, hears the caller's audio track and publishes its own. Opus, WebRTC,
// jitter buffering and resampling stay inside the library; the conversation sees 20 ms 16 kHz frames as on
// the SIP path.
//
// Life of a leg:
//   start()   ConnectRequest (url + token of the job, auto_subscribe) → connect callback →
//             ReadyForRoomEvent, and at once NewAudioSource (16 kHz mono) → CreateAudioTrack → PublishTrack
//             (SOURCE_MICROPHONE) → 20 ms silence frames until the conversation sends audio. LiveKit's SIP
//             bridge answers the phone only when it hears a published track, so join + publish is the
//             caller's ring time: hooks.first_frame_published reports start → first frame accepted by the
//             published source.
//   caller    the SIP participant (or, by option, the first remote participant publishing audio): its
//             audio track → NewAudioStream (native, 16 kHz, mono) → ~10 ms buffers, copied, assembled into
//             20 ms frames → observer.on_audio; its `sip_dtmf` data packets → observer.on_dtmf. When the
//             caller is present, hooks.caller_found runs and an answer() (before or after) fires on_answered.
//   out       send_audio queues (bounded); each media tick captures one frame (CaptureAudioFrameRequest);
//             flush_audio empties the queue and the source's own buffer (ClearAudioBuffer) for barge-in.
//   end       hangup: RemoveParticipant of the caller through the server API (the bridge then sends BYE),
//             optionally DeleteRoom, then DisconnectRequest; the caller leaving → remote_hangup (or
//             transferred after a successful transfer); the room closing or the connection failing → ended
//             with the reason. on_ended comes once, after every handle of the leg was dropped.
//
// Threading: the leg belongs to one executor (its call's thread, whose MediaClock paces it). Every method
// must be called there and every observer callback and hook runs there. The library's callback thread only
// posts events to that executor (FfiEventSink::enqueue). Create it with RoomLeg::create (it is shared: posted
// events hold a weak reference).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/log.hpp"
#include "livekit/room/audio_frame_assembler.hpp"
#include "livekit/room/ffi_library.hpp"
#include "livekit/room/outgoing_audio.hpp"
#include "livekit/room/room_administration.hpp"
#include "livekit/room/room_participant.hpp"
#include "media/call_leg.hpp"
#include "media/media_clock.hpp"

namespace va::livekit::room {

struct RoomLegOptions {
  std::string url;        // the server's WebSocket URL (JobAssignment.url): ws(s)://host[:port]
  std::string token;      // the agent's access token for the room (JobAssignment.token)
  std::string room_name;  // for the server API calls (hang-up, transfer, room deletion)
  CallerSelection caller_selection = CallerSelection::sip_participant;
  bool delete_room_on_hangup = false;  // after removing the caller on our hang-up, DeleteRoom
  std::string track_name = "voice-agent";
  std::size_t max_queued_frames = 50;  // 1 s of audio out
  // Frames the library's source may buffer ahead of WebRTC (NewAudioSourceRequest.queue_size_ms). Our tick
  // keeps it near kStartCushion; flush_audio clears it.
  std::chrono::milliseconds source_queue{200};
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds caller_timeout{30000};   // joined, but no caller: ended(no_answer)
  std::chrono::milliseconds teardown_timeout{5000};  // each hang-up step (server API, disconnect) at most
  // The job's start, for the first-published-frame measure; default: when start() runs.
  std::optional<std::chrono::steady_clock::time_point> started{};
};

struct RoomLegHooks {
  // The caller is in the room (before on_answered): its identity and sip.* attributes (call_info_from).
  std::function<void(const RoomParticipant&)> caller_found;
  // Job start → the first frame of the published track was accepted by the library; once per leg.
  std::function<void(std::chrono::nanoseconds)> first_frame_published;
};

class RoomLeg : public media::CallLeg, public FfiEventSink, public std::enable_shared_from_this<RoomLeg> {
 public:
  // `admin` (may be null: hang-up then only leaves the room, transfer fails) must outlive the leg.
  static std::shared_ptr<RoomLeg> create(FfiLibrary& library, boost::asio::any_io_executor executor,
                                         media::MediaClock& clock, RoomAdministration* admin,
                                         RoomLegOptions options, RoomLegHooks hooks = {});
  ~RoomLeg() override;

  // Joins the room and publishes the agent's track. Failures end the leg (on_ended, reason error).
  void start();

  // The caller, once present.
  const std::optional<RoomParticipant>& caller() const { return caller_; }
  bool ended() const { return state_ == State::ended; }
  // Our own identity in the room (after the connect), e.g. for logs.
  const std::string& local_identity() const { return local_identity_; }

  // media::CallLeg. id(): the caller's identity once present, the room name before.
  std::string_view id() const override { return id_; }
  void set_observer(media::CallLegObserver* observer) override { observer_ = observer; }
  void answer() override;
  void hangup(media::EndReason reason = media::EndReason::local_hangup) override;
  void transfer(const std::string& target) override;
  void hold(bool on) override;
  bool send_audio(const media::AudioFrame& frame) override;
  void flush_audio() override;
  std::size_t queued_audio_frames() const override { return outgoing_.queued(); }
  void send_dtmf(char digit, std::chrono::milliseconds duration) override;
  // codec "opus/48000"; packets_sent/received count 20 ms frames handed to / received from the library
  // (the library's RTP statistics need an asynchronous GetStats round trip: not collected, left at 0).
  media::MediaStats stats() const override;

  // FfiEventSink (the library's callback thread).
  void enqueue(std::shared_ptr<FfiDelivery> delivery) override;

 private:
  enum class State { idle, connecting, connected, leaving, ended };
  RoomLeg(FfiLibrary& library, boost::asio::any_io_executor executor, media::MediaClock& clock,
          RoomAdministration* admin, RoomLegOptions options, RoomLegHooks hooks);

  void on_delivery(FfiDelivery& delivery);
  void on_connect(FfiDelivery& delivery);
  void on_room_event(FfiDelivery& delivery);
  void on_audio_stream_event(FfiDelivery& delivery);
  void on_published(FfiDelivery& delivery);
  void on_captured(FfiDelivery& delivery);
  void publish();
  void on_tick();
  void capture(const OutgoingAudio::Capture& capture);
  void remember(RoomParticipant participant);
  void consider_caller(const RoomParticipant& participant);
  void open_caller_stream(FfiHandle track);
  void close_caller_stream();

  // Sends a request answered by a callback event (sets its request_async_id, routes the callback here).
  // Returns the async id, or nullopt after logging why the library refused it.
  std::optional<std::uint64_t> send_async(proto::FfiRequest& request);
  // A leaving step: removal of the caller, room deletion, disconnect; each bounded by teardown_timeout.
  void leave(media::EndReason reason, std::string detail, bool remove_caller);
  void disconnect();
  // The room is gone (disconnect done, or the server closed it): drop everything, report on_ended once.
  void finish();
  void fail(std::string detail);
  void arm_teardown_timer();

  FfiLibrary& library_;
  boost::asio::any_io_executor executor_;
  media::MediaClock& clock_;
  RoomAdministration* admin_;
  RoomLegOptions options_;
  RoomLegHooks hooks_;
  media::CallLegObserver* observer_ = nullptr;
  log::Logger log_;
  std::string id_;
  std::string local_identity_;
  State state_ = State::idle;
  std::chrono::steady_clock::time_point started_{};

  FfiHandle room_;
  FfiHandle local_participant_;
  FfiHandle source_;
  FfiHandle track_;
  FfiHandle publication_;
  FfiHandle caller_track_;
  FfiHandle caller_stream_;
  std::uint64_t room_handle_ = 0;                 // kept for forgetting the route after room_ is dropped
  std::uint64_t stream_handle_ = 0;               // likewise for the caller's stream
  std::vector<std::uint64_t> pending_callbacks_;  // async ids routed here and not answered yet

  std::unordered_map<std::string, RoomParticipant> participants_;
  std::optional<RoomParticipant> caller_;
  AudioFrameAssembler assembler_;
  OutgoingAudio outgoing_;
  std::vector<std::pair<std::uint64_t, std::size_t>> captures_;  // async id → in-flight slot
  media::MediaClock::Subscription tick_;
  boost::asio::steady_timer connect_timer_;
  boost::asio::steady_timer caller_timer_;
  boost::asio::steady_timer teardown_timer_;

  bool publishing_ = false;
  bool answer_requested_ = false;
  bool answered_ = false;
  bool first_frame_reported_ = false;
  bool transferred_ = false;
  bool held_ = false;
  bool connect_in_flight_ = false;
  std::uint64_t disconnect_async_id_ = 0;
  std::uint64_t teardown_step_ = 0;
  media::CallEnded ending_{};
  std::uint64_t frames_received_ = 0;
  bool warned_format_ = false;
};

}  // namespace va::livekit::room
