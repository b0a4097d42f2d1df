// The user agent's options from voice-agent's configuration (sip.*, codecs.*, routing.*): one place that maps
// the schema onto the SIP stack, so the composition root stays a list of wiring steps.
#pragma once

#include <string>

#include "common/config.hpp"
#include "sip/ua/user_agent.hpp"

namespace va::sip {

// "udp://127.0.0.1:5060", "tcp://[::1]:5060": the transport layer's listen URI syntax.
std::string listen_uri(const config::SipListen& listen);

// RTP binds to the host of the first listen URI (every address when that is a wildcard); sip.public_address,
// when set, goes into Contact, Via and SDP. Media threads: one per core (design.md "Threading").
UserAgentOptions user_agent_options(const config::Config& config, std::size_t media_threads);

}  // namespace va::sip
