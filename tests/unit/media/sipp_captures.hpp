// The RTP captures SIPp ships (/usr/share/sip-tester/*.pcap, installed by scripts/setup) are what SIPp puts
// on the wire in the interop tests; reading them lets unit tests run real peer packets through our code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace va::media::test {

struct CapturedDatagram {
  double time = 0;  // seconds since the first packet of the capture
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::vector<std::uint8_t> payload;  // the UDP payload
};

// Directory of SIPp's shipped captures.
std::string sipp_capture_dir();
// UDP datagrams of a classic pcap file with Ethernet framing over IPv4 (what SIPp ships). Throws
// std::runtime_error when the file cannot be read or is not such a capture.
std::vector<CapturedDatagram> read_udp_capture(const std::string& path);

}  // namespace va::media::test
