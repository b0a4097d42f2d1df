// Fuzzes compound RTCP validation (RFC 3550 A.2) and the typed views over it, and the RTP session's RTCP
// receive path. A valid compound must iterate to exactly its datagram, its views must stay inside it, and the
// reports it carries must build back into a valid compound. Any crash, sanitizer report or trap is a bug.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include "media/rtcp_packet.hpp"
#include "media/rtp_session.hpp"

namespace {

bool inside(std::span<const std::uint8_t> part, const std::uint8_t* data, std::size_t size) {
  return part.empty() || (part.data() >= data && part.data() + part.size() <= data + size);
}

void check_views(const va::media::RtcpCompound& compound, const std::uint8_t* data, std::size_t size) {
  std::size_t packets = 0;
  for (const va::media::RtcpPacketView& packet : compound) {
    if (!inside(packet.body, data, size) || ++packets > size / 4) __builtin_trap();
    std::array<va::media::RtcpReportBlock, va::media::kRtcpMaxReportBlocks> blocks{};
    std::size_t block_count = 0;
    if (auto sr = va::media::parse_sender_report(packet)) {
      for (std::size_t i = 0; i < sr->blocks.size(); ++i) blocks[block_count++] = sr->blocks[i];
      va::media::RtcpReport report;
      report.ssrc = sr->ssrc;
      report.sender = sr->sender;
      report.blocks = std::span<const va::media::RtcpReportBlock>(blocks.data(), block_count);
      std::array<std::uint8_t, 1500> out{};
      const std::size_t built = va::media::build_rtcp(report, out);
      if (built == 0 || !va::media::parse_rtcp(std::span<const std::uint8_t>(out.data(), built)))
        __builtin_trap();
    } else if (auto rr = va::media::parse_receiver_report(packet)) {
      for (std::size_t i = 0; i < rr->blocks.size(); ++i) (void)rr->blocks[i];
    } else if (auto bye = va::media::parse_goodbye(packet)) {
      for (std::size_t i = 0; i < bye->ssrc_count(); ++i) (void)bye->ssrc(i);
      if (!bye->reason.empty() &&
          !inside(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bye->reason.data()),
                                                bye->reason.size()),
                  data, size)) {
        __builtin_trap();
      }
    } else {
      va::media::RtcpSdesReader sdes(packet);
      while (auto item = sdes.next()) {
        const std::span<const std::uint8_t> value(reinterpret_cast<const std::uint8_t*>(item->value.data()),
                                                  item->value.size());
        if (!inside(value, data, size)) __builtin_trap();
      }
      // parse_rtcp validated every SDES packet, so the walk must not find anything malformed.
      if (packet.type == static_cast<std::uint8_t>(va::media::RtcpPacketType::source_description) &&
          sdes.malformed()) {
        __builtin_trap();
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> datagram(data, size);
  va::media::RtcpParseError error{};
  const auto compound = va::media::parse_rtcp(datagram, &error);
  if (compound) {
    check_views(*compound, data, size);
  } else {
    (void)va::media::to_string(error);
  }

  // Through a session that receives RTP from the reporter, so the reports are not dropped as unknown.
  if (size >= 8) {
    va::media::RtpSessionConfig config;
    config.formats = {{0, va::media::PayloadKind::audio, 8000}};
    config.random_seed = 1;
    // Our SSRC as the first report block names it, so that block is about us.
    const std::size_t block = data[1] == 200 ? 28 : 8;
    config.ssrc = size >= block + 4
                      ? (std::uint32_t{data[block]} << 24 | std::uint32_t{data[block + 1]} << 16 |
                         std::uint32_t{data[block + 2]} << 8 | data[block + 3])
                      : 1;
    const auto start = std::chrono::steady_clock::time_point(std::chrono::seconds(1));
    va::media::RtpSession session(config, start);
    const va::media::UdpEndpoint from(boost::asio::ip::address_v4::loopback(), 4000);
    std::array<std::uint8_t, 12> rtp{0x80, 0x00, 0x00, 0x01, 0, 0, 0, 0, data[4], data[5], data[6], data[7]};
    (void)session.on_rtp(rtp, from, start);
    rtp[3] = 2;
    (void)session.on_rtp(rtp, from, start + std::chrono::milliseconds(20));
    (void)session.on_rtcp(datagram, from, start + std::chrono::seconds(1));
    std::array<std::uint8_t, 1500> out{};
    if (session.write_rtcp_report(start + std::chrono::seconds(2), out) == 0) __builtin_trap();
    (void)session.stats();
  }
  return 0;
}
