#include "calls/call_state.hpp"

#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "calls/call_record.hpp"

namespace va::calls {
namespace {

using S = CallState;
constexpr S kAll[] = {S::ringing, S::answered, S::active, S::on_hold, S::transferring, S::ended};

// The allowed steps of call_state.hpp's diagram; every other pair is refused.
const std::set<std::pair<S, S>> kAllowed = {
    {S::ringing, S::answered}, {S::ringing, S::ended},       {S::answered, S::active},
    {S::answered, S::ended},   {S::active, S::on_hold},      {S::active, S::transferring},
    {S::active, S::ended},     {S::on_hold, S::active},      {S::on_hold, S::transferring},
    {S::on_hold, S::ended},    {S::transferring, S::active}, {S::transferring, S::ended},
};

TEST(CallState, EveryAllowedStepIsAllowed) {
  for (const auto& [from, to] : kAllowed) {
    EXPECT_TRUE(transition_allowed(from, to)) << to_string(from) << " -> " << to_string(to);
    EXPECT_FALSE(check_transition(from, to));
  }
}

TEST(CallState, EveryOtherStepIsRefusedWithAReason) {
  int refused = 0;
  for (auto from : kAll) {
    for (auto to : kAll) {
      if (kAllowed.count({from, to})) continue;
      ++refused;
      EXPECT_FALSE(transition_allowed(from, to)) << to_string(from) << " -> " << to_string(to);
      auto why = check_transition(from, to);
      ASSERT_TRUE(why);
      EXPECT_NE(why->find(std::string(to_string(from)) + " -> " + std::string(to_string(to))),
                std::string::npos)
          << *why;
    }
  }
  EXPECT_EQ(refused, 36 - 12);
  EXPECT_EQ(*check_transition(S::ended, S::active), "ended -> active: the call has ended");
  EXPECT_EQ(*check_transition(S::active, S::active), "active -> active: already in that state");
  EXPECT_EQ(*check_transition(S::ringing, S::on_hold), "ringing -> on_hold: not a step a call can take");
}

TEST(CallState, NamesRoundTrip) {
  for (auto s : kAll) EXPECT_EQ(parse_call_state(to_string(s)), s);
  for (auto r :
       {EndReason::caller_hangup, EndReason::agent_hangup, EndReason::transferred, EndReason::media_timeout,
        EndReason::rejected, EndReason::failed, EndReason::agent_restart, EndReason::drained}) {
    EXPECT_EQ(parse_end_reason(to_string(r)), r);
  }
  EXPECT_FALSE(parse_call_state("hung"));
  EXPECT_FALSE(parse_end_reason(""));
  EXPECT_EQ(parse_direction("outbound"), Direction::outbound);
  EXPECT_EQ(parse_source("livekit"), Source::livekit);
  EXPECT_EQ(parse_speaker("agent"), Speaker::agent);
  EXPECT_FALSE(parse_source("webrtc"));
}

}  // namespace
}  // namespace va::calls
