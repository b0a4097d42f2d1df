// The one seam (design.md): what every call transport — a SIP dialog with its RTP session, or a LiveKit room
// participant — offers to the conversation that drives it. The conversation never learns which one it talks
// to; codecs, jitter buffers, RFC 4733, SRTP and Opus all stay behind this interface.
//
// Threading: a leg belongs to one strand (its call's). Every method is called on that strand and every
// observer callback is delivered on it, in order, so neither side needs locks.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "media/audio_frame.hpp"

namespace va::media {

// Why a call ended, as the orchestrator records it.
enum class EndReason {
  local_hangup,   // we hung up
  remote_hangup,  // BYE from the far end / participant left
  cancelled,      // caller gave up before answer (CANCEL)
  rejected,       // final non-2xx to our INVITE or we refused the call
  no_answer,      // ringing timed out
  media_timeout,  // no RTP for the configured time
  transferred,    // a transfer completed and the leg was released
  shutdown,       // the process is draining
  error,          // transport or protocol failure (detail says which)
};
inline std::string_view to_string(EndReason reason) {
  switch (reason) {
    case EndReason::local_hangup:
      return "local_hangup";
    case EndReason::remote_hangup:
      return "remote_hangup";
    case EndReason::cancelled:
      return "cancelled";
    case EndReason::rejected:
      return "rejected";
    case EndReason::no_answer:
      return "no_answer";
    case EndReason::media_timeout:
      return "media_timeout";
    case EndReason::transferred:
      return "transferred";
    case EndReason::shutdown:
      return "shutdown";
    case EndReason::error:
      return "error";
  }
  return "unknown";
}

struct CallEnded {
  EndReason reason = EndReason::error;
  int sip_status = 0;  // the SIP status that ended it, when there was one (487, 486, 408, ...)
  std::string detail;  // human-readable, e.g. "no RTP for 30s" or the Reason header text
};

enum class DtmfSource {
  rfc4733,
  sip_info,
  inband,
  livekit_data,  // a `sip_dtmf` data packet in a LiveKit room (the SIP bridge's rendering of RFC 4733)
};

struct DtmfEvent {
  char digit = 0;  // '0'-'9', '*', '#', 'A'-'D'
  std::chrono::milliseconds duration{0};
  DtmfSource source = DtmfSource::rfc4733;
};

// Per-leg media quality, for the call record and metrics.
struct MediaStats {
  std::string codec;  // "PCMA/8000", "G722/8000", "opus/48000"
  std::uint64_t packets_sent = 0;
  std::uint64_t packets_received = 0;
  std::int64_t packets_lost = 0;  // RFC 3550 cumulative lost (may be negative with duplicates)
  double fraction_lost = 0;       // last RTCP interval, 0..1
  double jitter_ms = 0;
  double round_trip_ms = 0;  // 0 when unknown
  std::uint64_t frames_concealed = 0;
  std::uint64_t packets_late = 0;
  std::uint64_t packets_expected = 0;  // RFC 3550 A.3, of what we received
  // What the peer's last RTCP report block says about our stream (RFC 3550 §6.4.1); false before one came.
  bool has_remote_report = false;
  std::int64_t remote_packets_lost = 0;
  double remote_fraction_lost = 0;
  double remote_jitter_ms = 0;
};

class CallLegObserver {
 public:
  virtual ~CallLegObserver() = default;
  virtual void on_answered() = 0;
  // One pipeline frame every 20 ms while media flows (decoded, resampled, de-jittered, concealed).
  virtual void on_audio(const AudioFrame& frame) = 0;
  virtual void on_dtmf(const DtmfEvent& event) = 0;
  virtual void on_hold_changed(bool held_by_remote) = 0;
  // Progress of a transfer we started: SIP status of the sipfrag NOTIFYs (100, 180, 200, 486, ...).
  virtual void on_transfer_progress(int sip_status, bool final) = 0;
  // Last callback of a leg.
  virtual void on_ended(const CallEnded& ended) = 0;
};

class CallLeg {
 public:
  virtual ~CallLeg() = default;

  virtual std::string_view id() const = 0;  // the call's id (SIP Call-ID or LiveKit participant identity)
  virtual void set_observer(CallLegObserver* observer) = 0;

  // Call control.
  virtual void answer() = 0;
  virtual void hangup(EndReason reason = EndReason::local_hangup) = 0;
  // Blind transfer to a phone number or a SIP URI (REFER, or LiveKit TransferSIPParticipant).
  virtual void transfer(const std::string& target) = 0;
  virtual void hold(bool on) = 0;

  // Audio out: frames are queued and paced onto the wire in real time by the leg's media clock. Returns
  // false (and drops the frame) when the queue is full — the producer is running ahead of real time.
  virtual bool send_audio(const AudioFrame& frame) = 0;
  // Barge-in: everything queued and not yet on the wire is dropped at once.
  virtual void flush_audio() = 0;
  virtual std::size_t queued_audio_frames() const = 0;

  virtual void send_dtmf(char digit, std::chrono::milliseconds duration = std::chrono::milliseconds(100)) = 0;

  virtual MediaStats stats() const = 0;
};

}  // namespace va::media
