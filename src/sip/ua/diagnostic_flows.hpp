// The built-in diagnostic flows (issue 3, item 11), which later become `voice-agent check`'s call
// simulation:
//   echo       every pipeline frame received is sent back. The audio goes the whole way — RTP → decode →
//              16 kHz pipeline frame → encode → RTP — so a caller hears itself through our full media path.
//   dtmf-echo  every digit received (RFC 4733 or SIP INFO) is sent back as RFC 4733; audio is not echoed.
//              '#' is echoed too and then ends the call from our side (BYE, once the echoed digit is on the
//              wire), so a test can see us hang up.
//   ring       never answers: the caller hears ringing (180) until it CANCELs (487), or until
//              kRingFlowTimeout passes, when the call is refused with 480 Temporarily Unavailable.
// echo and dtmf-echo answer at once.
#pragma once

#include <chrono>

#include "sip/ua/call_handler.hpp"

namespace va::sip {

inline constexpr std::string_view kEchoFlow = "echo";
inline constexpr std::string_view kDtmfEchoFlow = "dtmf-echo";
inline constexpr std::string_view kRingFlow = "ring";
inline constexpr std::chrono::seconds kRingFlowTimeout{60};

void register_diagnostic_flows(CallHandlerRegistry& registry);

}  // namespace va::sip
