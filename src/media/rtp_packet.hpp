// RTP packets (RFC 3550 §5.1): parsing into views over the caller's buffer and serialization into the
// caller's buffer. Nothing here allocates — every datagram of every call passes through parse_rtp().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace va::media {

// Big-endian field access shared by the RTP and RTCP codecs. Callers check bounds first.
namespace wire {
inline std::uint16_t read_u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((std::uint16_t{p[0]} << 8) | p[1]);
}
inline std::uint32_t read_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
inline void write_u16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
inline void write_u32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}
}  // namespace wire

inline constexpr std::uint8_t kRtpVersion = 2;
inline constexpr std::size_t kRtpHeaderSize = 12;
inline constexpr std::size_t kRtpMaxCsrcs = 15;

enum class RtpParseError : std::uint8_t {
  truncated_header,     // shorter than the 12-byte fixed header
  unsupported_version,  // V != 2 (also what STUN, DTLS and garbage look like)
  truncated_csrc,       // CC announces more CSRCs than the datagram holds
  truncated_extension,  // X set but the extension header or its length runs past the end
  bad_padding,          // P set with a padding count of 0 or larger than what follows the header
};
std::string_view to_string(RtpParseError error);

// The header extension block of RFC 3550 §5.3.1: a 16-bit profile and its data (a whole number of
// 32-bit words, already bounds-checked).
struct RtpHeaderExtension {
  std::uint16_t profile = 0;
  std::span<const std::uint8_t> data;
};

// A parsed RTP packet. All spans point into the buffer given to parse_rtp() and live as long as it.
struct RtpPacketView {
  bool marker = false;
  std::uint8_t payload_type = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::span<const std::uint8_t> csrc_bytes;  // 4 bytes per CSRC
  std::optional<RtpHeaderExtension> extension;
  std::span<const std::uint8_t> payload;  // without padding
  std::uint8_t padding_size = 0;          // including the count octet itself; 0 when P is clear

  std::size_t csrc_count() const { return csrc_bytes.size() / 4; }
  std::uint32_t csrc(std::size_t index) const { return wire::read_u32(csrc_bytes.data() + 4 * index); }
};

// Parses one datagram. On failure returns nullopt and, when `error` is given, the reason (for counters).
std::optional<RtpPacketView> parse_rtp(std::span<const std::uint8_t> datagram,
                                       RtpParseError* error = nullptr);

// RFC 5761 §4 demultiplexing on an rtcp-mux port: the second octet of RTCP packets (SR 200 … APP 204, and
// the feedback/XR types up to 223) falls in 192..223, which RTP avoids by never using payload types 64-95.
bool looks_like_rtcp(std::span<const std::uint8_t> datagram);

// One element of an RFC 8285 header extension.
struct RtpExtensionElement {
  std::uint8_t id = 0;
  std::span<const std::uint8_t> data;
};

// Walks the elements of an RFC 8285 one-byte (profile 0xBEDE) or two-byte (0x100X) header extension,
// skipping padding octets. Other profiles have no elements to report. Element bounds are checked against the
// extension block; an element running past it ends the walk and sets malformed().
class RtpExtensionReader {
 public:
  explicit RtpExtensionReader(const RtpHeaderExtension& extension);

  std::optional<RtpExtensionElement> next();
  bool malformed() const { return malformed_; }
  bool one_byte() const { return form_ == Form::one_byte; }
  bool two_byte() const { return form_ == Form::two_byte; }

 private:
  enum class Form : std::uint8_t { other, one_byte, two_byte };
  std::span<const std::uint8_t> data_;
  std::size_t offset_ = 0;
  Form form_ = Form::other;
  bool malformed_ = false;
};

// What we put on the wire. We send no header extensions and no padding.
struct RtpHeader {
  bool marker = false;
  std::uint8_t payload_type = 0;  // 0..127
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::span<const std::uint32_t> csrcs;  // at most kRtpMaxCsrcs
};

// Writes the header and payload into `out`. Returns the packet size, or 0 when `out` is too small or the
// header cannot be encoded (payload type above 127, more than 15 CSRCs).
std::size_t serialize_rtp(const RtpHeader& header, std::span<const std::uint8_t> payload,
                          std::span<std::uint8_t> out);

// A fixed-size buffer for one outgoing datagram, sized for a full Ethernet MTU, so a packet is built and then
// SRTP-protected in place (the trailer needs headroom behind the packet) without allocation.
struct RtpPacketBuffer {
  static constexpr std::size_t kCapacity = 1500;

  alignas(8) std::array<std::uint8_t, kCapacity> bytes{};  // libsrtp reads the header as 32-bit words
  std::size_t size = 0;

  std::span<std::uint8_t> storage() { return bytes; }
  std::span<const std::uint8_t> packet() const { return {bytes.data(), size}; }
};

}  // namespace va::media
