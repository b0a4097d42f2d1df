// Compound RTCP (RFC 3550 §6): validation per Appendix A.2, typed views of SR, RR, SDES and BYE (APP and any
// other type is skipped), and building our periodic SR/RR + SDES(CNAME) [+ BYE] compound. Views point into
// the caller's buffer; nothing allocates.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace va::media {

enum class RtcpPacketType : std::uint8_t {
  sender_report = 200,
  receiver_report = 201,
  source_description = 202,
  goodbye = 203,
  application = 204,
};

enum class RtcpParseError : std::uint8_t {
  truncated,            // a header or a length field runs past the datagram (A.2: lengths must add up)
  unsupported_version,  // some packet has V != 2
  first_not_report,     // A.2: a compound starts with SR or RR, without padding
  padding_not_last,     // A.2: only the last packet of a compound may be padded
  bad_padding,          // padding count of 0 or more than the packet body
  malformed_report,     // an SR/RR/BYE/SDES body that does not match its count field
};
std::string_view to_string(RtcpParseError error);

// One packet inside a validated compound: header fields and the body after the 4-byte header, padding
// removed.
struct RtcpPacketView {
  std::uint8_t type = 0;   // RtcpPacketType for the ones we know; others are passed through
  std::uint8_t count = 0;  // RC / SC / subtype: the 5-bit field of the first octet
  std::span<const std::uint8_t> body;
};

struct RtcpReportBlock {
  std::uint32_t ssrc = 0;
  std::uint8_t fraction_lost = 0;    // 8-bit fixed point, lost/expected × 256 over the last interval
  std::int32_t cumulative_lost = 0;  // 24-bit signed on the wire
  std::uint32_t extended_highest_sequence = 0;
  std::uint32_t jitter = 0;               // timestamp units
  std::uint32_t last_sr = 0;              // middle 32 bits of the NTP time of the last SR received, or 0
  std::uint32_t delay_since_last_sr = 0;  // 1/65536 s
  friend bool operator==(const RtcpReportBlock&, const RtcpReportBlock&) = default;
};
inline constexpr std::size_t kRtcpReportBlockSize = 24;
inline constexpr std::size_t kRtcpMaxReportBlocks = 31;

// The report blocks of an SR or RR, decoded on access.
class RtcpReportBlocks {
 public:
  RtcpReportBlocks() = default;
  explicit RtcpReportBlocks(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  std::size_t size() const { return bytes_.size() / kRtcpReportBlockSize; }
  bool empty() const { return bytes_.empty(); }
  RtcpReportBlock operator[](std::size_t index) const;

 private:
  std::span<const std::uint8_t> bytes_;
};

struct RtcpSenderInfo {
  std::uint64_t ntp_timestamp = 0;  // 32.32 fixed point seconds since 1900
  std::uint32_t rtp_timestamp = 0;
  std::uint32_t packet_count = 0;
  std::uint32_t octet_count = 0;
  friend bool operator==(const RtcpSenderInfo&, const RtcpSenderInfo&) = default;
};

struct RtcpSenderReport {
  std::uint32_t ssrc = 0;
  RtcpSenderInfo sender;
  RtcpReportBlocks blocks;
};

struct RtcpReceiverReport {
  std::uint32_t ssrc = 0;
  RtcpReportBlocks blocks;
};

struct RtcpGoodbye {
  std::span<const std::uint8_t> ssrc_bytes;  // 4 bytes per SSRC
  std::string_view reason;
  std::size_t ssrc_count() const { return ssrc_bytes.size() / 4; }
  std::uint32_t ssrc(std::size_t index) const;
};

// These return nullopt when the packet is of another type or its body does not match its count field.
std::optional<RtcpSenderReport> parse_sender_report(const RtcpPacketView& packet);
std::optional<RtcpReceiverReport> parse_receiver_report(const RtcpPacketView& packet);
std::optional<RtcpGoodbye> parse_goodbye(const RtcpPacketView& packet);

enum class SdesItemType : std::uint8_t {
  end = 0,
  cname = 1,
  name = 2,
  email = 3,
  phone = 4,
  loc = 5,
  tool = 6
};

struct RtcpSdesItem {
  std::uint32_t ssrc = 0;  // the chunk's SSRC/CSRC
  std::uint8_t type = 0;   // SdesItemType; PRIV (8) and unknown types are reported too
  std::string_view value;
};

// Walks the items of all chunks of an SDES packet (RFC 3550 §6.5). A chunk or item running past the packet
// ends the walk and sets malformed().
class RtcpSdesReader {
 public:
  explicit RtcpSdesReader(const RtcpPacketView& packet);
  std::optional<RtcpSdesItem> next();
  bool malformed() const { return malformed_; }

 private:
  std::span<const std::uint8_t> body_;
  std::size_t offset_ = 0;
  std::size_t chunks_left_ = 0;
  std::uint32_t ssrc_ = 0;
  bool in_chunk_ = false;
  bool malformed_ = false;
};

// A compound RTCP datagram that passed the RFC 3550 A.2 checks, iterated packet by packet.
class RtcpCompound {
 public:
  class Iterator {
   public:
    using value_type = RtcpPacketView;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    RtcpPacketView operator*() const;
    Iterator& operator++();
    Iterator operator++(int) {
      Iterator copy = *this;
      ++*this;
      return copy;
    }
    bool operator==(const Iterator& other) const { return offset_ == other.offset_; }

   private:
    friend class RtcpCompound;
    Iterator(std::span<const std::uint8_t> bytes, std::size_t offset);
    std::span<const std::uint8_t> bytes_;
    std::size_t offset_ = 0;
  };

  Iterator begin() const { return Iterator(bytes_, 0); }
  Iterator end() const { return Iterator(bytes_, bytes_.size()); }
  std::span<const std::uint8_t> bytes() const { return bytes_; }

 private:
  friend std::optional<RtcpCompound> parse_rtcp(std::span<const std::uint8_t>, RtcpParseError*);
  explicit RtcpCompound(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  std::span<const std::uint8_t> bytes_;
};

// Validates a compound packet (A.2: version 2 everywhere, SR or RR first and unpadded, padding only on the
// last packet, lengths adding up to the datagram; SR/RR/BYE bodies matching their counts). Reduced-size RTCP
// (RFC 5506) is rejected: we never negotiate it.
std::optional<RtcpCompound> parse_rtcp(std::span<const std::uint8_t> datagram,
                                       RtcpParseError* error = nullptr);

// NTP time (RFC 3550 §4): 32.32 fixed-point seconds since 1900-01-01.
std::uint64_t to_ntp(std::chrono::system_clock::time_point time);
// The middle 32 bits (16.16 seconds), the form used by LSR, DLSR and round-trip arithmetic.
inline std::uint32_t ntp_compact(std::uint64_t ntp) {
  return static_cast<std::uint32_t>(ntp >> 16);
}

// Our periodic report: SR when we have sent media since the last two reports, otherwise RR; always followed
// by SDES with CNAME (§6.1: every compound carries it); BYE last when leaving.
struct RtcpReport {
  std::uint32_t ssrc = 0;
  std::optional<RtcpSenderInfo> sender;     // SR when set, RR otherwise
  std::span<const RtcpReportBlock> blocks;  // at most kRtcpMaxReportBlocks
  std::string_view cname;                   // at most 255 bytes
  bool goodbye = false;
  std::string_view goodbye_reason;  // at most 255 bytes
};

// Writes the compound into `out`; returns its size, or 0 when it does not fit or a field cannot be encoded.
std::size_t build_rtcp(const RtcpReport& report, std::span<std::uint8_t> out);

}  // namespace va::media
