#include "livekit/room/audio_frame_assembler.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace va::livekit::room {
namespace {

std::vector<std::int16_t> ramp(std::size_t count, std::int16_t first) {
  std::vector<std::int16_t> out(count);
  std::iota(out.begin(), out.end(), first);
  return out;
}

TEST(AudioFrameAssembler, TwoTenMillisecondChunksMakeOneFrame) {
  AudioFrameAssembler assembler;
  std::vector<media::AudioFrame> frames;
  auto emit = [&](const media::AudioFrame& frame) { frames.push_back(frame); };
  assembler.push(ramp(160, 0), emit);
  EXPECT_TRUE(frames.empty());
  EXPECT_EQ(assembler.pending_samples(), 160u);
  assembler.push(ramp(160, 160), emit);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].timestamp, media::SampleTime{0});
  for (std::size_t i = 0; i < media::kFrameSamples; ++i) EXPECT_EQ(frames[0].samples[i], static_cast<int>(i));
  EXPECT_EQ(assembler.pending_samples(), 0u);
}

TEST(AudioFrameAssembler, TimestampsAdvanceBy20Milliseconds) {
  AudioFrameAssembler assembler;
  std::vector<media::AudioFrame> frames;
  for (int i = 0; i < 10; ++i) {
    assembler.push(ramp(160, 0), [&](const media::AudioFrame& frame) { frames.push_back(frame); });
  }
  ASSERT_EQ(frames.size(), 5u);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].timestamp, media::SampleTime{static_cast<std::int64_t>(i * media::kFrameSamples)});
  }
}

TEST(AudioFrameAssembler, OddChunkSizesKeepEverySampleInOrder) {
  AudioFrameAssembler assembler;
  std::vector<std::int16_t> heard;
  auto all = ramp(1000, 1);
  std::size_t offset = 0;
  for (std::size_t size : {7u, 441u, 100u, 300u, 152u}) {
    assembler.push(std::span<const std::int16_t>(all).subspan(offset, size),
                   [&](const media::AudioFrame& frame) {
                     heard.insert(heard.end(), frame.samples.begin(), frame.samples.end());
                   });
    offset += size;
  }
  ASSERT_EQ(heard.size(), 960u);  // three frames; 40 samples wait for the rest of the fourth
  EXPECT_EQ(assembler.pending_samples(), 40u);
  EXPECT_TRUE(std::equal(heard.begin(), heard.end(), all.begin()));
}

TEST(AudioFrameAssembler, ResetStartsANewTimeline) {
  AudioFrameAssembler assembler;
  std::vector<media::AudioFrame> frames;
  auto emit = [&](const media::AudioFrame& frame) { frames.push_back(frame); };
  assembler.push(ramp(480, 0), emit);
  assembler.reset();
  EXPECT_EQ(assembler.pending_samples(), 0u);
  assembler.push(ramp(320, 0), emit);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[1].timestamp, media::SampleTime{0});
}

}  // namespace
}  // namespace va::livekit::room
