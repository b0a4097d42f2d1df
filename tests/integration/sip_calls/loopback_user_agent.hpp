// The user agent in process on loopback, as its integration tests run it (sip_calls, sip_outbound): SIP over
// UDP on an ephemeral 127.0.0.1 port, RTP on 127.0.0.1 in the test's reserved block, PCMA then PCMU with
// telephone-event at 20 ms. Tests add their routes, threads, SRTP and timers.
#pragma once

#include <chrono>

#include "integration/sip_transaction/sip_harness.hpp"
#include "sip/ua/user_agent.hpp"
#include "support/free_port.hpp"

namespace va::sip::test {

inline UserAgentOptions loopback_user_agent_options(const va::test::PortReservation& rtp,
                                                    TimerSettings timers = fast_timers()) {
  UserAgentOptions options;
  options.sip = layer_options({"udp://127.0.0.1:0"}, timers);
  options.codecs.preference = {config::Codec::pcma, config::Codec::pcmu};
  options.codecs.telephone_event = true;
  options.codecs.ptime = std::chrono::milliseconds(20);
  options.rtp_port_min = rtp.first();
  options.rtp_port_max = rtp.last();
  options.media_bind_address = "127.0.0.1";
  return options;
}

}  // namespace va::sip::test
