// Copies of SIPp's media pcaps with an RTP header field changed, made at test time: SIPp replays a pcap's
// RTP packets as they are (play_pcap_audio), so a changed copy is how a test sends what a quirky peer
// would. Only classic pcap files (not pcapng) with Ethernet or raw-IP framing and IPv4/UDP inside: what
// /usr/share/sip-tester/*.pcap are.
#pragma once

#include <cstddef>
#include <filesystem>

namespace va::test {

// Writes `in` to `out` with the marker bit of every RTP packet cleared — the start of an RFC 4733 event
// then looks like a peer that omits the marker (RFC 4733 §2.5.1.3 says a receiver must cope with a lost
// first packet, which looks the same). The UDP checksum is set to 0 ("none", RFC 768) because the payload
// changed; SIPp computes its own when it sends. Returns how many packets had the marker set. Throws
// std::runtime_error for a file it does not understand.
std::size_t copy_pcap_clearing_rtp_marker(const std::filesystem::path& in, const std::filesystem::path& out);

}  // namespace va::test
