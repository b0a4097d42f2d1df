// Sample-rate conversion of a mono 16-bit stream (speexdsp's polyphase resampler): 8 kHz codecs to and from
// the 16 kHz pipeline, 24 kHz TTS voices down to 16 kHz, and any other pair of rates.
//
// Streaming: the filter keeps its history between calls, so a stream converted chunk by chunk is the same as
// the stream converted at once, and the output length tracks the input length exactly in the long run
// (2:1 and 1:2 exactly per call; other ratios within one sample). The filter delays the signal by
// latency() output samples; the delay is not trimmed, so lengths stay exact.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

struct SpeexResamplerState_;

namespace va::media {

class Resampler {
 public:
  // speexdsp's quality scale, 0 (fastest) … 10 (best). The default is speexdsp's own VoIP setting (a 48-tap
  // filter with its cutoff at about 85 % of the lower Nyquist frequency): telephone speech has no content
  // there (G.711 is band-limited to 3.4 kHz, G.722 to 7 kHz), so higher qualities add taps, not quality.
  static constexpr int kVoipQuality = 3;
  static constexpr int kDesktopQuality = 5;
  static constexpr int kMaxQuality = 10;

  // Rates 1000 … 192000 Hz, quality 0 … 10; otherwise std::invalid_argument (a configuration error, thrown
  // when a stream is set up, never per frame). Equal rates make a pass-through that copies.
  Resampler(int input_rate, int output_rate, int quality = kVoipQuality);
  ~Resampler();
  Resampler(Resampler&&) noexcept;
  Resampler& operator=(Resampler&&) noexcept;
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;

  // Converts all of `in` and returns the number of samples written to `out`. `out` must hold
  // max_output(in.size()) samples; input that would not fit is not converted.
  std::size_t process(std::span<const std::int16_t> in, std::span<std::int16_t> out);
  // An upper bound of the samples process() writes for `input_samples` samples.
  std::size_t max_output(std::size_t input_samples) const;
  // Forgets the stream's history (the next process() starts a new stream).
  void reset();

  int input_rate() const { return input_rate_; }
  int output_rate() const { return output_rate_; }
  int quality() const { return quality_; }
  bool passthrough() const { return state_ == nullptr; }
  // Delay added by the filter, in output samples (0 for a pass-through).
  int latency() const;

 private:
  struct StateDeleter {
    void operator()(SpeexResamplerState_* state) const;
  };

  int input_rate_;
  int output_rate_;
  int quality_;
  std::unique_ptr<SpeexResamplerState_, StateDeleter> state_;
};

}  // namespace va::media
