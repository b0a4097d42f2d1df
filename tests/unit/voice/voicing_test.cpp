// Voicing: pitched sound (vowels, also with the fundamental cut as on a telephone line) against noise bursts
// that a VAD may take for speech (white, pink, brown noise), and the gate built on it.
#include "voice/voicing.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numbers>
#include <random>

namespace va::voice {
namespace {

using Signal = std::function<double(std::size_t)>;  // sample n at 16 kHz, in sample units

media::AudioFrame frame_at(const Signal& signal, std::size_t index) {
  media::AudioFrame frame;
  frame.timestamp = media::SampleTime{static_cast<std::int64_t>(index * media::kFrameSamples)};
  for (std::size_t i = 0; i < media::kFrameSamples; ++i)
    frame.samples[i] =
        static_cast<std::int16_t>(std::clamp(signal(index * media::kFrameSamples + i), -32768.0, 32767.0));
  return frame;
}

// Mean periodicity over frames 2..n (the first frames fill the detector's history).
double mean_periodicity(const Signal& signal, std::size_t frames = 25) {
  VoicingDetector detector;
  double sum = 0.0;
  for (std::size_t i = 0; i < frames; ++i) {
    const double p = detector.periodicity(frame_at(signal, i));
    if (i >= 2) sum += p;
  }
  return sum / static_cast<double>(frames - 2);
}

// A vowel-like sound: harmonics of `pitch` Hz from `first_harmonic` up to 3.4 kHz, falling 6 dB per octave,
// with a slow vibrato (1 %) so the period is not perfectly constant.
Signal vowel(double pitch, int first_harmonic = 1) {
  return [=](std::size_t n) {
    const double t = static_cast<double>(n) / media::kPipelineSampleRate;
    const double f0 = pitch * (1.0 + 0.01 * std::sin(2 * std::numbers::pi * 5.0 * t));
    double s = 0.0;
    for (int h = first_harmonic; h * pitch < 3400.0; ++h)
      s += std::sin(2 * std::numbers::pi * h * f0 * t) / h;
    return 3000.0 * s;
  };
}

Signal white_noise(double level, unsigned seed = 7) {
  auto rng = std::make_shared<std::mt19937>(seed);
  auto dist = std::make_shared<std::normal_distribution<double>>(0.0, level);
  return [=](std::size_t) { return (*dist)(*rng); };
}

// Integrated white noise, leaky: brown(ish) noise, the steepest tilt a noise burst has.
Signal brown_noise(double level, unsigned seed = 11) {
  auto white = white_noise(level, seed);
  auto state = std::make_shared<double>(0.0);
  return [=](std::size_t n) { return *state = 0.98 * *state + 0.2 * white(n); };
}

// Pink-ish noise: the average of white and brown.
Signal pink_noise(double level, unsigned seed = 13) {
  auto white = white_noise(level, seed);
  auto brown = brown_noise(level, seed + 1);
  return [=](std::size_t n) { return 0.5 * white(n) + 0.5 * brown(n); };
}

TEST(VoicingDetector, VowelsArePeriodicAtLowAndHighPitch) {
  EXPECT_GE(mean_periodicity(vowel(100.0)), 0.6);
  EXPECT_GE(mean_periodicity(vowel(220.0)), 0.6);
}

TEST(VoicingDetector, AVowelWithoutItsFundamentalIsStillVoiced) {
  // A 300 Hz high-pass on a telephone line removes a male voice's fundamental; the harmonics keep the period.
  EXPECT_GE(mean_periodicity(vowel(110.0, 3)), 0.6);
}

TEST(VoicingDetector, NoiseBurstsAreFarBelowTheThreshold) {
  // Measured: 0.17-0.19 for all three, vowels 0.6 and above.
  EXPECT_LT(mean_periodicity(white_noise(3000.0)), 0.3);
  EXPECT_LT(mean_periodicity(pink_noise(3000.0)), 0.3);
  EXPECT_LT(mean_periodicity(brown_noise(3000.0)), 0.3);
}

TEST(VoicingDetector, SilenceIsNotVoiced) {
  EXPECT_EQ(mean_periodicity([](std::size_t) { return 0.0; }), 0.0);
  EXPECT_EQ(mean_periodicity(white_noise(5.0)), 0.0);  // below the level of any speech
}

TEST(VoicedSpeechGate, NoiseTheVadCallsSpeechIsNotSpeech) {
  VoicedSpeechGate gate;
  auto noise = pink_noise(3000.0);
  for (std::size_t i = 0; i < 20; ++i) EXPECT_FALSE(gate.is_speech(true, frame_at(noise, i))) << i;
}

TEST(VoicedSpeechGate, UnvoicedSoundsAfterAVowelCountWithinTheHangover) {
  VoicedSpeechGate gate(std::chrono::milliseconds(100));  // 5 frames
  auto voice = vowel(150.0);
  auto hiss = white_noise(2000.0);
  std::size_t i = 0;
  bool heard = false;
  for (; i < 10; ++i) heard = gate.is_speech(true, frame_at(voice, i)) || heard;
  EXPECT_TRUE(heard);
  // "...с": the VAD still hears speech, voicing has stopped.
  for (std::size_t k = 0; k < 5; ++k, ++i) EXPECT_TRUE(gate.is_speech(true, frame_at(hiss, i))) << k;
  EXPECT_FALSE(gate.is_speech(true, frame_at(hiss, i++)));
  // The VAD's "no" always wins.
  EXPECT_FALSE(gate.is_speech(false, frame_at(voice, i++)));
}

TEST(VoicedSpeechGate, OneVoicedFrameDoesNotOpenItTwoDoAndCountFromTheFirst) {
  // The voicing of a frame looks back into the previous one: after noise, a vowel's first frame is not
  // voiced yet, its second is. Two vowel frames between noise = one voiced frame (a cough's faded end).
  VoicedSpeechGate gate;
  VoicingDetector probe;
  auto noise = pink_noise(3000.0);
  auto voice = vowel(150.0);
  const media::SampleTime vad_lookback{192};
  std::size_t i = 0;
  int voiced = 0;
  auto feed = [&](const Signal& signal) {
    const auto frame = frame_at(signal, i++);
    if (probe.is_voiced(frame)) ++voiced;
    return gate.is_speech(true, frame, vad_lookback);
  };
  for (int k = 0; k < 5; ++k) EXPECT_FALSE(feed(noise));
  for (int k = 0; k < 2; ++k) EXPECT_FALSE(feed(voice)) << k;
  EXPECT_EQ(voiced, 1);
  for (int k = 0; k < 5; ++k) EXPECT_FALSE(feed(noise)) << k;
  // A vowel: the gate opens on its second voiced frame, and the speech counts from the first (plus what the
  // VAD's decision on the first covered).
  voiced = 0;
  bool open = false;
  for (int k = 0; k < 4 && !open; ++k) open = feed(voice);
  ASSERT_TRUE(open);
  EXPECT_EQ(voiced, 2);
  EXPECT_EQ(gate.lookback(),
            media::SampleTime{static_cast<std::int64_t>(media::kFrameSamples)} + vad_lookback);
  EXPECT_TRUE(feed(voice));
  EXPECT_EQ(gate.lookback(), vad_lookback);  // open already: the VAD's own
}

}  // namespace
}  // namespace va::voice
