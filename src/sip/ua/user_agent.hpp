// The SIP user agent of voice-agent (RFC 3261 §8, §12-§15) on top of the transaction layer. As UAS it
// accepts INVITEs, creates a dialog and an RTP leg per call, hands the leg to the call handler the routing
// chooses (routing.inbound → flow name → CallHandlerRegistry), answers as the handler decides (180 Ringing
// until then), and runs the dialog: ACK (with the SDP answer of a late offer), BYE both ways, re-INVITE and
// UPDATE (new SDP: hold/unhold), OPTIONS, INFO application/dtmf-relay, CANCEL → 487. As UAC it places
// calls (place_call, outbound_call.hpp). Both kinds share hold by re-INVITE, blind transfer by REFER
// (RFC 3515) and session timers (RFC 4028) — sip_call.hpp.
//
// Refusals: 404 when no route matches the dialled number, 480 when the route names a flow this build does not
// have, 488 when the SDP offer cannot be answered (with a Warning saying why), 503 + Retry-After when the
// call limit is reached, the RTP port range is exhausted, or the endpoint is shutting down.
//
// Threading (design.md): SIP runs on the transaction layer's strand; this class's tables live there.
// Each call is pinned to one media thread (media_threads.hpp) for its whole life: its dialog, SDP and leg
// state are touched only there (sip_call.hpp). The strand only looks a call up and posts to its thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "common/metrics.hpp"
#include "sip/inbound_admission.hpp"
#include "sip/transaction_layer.hpp"
#include "sip/ua/call_handler.hpp"
#include "sip/ua/session_timer.hpp"
#include "sip/uac_authentication.hpp"

namespace va::sip {

// What the user agent advertises (Allow, Supported) in its requests and responses, and in REGISTERs of the
// trunks (app/serve.cpp hands kAllowedMethods to them).
inline constexpr std::string_view kAllowedMethods = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, NOTIFY";
inline constexpr std::string_view kSupportedOptions = "timer";
inline constexpr std::string_view kSdpMediaType = "application/sdp";

struct UserAgentOptions {
  TransactionLayerOptions sip;
  config::Routing routing;
  config::Codecs codecs;
  std::uint16_t rtp_port_min = 10000;
  std::uint16_t rtp_port_max = 20000;
  // Where RTP sockets bind; the SDP address is `media_advertised_address`, or (when empty) the local address
  // the INVITE arrived on.
  std::string media_bind_address = "0.0.0.0";
  std::string media_advertised_address;
  std::size_t media_threads = 1;
  std::size_t max_calls = 1000;
  std::chrono::milliseconds media_timeout{30000};
  // SDES-SRTP (security.srtp): off, optional (RTP/AVP offers with a=crypto) or required (RTP/SAVP only).
  config::SrtpMode srtp = config::SrtpMode::off;
  // Asked about every new INVITE before routing (trunk policy); null admits everything.
  std::shared_ptr<InboundAdmission> admission;
  // RFC 4028 session timers, both directions (session_timer.hpp). min_se below 90 s is for tests only.
  SessionTimerSettings session_timer;
  // INVITE headers kept as the call's attributes (CallInfo::attributes), as LiveKit's SIP bridge does for
  // calls through it: each mapped header under its attribute name, and with include_headers "x_headers"
  // (X- headers) or "all" the headers as "sip.h.<lower-case name>".
  std::vector<config::HeaderAttribute> headers_to_attributes;
  std::string include_headers = "none";
};

// A call to place (UserAgent::place_call).
struct OutboundCallRequest {
  std::string target;  // "sip:+4930123@carrier.example;transport=tcp" (sip: or sips: URI)
  // From: "sip:+4930999@trunk.example" or "\"Caller\" <sip:...>"; empty: sip:voice-agent@<our address>.
  std::string from;
  std::optional<UacCredentials> credentials;      // digest username/password for 401/407
  std::string outbound_proxy;                     // "sip:proxy.example:5060"; empty: straight to the target
  std::string flow;                               // the CallHandlerRegistry name that drives the call
  std::unique_ptr<CallHandler> handler;           // or the handler itself (then `flow` is only a label)
  std::chrono::milliseconds ring_timeout{60000};  // then CANCEL and EndReason::no_answer
  std::string trunk;                              // the trunk it goes out through (CallInfo::trunk), if any
  std::string record_id;  // CallInfo::record_id: the call record's id chosen by who placed the call
};

struct PlacedCall {
  std::string call_id;  // set when placed
  std::string error;    // why not, when the request was refused at once
  bool ok() const { return error.empty(); }
};

class UserAgentCore;

class UserAgent {
 public:
  // `handlers` and `metrics` (may be null) must outlive the user agent.
  UserAgent(boost::asio::io_context& io, UserAgentOptions options, const CallHandlerRegistry& handlers,
            metrics::Registry* metrics = nullptr);
  ~UserAgent();  // stop()
  UserAgent(const UserAgent&) = delete;
  UserAgent& operator=(const UserAgent&) = delete;

  // Binds the listeners and starts the media threads. An error message (naming the URI) or nullopt.
  std::optional<std::string> start();
  const std::vector<ListeningPoint>& listening_points() const;

  // Graceful shutdown (drain): new INVITEs get 503 + Retry-After and no call is placed; the calls in
  // progress go on for up to `drain_timeout`, then the rest are hung up (BYE, EndReason::shutdown, detail
  // "drain timeout"); a zero timeout hangs up at once. `done` runs on the SIP strand once no call and no BYE
  // transaction remains. Any thread.
  void shutdown(std::function<void()> done,
                std::chrono::milliseconds drain_timeout = std::chrono::milliseconds::zero());
  // Stops the transaction layer and the media threads. Idempotent; after it no callback runs.
  void stop();

  std::size_t active_calls() const;

  // Places a call (outbound_call.hpp). Checks the request at once (target URI, From, proxy, handler) and
  // returns the Call-ID; everything after is reported to the handler (on_answered, on_ended with
  // EndReason::rejected + the SIP status, no_answer, ...). Any thread, after start().
  PlacedCall place_call(OutboundCallRequest request);

  // The SIP core under the user agent, for clients that send their own requests through it (REGISTER,
  // OPTIONS probes of trunks). Valid from construction until the user agent is destroyed.
  TransactionLayer& transactions();

 private:
  std::shared_ptr<UserAgentCore> core_;
};

}  // namespace va::sip
