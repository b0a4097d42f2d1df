#include "media/g729_codec.hpp"

// bcg729's headers declare C functions without extern "C".
extern "C" {
#include <bcg729/decoder.h>
#include <bcg729/encoder.h>
}

#include <algorithm>
#include <array>
#include <new>

namespace va::media {

namespace {

constexpr CodecInfo kG729{.name = "G729",
                          .payload_type = 18,
                          .rtp_clock_rate = 8000,
                          .sample_rate = 8000,
                          .block_samples = static_cast<int>(G729Codec::kFrameSamples),
                          .block_bytes = static_cast<int>(G729Codec::kFrameBytes),
                          .native_plc = true};

constexpr std::uint8_t kVadOff = 0;

}  // namespace

void G729Codec::EncoderDeleter::operator()(bcg729EncoderChannelContextStruct_struct* context) const {
  closeBcg729EncoderChannel(context);
}
void G729Codec::DecoderDeleter::operator()(bcg729DecoderChannelContextStruct_struct* context) const {
  closeBcg729DecoderChannel(context);
}

G729Codec::G729Codec() : encoder_(initBcg729EncoderChannel(kVadOff)), decoder_(initBcg729DecoderChannel()) {
  if (!encoder_ || !decoder_) throw std::bad_alloc();
}

const CodecInfo& G729Codec::info() const {
  return kG729;
}

void G729Codec::reset() {
  encoder_.reset(initBcg729EncoderChannel(kVadOff));
  decoder_.reset(initBcg729DecoderChannel());
  if (!encoder_ || !decoder_) throw std::bad_alloc();
}

CodecResult G729Codec::encode(std::span<const std::int16_t> pcm, std::span<std::uint8_t> out) {
  if (pcm.size() % kFrameSamples != 0) return {0, CodecError::bad_input_length};
  const std::size_t frames = pcm.size() / kFrameSamples;
  if (out.size() < frames * kFrameBytes) return {0, CodecError::output_too_small};
  std::size_t written = 0;
  for (std::size_t f = 0; f < frames; ++f) {
    std::uint8_t length = 0;
    bcg729Encoder(encoder_.get(), pcm.data() + f * kFrameSamples, out.data() + written, &length);
    written += length;
  }
  return {written, CodecError::none};
}

std::size_t G729Codec::decoded_samples(std::span<const std::uint8_t> payload) const {
  const std::size_t remainder = payload.size() % kFrameBytes;
  if (payload.empty() || (remainder != 0 && remainder != kSidBytes)) return 0;
  return (payload.size() / kFrameBytes + (remainder == kSidBytes ? 1 : 0)) * kFrameSamples;
}

CodecResult G729Codec::decode(std::span<const std::uint8_t> payload, std::span<std::int16_t> out) {
  const std::size_t samples = decoded_samples(payload);
  if (samples == 0) return {0, CodecError::malformed_payload};
  if (out.size() < samples) return {0, CodecError::output_too_small};
  const std::size_t frames = payload.size() / kFrameBytes;
  for (std::size_t f = 0; f < frames; ++f) {
    bcg729Decoder(decoder_.get(), payload.data() + f * kFrameBytes, kFrameBytes, 0, 0, 0,
                  out.data() + f * kFrameSamples);
  }
  if (payload.size() % kFrameBytes == kSidBytes) {
    // Annex B SID frame: the decoder generates comfort noise for 10 ms.
    bcg729Decoder(decoder_.get(), payload.data() + frames * kFrameBytes, kSidBytes, 0, 1, 0,
                  out.data() + frames * kFrameSamples);
  }
  return {samples, CodecError::none};
}

void G729Codec::conceal(std::span<std::int16_t> out) {
  std::array<std::int16_t, kFrameSamples> frame{};
  for (std::size_t done = 0; done < out.size(); done += kFrameSamples) {
    bcg729Decoder(decoder_.get(), nullptr, 0, 1, 0, 0, frame.data());
    const std::size_t n = std::min(kFrameSamples, out.size() - done);
    std::copy_n(frame.begin(), n, out.begin() + static_cast<std::ptrdiff_t>(done));
  }
}

void register_g729_codec(CodecRegistry& registry) {
  registry.add(kG729, [] { return std::make_unique<G729Codec>(); });
}

}  // namespace va::media
