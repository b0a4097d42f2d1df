#include "media/resampler.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "audio_test_signals.hpp"
#include "media/audio_frame.hpp"

namespace va::media {
namespace {

// Streams `in` through the resampler in chunks of `chunk` samples.
std::vector<std::int16_t> stream(Resampler& resampler, std::span<const std::int16_t> in, std::size_t chunk) {
  std::vector<std::int16_t> out;
  std::vector<std::int16_t> buffer(resampler.max_output(chunk));
  for (std::size_t at = 0; at < in.size(); at += chunk) {
    const auto piece = in.subspan(at, std::min(chunk, in.size() - at));
    const std::size_t n = resampler.process(piece, buffer);
    EXPECT_LE(n, resampler.max_output(piece.size()));
    out.insert(out.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return out;
}

struct RatePair {
  int in;
  int out;
};

class ResamplerTone : public ::testing::TestWithParam<RatePair> {};

TEST_P(ResamplerTone, OneKilohertzStaysOneKilohertz) {
  const auto [in_rate, out_rate] = GetParam();
  Resampler resampler(in_rate, out_rate);
  const auto tone = test::sine(in_rate, 1000, static_cast<std::size_t>(in_rate), 10000);  // 1 s
  const auto out = stream(resampler, tone, static_cast<std::size_t>(in_rate / 50));       // 20 ms chunks
  const auto settled = std::span<const std::int16_t>(out).subspan(static_cast<std::size_t>(out_rate / 10));
  EXPECT_NEAR(test::zero_crossing_frequency(settled, out_rate), 1000.0, 1.0);
  // Goertzel: the energy is at 1 kHz, not at a neighbouring frequency and not at the image of the step.
  const double at_tone = test::goertzel_power(settled, out_rate, 1000);
  EXPECT_NEAR(at_tone, 10000.0 * 10000.0 / 4, 10000.0 * 10000.0 / 4 * 0.05);  // amplitude kept within 2.5 %
  EXPECT_LT(test::goertzel_power(settled, out_rate, 1100), at_tone * 1e-3);
  if (out_rate > in_rate) {
    EXPECT_LT(test::goertzel_power(settled, out_rate, in_rate - 1000.0), at_tone * 1e-4) << "image";
  }
}

INSTANTIATE_TEST_SUITE_P(Rates, ResamplerTone,
                         ::testing::Values(RatePair{8000, 16000}, RatePair{16000, 8000},
                                           RatePair{24000, 16000}, RatePair{16000, 48000},
                                           RatePair{44100, 16000}));

TEST(Resampler, EightToSixteenKilohertzDoublesEveryChunkExactly) {
  Resampler up(8000, 16000);
  Resampler down(16000, 8000);
  const auto speech = test::speech_like(8000, 8000);
  std::vector<std::int16_t> wide(400);
  std::vector<std::int16_t> narrow(200);
  for (std::size_t at = 0; at < speech.size(); at += 160) {
    const std::size_t n = up.process(std::span(speech).subspan(at, 160), wide);
    ASSERT_EQ(n, 320u);
    ASSERT_EQ(down.process(std::span<const std::int16_t>(wide).first(n), narrow), 160u);
  }
}

TEST(Resampler, LengthRatioIsExactOverAStreamOfOddChunks) {
  Resampler resampler(44100, 16000);
  const auto noise = test::white_noise(441000, 3000, 7);  // 10 s
  std::size_t total = 0;
  std::vector<std::int16_t> out(resampler.max_output(1009));  // the largest chunk below
  std::size_t at = 0;
  for (std::size_t chunk = 1; at < noise.size(); chunk = chunk % 997 + 13) {
    const auto piece = std::span(noise).subspan(at, std::min(chunk, noise.size() - at));
    total += resampler.process(piece, out);
    at += piece.size();
  }
  // 441000 · 16000 / 44100 = 160000; the filter's fractional phase may hold back at most one sample.
  EXPECT_NEAR(static_cast<double>(total), 160000.0, 1.0);
}

TEST(Resampler, ChunkedStreamEqualsOneShot) {
  const auto speech = test::speech_like(8000, 4000);
  Resampler whole(8000, 16000);
  Resampler chunked(8000, 16000);
  EXPECT_EQ(stream(whole, speech, speech.size()), stream(chunked, speech, 37));
}

TEST(Resampler, ResetForgetsHistory) {
  const auto speech = test::speech_like(8000, 1600);
  Resampler resampler(8000, 16000);
  const auto first = stream(resampler, speech, 160);
  resampler.reset();
  EXPECT_EQ(stream(resampler, speech, 160), first);
}

TEST(Resampler, EqualRatesPassThrough) {
  Resampler same(16000, 16000);
  EXPECT_TRUE(same.passthrough());
  EXPECT_EQ(same.latency(), 0);
  const auto speech = test::speech_like(16000, 320);
  std::vector<std::int16_t> out(320);
  EXPECT_EQ(same.process(speech, out), 320u);
  EXPECT_EQ(out, speech);
}

TEST(Resampler, ReportsItsDelay) {
  Resampler up(8000, 16000);
  EXPECT_FALSE(up.passthrough());
  EXPECT_GT(up.latency(), 0);
  EXPECT_LT(up.latency(), 160);  // well under 10 ms at VoIP quality
}

TEST(Resampler, RejectsBadConfiguration) {
  EXPECT_THROW(Resampler(0, 16000), std::invalid_argument);
  EXPECT_THROW(Resampler(8000, 500000), std::invalid_argument);
  EXPECT_THROW(Resampler(8000, 16000, 11), std::invalid_argument);
  EXPECT_THROW(Resampler(8000, 16000, -1), std::invalid_argument);
  EXPECT_NO_THROW(Resampler(8000, 16000, Resampler::kMaxQuality));
}

TEST(Resampler, MovesKeepTheStream) {
  Resampler a(8000, 16000);
  Resampler b = std::move(a);
  const auto speech = test::speech_like(8000, 160);
  std::vector<std::int16_t> out(b.max_output(160));
  EXPECT_EQ(b.process(speech, out), 320u);
}

}  // namespace
}  // namespace va::media
