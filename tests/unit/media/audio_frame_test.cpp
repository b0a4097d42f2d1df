#include "media/audio_frame.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <type_traits>

#include "audio_test_signals.hpp"

namespace va::media {
namespace {

using namespace std::chrono_literals;

TEST(AudioFrame, IsTwentyMillisecondsOfSixteenKilohertzMonoWithoutHeap) {
  EXPECT_EQ(kFrameSamples, 320u);
  EXPECT_EQ(kPipelineSampleRate, 16000);
  EXPECT_EQ(SampleTime{kFrameDuration}.count(), 320);
  static_assert(std::is_trivially_copyable_v<AudioFrame>);
  EXPECT_EQ(AudioFrame{}.pcm().size(), kFrameSamples);
}

TEST(AudioFrame, SilenceCarriesItsTimestampAndZeros) {
  const AudioFrame frame = AudioFrame::silence(SampleTime{640});
  EXPECT_EQ(frame.timestamp, SampleTime{640});
  EXPECT_EQ(frame.end(), SampleTime{960});
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(frame.end()), 60ms);
  EXPECT_EQ(peak(frame.pcm()), 0);
  EXPECT_TRUE(is_silence(frame.pcm()));
  EXPECT_EQ(level_dbfs(frame.pcm()), kSilenceDbfs);
}

TEST(AudioFrame, LevelsOfKnownSignals) {
  std::vector<std::int16_t> square(320);
  for (std::size_t i = 0; i < square.size(); ++i) square[i] = (i / 20) % 2 == 0 ? 16384 : -16384;
  EXPECT_DOUBLE_EQ(rms(square), 16384.0);
  EXPECT_NEAR(level_dbfs(square), -6.02, 0.01);
  EXPECT_EQ(peak(square), 16384);

  const auto tone = test::sine(16000, 1000, 1600, 32767);  // whole periods
  EXPECT_NEAR(level_dbfs(tone), -3.01, 0.02);
  EXPECT_FALSE(is_silence(tone));

  const std::vector<std::int16_t> extreme{-32768, 0};
  EXPECT_EQ(peak(extreme), 32768);
  EXPECT_EQ(rms(std::span<const std::int16_t>{}), 0.0);

  const auto hiss = test::white_noise(320, 10, 3);  // about -73 dBFS
  EXPECT_TRUE(is_silence(hiss));
  EXPECT_FALSE(is_silence(hiss, -80));
}

}  // namespace
}  // namespace va::media
