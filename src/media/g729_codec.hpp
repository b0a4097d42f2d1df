// ITU-T G.729 Annex A (RTP payload type 18) through bcg729. Compiled only with -DVA_WITH_G729=ON: bcg729 is
// GPL-3, and a binary that links it is GPL-3 too.
//
// RFC 3551 §4.5.6: a payload is zero or more 10-byte frames (10 ms each) optionally followed by one 2-byte
// Annex B SID frame (comfort noise). The encoder runs with Annex B VAD/DTX off, so it always produces 10-byte
// frames. Loss concealment is the codec's own (bcg729's frame-erasure decoding).
#pragma once

#include <memory>

#include "media/audio_codec.hpp"

struct bcg729EncoderChannelContextStruct_struct;
struct bcg729DecoderChannelContextStruct_struct;

namespace va::media {

class G729Codec final : public AudioCodec {
 public:
  static constexpr std::size_t kFrameSamples = 80;  // 10 ms
  static constexpr std::size_t kFrameBytes = 10;
  static constexpr std::size_t kSidBytes = 2;

  G729Codec();

  const CodecInfo& info() const override;
  CodecResult encode(std::span<const std::int16_t> pcm, std::span<std::uint8_t> out) override;
  std::size_t decoded_samples(std::span<const std::uint8_t> payload) const override;
  CodecResult decode(std::span<const std::uint8_t> payload, std::span<std::int16_t> out) override;
  // Whole 10 ms erasure frames; a partial frame at the end is cut from one more concealed frame.
  void conceal(std::span<std::int16_t> out) override;
  void reset() override;

 private:
  struct EncoderDeleter {
    void operator()(bcg729EncoderChannelContextStruct_struct* context) const;
  };
  struct DecoderDeleter {
    void operator()(bcg729DecoderChannelContextStruct_struct* context) const;
  };

  std::unique_ptr<bcg729EncoderChannelContextStruct_struct, EncoderDeleter> encoder_;
  std::unique_ptr<bcg729DecoderChannelContextStruct_struct, DecoderDeleter> decoder_;
};

void register_g729_codec(CodecRegistry& registry);

}  // namespace va::media
