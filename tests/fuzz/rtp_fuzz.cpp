// Fuzzes the RTP parser (every datagram on a media port reaches it) and the RTP session's receive path. A
// parsed packet must account for every byte of the datagram, serialize back to the same fields, and never
// take the session past its bounds. Any crash, sanitizer report or trap is a bug.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include "media/rtp_packet.hpp"
#include "media/rtp_session.hpp"

namespace {

using va::media::RtpPacketView;

void check_round_trip(const RtpPacketView& packet, std::size_t datagram_size) {
  const std::size_t extension_size = packet.extension ? 4 + packet.extension->data.size() : 0;
  if (12 + packet.csrc_bytes.size() + extension_size + packet.payload.size() + packet.padding_size !=
      datagram_size) {
    __builtin_trap();
  }
  std::array<std::uint32_t, va::media::kRtpMaxCsrcs> csrcs{};
  for (std::size_t i = 0; i < packet.csrc_count(); ++i) csrcs[i] = packet.csrc(i);
  va::media::RtpHeader header{
      packet.marker,   packet.payload_type,
      packet.sequence, packet.timestamp,
      packet.ssrc,     std::span<const std::uint32_t>(csrcs.data(), packet.csrc_count())};
  va::media::RtpPacketBuffer buffer;
  buffer.size = va::media::serialize_rtp(header, packet.payload, buffer.storage());
  if (buffer.size == 0) return;  // larger than an MTU: we never send such packets
  const auto again = va::media::parse_rtp(buffer.packet());
  if (!again || again->marker != packet.marker || again->payload_type != packet.payload_type ||
      again->sequence != packet.sequence || again->timestamp != packet.timestamp ||
      again->ssrc != packet.ssrc || again->csrc_count() != packet.csrc_count() ||
      again->payload.size() != packet.payload.size() || again->extension || again->padding_size != 0) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> datagram(data, size);
  va::media::RtpParseError error{};
  const auto packet = va::media::parse_rtp(datagram, &error);
  (void)va::media::looks_like_rtcp(datagram);
  if (packet) {
    check_round_trip(*packet, size);
    if (packet->extension) {
      va::media::RtpExtensionReader reader(*packet->extension);
      std::size_t elements = 0;
      while (auto element = reader.next()) {
        if (element->data.data() < packet->extension->data.data() ||
            element->data.data() + element->data.size() >
                packet->extension->data.data() + packet->extension->data.size()) {
          __builtin_trap();
        }
        if (++elements > packet->extension->data.size()) __builtin_trap();  // the walk always advances
      }
    }
  } else {
    (void)va::media::to_string(error);
  }

  // The same bytes through a session: split at a 0xff 0xff marker into several datagrams from one source.
  va::media::RtpSessionConfig config;
  config.formats = {{0, va::media::PayloadKind::audio, 8000},
                    {8, va::media::PayloadKind::audio, 8000},
                    {101, va::media::PayloadKind::telephone_event, 8000}};
  config.random_seed = 1;
  const auto start = std::chrono::steady_clock::time_point(std::chrono::seconds(1));
  va::media::RtpSession session(config, start);
  const va::media::UdpEndpoint from(boost::asio::ip::address_v4::loopback(), 4000);
  auto now = start;
  for (std::size_t begin = 0; begin <= size;) {
    std::size_t end = begin;
    while (end + 1 < size && !(data[end] == 0xff && data[end + 1] == 0xff)) ++end;
    if (end + 1 >= size) end = size;
    const auto result = session.on_rtp(datagram.subspan(begin, end - begin), from, now);
    if (result.accepted() && result.packet.payload.data() + result.packet.payload.size() > data + size) {
      __builtin_trap();
    }
    now += std::chrono::milliseconds(20);
    begin = end + 2;
  }
  std::array<std::uint8_t, 1500> out{};
  if (session.write_rtcp_report(now, out) == 0) __builtin_trap();
  (void)session.stats();
  return 0;
}
