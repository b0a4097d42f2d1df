#include "media/rtcp_packet.hpp"

#include <algorithm>
#include <cstring>

#include "media/rtp_packet.hpp"

namespace va::media {

using wire::read_u16;
using wire::read_u32;
using wire::write_u16;
using wire::write_u32;

std::string_view to_string(RtcpParseError error) {
  switch (error) {
    case RtcpParseError::truncated:
      return "truncated";
    case RtcpParseError::unsupported_version:
      return "unsupported version";
    case RtcpParseError::first_not_report:
      return "compound does not start with SR or RR";
    case RtcpParseError::padding_not_last:
      return "padding before the last packet";
    case RtcpParseError::bad_padding:
      return "bad padding";
    case RtcpParseError::malformed_report:
      return "malformed packet body";
  }
  return "unknown";
}

namespace {

constexpr std::size_t kHeaderSize = 4;
constexpr std::size_t kSenderInfoSize = 20;

std::optional<RtcpCompound> fail(RtcpParseError reason, RtcpParseError* error) {
  if (error != nullptr) *error = reason;
  return std::nullopt;
}

bool sdes_is_well_formed(const RtcpPacketView& packet) {
  RtcpSdesReader reader(packet);
  while (reader.next()) {
  }
  return !reader.malformed();
}

bool body_matches_count(const RtcpPacketView& packet) {
  switch (static_cast<RtcpPacketType>(packet.type)) {
    case RtcpPacketType::sender_report:
      return parse_sender_report(packet).has_value();
    case RtcpPacketType::receiver_report:
      return parse_receiver_report(packet).has_value();
    case RtcpPacketType::goodbye:
      return parse_goodbye(packet).has_value();
    case RtcpPacketType::source_description:
      return sdes_is_well_formed(packet);
    case RtcpPacketType::application:
      return true;  // APP is skipped: its content is for its own application
  }
  return true;  // feedback (205, 206), XR (207) and future types are skipped
}

std::int32_t decode_cumulative_lost(const std::uint8_t* p) {
  std::int32_t value =
      static_cast<std::int32_t>((std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | p[2]);
  if (value & 0x800000) value -= 0x1000000;  // 24-bit two's complement
  return value;
}

void write_report_block(std::uint8_t* p, const RtcpReportBlock& block) {
  write_u32(p, block.ssrc);
  // A.3: the cumulative number lost is clamped to what 24 signed bits hold.
  const std::int32_t lost = std::clamp<std::int32_t>(block.cumulative_lost, -0x800000, 0x7fffff);
  const auto lost_bits = static_cast<std::uint32_t>(lost) & 0xffffffu;
  write_u32(p + 4, (std::uint32_t{block.fraction_lost} << 24) | lost_bits);
  write_u32(p + 8, block.extended_highest_sequence);
  write_u32(p + 12, block.jitter);
  write_u32(p + 16, block.last_sr);
  write_u32(p + 20, block.delay_since_last_sr);
}

void write_header(std::uint8_t* p, std::uint8_t count, RtcpPacketType type, std::size_t size) {
  p[0] = static_cast<std::uint8_t>((kRtpVersion << 6) | count);
  p[1] = static_cast<std::uint8_t>(type);
  write_u16(p + 2, static_cast<std::uint16_t>(size / 4 - 1));
}

std::size_t padded_to_word(std::size_t size) {
  return (size + 3) & ~std::size_t{3};
}

}  // namespace

RtcpReportBlock RtcpReportBlocks::operator[](std::size_t index) const {
  const std::uint8_t* p = bytes_.data() + index * kRtcpReportBlockSize;
  RtcpReportBlock block;
  block.ssrc = read_u32(p);
  block.fraction_lost = p[4];
  block.cumulative_lost = decode_cumulative_lost(p + 5);
  block.extended_highest_sequence = read_u32(p + 8);
  block.jitter = read_u32(p + 12);
  block.last_sr = read_u32(p + 16);
  block.delay_since_last_sr = read_u32(p + 20);
  return block;
}

std::uint32_t RtcpGoodbye::ssrc(std::size_t index) const {
  return read_u32(ssrc_bytes.data() + 4 * index);
}

std::optional<RtcpSenderReport> parse_sender_report(const RtcpPacketView& packet) {
  if (packet.type != static_cast<std::uint8_t>(RtcpPacketType::sender_report)) return std::nullopt;
  const std::size_t blocks = packet.count * kRtcpReportBlockSize;
  // Bytes after the report blocks are profile-specific extensions (§6.4.1) and are ignored.
  if (packet.body.size() < 4 + kSenderInfoSize + blocks) return std::nullopt;
  const std::uint8_t* p = packet.body.data();
  RtcpSenderReport report;
  report.ssrc = read_u32(p);
  report.sender.ntp_timestamp = (std::uint64_t{read_u32(p + 4)} << 32) | read_u32(p + 8);
  report.sender.rtp_timestamp = read_u32(p + 12);
  report.sender.packet_count = read_u32(p + 16);
  report.sender.octet_count = read_u32(p + 20);
  report.blocks = RtcpReportBlocks(packet.body.subspan(4 + kSenderInfoSize, blocks));
  return report;
}

std::optional<RtcpReceiverReport> parse_receiver_report(const RtcpPacketView& packet) {
  if (packet.type != static_cast<std::uint8_t>(RtcpPacketType::receiver_report)) return std::nullopt;
  const std::size_t blocks = packet.count * kRtcpReportBlockSize;
  if (packet.body.size() < 4 + blocks) return std::nullopt;
  RtcpReceiverReport report;
  report.ssrc = read_u32(packet.body.data());
  report.blocks = RtcpReportBlocks(packet.body.subspan(4, blocks));
  return report;
}

std::optional<RtcpGoodbye> parse_goodbye(const RtcpPacketView& packet) {
  if (packet.type != static_cast<std::uint8_t>(RtcpPacketType::goodbye)) return std::nullopt;
  const std::size_t ssrcs = 4 * std::size_t{packet.count};
  if (packet.body.size() < ssrcs) return std::nullopt;
  RtcpGoodbye bye;
  bye.ssrc_bytes = packet.body.first(ssrcs);
  const auto rest = packet.body.subspan(ssrcs);
  if (!rest.empty()) {
    const std::size_t length = rest[0];
    if (rest.size() - 1 < length) return std::nullopt;
    bye.reason = std::string_view(reinterpret_cast<const char*>(rest.data() + 1), length);
  }
  return bye;
}

RtcpSdesReader::RtcpSdesReader(const RtcpPacketView& packet) {
  if (packet.type != static_cast<std::uint8_t>(RtcpPacketType::source_description)) return;
  body_ = packet.body;
  chunks_left_ = packet.count;
}

std::optional<RtcpSdesItem> RtcpSdesReader::next() {
  while (!malformed_) {
    if (!in_chunk_) {
      if (chunks_left_ == 0) return std::nullopt;
      if (body_.size() - offset_ < 4) break;
      ssrc_ = read_u32(body_.data() + offset_);
      offset_ += 4;
      in_chunk_ = true;
      --chunks_left_;
    }
    if (offset_ >= body_.size()) break;  // a chunk must end with a null octet
    const std::uint8_t type = body_[offset_];
    if (type == static_cast<std::uint8_t>(SdesItemType::end)) {
      // The item list ends with one or more null octets up to the next 32-bit boundary (§6.5).
      offset_ = padded_to_word(offset_ + 1);
      if (offset_ > body_.size()) break;
      in_chunk_ = false;
      continue;
    }
    if (body_.size() - offset_ < 2) break;
    const std::size_t length = body_[offset_ + 1];
    if (body_.size() - offset_ - 2 < length) break;
    RtcpSdesItem item;
    item.ssrc = ssrc_;
    item.type = type;
    item.value = std::string_view(reinterpret_cast<const char*>(body_.data() + offset_ + 2), length);
    offset_ += 2 + length;
    return item;
  }
  malformed_ = true;
  return std::nullopt;
}

RtcpCompound::Iterator::Iterator(std::span<const std::uint8_t> bytes, std::size_t offset)
    : bytes_(bytes), offset_(offset) {}

RtcpPacketView RtcpCompound::Iterator::operator*() const {
  const std::uint8_t* p = bytes_.data() + offset_;
  const std::size_t size = (std::size_t{read_u16(p + 2)} + 1) * 4;
  const std::size_t padding = (p[0] & 0x20) != 0 ? p[size - 1] : 0;
  RtcpPacketView view;
  view.count = p[0] & 0x1f;
  view.type = p[1];
  view.body = bytes_.subspan(offset_ + kHeaderSize, size - kHeaderSize - padding);
  return view;
}

RtcpCompound::Iterator& RtcpCompound::Iterator::operator++() {
  offset_ += (std::size_t{read_u16(bytes_.data() + offset_ + 2)} + 1) * 4;
  return *this;
}

std::optional<RtcpCompound> parse_rtcp(std::span<const std::uint8_t> datagram, RtcpParseError* error) {
  const std::uint8_t* p = datagram.data();
  const std::size_t size = datagram.size();
  if (size < kHeaderSize) return fail(RtcpParseError::truncated, error);
  // A.2: the first packet is SR or RR with version 2 and no padding (the RTCP_VALID_MASK test).
  if ((p[0] >> 6) != kRtpVersion) return fail(RtcpParseError::unsupported_version, error);
  if ((p[0] & 0x20) != 0 || (p[1] != static_cast<std::uint8_t>(RtcpPacketType::sender_report) &&
                             p[1] != static_cast<std::uint8_t>(RtcpPacketType::receiver_report))) {
    return fail(RtcpParseError::first_not_report, error);
  }

  std::size_t offset = 0;
  while (offset < size) {
    if (size - offset < kHeaderSize) return fail(RtcpParseError::truncated, error);
    const std::uint8_t* packet = p + offset;
    if ((packet[0] >> 6) != kRtpVersion) return fail(RtcpParseError::unsupported_version, error);
    const std::size_t packet_size = (std::size_t{read_u16(packet + 2)} + 1) * 4;
    if (size - offset < packet_size) return fail(RtcpParseError::truncated, error);
    std::size_t padding = 0;
    if ((packet[0] & 0x20) != 0) {
      if (offset + packet_size != size) return fail(RtcpParseError::padding_not_last, error);
      padding = packet[packet_size - 1];
      if (padding == 0 || padding > packet_size - kHeaderSize)
        return fail(RtcpParseError::bad_padding, error);
    }
    RtcpPacketView view;
    view.count = packet[0] & 0x1f;
    view.type = packet[1];
    view.body = datagram.subspan(offset + kHeaderSize, packet_size - kHeaderSize - padding);
    if (!body_matches_count(view)) return fail(RtcpParseError::malformed_report, error);
    offset += packet_size;
  }
  return RtcpCompound(datagram);
}

std::uint64_t to_ntp(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  constexpr std::uint64_t kSecondsFrom1900To1970 = 2208988800ULL;
  const auto since_epoch = duration_cast<nanoseconds>(time.time_since_epoch());
  const auto seconds =
      static_cast<std::uint64_t>(since_epoch.count() / 1'000'000'000) + kSecondsFrom1900To1970;
  const auto nanos = static_cast<std::uint64_t>(since_epoch.count() % 1'000'000'000);
  const std::uint64_t fraction = (nanos << 32) / 1'000'000'000;
  return (seconds << 32) | fraction;
}

std::size_t build_rtcp(const RtcpReport& report, std::span<std::uint8_t> out) {
  if (report.blocks.size() > kRtcpMaxReportBlocks || report.cname.size() > 255 ||
      report.goodbye_reason.size() > 255) {
    return 0;
  }
  const std::size_t report_size =
      kHeaderSize + 4 + (report.sender ? kSenderInfoSize : 0) + kRtcpReportBlockSize * report.blocks.size();
  // SDES chunk: SSRC, CNAME item (type, length, text), then 1-4 null octets to the next word boundary.
  const std::size_t sdes_size = kHeaderSize + padded_to_word(4 + 2 + report.cname.size() + 1);
  std::size_t bye_size = 0;
  if (report.goodbye) {
    bye_size = kHeaderSize + 4;
    if (!report.goodbye_reason.empty()) bye_size += padded_to_word(1 + report.goodbye_reason.size());
  }
  const std::size_t total = report_size + sdes_size + bye_size;
  if (out.size() < total) return 0;
  std::memset(out.data(), 0, total);

  std::uint8_t* p = out.data();
  const auto block_count = static_cast<std::uint8_t>(report.blocks.size());
  write_header(p, block_count,
               report.sender ? RtcpPacketType::sender_report : RtcpPacketType::receiver_report, report_size);
  write_u32(p + 4, report.ssrc);
  std::size_t offset = 8;
  if (report.sender) {
    write_u32(p + offset, static_cast<std::uint32_t>(report.sender->ntp_timestamp >> 32));
    write_u32(p + offset + 4, static_cast<std::uint32_t>(report.sender->ntp_timestamp));
    write_u32(p + offset + 8, report.sender->rtp_timestamp);
    write_u32(p + offset + 12, report.sender->packet_count);
    write_u32(p + offset + 16, report.sender->octet_count);
    offset += kSenderInfoSize;
  }
  for (const auto& block : report.blocks) {
    write_report_block(p + offset, block);
    offset += kRtcpReportBlockSize;
  }

  std::uint8_t* sdes = p + report_size;
  write_header(sdes, 1, RtcpPacketType::source_description, sdes_size);
  write_u32(sdes + 4, report.ssrc);
  sdes[8] = static_cast<std::uint8_t>(SdesItemType::cname);
  sdes[9] = static_cast<std::uint8_t>(report.cname.size());
  if (!report.cname.empty()) std::memcpy(sdes + 10, report.cname.data(), report.cname.size());

  if (report.goodbye) {
    std::uint8_t* bye = sdes + sdes_size;
    write_header(bye, 1, RtcpPacketType::goodbye, bye_size);
    write_u32(bye + 4, report.ssrc);
    if (!report.goodbye_reason.empty()) {
      bye[8] = static_cast<std::uint8_t>(report.goodbye_reason.size());
      std::memcpy(bye + 9, report.goodbye_reason.data(), report.goodbye_reason.size());
    }
  }
  return total;
}

}  // namespace va::media
