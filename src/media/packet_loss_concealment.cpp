#include "media/packet_loss_concealment.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace va::media {

namespace {

std::int16_t saturate(float v) {
  return static_cast<std::int16_t>(std::clamp(std::lround(v), -32768L, 32767L));
}

std::size_t samples_in(int sample_rate, int milliseconds) {
  return static_cast<std::size_t>(sample_rate * milliseconds / 1000);
}

}  // namespace

PacketLossConcealer::PacketLossConcealer(int sample_rate)
    : sample_rate_(sample_rate),
      min_lag_(static_cast<std::size_t>(sample_rate / 200)),
      max_lag_(samples_in(sample_rate, 15)),
      window_(samples_in(sample_rate, 20)),
      full_level_(samples_in(sample_rate, 10)),
      silent_after_(samples_in(sample_rate, 60)) {
  if (sample_rate < 8000 || sample_rate > 48000) {
    throw std::invalid_argument("PacketLossConcealer: sample rate must be 8000..48000 Hz");
  }
  history_.assign(window_ + max_lag_, 0);
  cycle_.assign(max_lag_, 0.0F);
}

void PacketLossConcealer::reset() {
  std::fill(history_.begin(), history_.end(), std::int16_t{0});
  history_filled_ = 0;
  pitch_ = 0;
  cycle_offset_ = 0;
  missing_ = 0;
}

void PacketLossConcealer::remember(std::span<const std::int16_t> pcm) {
  const std::size_t size = history_.size();
  if (pcm.size() >= size) {
    std::copy(pcm.end() - static_cast<std::ptrdiff_t>(size), pcm.end(), history_.begin());
  } else {
    std::copy(history_.begin() + static_cast<std::ptrdiff_t>(pcm.size()), history_.end(), history_.begin());
    std::copy(pcm.begin(), pcm.end(), history_.end() - static_cast<std::ptrdiff_t>(pcm.size()));
  }
  history_filled_ = std::min(size, history_filled_ + pcm.size());
}

// Average magnitude difference function over the last window_ samples; the lag with the smallest difference
// is the pitch period (the first one on ties, so a pure tone repeats its shortest admissible cycle).
std::size_t PacketLossConcealer::estimate_pitch() const {
  const std::size_t start = history_.size() - window_;
  std::size_t best_lag = min_lag_;
  std::int64_t best = -1;
  for (std::size_t lag = min_lag_; lag <= max_lag_; ++lag) {
    std::int64_t sum = 0;
    for (std::size_t n = 0; n < window_; ++n) {
      sum += std::abs(int{history_[start + n]} - int{history_[start + n - lag]});
    }
    if (best < 0 || sum < best) {
      best = sum;
      best_lag = lag;
    }
  }
  return best_lag;
}

// The last pitch period becomes the cycle to repeat. Its last quarter is cross-faded into the quarter period
// that preceded the cycle, so that the cycle's end runs smoothly into its own start when it wraps around.
void PacketLossConcealer::prepare_cycle() {
  pitch_ = estimate_pitch();
  const std::size_t end = history_.size();
  const std::size_t overlap = pitch_ / 4;
  for (std::size_t k = 0; k < pitch_ - overlap; ++k) cycle_[k] = history_[end - pitch_ + k];
  for (std::size_t i = 0; i < overlap; ++i) {
    const float w = static_cast<float>(i + 1) / static_cast<float>(overlap + 1);
    cycle_[pitch_ - overlap + i] =
        (1.0F - w) * history_[end - overlap + i] + w * history_[end - pitch_ - overlap + i];
  }
  cycle_offset_ = 0;
}

float PacketLossConcealer::gain_at(std::size_t missing) const {
  if (missing < full_level_) return 1.0F;
  if (missing >= silent_after_) return 0.0F;
  return 1.0F - static_cast<float>(missing - full_level_) / static_cast<float>(silent_after_ - full_level_);
}

void PacketLossConcealer::conceal(std::span<std::int16_t> out) {
  if (missing_ == 0) {
    if (history_filled_ < history_.size()) {
      pitch_ = 0;  // too little signal to model: a gap of silence
    } else {
      prepare_cycle();
    }
  }
  for (std::int16_t& sample : out) {
    if (pitch_ == 0 || missing_ >= silent_after_) {
      sample = 0;
    } else {
      sample = saturate(cycle_[cycle_offset_] * gain_at(missing_));
      cycle_offset_ = (cycle_offset_ + 1) % pitch_;
    }
    ++missing_;
  }
  remember(out);
}

void PacketLossConcealer::receive(std::span<std::int16_t> pcm) {
  if (missing_ > 0 && pitch_ > 0) {
    // Continue the synthetic signal for a quarter period and cross-fade it into the real one. After a loss
    // long enough to have faded out, this is a short fade-in that avoids a click at the onset.
    const std::size_t overlap = std::min(pitch_ / 4, pcm.size());
    for (std::size_t i = 0; i < overlap; ++i) {
      const float w = static_cast<float>(i + 1) / static_cast<float>(overlap + 1);
      const float synthetic = cycle_[cycle_offset_] * gain_at(missing_ + i);
      cycle_offset_ = (cycle_offset_ + 1) % pitch_;
      pcm[i] = saturate((1.0F - w) * synthetic + w * static_cast<float>(pcm[i]));
    }
  }
  missing_ = 0;
  remember(pcm);
}

}  // namespace va::media
