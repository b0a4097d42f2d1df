#include "media/media_clock.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <string>
#include <thread>
#include <vector>

namespace va::media {
namespace {

using namespace std::chrono_literals;

// Timing here is correctness with generous tolerances (machines are noisy), not performance.

TEST(MediaClock, TicksAreDueOnAFixedGridFromTheStart) {
  boost::asio::io_context io;
  MediaClock clock(io, {.max_burst = 50});
  std::vector<MediaTick> ticks;
  auto subscription = clock.subscribe([&](const MediaTick& tick) { ticks.push_back(tick); });
  clock.start();
  io.run_for(500ms);
  clock.stop();
  // 500 ms at 20 ms: 25 ticks were due; the scheduler may be late, never early.
  ASSERT_GE(ticks.size(), 15u);
  ASSERT_LE(ticks.size(), 25u);
  for (std::size_t i = 0; i < ticks.size(); ++i) {
    EXPECT_EQ(ticks[i].index, i + 1);
    EXPECT_EQ(ticks[i].deadline, clock.start_time() + 20ms * static_cast<int>(i + 1))
        << "drift-free: start + n·period";
    EXPECT_GE(ticks[i].woke, ticks[i].deadline);
    // Each wake-up runs every tick that is due: when it is done, the next deadline is still ahead of it.
    const bool last_of_wakeup = i + 1 == ticks.size() || ticks[i + 1].woke != ticks[i].woke;
    if (last_of_wakeup) {
      EXPECT_LT(ticks[i].woke, ticks[i].deadline + 20ms) << "tick " << ticks[i].index;
    }
  }
}

TEST(MediaClock, ABusyThreadIsCaughtUpInABurst) {
  boost::asio::io_context io;
  MediaClock clock(io, {.max_burst = 50});  // a loaded test machine must not turn this into skips
  std::vector<MediaTick> ticks;
  auto subscription = clock.subscribe([&](const MediaTick& tick) {
    ticks.push_back(tick);
    if (tick.index == 3) std::this_thread::sleep_for(70ms);  // the thread is busy for 3.5 periods
  });
  clock.start();
  io.run_for(400ms);
  clock.stop();
  ASSERT_GE(ticks.size(), 10u);
  for (std::size_t i = 0; i < ticks.size(); ++i) {
    EXPECT_EQ(ticks[i].index, i + 1) << "no tick is lost";
    EXPECT_EQ(ticks[i].skipped, 0u);
  }
  EXPECT_GE(clock.stats().late_wakeups, 1u);
  EXPECT_EQ(clock.stats().skipped, 0u);
  // Ticks 4..6 were due during the sleep and ran back to back when it ended.
  EXPECT_EQ(ticks[3].woke, ticks[4].woke);
  EXPECT_EQ(ticks[4].woke, ticks[5].woke);
}

TEST(MediaClock, SkipPolicyDropsMissedTicksAndSaysSo) {
  boost::asio::io_context io;
  MediaClock clock(io, {.catch_up = CatchUp::skip});
  std::vector<MediaTick> ticks;
  auto subscription = clock.subscribe([&](const MediaTick& tick) {
    ticks.push_back(tick);
    if (tick.index == 3) std::this_thread::sleep_for(70ms);
  });
  clock.start();
  io.run_for(300ms);
  clock.stop();
  ASSERT_GE(ticks.size(), 5u);
  EXPECT_EQ(ticks[3].index, ticks[2].index + 1 + ticks[3].skipped);
  EXPECT_GE(ticks[3].skipped, 2u);
  EXPECT_GE(clock.stats().skipped, ticks[3].skipped);
}

TEST(MediaClock, BurstBeyondTheLimitIsSkipped) {
  boost::asio::io_context io;
  MediaClock clock(io, {.catch_up = CatchUp::burst, .max_burst = 2});
  std::vector<MediaTick> ticks;
  auto subscription = clock.subscribe([&](const MediaTick& tick) {
    ticks.push_back(tick);
    if (tick.index == 1) std::this_thread::sleep_for(110ms);  // ticks 2..6 become due
  });
  clock.start();
  io.run_for(200ms);
  clock.stop();
  ASSERT_GE(ticks.size(), 3u);
  EXPECT_GE(ticks[1].skipped, 3u);  // at least 5 due, 2 run
  EXPECT_EQ(ticks[2].index, ticks[1].index + 1);
  EXPECT_EQ(ticks[2].woke, ticks[1].woke);
}

TEST(MediaClock, HandlersAddedOrRemovedDuringATickTakeEffectSafely) {
  boost::asio::io_context io;
  MediaClock clock(io);
  std::vector<std::string> calls;
  MediaClock::HandlerId first = 0;
  MediaClock::HandlerId second = 0;
  first = clock.add([&](const MediaTick& tick) {
    calls.push_back("first" + std::to_string(tick.index));
    if (tick.index == 1) {
      clock.add(
          [&](const MediaTick& t) { calls.push_back("added" + std::to_string(t.index)); });  // from tick 2
      clock.remove(second);  // later in this tick: it must not run any more
    }
    if (tick.index == 2) clock.remove(first);  // itself, while running
  });
  second = clock.add([&](const MediaTick& tick) { calls.push_back("second" + std::to_string(tick.index)); });
  clock.add([&](const MediaTick& tick) {
    calls.push_back("third" + std::to_string(tick.index));
    if (tick.index == 3) clock.stop();  // the handlers after it do not run in this tick
  });
  EXPECT_EQ(clock.handler_count(), 3u);
  clock.start();
  io.run_for(1s);
  EXPECT_FALSE(clock.running());
  const std::vector<std::string> expected{"first1", "third1", "first2", "third2", "added2", "third3"};
  EXPECT_EQ(calls, expected);
  EXPECT_EQ(clock.handler_count(), 2u);
}

TEST(MediaClock, AHandlerMayRestartTheClock) {
  boost::asio::io_context io;
  MediaClock clock(io, {.max_burst = 50});
  std::vector<std::uint64_t> indices;
  bool restarted = false;
  auto subscription = clock.subscribe([&](const MediaTick& tick) {
    indices.push_back(tick.index);
    if (tick.index == 2 && !restarted) {
      restarted = true;
      clock.stop();
      clock.start();  // a new timeline from now: tick 1 again
    }
    if (restarted && tick.index == 3) clock.stop();
  });
  clock.start();
  io.run_for(1s);
  EXPECT_EQ(indices, (std::vector<std::uint64_t>{1, 2, 1, 2, 3}));
}

TEST(MediaClock, SubscriptionsUnsubscribeWhenDestroyed) {
  boost::asio::io_context io;
  MediaClock clock(io);
  int ticks = 0;
  {
    auto subscription = clock.subscribe([&](const MediaTick&) { ++ticks; });
    EXPECT_EQ(clock.handler_count(), 1u);
    MediaClock::Subscription moved = std::move(subscription);
    EXPECT_EQ(clock.handler_count(), 1u);
  }
  EXPECT_EQ(clock.handler_count(), 0u);
  clock.start();
  io.run_for(100ms);
  EXPECT_EQ(ticks, 0);
}

TEST(MediaClock, StopsAndRestartsAndIsSafeToDestroyWhileWaiting) {
  boost::asio::io_context io;
  int ticks = 0;
  {
    MediaClock clock(io);
    auto subscription = clock.subscribe([&](const MediaTick&) { ++ticks; });
    clock.start();
    io.run_for(100ms);
    clock.stop();
    const int after_stop = ticks;
    io.restart();
    io.run_for(60ms);
    EXPECT_EQ(ticks, after_stop);
    clock.start();  // a new timeline: tick 1 again
    EXPECT_EQ(clock.running(), true);
    subscription.reset();
  }  // destroyed with a wait pending
  io.restart();
  io.run_for(60ms);
  EXPECT_GT(ticks, 0);
}

TEST(MediaClock, CountsTicksOverASecondWithoutDrift) {
  boost::asio::io_context io;
  MediaClock clock(io, {.max_burst = 50});
  std::uint64_t last_index = 0;
  auto subscription = clock.subscribe([&](const MediaTick& tick) { last_index = tick.index; });
  clock.start();
  io.run_for(1s);
  clock.stop();
  // Burst catch-up ties the count to elapsed time, not to the number of timer wake-ups: 50 ticks were due
  // (49 when run_for returns a hair early); a few may be pending when run_for() returns on a loaded machine.
  EXPECT_GE(last_index, 40u);
  EXPECT_LE(last_index, 50u);
  EXPECT_EQ(clock.stats().ticks, last_index);
  EXPECT_EQ(clock.stats().skipped, 0u);
}

}  // namespace
}  // namespace va::media
