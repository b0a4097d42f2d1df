// Synthetic test signals and measurements for the audio tests: tones, sweeps, a speech-like voiced signal,
// noise, music-like notes; frequency by zero crossings and by Goertzel; SNR with delay alignment.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <span>
#include <vector>

namespace va::media::test {

using Pcm = std::vector<std::int16_t>;

inline std::int16_t clip(double v) {
  return static_cast<std::int16_t>(std::clamp(std::lround(v), -32768L, 32767L));
}

inline Pcm sine(int rate, double hz, std::size_t samples, double amplitude = 8000.0, double phase = 0.0) {
  Pcm out(samples);
  for (std::size_t n = 0; n < samples; ++n) {
    out[n] = clip(amplitude * std::sin(2 * std::numbers::pi * hz * static_cast<double>(n) / rate + phase));
  }
  return out;
}

// Logarithmic sweep from f0 to f1 Hz.
inline Pcm sweep(int rate, double f0, double f1, std::size_t samples, double amplitude = 8000.0) {
  Pcm out(samples);
  const double duration = static_cast<double>(samples) / rate;
  const double k = std::log(f1 / f0);
  for (std::size_t n = 0; n < samples; ++n) {
    const double t = static_cast<double>(n) / rate;
    const double phase = 2 * std::numbers::pi * f0 * duration / k * (std::exp(t / duration * k) - 1);
    out[n] = clip(amplitude * std::sin(phase));
  }
  return out;
}

// Deterministic pseudo-random numbers (xorshift64*), the same on every platform.
class Noise {
 public:
  explicit Noise(std::uint64_t seed) : state_(seed * 2654435761ULL + 1) {}
  double uniform() {  // [-1, 1)
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    const std::uint64_t r = state_ * 0x2545F4914F6CDD1DULL;
    return static_cast<double>(r >> 11) / static_cast<double>(1ULL << 52) - 1.0;
  }

 private:
  std::uint64_t state_;
};

inline Pcm white_noise(std::size_t samples, double amplitude, std::uint64_t seed) {
  Noise noise(seed);
  Pcm out(samples);
  for (auto& s : out) s = clip(amplitude * noise.uniform());
  return out;
}

// A voiced, speech-like signal: harmonics of a gliding pitch (f0 between 100 and 180 Hz) shaped by two
// formants that move, under a 4 Hz syllable envelope, with a little aspiration noise. Band-limited to just
// under rate/2.
inline Pcm speech_like(int rate, std::size_t samples, double amplitude = 6000.0, std::uint64_t seed = 1) {
  Pcm out(samples);
  Noise noise(seed);
  double phase = 0;
  const double nyquist = rate / 2.0;
  for (std::size_t n = 0; n < samples; ++n) {
    const double t = static_cast<double>(n) / rate;
    const double f0 = 140 + 40 * std::sin(2 * std::numbers::pi * 0.7 * t);
    phase += 2 * std::numbers::pi * f0 / rate;
    const double formant1 = 600 + 250 * std::sin(2 * std::numbers::pi * 1.3 * t);
    const double formant2 = 1500 + 500 * std::sin(2 * std::numbers::pi * 0.9 * t + 1);
    double v = 0;
    for (int h = 1; h * f0 < nyquist * 0.9; ++h) {
      const double f = h * f0;
      const double g = std::exp(-std::pow((f - formant1) / 300, 2)) +
                       0.5 * std::exp(-std::pow((f - formant2) / 400, 2)) + 0.05 / h;
      v += g * std::sin(h * phase);
    }
    const double envelope = 0.6 + 0.4 * std::sin(2 * std::numbers::pi * 4 * t);
    out[n] = clip(amplitude * envelope * (0.35 * v + 0.02 * noise.uniform()));
  }
  return out;
}

// Notes with four decaying harmonics, as a melody of single notes and three-note chords (an instrument, not
// a pair of pure tones). Some notes sit within 1 % of DTMF frequencies (F5 ≈ 697 Hz, A♯5 ≈ 941 Hz,
// F♯6 ≈ 1477 Hz).
inline Pcm music_like(int rate, std::size_t samples, double amplitude = 5000.0) {
  const std::vector<std::vector<double>> score = {{698.46},  {932.33},
                                                  {1479.98}, {698.46, 880.0, 1046.5},
                                                  {523.25},  {783.99, 987.77, 1174.66},
                                                  {1318.51}, {698.46, 932.33, 1174.66},
                                                  {440.0},   {1479.98, 1864.66, 2217.46}};
  Pcm out(samples);
  const std::size_t note_samples = static_cast<std::size_t>(rate) / 4;  // 250 ms per note
  for (std::size_t n = 0; n < samples; ++n) {
    const auto& chord = score[(n / note_samples) % score.size()];
    const double t = static_cast<double>(n) / rate;
    const double in_note = static_cast<double>(n % note_samples) / rate;
    const double envelope = std::exp(-3 * in_note);
    double v = 0;
    for (const double f : chord) {
      for (int h = 1; h <= 4; ++h) {
        if (h * f < rate / 2.0) v += std::sin(2 * std::numbers::pi * f * h * t) / (h * h);
      }
    }
    out[n] = clip(amplitude * envelope * v / static_cast<double>(chord.size()));
  }
  return out;
}

// Frequency from the rate of upward zero crossings (for a single tone).
inline double zero_crossing_frequency(std::span<const std::int16_t> pcm, int rate) {
  std::size_t first = 0;
  std::size_t last = 0;
  std::size_t count = 0;
  for (std::size_t n = 1; n < pcm.size(); ++n) {
    if (pcm[n - 1] < 0 && pcm[n] >= 0) {
      if (count == 0) first = n;
      last = n;
      ++count;
    }
  }
  if (count < 2) return 0;
  return static_cast<double>(count - 1) * rate / static_cast<double>(last - first);
}

// Power of `hz` in the signal (Goertzel), normalised so a full-length sine of amplitude A gives A²/4.
inline double goertzel_power(std::span<const std::int16_t> pcm, int rate, double hz) {
  const double w = 2 * std::numbers::pi * hz / rate;
  const double coeff = 2 * std::cos(w);
  double s1 = 0;
  double s2 = 0;
  for (const std::int16_t x : pcm) {
    const double s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  const double n = static_cast<double>(pcm.size());
  return power / (n * n);
}

// Signal-to-noise ratio of `test` against `reference` in dB, after shifting `test` by the delay in
// [0, max_delay] that maximises it (codecs and resamplers delay the signal). Skips `skip` samples at the
// start.
inline double snr_db(std::span<const std::int16_t> reference, std::span<const std::int16_t> test,
                     std::size_t max_delay, std::size_t skip = 0, std::size_t* best_delay = nullptr) {
  double best = -1e9;
  for (std::size_t d = 0; d <= max_delay; ++d) {
    double signal = 0;
    double noise = 0;
    for (std::size_t n = skip; n + d < test.size() && n < reference.size(); ++n) {
      const double r = reference[n];
      const double e = r - test[n + d];
      signal += r * r;
      noise += e * e;
    }
    const double snr = 10 * std::log10(signal / std::max(noise, 1e-9));
    if (snr > best) {
      best = snr;
      if (best_delay != nullptr) *best_delay = d;
    }
  }
  return best;
}

// Normalised cross-correlation of equal-length spans (1 = identical shape).
inline double correlation(std::span<const std::int16_t> a, std::span<const std::int16_t> b) {
  double ab = 0;
  double aa = 0;
  double bb = 0;
  for (std::size_t n = 0; n < std::min(a.size(), b.size()); ++n) {
    ab += static_cast<double>(a[n]) * b[n];
    aa += static_cast<double>(a[n]) * a[n];
    bb += static_cast<double>(b[n]) * b[n];
  }
  return ab / std::sqrt(std::max(aa * bb, 1e-9));
}

}  // namespace va::media::test
