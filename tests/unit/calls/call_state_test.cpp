#include "calls/call_state.hpp"

#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "calls/admin_api.hpp"
#include "calls/call_json.hpp"
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

TEST(AdminToken, OnlyTheExactBearerTokenMatches) {
  const std::string token = "0123456789abcdef-token";
  EXPECT_TRUE(bearer_token_matches("Bearer " + token, token));
  EXPECT_TRUE(bearer_token_matches("bearer " + token, token)) << "the scheme is case-insensitive";
  EXPECT_FALSE(bearer_token_matches(token, token));
  EXPECT_FALSE(bearer_token_matches("Bearer " + token + "x", token));
  EXPECT_FALSE(bearer_token_matches("Bearer " + token.substr(1), token));
  EXPECT_FALSE(bearer_token_matches("Basic " + token, token));
  EXPECT_FALSE(bearer_token_matches("Bearer ", token));
  EXPECT_FALSE(bearer_token_matches("Bearer ", "")) << "no token configured matches nothing";
}

TEST(CallTimes, ReadIso8601UtcAndUnixSecondsAndRefuseTheRest) {
  auto ms = [](const std::optional<Timestamp>& t) {
    return t ? std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count() : -1;
  };
  EXPECT_EQ(ms(parse_time("2026-12-05T01:02:03Z")), 1796432523000);
  EXPECT_EQ(ms(parse_time("2026-12-05T01:02:03.456Z")), 1796432523456);
  EXPECT_EQ(ms(parse_time("1796432523")), 1796432523000);
  EXPECT_EQ(iso8601(*parse_time("2026-12-05T01:02:03.456Z")), "2026-12-05T01:02:03.456Z");
  for (const char* bad : {"", "yesterday", "2026-12-05", "2026-13-05T01:02:03Z", "2026-12-05T01:02:03+03:00",
                          "-5", "9999-12-31T23:59:59Z", "99999999999999", "1900-01-01T00:00:00Z"})
    EXPECT_FALSE(parse_time(bad)) << bad;
}

}  // namespace
}  // namespace va::calls
