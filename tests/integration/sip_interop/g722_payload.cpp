#include "integration/sip_interop/g722_payload.hpp"

#include <spandsp.h>

#include <memory>
#include <stdexcept>

namespace va::test {

WavAudio decode_g722_payload(const std::vector<std::uint8_t>& payload) {
  const std::unique_ptr<g722_decode_state_t, int (*)(g722_decode_state_t*)> decoder(
      g722_decode_init(nullptr, 64000, 0), g722_decode_free);
  if (!decoder) throw std::runtime_error("decode_g722_payload: g722_decode_init failed");
  WavAudio audio;
  audio.sample_rate = 16000;
  audio.channels = 1;
  audio.samples.resize(payload.size() * 2);  // two 16 kHz samples per byte at 64 kbit/s
  const int decoded =
      g722_decode(decoder.get(), audio.samples.data(), payload.data(), static_cast<int>(payload.size()));
  audio.samples.resize(static_cast<std::size_t>(decoded < 0 ? 0 : decoded));
  return audio;
}

}  // namespace va::test
