#include "integration/sip_interop/rtp_pcap_rewrite.hpp"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace va::test {
namespace {

constexpr std::size_t kGlobalHeader = 24;
constexpr std::size_t kRecordHeader = 16;
constexpr std::uint32_t kLinkEthernet = 1;
constexpr std::uint32_t kLinkRaw = 101;

std::uint32_t read32(const unsigned char* p, bool swapped) {
  const std::uint32_t le = static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
                           static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
  if (!swapped) return le;
  return (le >> 24) | ((le >> 8) & 0xFF00) | ((le << 8) & 0xFF0000) | (le << 24);
}

}  // namespace

std::size_t copy_pcap_clearing_rtp_marker(const std::filesystem::path& in, const std::filesystem::path& out) {
  std::ifstream input(in, std::ios::binary);
  if (!input) throw std::runtime_error("pcap: cannot open " + in.string());
  std::vector<unsigned char> bytes{std::istreambuf_iterator<char>(input), std::istreambuf_iterator<char>()};
  const auto fail = [&](const std::string& why) {
    return std::runtime_error("pcap: " + in.string() + ": " + why);
  };
  if (bytes.size() < kGlobalHeader) throw fail("shorter than a pcap header");

  // Magic a1b2c3d4 (microseconds) or a1b23c4d (nanoseconds), written in the writer's byte order.
  const std::uint32_t magic = read32(bytes.data(), false);
  bool swapped = false;
  if (magic == 0xA1B2C3D4 || magic == 0xA1B23C4D) {
    swapped = false;
  } else if (magic == 0xD4C3B2A1 || magic == 0x4D3CB2A1) {
    swapped = true;
  } else {
    throw fail("not a classic pcap file (pcapng is not handled)");
  }
  const std::uint32_t link_type = read32(bytes.data() + 20, swapped);
  if (link_type != kLinkEthernet && link_type != kLinkRaw) {
    throw fail("link type " + std::to_string(link_type) + " (only Ethernet and raw IP)");
  }

  std::size_t cleared = 0;
  std::size_t offset = kGlobalHeader;
  while (offset + kRecordHeader <= bytes.size()) {
    const std::size_t length = read32(bytes.data() + offset + 8, swapped);
    const std::size_t frame = offset + kRecordHeader;
    if (frame + length > bytes.size()) throw fail("truncated packet record");
    offset = frame + length;

    std::size_t ip = frame;
    if (link_type == kLinkEthernet) {
      if (length < 14) continue;
      std::size_t ether_type_at = frame + 12;
      if (bytes[ether_type_at] == 0x81 && bytes[ether_type_at + 1] == 0x00) ether_type_at += 4;  // 802.1Q
      if (bytes[ether_type_at] != 0x08 || bytes[ether_type_at + 1] != 0x00) continue;            // IPv4 only
      ip = ether_type_at + 2;
    }
    if (ip + 20 > offset || (bytes[ip] >> 4) != 4 || bytes[ip + 9] != 17) continue;  // IPv4 carrying UDP
    const std::size_t udp = ip + static_cast<std::size_t>(bytes[ip] & 0x0F) * 4;
    const std::size_t rtp = udp + 8;
    if (rtp + 12 > offset || (bytes[rtp] >> 6) != 2) continue;  // RTP version 2
    if ((bytes[rtp + 1] & 0x80) != 0) {
      bytes[rtp + 1] &= 0x7F;
      ++cleared;
    }
    bytes[udp + 6] = 0;
    bytes[udp + 7] = 0;
  }

  std::ofstream output(out, std::ios::binary | std::ios::trunc);
  output.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!output) throw std::runtime_error("pcap: cannot write " + out.string());
  return cleared;
}

}  // namespace va::test
