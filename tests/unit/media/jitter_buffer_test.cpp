#include "media/jitter_buffer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

namespace va::media {
namespace {

using namespace std::chrono_literals;
using Clock = JitterBuffer::Clock;

// One packet of a simulated sender: the k-th packet of a stream, sent every ptime.
struct Arrival {
  double at_ms = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 1;
  bool marker = false;
  std::uint32_t duration = 160;
};

// Drives a jitter buffer the way a call does: packets pushed at their arrival times, and on every 20 ms tick
// (at 10, 30, 50 ... ms) the consumer pulls until it has 20 ms of audio. Each pull is one token: the sequence
// number of a played packet, "L" (lost: conceal) or "-" (empty: silence).
class Simulation {
 public:
  explicit Simulation(JitterBufferConfig config = {}) : buffer(config) {}

  static Arrival packet(std::uint32_t k, double at_ms, std::uint32_t ptime_units = 160) {
    return Arrival{.at_ms = at_ms,
                   .sequence = static_cast<std::uint16_t>(k),
                   .timestamp = k * ptime_units,
                   .duration = ptime_units};
  }
  // Packets first..last (inclusive) sent every 20 ms and arriving on time.
  static std::vector<Arrival> stream(std::uint32_t first, std::uint32_t last) {
    std::vector<Arrival> out;
    for (std::uint32_t k = first; k <= last; ++k) out.push_back(packet(k, 20.0 * k));
    return out;
  }

  // Adds `arrivals` to the schedule and runs `ticks` more ticks.
  std::string run(const std::vector<Arrival>& arrivals, int ticks) {
    pending_.insert(pending_.end(), arrivals.begin(), arrivals.end());
    std::stable_sort(pending_.begin(), pending_.end(),
                     [](const Arrival& a, const Arrival& b) { return a.at_ms < b.at_ms; });
    std::string tokens;
    for (int i = 0; i < ticks; ++i, ++tick_) {
      const double tick_ms = 20.0 * tick_ + 10.0 + (late_tick && late_tick(tick_) ? late_tick_ms : 0.0);
      while (!pending_.empty() && pending_.front().at_ms <= tick_ms) {
        push(pending_.front());
        pending_.erase(pending_.begin());
      }
      const auto now = at(tick_ms);
      while (queued_units_ < 160) {
        const Playout out = buffer.pull(now);
        queued_units_ += out.duration;
        if (!tokens.empty()) tokens += ' ';
        switch (out.kind) {
          case Playout::Kind::packet:
            tokens += std::to_string(out.sequence);
            EXPECT_EQ(out.payload.size(), 3u);
            EXPECT_EQ(out.payload[0], static_cast<std::uint8_t>(out.sequence & 0xFF))
                << "payload of its own packet";
            break;
          case Playout::Kind::lost:
            tokens += 'L';
            break;
          case Playout::Kind::empty:
            tokens += '-';
            break;
        }
        max_delay = std::max(max_delay, buffer.stats().current_delay);
      }
      queued_units_ -= 160;
    }
    return tokens;
  }

  PushResult push(const Arrival& a) {
    const std::uint8_t payload[3] = {static_cast<std::uint8_t>(a.sequence & 0xFF), 0, 0};
    const PushResult result = buffer.push({.ssrc = a.ssrc,
                                           .sequence = a.sequence,
                                           .timestamp = a.timestamp,
                                           .marker = a.marker,
                                           .payload_type = 8,
                                           .duration = a.duration,
                                           .payload = payload},
                                          at(a.at_ms));
    results.push_back(result);
    return result;
  }

  static Clock::time_point at(double ms) {
    return Clock::time_point{} + 1h + std::chrono::microseconds(std::llround(ms * 1000));
  }

  JitterBuffer buffer;
  std::vector<PushResult> results;
  std::chrono::microseconds max_delay{0};
  // Ticks of the consumer's clock that run late (a busy media thread): which ones, and by how much.
  std::function<bool(int)> late_tick;
  double late_tick_ms = 0;

 private:
  std::vector<Arrival> pending_;
  int tick_ = 0;
  std::uint32_t queued_units_ = 0;
};

// Defaults: 8 kHz clock, 20 ms ticks, target delay 40 … 200 ms. On-time packets arrive at 20k ms and are
// played from the tick where the first has waited the 40 ms target: tick 2 (50 ms), a delay of 50 ms.
TEST(JitterBuffer, InOrderStreamPlaysEveryPacketAfterTheTargetDelay) {
  Simulation sim;
  EXPECT_EQ(sim.run(Simulation::stream(0, 9), 16), "- - 0 1 2 3 4 5 6 7 8 9 L L L -");
  const JitterBufferStats& s = sim.buffer.stats();
  EXPECT_EQ(s.received, 10u);
  EXPECT_EQ(s.played, 10u);
  EXPECT_EQ(s.lost, 0u);
  EXPECT_EQ(s.late, 0u);
  EXPECT_EQ(s.target_delay, 40ms);
  EXPECT_EQ(sim.max_delay, 50ms);
  // After the stream stops: 60 ms of concealment (the PLC fades out), then silence.
  EXPECT_EQ(s.concealed, 3u);
  EXPECT_EQ(s.empty, 3u);
}

TEST(JitterBuffer, ReorderedPacketsArePlayedInOrder) {
  auto arrivals = Simulation::stream(0, 9);
  arrivals[2].at_ms = 65;   // after packet 3 (60 ms)
  arrivals[6].at_ms = 145;  // after packet 7 (140 ms)
  Simulation sim;
  EXPECT_EQ(sim.run(arrivals, 12), "- - 0 1 2 3 4 5 6 7 8 9");
  EXPECT_EQ(sim.buffer.stats().lost, 0u);
  EXPECT_EQ(sim.buffer.stats().late, 0u);
}

TEST(JitterBuffer, DuplicatesAreDroppedEvenAfterPlayout) {
  auto arrivals = Simulation::stream(0, 9);
  arrivals.push_back(Simulation::packet(3, 65));   // while still buffered
  arrivals.push_back(Simulation::packet(7, 200));  // after it was played (at 190 ms)
  Simulation sim;
  EXPECT_EQ(sim.run(arrivals, 12), "- - 0 1 2 3 4 5 6 7 8 9");
  EXPECT_EQ(sim.buffer.stats().duplicates, 2u);
  EXPECT_EQ(sim.buffer.stats().late, 0u);
  EXPECT_EQ(std::count(sim.results.begin(), sim.results.end(), PushResult::duplicate), 2);
}

// Packet 5 arrives 60 ms late, after packet 6: its turn is concealed, it is dropped as late, and the
// buffer grows its delay by one tick (the second L) because 60 ms of lateness is above its 40 ms target.
TEST(JitterBuffer, LatePacketIsConcealedDroppedAndTheDelayGrows) {
  auto arrivals = Simulation::stream(0, 19);
  arrivals[5].at_ms = 160;
  Simulation sim;
  EXPECT_EQ(sim.run(arrivals, 27), "- - 0 1 2 3 4 L L 6 7 8 9 10 11 12 13 14 15 16 17 18 19 L L L -");
  const JitterBufferStats& s = sim.buffer.stats();
  EXPECT_EQ(s.late, 1u);
  EXPECT_EQ(s.lost, 1u);
  EXPECT_EQ(s.grown, 1u);
  EXPECT_EQ(s.concealed, 5u);
  EXPECT_EQ(s.target_delay, 60ms);
  EXPECT_EQ(std::count(sim.results.begin(), sim.results.end(), PushResult::late), 1);
  EXPECT_EQ(sim.max_delay, 70ms);
}

TEST(JitterBuffer, LossBurstIsConcealedPacketForPacketKeepingTheTimeline) {
  auto arrivals = Simulation::stream(0, 19);
  arrivals.erase(arrivals.begin() + 10, arrivals.begin() + 15);  // 10..14 never arrive
  Simulation sim;
  EXPECT_EQ(sim.run(arrivals, 26), "- - 0 1 2 3 4 5 6 7 8 9 L L L L L 15 16 17 18 19 L L L -");
  EXPECT_EQ(sim.buffer.stats().lost, 5u);
  EXPECT_EQ(sim.buffer.stats().late, 0u);
}

// A long outage: after 60 ms of concealment the stream counts as stopped (silence); when packets return
// they start a new talkspurt, on their original schedule.
TEST(JitterBuffer, LongOutageFadesToSilenceAndResumes) {
  auto arrivals = Simulation::stream(0, 24);
  arrivals.erase(arrivals.begin() + 10, arrivals.begin() + 20);  // 200 ms lost
  Simulation sim;
  EXPECT_EQ(sim.run(arrivals, 27), "- - 0 1 2 3 4 5 6 7 8 9 L L L - - - - - - - 20 21 22 23 24");
  EXPECT_EQ(sim.buffer.stats().lost, 10u);
}

// The sender stops sending in silence (DTX) and resumes with the next sequence number, 40 ms of timestamps
// later: the gap is silence, not loss.
TEST(JitterBuffer, SilenceGapWithoutSequenceGapIsSilence) {
  auto arrivals = Simulation::stream(0, 9);
  for (std::uint32_t k = 10; k < 15; ++k) {
    Arrival a = Simulation::packet(k, 20.0 * (k + 2));
    a.timestamp = (k + 2) * 160;
    a.marker = k == 10;
    arrivals.push_back(a);
  }
  Simulation sim;
  EXPECT_EQ(sim.run(arrivals, 19), "- - 0 1 2 3 4 5 6 7 8 9 - - 10 11 12 13 14");
  EXPECT_EQ(sim.buffer.stats().lost, 0u);
  EXPECT_EQ(sim.buffer.stats().concealed, 0u);
}

TEST(JitterBuffer, LongSilenceGapStartsANewTalkspurt) {
  auto arrivals = Simulation::stream(0, 4);
  for (std::uint32_t k = 5; k < 8; ++k) {
    Arrival a = Simulation::packet(k, 20.0 * k + 1000);
    a.timestamp = k * 160 + 8000;  // 1 s later
    a.marker = k == 5;
    arrivals.push_back(a);
  }
  Simulation sim;
  const std::string tokens = sim.run(arrivals, 60);
  EXPECT_EQ(tokens.substr(0, 19), "- - 0 1 2 3 4 L L L");
  // The new talkspurt starts at tick 57 (1150 ms): packet 5 arrived at 1100 ms and waited the 40 ms target.
  EXPECT_EQ(tokens.substr(tokens.size() - 5), "5 6 7");
  EXPECT_EQ(std::count(tokens.begin(), tokens.end(), '-'), 2 + 47);
  EXPECT_EQ(sim.buffer.stats().lost, 0u);
}

TEST(JitterBuffer, SsrcChangeStartsANewStream) {
  auto arrivals = Simulation::stream(0, 9);
  for (std::uint32_t j = 0; j < 5; ++j) {
    arrivals.push_back({.at_ms = 240.0 + 20 * j,
                        .sequence = static_cast<std::uint16_t>(5000 + j),
                        .timestamp = 90000 + 160 * j,
                        .ssrc = 2});
  }
  Simulation sim;
  EXPECT_EQ(sim.run(arrivals, 19), "- - 0 1 2 3 4 5 6 7 8 9 - - 5000 5001 5002 5003 5004");
  EXPECT_EQ(sim.buffer.stats().resets, 1u);
  EXPECT_EQ(sim.buffer.stats().lost, 0u);
}

TEST(JitterBuffer, TimestampJumpUnderTheSameSsrcResets) {
  auto arrivals = Simulation::stream(0, 9);
  for (std::uint32_t k = 10; k < 15; ++k) {
    Arrival a = Simulation::packet(k, 20.0 * k + 40);
    a.timestamp = 3'000'000 + k * 160;  // the sender's timeline restarted
    arrivals.push_back(a);
  }
  Simulation sim;
  EXPECT_EQ(sim.run(arrivals, 19), "- - 0 1 2 3 4 5 6 7 8 9 - - 10 11 12 13 14");
  EXPECT_EQ(sim.buffer.stats().resets, 1u);
  EXPECT_EQ(sim.buffer.stats().late, 0u);
}

TEST(JitterBuffer, SequenceAndTimestampWrapAround) {
  std::vector<Arrival> arrivals;
  for (std::uint32_t k = 0; k < 10; ++k) {
    arrivals.push_back({.at_ms = 20.0 * k,
                        .sequence = static_cast<std::uint16_t>(65532 + k),
                        .timestamp = static_cast<std::uint32_t>(0xFFFFFFFFu - 480 + 160 * k)});
  }
  Simulation sim;
  EXPECT_EQ(sim.run(arrivals, 12), "- - 65532 65533 65534 65535 0 1 2 3 4 5");
  EXPECT_EQ(sim.buffer.stats().lost, 0u);
}

TEST(JitterBuffer, TenMillisecondPacketsArePulledTwicePerTick) {
  std::vector<Arrival> arrivals;
  for (std::uint32_t k = 0; k < 8; ++k) arrivals.push_back(Simulation::packet(k, 10.0 * k, 80));
  Simulation sim;
  EXPECT_EQ(sim.run(arrivals, 6), "- - 0 1 2 3 4 5 6 7");
}

TEST(JitterBuffer, SixtyMillisecondPacketsArePulledEveryThirdTick) {
  std::vector<Arrival> arrivals;
  for (std::uint32_t k = 0; k < 4; ++k) arrivals.push_back(Simulation::packet(k, 60.0 * k, 480));
  Simulation sim;
  EXPECT_EQ(sim.run(arrivals, 14), "- - 0 1 2 3");
  EXPECT_EQ(sim.buffer.stats().lost, 0u);
}

// Network stall: packets 10..14 are held up and arrive in one burst at 300 ms. The first burst costs three
// late packets; the buffer raises its delay to the burst's 100 ms, so the same stall a second later costs
// nothing. Once the window has forgotten the bursts, the delay returns to the minimum.
TEST(JitterBuffer, AdaptsToBurstsAndBackAfterTheNetworkCalmsDown) {
  auto arrivals = Simulation::stream(0, 399);  // 8 s
  for (std::uint32_t k = 10; k < 15; ++k) arrivals[k].at_ms = 300;
  for (std::uint32_t k = 60; k < 65; ++k) arrivals[k].at_ms = 1300;
  Simulation sim;
  const std::string first_two_seconds = sim.run(arrivals, 100);
  EXPECT_EQ(first_two_seconds.substr(0, 31), "- - 0 1 2 3 4 5 6 7 8 9 L L L L");
  const JitterBufferStats after_bursts = sim.buffer.stats();
  EXPECT_EQ(after_bursts.late, 3u);  // 10, 11, 12: their turn had passed when the burst came
  EXPECT_EQ(after_bursts.lost, 3u);
  EXPECT_EQ(after_bursts.target_delay, 100ms);
  EXPECT_GE(sim.max_delay, 100ms);
  EXPECT_LE(sim.max_delay, 120ms);

  sim.run({}, 310);
  const JitterBufferStats& s = sim.buffer.stats();
  EXPECT_EQ(s.late, 3u) << "the second burst arrived in time";
  EXPECT_EQ(s.lost, 3u);
  EXPECT_EQ(s.target_delay, 40ms);
  EXPECT_LE(s.current_delay, 60ms);
  EXPECT_GE(s.discarded, 2u);
  EXPECT_EQ(s.played + s.discarded + s.lost, 400u);
}

// The target is the 99th percentile of lateness over the last 128 packets: with a full window that is the
// second-latest packet, so one outlier is ignored and a second one counts.
TEST(JitterBuffer, TargetDelayIgnoresOneOutlierInAWindowButNotTwo) {
  auto arrivals = Simulation::stream(0, 199);
  arrivals[150].at_ms += 150;
  Simulation one;
  one.run(arrivals, 190);
  EXPECT_EQ(one.buffer.stats().target_delay, 40ms);

  arrivals[160].at_ms += 90;  // the second outlier sets the target
  Simulation two;
  two.run(arrivals, 190);
  EXPECT_EQ(two.buffer.stats().target_delay, 90ms);
}

// A talkspurt starts up to one tick above the target (here 19 ms); our own media clock then ticking 5 ms late
// now and then must not cut 20 ms out of the speech: only a delay that stays too high is shortened.
TEST(JitterBuffer, LateTicksOfOurClockDiscardNothing) {
  std::vector<Arrival> arrivals;
  for (std::uint32_t k = 0; k < 300; ++k) arrivals.push_back(Simulation::packet(k, 20.0 * k + 11));
  Simulation sim;
  sim.late_tick = [](int tick) { return tick % 7 == 3; };
  sim.late_tick_ms = 5;
  sim.run(arrivals, 290);
  const JitterBufferStats& s = sim.buffer.stats();
  EXPECT_EQ(s.target_delay, 40ms);
  EXPECT_EQ(s.discarded, 0u);
  EXPECT_EQ(s.lost, 0u);
  EXPECT_EQ(s.late, 0u);
}

TEST(JitterBuffer, FollowsASenderClockThatRunsFast) {
  std::vector<Arrival> arrivals;
  for (std::uint32_t k = 0; k < 1500; ++k) arrivals.push_back(Simulation::packet(k, 19.9 * k));  // +0.5 %
  Simulation sim;
  sim.run(arrivals, 1500);
  const JitterBufferStats& s = sim.buffer.stats();
  EXPECT_EQ(s.lost, 0u);
  EXPECT_EQ(s.late, 0u);
  EXPECT_GE(s.discarded, 5u);  // 1500 packets · 0.5 % = 150 ms too much audio, 20 ms per discard
  EXPECT_LE(s.discarded, 8u);
  EXPECT_LE(sim.max_delay, 80ms);
}

TEST(JitterBuffer, FollowsASenderClockThatRunsSlow) {
  std::vector<Arrival> arrivals;
  for (std::uint32_t k = 0; k < 1500; ++k) arrivals.push_back(Simulation::packet(k, 20.1 * k));  // −0.5 %
  Simulation sim;
  const std::string tokens = sim.run(arrivals, 1490);
  const JitterBufferStats& s = sim.buffer.stats();
  EXPECT_EQ(s.lost, 0u);
  EXPECT_EQ(s.late, 0u);
  EXPECT_GE(s.grown, 6u);  // 150 ms too little audio, 20 ms per stretch
  EXPECT_LE(s.grown, 9u);
  EXPECT_EQ(s.concealed, s.grown);
}

TEST(JitterBuffer, FullBufferDropsTheOldestAudio) {
  Simulation sim({.capacity = 8});
  std::vector<Arrival> arrivals;
  for (std::uint32_t k = 0; k < 20; ++k) arrivals.push_back(Simulation::packet(k, 0));
  EXPECT_EQ(sim.run(arrivals, 1), "-");
  EXPECT_EQ(sim.buffer.stats().discarded, 12u);
  EXPECT_EQ(sim.buffer.buffered(), 8u);
  // All 20 arrived at once: packet 12 counts as 240 ms late (more than the 200 ms maximum target), so playout
  // starts when it has waited 200 ms.
  EXPECT_EQ(sim.run({}, 10), "- - 12 13 14 15 16 17 18 19");
}

TEST(JitterBuffer, RejectsPacketsItCannotHold) {
  JitterBuffer buffer({.max_payload = 4});
  const std::uint8_t big[5] = {};
  EXPECT_EQ(buffer.push({.duration = 160, .payload = big}, Simulation::at(0)), PushResult::invalid);
  EXPECT_EQ(buffer.push({.duration = 0, .payload = std::span(big, 1)}, Simulation::at(0)),
            PushResult::invalid);
  EXPECT_EQ(buffer.stats().invalid, 2u);
  EXPECT_EQ(buffer.pull(Simulation::at(10)).kind, Playout::Kind::empty);
}

TEST(JitterBuffer, RejectsAnImpossibleConfiguration) {
  EXPECT_THROW(JitterBuffer({.min_delay = 100ms, .max_delay = 50ms}), std::invalid_argument);
  EXPECT_THROW(JitterBuffer({.capacity = 0}), std::invalid_argument);
  EXPECT_THROW(JitterBuffer({.clock_rate = 0}), std::invalid_argument);
}

}  // namespace
}  // namespace va::media
