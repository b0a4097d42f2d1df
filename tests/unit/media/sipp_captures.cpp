#include "sipp_captures.hpp"

#include <fstream>
#include <iterator>
#include <stdexcept>

namespace va::media::test {

namespace {

std::uint32_t read_u32(const std::uint8_t* p, bool swapped) {
  if (swapped) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
  }
  return (std::uint32_t{p[3]} << 24) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[1]} << 8) | p[0];
}

std::uint16_t read_be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

}  // namespace

std::string sipp_capture_dir() {
  return "/usr/share/sip-tester";
}

std::vector<CapturedDatagram> read_udp_capture(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot open " + path);
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(file),
                                        std::istreambuf_iterator<char>()};
  if (bytes.size() < 24) throw std::runtime_error(path + ": not a pcap file");
  // The magic number tells byte order and timestamp resolution (microseconds or nanoseconds).
  const std::uint32_t magic = read_u32(bytes.data(), false);
  bool swapped = false;
  double fraction_unit = 1e-6;
  if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) {
    fraction_unit = magic == 0xa1b23c4d ? 1e-9 : 1e-6;
  } else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
    swapped = true;
    fraction_unit = magic == 0x4d3cb2a1 ? 1e-9 : 1e-6;
  } else {
    throw std::runtime_error(path + ": not a classic pcap file");
  }
  if (read_u32(bytes.data() + 20, swapped) != 1) throw std::runtime_error(path + ": not Ethernet");

  std::vector<CapturedDatagram> datagrams;
  std::size_t offset = 24;
  double first_time = -1;
  while (bytes.size() - offset >= 16) {
    const std::uint8_t* record = bytes.data() + offset;
    const double time = read_u32(record, swapped) + read_u32(record + 4, swapped) * fraction_unit;
    const std::size_t captured = read_u32(record + 8, swapped);
    offset += 16;
    if (bytes.size() - offset < captured) throw std::runtime_error(path + ": truncated record");
    const std::uint8_t* frame = bytes.data() + offset;
    offset += captured;

    std::size_t at = 12;
    if (captured < at + 2) continue;
    std::uint16_t ether_type = read_be16(frame + at);
    at += 2;
    if (ether_type == 0x8100 && captured >= at + 4) {  // one VLAN tag
      ether_type = read_be16(frame + at + 2);
      at += 4;
    }
    if (ether_type != 0x0800 || captured < at + 20) continue;
    const std::size_t ip_header = std::size_t{frame[at] & 0x0fu} * 4;
    const std::size_t ip_total = read_be16(frame + at + 2);
    if (frame[at + 9] != 17 || ip_total < ip_header + 8 || captured < at + ip_total) continue;
    const std::uint8_t* udp = frame + at + ip_header;
    const std::size_t udp_length = read_be16(udp + 4);
    if (udp_length < 8 || udp_length > ip_total - ip_header) continue;

    if (first_time < 0) first_time = time;
    CapturedDatagram datagram;
    datagram.time = time - first_time;
    datagram.source_port = read_be16(udp);
    datagram.destination_port = read_be16(udp + 2);
    datagram.payload.assign(udp + 8, udp + udp_length);
    datagrams.push_back(std::move(datagram));
  }
  return datagrams;
}

}  // namespace va::media::test
