// The agent worker's capacity decisions: which job offers it accepts, what it reports, when slots free up.
#include "livekit/agent_job_slots.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/retry_schedule.hpp"

namespace va::livekit {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using Clock = JobSlots::Clock;

const Clock::time_point t0 = Clock::time_point() + 1h;

TEST(JobSlots, AcceptsOffersUpToCapacityCountingReservations) {
  JobSlots slots(2);
  EXPECT_EQ(slots.offer("AJ_1", t0 + 7s), Availability::accepted);
  EXPECT_EQ(slots.offer("AJ_2", t0 + 7s), Availability::accepted);
  // Neither is assigned yet, but both hold a slot: a burst of offers cannot overbook the worker.
  EXPECT_EQ(slots.offer("AJ_3", t0 + 7s), Availability::full);
  EXPECT_EQ(slots.reserved(), 2u);
  EXPECT_EQ(slots.running(), 0u);
}

TEST(JobSlots, TheSameOfferTwiceTakesOneSlot) {
  JobSlots slots(2);
  EXPECT_EQ(slots.offer("AJ_1", t0 + 7s), Availability::accepted);
  EXPECT_EQ(slots.offer("AJ_1", t0 + 9s), Availability::accepted);
  EXPECT_EQ(slots.held(), 1u);
  EXPECT_EQ(slots.next_expiry(), t0 + 9s);
}

TEST(JobSlots, DrainingRefusesEveryOffer) {
  JobSlots slots(4);
  slots.set_draining(true);
  EXPECT_EQ(slots.offer("AJ_1", t0 + 7s), Availability::draining);
  EXPECT_TRUE(slots.idle());
}

TEST(JobSlots, AnAssignmentTurnsTheReservationIntoARunningJob) {
  JobSlots slots(1);
  slots.offer("AJ_1", t0 + 7s);
  EXPECT_EQ(slots.assign("AJ_1"), Assignment::reserved);
  EXPECT_EQ(slots.running(), 1u);
  EXPECT_EQ(slots.reserved(), 0u);
  EXPECT_FALSE(slots.next_expiry().has_value());
  EXPECT_EQ(slots.assign("AJ_1"), Assignment::duplicate);
  EXPECT_EQ(slots.offer("AJ_2", t0 + 7s), Availability::full);
}

TEST(JobSlots, ALateAssignmentIsTakenWhenThereIsRoomAndRefusedWhenNot) {
  JobSlots slots(1);
  EXPECT_EQ(slots.assign("AJ_late"), Assignment::unreserved);
  EXPECT_EQ(slots.assign("AJ_other"), Assignment::refused);
  EXPECT_EQ(slots.running_jobs(), std::vector<std::string>{"AJ_late"});
}

TEST(JobSlots, OffersNeverAssignedExpireAndFreeTheirSlot) {
  JobSlots slots(2);
  slots.offer("AJ_1", t0 + 5s);
  slots.offer("AJ_2", t0 + 8s);
  EXPECT_EQ(slots.next_expiry(), t0 + 5s);
  EXPECT_TRUE(slots.expire(t0 + 4s).empty());
  EXPECT_THAT(slots.expire(t0 + 5s), ElementsAre("AJ_1"));
  EXPECT_EQ(slots.next_expiry(), t0 + 8s);
  EXPECT_EQ(slots.offer("AJ_3", t0 + 12s), Availability::accepted);
  EXPECT_THAT(slots.expire(t0 + 20s), ElementsAre("AJ_2", "AJ_3"));
  EXPECT_TRUE(slots.idle());
}

TEST(JobSlots, FinishingFreesTheSlotOnce) {
  JobSlots slots(1);
  slots.offer("AJ_1", t0 + 7s);
  slots.assign("AJ_1");
  EXPECT_TRUE(slots.finish("AJ_1"));
  EXPECT_FALSE(slots.finish("AJ_1"));
  EXPECT_TRUE(slots.idle());
  EXPECT_EQ(slots.offer("AJ_2", t0 + 7s), Availability::accepted);
}

TEST(JobSlots, ALostConnectionForgetsOffersButKeepsRunningCalls) {
  JobSlots slots(3);
  slots.offer("AJ_1", t0 + 7s);
  slots.assign("AJ_1");
  slots.offer("AJ_2", t0 + 7s);
  slots.drop_reservations();
  EXPECT_EQ(slots.running_jobs(), std::vector<std::string>{"AJ_1"});
  EXPECT_EQ(slots.reserved(), 0u);
}

TEST(JobSlots, LoadIsFullAtCapacityOrWhenDraining) {
  JobSlots slots(2);
  EXPECT_EQ(slots.load(), (WorkerLoad{.full = false, .load = 0.0f, .job_count = 0, .draining = false}));
  slots.offer("AJ_1", t0 + 7s);
  slots.assign("AJ_1");
  EXPECT_EQ(slots.load(), (WorkerLoad{.full = false, .load = 0.5f, .job_count = 1, .draining = false}));
  slots.offer("AJ_2", t0 + 7s);
  // A reservation counts towards load and fullness, not towards the running job count.
  EXPECT_EQ(slots.load(), (WorkerLoad{.full = true, .load = 1.0f, .job_count = 1, .draining = false}));
  slots.expire(t0 + 8s);
  slots.set_draining(true);
  EXPECT_EQ(slots.load(), (WorkerLoad{.full = true, .load = 0.5f, .job_count = 1, .draining = true}));
}

TEST(JobSlots, CapacityIsAtLeastOne) {
  JobSlots slots(0);
  EXPECT_EQ(slots.capacity(), 1u);
  EXPECT_EQ(slots.offer("AJ_1", t0), Availability::accepted);
}

TEST(ReconnectJitter, SpreadsTheDelayEvenlyAroundItself) {
  EXPECT_EQ(with_jitter(1000ms, 0.2, 0.0), 800ms);
  EXPECT_EQ(with_jitter(1000ms, 0.2, 0.5), 1000ms);
  EXPECT_EQ(with_jitter(1000ms, 0.2, 0.999999), 1199ms);
  EXPECT_EQ(with_jitter(1000ms, 0.0, 0.7), 1000ms);
  EXPECT_EQ(with_jitter(1000ms, 5.0, 0.0), 0ms);  // the fraction is clamped to 1
}

}  // namespace
}  // namespace va::livekit
