// ITU-T G.722 at 64 kbit/s (RTP payload type 9) through spandsp's bit-exact implementation.
//
// The RTP clock quirk: G.722 samples audio at 16 kHz, but RFC 3551 §4.5.2 fixes its RTP clock rate at
// 8000 Hz ("an error in RFC 1890" kept for interoperability), and SDP says "G722/8000". So a 20 ms packet
// carries 320 samples in 160 bytes and advances the RTP timestamp by 160. CodecInfo keeps the two rates
// apart: sample_rate 16000, rtp_clock_rate 8000; use CodecInfo::rtp_units() for timestamps.
//
// spandsp's G.722 has no concealment; conceal() uses PacketLossConcealer at 16 kHz.
#pragma once

#include <memory>

#include "media/audio_codec.hpp"
#include "media/packet_loss_concealment.hpp"

struct g722_encode_state_s;
struct g722_decode_state_s;

namespace va::media {

class G722Codec final : public AudioCodec {
 public:
  G722Codec();

  const CodecInfo& info() const override;
  CodecResult encode(std::span<const std::int16_t> pcm, std::span<std::uint8_t> out) override;
  std::size_t decoded_samples(std::span<const std::uint8_t> payload) const override {
    return payload.size() * 2;
  }
  CodecResult decode(std::span<const std::uint8_t> payload, std::span<std::int16_t> out) override;
  void conceal(std::span<std::int16_t> out) override { plc_.conceal(out); }
  void reset() override;

 private:
  struct EncoderDeleter {
    void operator()(g722_encode_state_s* state) const;
  };
  struct DecoderDeleter {
    void operator()(g722_decode_state_s* state) const;
  };

  std::unique_ptr<g722_encode_state_s, EncoderDeleter> encoder_;
  std::unique_ptr<g722_decode_state_s, DecoderDeleter> decoder_;
  PacketLossConcealer plc_;
};

void register_g722_codec(CodecRegistry& registry);

}  // namespace va::media
