// The offer/answer model (RFC 3264) for a call with one audio stream.
//
// The three exchanges a SIP dialog has, and which calls make them:
//   INVITE with SDP (we answer):      create_answer() → answer in 200 OK (or 488 when not acceptable)
//   INVITE without SDP (late offer):  create_offer()  → offer in 200 OK; process_answer() on the ACK's SDP
//   we call out, or re-INVITE (hold): create_offer()  → offer in INVITE; process_answer() on the 200 OK's SDP
// A re-INVITE from the peer is create_answer() again with the same LocalSession: the o= version moves only
// if our answer changes (hold → recvonly does, a refresh with the same offer does not).
//
// Choices made here:
// - The answer carries one audio codec: the first in OUR preference order (MediaCapabilities::codecs, from
//   codecs.preference) that the offer contains. RFC 3264 §6.1 lets the answerer pick; the operator's order
//   expresses what the call should use (G.722 for wideband recognition, or PCMA to spare a carrier's
//   transcoder), while an offerer's order often only reflects its defaults. One codec (plus
//   telephone-event) instead of a list: both sides then know exactly what is on the wire and the media path
//   never has to follow mid-call codec switches, which RFC 3264 would allow with a list.
// - Formats are matched by encoding name and clock rate (payload_formats.hpp), never by dynamic number; an
//   answer reuses the offer's payload type numbers (RFC 3264 §6.1 SHOULD).
// - Only the first usable audio stream is used; every other m= line is rejected with port 0, keeping the
//   number and order of m= lines (RFC 3264 §6). If the first audio stream is unusable (say RTP/SAVP without
//   a key we can use) a later one is tried — the pattern of peers that offer SRTP and RTP as two streams.
// - telephone-event: answered with the offer's telephone-event whose clock equals the chosen codec's RTP
//   clock (RFC 4733 §2.1) — 8000 for every codec we have, G.722 included. A G.722 offer that has only
//   telephone-event/16000 is accepted too (its events then count 16 kHz ticks): some phones derive the event
//   clock from the audio rate. Events are answered as the intersection of the offer's list with 0-15.
// - SDES crypto lines with an MKI, several keys or session parameters are not used (our SRTP does not
//   implement them; RFC 4568 §6.3 has the answerer skip what it does not support).
#pragma once

#include <optional>
#include <string>

#include "sdp/local_session.hpp"
#include "sdp/media_capabilities.hpp"
#include "sdp/negotiated_media.hpp"
#include "sdp/session_description.hpp"

namespace va::sdp {

// Our offer. Preconditions: at least one codec, an address, SRTP keys when SRTP is not off. With a previous
// description in `session` (a re-INVITE or late offer within a dialog), the m= lines keep their number and
// order: the audio stream stays where it was, the others stay rejected (RFC 3264 §8).
SessionDescription create_offer(const MediaCapabilities& caps, LocalSession& session);

// Why an offer cannot be answered: the reason for a 488 Not Acceptable Here (RFC 3261 §13.3.1.3).
enum class Rejection : std::uint8_t {
  no_audio,                // no audio stream with a port
  unsupported_transport,   // audio only over transports we do not speak (RTP/AVPF, DTLS-SRTP, TCP, ...)
  no_common_codec,         // none of our codecs is offered
  srtp_not_enabled,        // RTP/SAVP offered and SRTP is off
  srtp_required,           // SRTP required and the offer carries no a=crypto
  no_common_crypto_suite,  // a=crypto lines, but none with a suite and key form we can use
  address_family,          // an IPv6 (IPv4) offer and no IPv6 (IPv4) address of ours
  no_connection_address,   // the stream has no c= (only possible with a hand-built description)
};
std::string_view to_string(Rejection reason);

struct NotAcceptable {
  static constexpr int kSipStatus = 488;
  Rejection reason = Rejection::no_audio;
  std::string detail;  // for logs and a Warning header: "offer has PCMU/8000, we accept PCMA, G722"
  std::string to_string() const;
};

struct AnswerResult {
  SessionDescription description;  // the answer to send, when ok()
  NegotiatedMedia media;           // when ok()
  std::optional<NotAcceptable> rejection;
  bool ok() const { return !rejection.has_value(); }
};

// Answers `offer`. When not acceptable, nothing is stamped into `session`.
AnswerResult create_answer(const SessionDescription& offer, const MediaCapabilities& caps,
                           LocalSession& session);

// What is wrong with an answer to our offer. The dialog goes on (the INVITE transaction succeeded), so the
// caller ends the call with BYE — or, for a re-INVITE, keeps the previous media.
enum class AnswerProblem : std::uint8_t {
  media_count_mismatch,   // not one m= line per offered m= line (RFC 3264 §6)
  media_type_mismatch,    // our audio m= line answered with another media type
  audio_rejected,         // port 0 on our audio stream
  transport_mismatch,     // a different protocol than offered (RTP/SAVP for RTP/AVP, ...)
  codec_not_offered,      // a codec we did not offer
  no_codec,               // no audio codec at all
  srtp_missing,           // we require SRTP (or offered RTP/SAVP) and the answer has no a=crypto
  crypto_mismatch,        // a=crypto with a tag or suite we did not offer, or a key form we cannot use
  no_connection_address,  // no c= for the stream
};
std::string_view to_string(AnswerProblem problem);

struct AnswerError {
  AnswerProblem problem = AnswerProblem::no_codec;
  std::string detail;
  std::string to_string() const;
};

struct ProcessedAnswer {
  NegotiatedMedia media;  // when ok()
  std::optional<AnswerError> error;
  bool ok() const { return !error.has_value(); }
};

// Applies the peer's `answer` to `our_offer` (as create_offer() returned it). Tolerated, because real peers
// do it and it costs nothing: comfort noise (CN) or a telephone-event we did not offer (ignored), a dynamic
// payload type without a=rtpmap that reuses our number, a renumbered dynamic type (we then send with the
// peer's number).
ProcessedAnswer process_answer(const SessionDescription& our_offer, const SessionDescription& answer,
                               const MediaCapabilities& caps);

}  // namespace va::sdp
