#include "voice/voicing.hpp"

#include <algorithm>
#include <cmath>

namespace va::voice {

namespace {
// First-order pre-emphasis, as in speech front ends: flattens the spectral tilt of speech and of pink noise.
constexpr float kPreEmphasis = 0.95f;
}  // namespace

double VoicingDetector::periodicity(const media::AudioFrame& frame) {
  // Slide: the last kMaxLag samples of the previous frame stay as history.
  std::copy(window_.end() - kMaxLag, window_.end(), window_.begin());
  float previous = last_input_;
  double energy = 0.0;
  for (std::size_t i = 0; i < media::kFrameSamples; ++i) {
    const auto x = static_cast<float>(frame.samples[i]);
    const float y = x - kPreEmphasis * previous;
    previous = x;
    window_[kMaxLag + i] = y;
    energy += static_cast<double>(y) * y;
  }
  last_input_ = previous;
  if (std::sqrt(energy / media::kFrameSamples) < kMinRms) return 0.0;

  const float* current = window_.data() + kMaxLag;
  // Energy of the lagged segment, kept running as the lag grows: add the sample entering at the front,
  // drop the one leaving at the back.
  double lagged = 0.0;
  for (std::size_t i = 0; i < media::kFrameSamples; ++i) {
    const double v = current[static_cast<std::ptrdiff_t>(i) - static_cast<std::ptrdiff_t>(kMinLag)];
    lagged += v * v;
  }
  double best = 0.0;
  for (std::size_t lag = kMinLag; lag <= kMaxLag; ++lag) {
    const float* back = current - lag;
    double dot = 0.0;
    for (std::size_t i = 0; i < media::kFrameSamples; ++i) dot += static_cast<double>(current[i]) * back[i];
    if (lagged > 0.0) best = std::max(best, dot / std::sqrt(energy * lagged));
    if (lag < kMaxLag) {
      const double entering = back[-1];
      const double leaving = back[media::kFrameSamples - 1];
      lagged += entering * entering - leaving * leaving;
    }
  }
  return best;
}

void VoicingDetector::reset() {
  window_.fill(0.0f);
  last_input_ = 0.0f;
}

}  // namespace va::voice
