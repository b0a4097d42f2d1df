#include "media/rtp_packet.hpp"

#include <cstring>

namespace va::media {

std::string_view to_string(RtpParseError error) {
  switch (error) {
    case RtpParseError::truncated_header:
      return "truncated header";
    case RtpParseError::unsupported_version:
      return "unsupported version";
    case RtpParseError::truncated_csrc:
      return "truncated CSRC list";
    case RtpParseError::truncated_extension:
      return "truncated header extension";
    case RtpParseError::bad_padding:
      return "bad padding";
  }
  return "unknown";
}

namespace {

std::optional<RtpPacketView> fail(RtpParseError reason, RtpParseError* error) {
  if (error != nullptr) *error = reason;
  return std::nullopt;
}

}  // namespace

std::optional<RtpPacketView> parse_rtp(std::span<const std::uint8_t> datagram, RtpParseError* error) {
  const std::uint8_t* p = datagram.data();
  const std::size_t size = datagram.size();
  if (size < kRtpHeaderSize) return fail(RtpParseError::truncated_header, error);
  if ((p[0] >> 6) != kRtpVersion) return fail(RtpParseError::unsupported_version, error);

  const bool has_padding = (p[0] & 0x20) != 0;
  const bool has_extension = (p[0] & 0x10) != 0;
  const std::size_t csrc_count = p[0] & 0x0f;

  RtpPacketView packet;
  packet.marker = (p[1] & 0x80) != 0;
  packet.payload_type = p[1] & 0x7f;
  packet.sequence = wire::read_u16(p + 2);
  packet.timestamp = wire::read_u32(p + 4);
  packet.ssrc = wire::read_u32(p + 8);

  std::size_t offset = kRtpHeaderSize;
  if (size - offset < 4 * csrc_count) return fail(RtpParseError::truncated_csrc, error);
  packet.csrc_bytes = datagram.subspan(offset, 4 * csrc_count);
  offset += 4 * csrc_count;

  if (has_extension) {
    // RFC 3550 §5.3.1: 16-bit profile, 16-bit length in 32-bit words not counting this 4-byte header.
    if (size - offset < 4) return fail(RtpParseError::truncated_extension, error);
    const std::uint16_t profile = wire::read_u16(p + offset);
    const std::size_t words = wire::read_u16(p + offset + 2);
    offset += 4;
    if (size - offset < 4 * words) return fail(RtpParseError::truncated_extension, error);
    packet.extension = RtpHeaderExtension{profile, datagram.subspan(offset, 4 * words)};
    offset += 4 * words;
  }

  std::size_t end = size;
  if (has_padding) {
    // RFC 3550 A.1 validity check: the count includes itself, so 0 is invalid, and it must fit in what
    // follows the header.
    const std::size_t padding = p[size - 1];
    if (padding == 0 || padding > size - offset) return fail(RtpParseError::bad_padding, error);
    packet.padding_size = static_cast<std::uint8_t>(padding);
    end -= padding;
  }
  packet.payload = datagram.subspan(offset, end - offset);
  return packet;
}

bool looks_like_rtcp(std::span<const std::uint8_t> datagram) {
  if (datagram.size() < 2) return false;
  return datagram[1] >= 192 && datagram[1] <= 223;
}

RtpExtensionReader::RtpExtensionReader(const RtpHeaderExtension& extension) : data_(extension.data) {
  if (extension.profile == 0xBEDE) {
    form_ = Form::one_byte;
  } else if ((extension.profile & 0xFFF0) == 0x1000) {
    form_ = Form::two_byte;  // RFC 8285 §4.3: 0x100 followed by 4 "appbits"
  }
}

std::optional<RtpExtensionElement> RtpExtensionReader::next() {
  if (form_ == Form::other || malformed_) return std::nullopt;
  while (offset_ < data_.size()) {
    const std::uint8_t first = data_[offset_];
    if (first == 0) {  // padding octet between or after elements (RFC 8285 §4.2, §4.3)
      ++offset_;
      continue;
    }
    std::size_t id = 0;
    std::size_t length = 0;
    std::size_t header = 0;
    if (form_ == Form::one_byte) {
      id = first >> 4;
      // ID 15 is reserved: processing of the whole extension stops there (RFC 8285 §4.2).
      if (id == 15) {
        offset_ = data_.size();
        return std::nullopt;
      }
      if (id == 0) {  // ID 0 with a non-zero length field: padding by definition, skip the octet
        ++offset_;
        continue;
      }
      length = std::size_t{first & 0x0fu} + 1;
      header = 1;
    } else {
      if (data_.size() - offset_ < 2) {
        malformed_ = true;
        return std::nullopt;
      }
      id = first;
      length = data_[offset_ + 1];
      header = 2;
    }
    if (data_.size() - offset_ - header < length) {
      malformed_ = true;
      return std::nullopt;
    }
    RtpExtensionElement element{static_cast<std::uint8_t>(id), data_.subspan(offset_ + header, length)};
    offset_ += header + length;
    return element;
  }
  return std::nullopt;
}

std::size_t serialize_rtp(const RtpHeader& header, std::span<const std::uint8_t> payload,
                          std::span<std::uint8_t> out) {
  if (header.payload_type > 127 || header.csrcs.size() > kRtpMaxCsrcs) return 0;
  const std::size_t header_size = kRtpHeaderSize + 4 * header.csrcs.size();
  if (out.size() < header_size || out.size() - header_size < payload.size()) return 0;

  std::uint8_t* p = out.data();
  p[0] = static_cast<std::uint8_t>((kRtpVersion << 6) | header.csrcs.size());
  p[1] = static_cast<std::uint8_t>((header.marker ? 0x80 : 0) | header.payload_type);
  wire::write_u16(p + 2, header.sequence);
  wire::write_u32(p + 4, header.timestamp);
  wire::write_u32(p + 8, header.ssrc);
  for (std::size_t i = 0; i < header.csrcs.size(); ++i) wire::write_u32(p + 12 + 4 * i, header.csrcs[i]);
  if (!payload.empty()) std::memcpy(p + header_size, payload.data(), payload.size());
  return header_size + payload.size();
}

}  // namespace va::media
