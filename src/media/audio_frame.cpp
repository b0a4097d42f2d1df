#include "media/audio_frame.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace va::media {

AudioFrame AudioFrame::silence(SampleTime timestamp) {
  AudioFrame frame;
  frame.timestamp = timestamp;
  return frame;
}

double rms(std::span<const std::int16_t> pcm) {
  if (pcm.empty()) return 0.0;
  // 64-bit accumulation: 32768² · 2^31 samples would still fit, far beyond any frame or test signal.
  std::int64_t sum = 0;
  for (const std::int16_t s : pcm) sum += std::int64_t{s} * s;
  return std::sqrt(static_cast<double>(sum) / static_cast<double>(pcm.size()));
}

double level_dbfs(std::span<const std::int16_t> pcm) {
  const double r = rms(pcm);
  if (r <= 0.0) return kSilenceDbfs;
  return std::max(kSilenceDbfs, 20.0 * std::log10(r / 32768.0));
}

int peak(std::span<const std::int16_t> pcm) {
  int result = 0;
  for (const std::int16_t s : pcm) result = std::max(result, std::abs(int{s}));
  return result;
}

bool is_silence(std::span<const std::int16_t> pcm, double threshold_dbfs) {
  return level_dbfs(pcm) < threshold_dbfs;
}

}  // namespace va::media
