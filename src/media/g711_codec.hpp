// ITU-T G.711 µ-law (PCMU, RTP payload type 0) and A-law (PCMA, payload type 8) at 8 kHz, one byte per
// sample.
//
// Encoding takes 16-bit linear PCM (the 13/14-bit G.711 input scaled to 16 bits, as spandsp and most VoIP
// stacks do) and is bit-exact with spandsp's linear_to_ulaw()/linear_to_alaw(); decoding is table-driven and
// bit-exact with ulaw_to_linear()/alaw_to_linear(). G.711 has no concealment of its own: conceal() uses
// PacketLossConcealer.
#pragma once

#include <cstdint>

#include "media/audio_codec.hpp"
#include "media/packet_loss_concealment.hpp"

namespace va::media {

std::uint8_t encode_ulaw(std::int16_t linear);
std::int16_t decode_ulaw(std::uint8_t code);
std::uint8_t encode_alaw(std::int16_t linear);
std::int16_t decode_alaw(std::uint8_t code);

enum class G711Law { ulaw, alaw };

class G711Codec final : public AudioCodec {
 public:
  explicit G711Codec(G711Law law);

  const CodecInfo& info() const override;
  CodecResult encode(std::span<const std::int16_t> pcm, std::span<std::uint8_t> out) override;
  std::size_t decoded_samples(std::span<const std::uint8_t> payload) const override { return payload.size(); }
  CodecResult decode(std::span<const std::uint8_t> payload, std::span<std::int16_t> out) override;
  void conceal(std::span<std::int16_t> out) override { plc_.conceal(out); }
  void reset() override { plc_.reset(); }

 private:
  G711Law law_;
  PacketLossConcealer plc_;
};

// Registers PCMU and PCMA.
void register_g711_codecs(CodecRegistry& registry);

}  // namespace va::media
