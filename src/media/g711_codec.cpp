#include "media/g711_codec.hpp"

#include <array>
#include <bit>

namespace va::media {

namespace {

// Index of the highest set bit (x > 0).
constexpr int top_bit(unsigned x) {
  return std::bit_width(x) - 1;
}

// µ-law: bias the magnitude by 0x84 (33 in 14-bit units), find the segment from the position of the top bit,
// keep four mantissa bits, invert all bits (G.711 transmits the complement).
constexpr std::uint8_t ulaw_from_linear(int linear) {
  constexpr int kBias = 0x84;
  int mask = 0xFF;
  if (linear >= 0) {
    linear = kBias + linear;
  } else {
    linear = kBias - linear;
    mask = 0x7F;
  }
  const int segment = top_bit(static_cast<unsigned>(linear | 0xFF)) - 7;
  if (segment >= 8) return static_cast<std::uint8_t>(0x7F ^ mask);  // clipped
  return static_cast<std::uint8_t>(((segment << 4) | ((linear >> (segment + 3)) & 0x0F)) ^ mask);
}

constexpr std::int16_t linear_from_ulaw(std::uint8_t code) {
  const int u = static_cast<std::uint8_t>(~code);
  const int t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4);
  return static_cast<std::int16_t>((u & 0x80) != 0 ? 0x84 - t : t - 0x84);
}

// A-law: segment from the top bit of the magnitude (negative values use the one's complement, as G.711
// does), four mantissa bits, and even bits inverted (the 0x55 "alternate mark inversion" mask).
constexpr std::uint8_t alaw_from_linear(int linear) {
  constexpr int kAmi = 0x55;
  int mask = kAmi | 0x80;
  if (linear < 0) {
    mask = kAmi;
    linear = -linear - 1;
  }
  const int segment = top_bit(static_cast<unsigned>(linear | 0xFF)) - 7;
  if (segment >= 8) return static_cast<std::uint8_t>(0x7F ^ mask);  // clipped
  const int shift = segment != 0 ? segment + 3 : 4;
  return static_cast<std::uint8_t>(((segment << 4) | ((linear >> shift) & 0x0F)) ^ mask);
}

constexpr std::int16_t linear_from_alaw(std::uint8_t code) {
  const int a = code ^ 0x55;
  int magnitude = (a & 0x0F) << 4;
  const int segment = (a & 0x70) >> 4;
  magnitude = segment != 0 ? (magnitude + 0x108) << (segment - 1) : magnitude + 8;
  return static_cast<std::int16_t>((a & 0x80) != 0 ? magnitude : -magnitude);
}

template <std::int16_t (*Decode)(std::uint8_t)>
constexpr std::array<std::int16_t, 256> decode_table() {
  std::array<std::int16_t, 256> table{};
  for (int code = 0; code < 256; ++code)
    table[static_cast<std::size_t>(code)] = Decode(static_cast<std::uint8_t>(code));
  return table;
}

constexpr auto kUlawTable = decode_table<linear_from_ulaw>();
constexpr auto kAlawTable = decode_table<linear_from_alaw>();

// RFC 3551 §4.5.14: 8000 Hz, one octet per sample; any ptime is a whole number of samples.
constexpr CodecInfo kPcmu{.name = "PCMU", .payload_type = 0, .rtp_clock_rate = 8000, .sample_rate = 8000};
constexpr CodecInfo kPcma{.name = "PCMA", .payload_type = 8, .rtp_clock_rate = 8000, .sample_rate = 8000};

}  // namespace

std::uint8_t encode_ulaw(std::int16_t linear) {
  return ulaw_from_linear(linear);
}
std::int16_t decode_ulaw(std::uint8_t code) {
  return kUlawTable[code];
}
std::uint8_t encode_alaw(std::int16_t linear) {
  return alaw_from_linear(linear);
}
std::int16_t decode_alaw(std::uint8_t code) {
  return kAlawTable[code];
}

G711Codec::G711Codec(G711Law law) : law_(law), plc_(8000) {}

const CodecInfo& G711Codec::info() const {
  return law_ == G711Law::ulaw ? kPcmu : kPcma;
}

CodecResult G711Codec::encode(std::span<const std::int16_t> pcm, std::span<std::uint8_t> out) {
  if (out.size() < pcm.size()) return {0, CodecError::output_too_small};
  if (law_ == G711Law::ulaw) {
    for (std::size_t i = 0; i < pcm.size(); ++i) out[i] = ulaw_from_linear(pcm[i]);
  } else {
    for (std::size_t i = 0; i < pcm.size(); ++i) out[i] = alaw_from_linear(pcm[i]);
  }
  return {pcm.size(), CodecError::none};
}

CodecResult G711Codec::decode(std::span<const std::uint8_t> payload, std::span<std::int16_t> out) {
  if (payload.empty()) return {0, CodecError::malformed_payload};
  if (out.size() < payload.size()) return {0, CodecError::output_too_small};
  const auto& table = law_ == G711Law::ulaw ? kUlawTable : kAlawTable;
  for (std::size_t i = 0; i < payload.size(); ++i) out[i] = table[payload[i]];
  plc_.receive(out.first(payload.size()));
  return {payload.size(), CodecError::none};
}

void register_g711_codecs(CodecRegistry& registry) {
  registry.add(kPcmu, [] { return std::make_unique<G711Codec>(G711Law::ulaw); });
  registry.add(kPcma, [] { return std::make_unique<G711Codec>(G711Law::alaw); });
}

}  // namespace va::media
