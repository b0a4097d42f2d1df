#include "livekit/room/outgoing_audio.hpp"

#include <gtest/gtest.h>

namespace va::livekit::room {
namespace {

media::AudioFrame frame_of(std::int16_t value) {
  media::AudioFrame frame;
  frame.samples.fill(value);
  return frame;
}

TEST(OutgoingAudio, SilenceUntilAudioIsQueued) {
  OutgoingAudio out(4);
  auto capture = out.next();
  ASSERT_TRUE(capture);
  EXPECT_TRUE(capture->silence);
  EXPECT_TRUE(media::is_silence(capture->frame->pcm()));
  out.release(capture->slot);
  EXPECT_EQ(out.silence_sent(), 1u);
  EXPECT_EQ(out.frames_sent(), 0u);
}

TEST(OutgoingAudio, OneQueuedFramePerTickInOrder) {
  OutgoingAudio out(4);
  ASSERT_TRUE(out.push(frame_of(1)));
  ASSERT_TRUE(out.push(frame_of(2)));
  for (std::int16_t expected : {1, 2}) {
    auto capture = out.next();
    ASSERT_TRUE(capture);
    EXPECT_FALSE(capture->silence);
    EXPECT_EQ(capture->frame->samples[0], expected);
    out.release(capture->slot);
  }
  EXPECT_EQ(out.queued(), 0u);
  auto after = out.next();
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->silence);  // the track keeps flowing when the queue runs dry
}

TEST(OutgoingAudio, FullQueueRefusesFrames) {
  OutgoingAudio out(3);
  EXPECT_TRUE(out.push(frame_of(1)));
  EXPECT_TRUE(out.push(frame_of(2)));
  EXPECT_TRUE(out.push(frame_of(3)));
  EXPECT_FALSE(out.push(frame_of(4)));
  EXPECT_EQ(out.queued(), 3u);
}

TEST(OutgoingAudio, FlushDropsEverythingQueued) {
  OutgoingAudio out(8);
  for (std::int16_t i = 1; i <= 5; ++i) ASSERT_TRUE(out.push(frame_of(i)));
  out.flush();
  EXPECT_EQ(out.queued(), 0u);
  auto capture = out.next();
  ASSERT_TRUE(capture);
  EXPECT_TRUE(capture->silence);  // barge-in: nothing of the old reply goes out
  out.release(capture->slot);
  ASSERT_TRUE(out.push(frame_of(9)));  // and the queue works again
  auto next = out.next();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->frame->samples[0], 9);
}

TEST(OutgoingAudio, InFlightFramesStayUntouchedUntilReleased) {
  OutgoingAudio out(8, 2);
  ASSERT_TRUE(out.push(frame_of(1)));
  ASSERT_TRUE(out.push(frame_of(2)));
  ASSERT_TRUE(out.push(frame_of(3)));
  auto first = out.next();
  auto second = out.next();
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->slot, second->slot);
  EXPECT_EQ(out.in_flight(), 2u);
  // Every slot is with the library: the tick sends nothing and keeps frame 3 queued.
  EXPECT_FALSE(out.next());
  EXPECT_EQ(out.stalls(), 1u);
  EXPECT_EQ(out.queued(), 1u);
  EXPECT_EQ(first->frame->samples[0], 1);
  EXPECT_EQ(second->frame->samples[0], 2);
  out.release(first->slot);
  auto third = out.next();
  ASSERT_TRUE(third);
  EXPECT_EQ(third->slot, first->slot);
  EXPECT_EQ(third->frame->samples[0], 3);
  EXPECT_EQ(second->frame->samples[0], 2);
}

TEST(OutgoingAudio, WrapsAroundTheRing) {
  OutgoingAudio out(3, 1);
  std::int16_t next_value = 1;
  std::int16_t expected = 1;
  for (int round = 0; round < 10; ++round) {
    while (out.push(frame_of(next_value))) ++next_value;
    auto capture = out.next();
    ASSERT_TRUE(capture);
    EXPECT_EQ(capture->frame->samples[0], expected++);
    out.release(capture->slot);
  }
}

}  // namespace
}  // namespace va::livekit::room
