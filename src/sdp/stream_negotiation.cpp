#include "sdp/stream_negotiation.hpp"

#include "sdp/payload_formats.hpp"

namespace va::sdp::detail {
namespace {

constexpr std::uint32_t kMinPtime = 10;   // below this a peer's a=ptime is a typo, not a wish
constexpr std::uint32_t kMaxPtime = 120;  // RFC 3551 frame-based codecs go to 120 ms at most in practice

}  // namespace

std::vector<CryptoAttribute> crypto_lines(const MediaDescription& m) {
  std::vector<CryptoAttribute> found;
  for (const auto* a : m.attributes.all("crypto")) {
    if (!a->value) continue;
    if (auto c = parse_crypto(*a->value)) found.push_back(std::move(*c));
  }
  return found;
}

bool usable_key_form(const CryptoAttribute& c) {
  return c.keys.size() == 1 && !c.keys.front().mki && c.session_params.empty();
}

Direction peer_direction(const SessionDescription& d, const MediaDescription& m, const ConnectionData& c) {
  auto direction = d.direction_of(m);
  if (c.is_unspecified()) direction = intersect(direction, Direction::sendonly);
  return direction;
}

std::chrono::milliseconds send_ptime(const MediaDescription& peer, std::chrono::milliseconds ours) {
  auto wanted = peer.ptime();
  std::uint32_t ptime = (wanted && *wanted >= kMinPtime && *wanted <= kMaxPtime)
                            ? *wanted
                            : static_cast<std::uint32_t>(ours.count());
  if (auto max = peer.maxptime(); max && *max >= kMinPtime && ptime > *max) ptime = *max;
  return std::chrono::milliseconds(ptime);
}

TransportAddress rtcp_address(const MediaDescription& m, const TransportAddress& rtp, bool mux) {
  if (mux) return rtp;
  TransportAddress rtcp = rtp;
  if (auto attribute = m.rtcp()) {
    rtcp.port = attribute->port;
    if (attribute->connection) {
      rtcp.address_type = attribute->connection->address_type;
      rtcp.address = attribute->connection->address;
    }
  } else {
    rtcp.port = rtp.port == 65535 ? 0 : static_cast<std::uint16_t>(rtp.port + 1);
  }
  return rtcp;
}

std::optional<OfferedFormat> pick_telephone_event(const std::vector<OfferedFormat>& events,
                                                  config::Codec codec) {
  const auto clock = codec_format(codec).rtp_clock_rate;
  for (const auto& e : events) {
    if (e.map.clock_rate == clock) return e;
  }
  if (codec == config::Codec::g722) {
    for (const auto& e : events) {
      if (e.map.clock_rate == kWidebandEventClock) return e;
    }
  }
  return std::nullopt;
}

std::vector<OfferedFormat> formats_of(const MediaDescription& m) {
  std::vector<OfferedFormat> out;
  for (std::size_t i = 0; i < m.formats.size(); ++i) {
    auto pt = m.payload_type(i);
    if (!pt) continue;
    if (auto f = m.format(*pt)) out.push_back(OfferedFormat{*pt, std::move(*f)});
  }
  return out;
}

}  // namespace va::sdp::detail
