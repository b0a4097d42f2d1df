#include "media/g722_codec.hpp"

#include <spandsp.h>

#include <limits>
#include <new>

namespace va::media {

namespace {

constexpr int kBitRate = 64000;  // mode 1; 56 and 48 kbit/s are not used on RTP (RFC 3551 §4.5.2)

constexpr CodecInfo kG722{.name = "G722",
                          .payload_type = 9,
                          .rtp_clock_rate = 8000,
                          .sample_rate = 16000,
                          .block_samples = 2,
                          .block_bytes = 1};

// spandsp takes lengths as int; one call never gets near the limit (packets are at most a few hundred ms).
constexpr std::size_t kMaxChunk = static_cast<std::size_t>(std::numeric_limits<int>::max() / 2);

}  // namespace

void G722Codec::EncoderDeleter::operator()(g722_encode_state_s* state) const {
  g722_encode_free(state);
}
void G722Codec::DecoderDeleter::operator()(g722_decode_state_s* state) const {
  g722_decode_free(state);
}

G722Codec::G722Codec()
    : encoder_(g722_encode_init(nullptr, kBitRate, 0)),
      decoder_(g722_decode_init(nullptr, kBitRate, 0)),
      plc_(16000) {
  if (!encoder_ || !decoder_) throw std::bad_alloc();
}

const CodecInfo& G722Codec::info() const {
  return kG722;
}

void G722Codec::reset() {
  // spandsp's *_init() on an existing state re-initialises it in place.
  g722_encode_init(encoder_.get(), kBitRate, 0);
  g722_decode_init(decoder_.get(), kBitRate, 0);
  plc_.reset();
}

CodecResult G722Codec::encode(std::span<const std::int16_t> pcm, std::span<std::uint8_t> out) {
  if (pcm.size() % 2 != 0 || pcm.size() > kMaxChunk) return {0, CodecError::bad_input_length};
  if (out.size() < pcm.size() / 2) return {0, CodecError::output_too_small};
  const int bytes = g722_encode(encoder_.get(), out.data(), pcm.data(), static_cast<int>(pcm.size()));
  return {static_cast<std::size_t>(bytes), CodecError::none};
}

CodecResult G722Codec::decode(std::span<const std::uint8_t> payload, std::span<std::int16_t> out) {
  if (payload.empty() || payload.size() > kMaxChunk) return {0, CodecError::malformed_payload};
  if (out.size() < payload.size() * 2) return {0, CodecError::output_too_small};
  const int samples =
      g722_decode(decoder_.get(), out.data(), payload.data(), static_cast<int>(payload.size()));
  const auto produced = static_cast<std::size_t>(samples);
  plc_.receive(out.first(produced));
  return {produced, CodecError::none};
}

void register_g722_codec(CodecRegistry& registry) {
  registry.add(kG722, [] { return std::make_unique<G722Codec>(); });
}

}  // namespace va::media
