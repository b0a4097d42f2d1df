#include "sip/trunk/trunk_retry_schedule.hpp"

#include <gtest/gtest.h>

namespace va::sip {
namespace {

using namespace std::chrono_literals;

TEST(RetrySchedule, DoublesFromInitialUpToMaxThenReportsFailedAtMax) {
  RetrySchedule s{1s, 60s, 5};
  EXPECT_EQ(s.delay_after(1), 1s);
  EXPECT_EQ(s.delay_after(2), 2s);
  EXPECT_EQ(s.delay_after(3), 4s);
  EXPECT_EQ(s.delay_after(4), 8s);
  EXPECT_FALSE(s.failed_after(4));
  EXPECT_TRUE(s.failed_after(5));
  EXPECT_EQ(s.delay_after(5), 60s);
  EXPECT_EQ(s.delay_after(500), 60s);
}

TEST(RetrySchedule, CapsAtMaxBeforeTheAttemptLimit) {
  RetrySchedule s{1s, 5s, 100};
  EXPECT_EQ(s.delay_after(3), 4s);
  EXPECT_EQ(s.delay_after(4), 5s);
  EXPECT_EQ(s.delay_after(99), 5s);
  EXPECT_FALSE(s.failed_after(99));
}

TEST(RetrySchedule, ZeroAttemptsReportsTheFirstFailureAsFailed) {
  RetrySchedule s{100ms, 2s, 0};
  EXPECT_TRUE(s.failed_after(1));
  EXPECT_EQ(s.delay_after(1), 2s);
}

TEST(RetrySchedule, NoOverflowForHugeFailureCounts) {
  RetrySchedule s{10ms, 24h, 1000};
  EXPECT_EQ(s.delay_after(999), std::chrono::milliseconds(24h));
}

TEST(RegistrationRefresh, HalfForShortGrantsSixtySecondsEarlyForLongOnes) {
  EXPECT_EQ(registration_refresh_delay(3600s), 3540s);
  EXPECT_EQ(registration_refresh_delay(300s), 240s);
  EXPECT_EQ(registration_refresh_delay(120s), 60s);
  EXPECT_EQ(registration_refresh_delay(60s), 30s);
  EXPECT_EQ(registration_refresh_delay(10s), 5s);
  EXPECT_EQ(registration_refresh_delay(1s), 1s);
  EXPECT_EQ(registration_refresh_delay(0s), 1s);
}

}  // namespace
}  // namespace va::sip
