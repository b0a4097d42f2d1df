// Endpointing on media time: which runs of speech become utterances, when they start and end.
#include "voice/endpointer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace va::voice {
namespace {

using media::SampleTime;
using namespace std::chrono_literals;

constexpr SampleTime kFrame{media::kFrameSamples};

// '#' a speech frame, '.' a silent one; returns the events with the index of the frame that produced them.
struct Seen {
  std::size_t frame;
  EndpointEvent event;
};
std::vector<Seen> run(Endpointer& endpointer, const std::string& frames) {
  std::vector<Seen> seen;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (auto event = endpointer.push(frames[i] == '#', kFrame * static_cast<std::int64_t>(i)))
      seen.push_back({i, *event});
  }
  return seen;
}

std::string times(char c, int n) {
  return std::string(static_cast<std::size_t>(n), c);
}

EndpointerSettings settings() {
  EndpointerSettings s;
  s.min_speech = 160ms;  // 8 frames
  s.onset_gap = 80ms;    // 4 frames
  s.trailing_silence = 600ms;
  s.max_utterance = 5s;
  return s;
}

TEST(Endpointer, AnUtteranceStartsAfterMinSpeechAndEndsAfterTrailingSilence) {
  Endpointer e(settings());
  auto seen = run(e, times('.', 10) + times('#', 50) + times('.', 40));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].event.kind, EndpointEvent::Kind::speech_started);
  EXPECT_EQ(seen[0].frame, 17u);  // the 8th speech frame
  EXPECT_EQ(seen[0].event.start, kFrame * 10);
  EXPECT_EQ(seen[1].event.kind, EndpointEvent::Kind::speech_ended);
  EXPECT_EQ(seen[1].frame, 89u);  // 30 silent frames after the last speech frame (frame 59)
  EXPECT_EQ(seen[1].event.start, kFrame * 10);
  EXPECT_EQ(seen[1].event.end, kFrame * 60);
  EXPECT_FALSE(seen[1].event.forced);
  EXPECT_FALSE(e.in_utterance());
}

TEST(Endpointer, ACoughShorterThanMinSpeechIsNoUtterance) {
  Endpointer e(settings());
  // 140 ms of "speech", then silence: never an utterance, and the next real one starts where it begins.
  auto seen = run(e, times('.', 5) + times('#', 7) + times('.', 20) + times('#', 8) + times('.', 40));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].event.kind, EndpointEvent::Kind::speech_started);
  EXPECT_EQ(seen[0].event.start, kFrame * 32);
}

TEST(Endpointer, ShortGapsInsideTheOnsetAreBridged) {
  Endpointer e(settings());
  // Speech with 40 ms dips (plosives, VAD misses) still adds up to min_speech.
  auto seen = run(e, "##..##..##..##" + times('.', 40));
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen[0].event.kind, EndpointEvent::Kind::speech_started);
  EXPECT_EQ(seen[0].event.start, SampleTime{0});
}

TEST(Endpointer, PausesShorterThanTrailingSilenceKeepOneUtterance) {
  Endpointer e(settings());
  auto seen = run(e, times('#', 20) + times('.', 25) + times('#', 20) + times('.', 31));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].event.kind, EndpointEvent::Kind::speech_ended);
  EXPECT_EQ(seen[1].event.end, kFrame * 65);
}

TEST(Endpointer, AnEndlessNoiseIsCutAtMaxUtterance) {
  Endpointer e(settings());
  auto seen = run(e, times('#', 300));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1].event.kind, EndpointEvent::Kind::speech_ended);
  EXPECT_TRUE(seen[1].event.forced);
  EXPECT_EQ(seen[1].frame, 249u);  // 5 s = 250 frames
  // Speech going on after the cut starts a new utterance.
  EXPECT_EQ(seen[2].event.kind, EndpointEvent::Kind::speech_started);
  EXPECT_EQ(seen[2].event.start, kFrame * 250);
}

TEST(Endpointer, AWindowedDecisionCountsItsSpeechFromTheWindowsStart) {
  // A detector deciding on 32 ms windows says "speech" for frame 10, on a window that began 24 ms (384
  // samples) before it: the utterance starts there, and min_speech (8 frames) is reached that much sooner.
  Endpointer e(settings());
  const SampleTime lookback{384};
  std::vector<Seen> seen;
  for (std::size_t i = 0; i < 60; ++i) {
    const bool speech = i >= 10;
    if (auto event = e.push(speech, kFrame * static_cast<std::int64_t>(i), speech ? lookback : SampleTime{0}))
      seen.push_back({i, *event});
  }
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].event.start, kFrame * 10 - lookback);
  EXPECT_EQ(seen[0].frame, 16u);  // 7 frames + 24 ms of speech ≥ 160 ms; without the lookback frame 17

  // It never reaches before the stream's start.
  Endpointer first(settings());
  ASSERT_FALSE(first.push(true, SampleTime{0}, lookback));
  EXPECT_EQ(first.utterance_start(), SampleTime{0});
}

TEST(Endpointer, ResetForgetsAnUtteranceInProgress) {
  Endpointer e(settings());
  run(e, times('#', 20));
  EXPECT_TRUE(e.in_utterance());
  e.reset();
  EXPECT_FALSE(e.in_utterance());
  EXPECT_TRUE(run(e, times('.', 40)).empty());
}

}  // namespace
}  // namespace va::voice
