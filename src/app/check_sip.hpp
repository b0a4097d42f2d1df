// `voice-agent check`: the SIP checks. Each runs voice-agent's own SIP stack in process, on ephemeral
// ports, for a few seconds — never on sip.listen, so the check can run next to a serving instance.
#pragma once

#include <string>

#include "app/check_result.hpp"
#include "common/config.hpp"

namespace va::app {

// "SIP trunk connectivity": one OPTIONS probe (sip::TrunkProber) per trunk of sip.trunks with something to
// probe, each bounded by `timeout`. Any final response proves a SIP server answers (PASS with its status and
// round trip); no answer or a transport error FAILs. Register-mode trunks are probed, not REGISTERed: a
// second registration of the same account from the check would redirect the carrier's calls away from the
// running instance on registrars where the last binding wins. SKIP when there are no trunks.
// `summary` (optional) receives one line for the health monitoring check, e.g. "trunks: 1/1 reachable".
CheckResult check_sip_trunks(const config::Config& config, std::string* summary = nullptr,
                             std::chrono::milliseconds timeout = std::chrono::seconds(5));

// "call simulation": a real SIP call over loopback into the built-in echo flow. One user agent serves the
// echo flow on 127.0.0.1:<ephemeral> with the configured codecs, SRTP and session timer; a second places
// the call (UserAgent::place_call), sends a 500 ms 1 kHz tone between silences, and checks that the tone
// comes back through RTP → decode → 16 kHz → encode → RTP. Reports the measured round trip and losses.
CheckResult check_call_simulation(const config::Config& config);

// "error handling", SIP part: a malformed request (a broken Contact header) sent to an in-process user
// agent must be answered 400 (RFC 3261 §8.2, §21.4.1), and the agent must keep answering afterwards
// (an OPTIONS that follows gets 200).
CheckResult check_sip_error_handling(const config::Config& config);

}  // namespace va::app
