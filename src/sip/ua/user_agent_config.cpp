#include "sip/ua/user_agent_config.hpp"

namespace va::sip {

std::string listen_uri(const config::SipListen& listen) {
  std::string scheme = listen.transport == config::Transport::udp   ? "udp"
                       : listen.transport == config::Transport::tcp ? "tcp"
                                                                    : "tls";
  bool v6 = listen.host.find(':') != std::string::npos;
  return scheme + "://" + (v6 ? "[" + listen.host + "]" : listen.host) + ":" + std::to_string(listen.port);
}

UserAgentOptions user_agent_options(const config::Config& config, std::size_t media_threads) {
  UserAgentOptions o;
  o.sip.transport.listen.clear();
  for (const auto& listen : config.sip.listen) o.sip.transport.listen.push_back(listen_uri(listen));
  o.sip.transport.advertised_host = config.sip.public_address;
  o.routing = config.routing;
  o.codecs = config.codecs;
  o.rtp_port_min = static_cast<std::uint16_t>(config.sip.rtp_ports.min);
  o.rtp_port_max = static_cast<std::uint16_t>(config.sip.rtp_ports.max);
  o.media_bind_address = config.sip.listen.empty() ? "0.0.0.0" : config.sip.listen.front().host;
  o.media_advertised_address = config.sip.public_address;
  o.media_threads = media_threads;
  o.srtp = config.security.srtp;
  o.max_calls = static_cast<std::size_t>(config.sip.max_calls);
  o.media_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(config.sip.media_timeout);
  o.session_timer.enabled = config.sip.session_timer.enabled;
  o.session_timer.expires =
      std::chrono::duration_cast<std::chrono::seconds>(config.sip.session_timer.expires);
  o.session_timer.min_se = std::chrono::duration_cast<std::chrono::seconds>(config.sip.session_timer.min_se);
  // The same INVITE headers as the LiveKit inbound trunk keeps, so a call's attributes do not depend on
  // which way it came.
  o.headers_to_attributes = config.livekit.provisioning.inbound_trunk.headers_to_attributes;
  o.include_headers = config.livekit.provisioning.inbound_trunk.include_headers;
  return o;
}

}  // namespace va::sip
