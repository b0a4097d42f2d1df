// `voice-agent token create` as an operator runs it: the printed token verifies with the configured secret.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "integration/binary.hpp"
#include "livekit/access_token.hpp"

namespace va::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kKey = "APItokencli01";
constexpr const char* kSecret = "token-cli-secret-0123456789abcdefghij";

std::vector<std::pair<std::string, std::string>> credentials() {
  return {{"LIVEKIT_API_KEY", kKey}, {"LIVEKIT_API_SECRET", kSecret}};
}

livekit::UnixSeconds now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(TokenCli, RoomWithoutGrantsMintsAJoinPublishSubscribeToken) {
  auto r = run({"token", "create", "--identity", "bob", "--room", "r1", "--ttl", "1h"}, credentials());
  ASSERT_TRUE(r.status.exited_with(0)) << r.err;
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(kSecret)));
  std::string token = r.out.substr(0, r.out.find('\n'));
  auto verified = livekit::verify_access_token(token, {{kKey, kSecret}}, now());
  ASSERT_TRUE(std::holds_alternative<livekit::AccessTokenClaims>(verified));
  const auto& claims = std::get<livekit::AccessTokenClaims>(verified);
  EXPECT_EQ(claims.identity, "bob");
  ASSERT_TRUE(claims.video);
  EXPECT_EQ(claims.video->room, "r1");
  EXPECT_EQ(claims.video->room_join, true);
  EXPECT_EQ(claims.video->can_publish, true);
  EXPECT_EQ(claims.video->can_subscribe, true);
  EXPECT_EQ(claims.expires_at - claims.not_before, 3600);
}

TEST(TokenCli, ExplicitGrantsAttributesAndKind) {
  auto r = run({"token", "create", "--identity", "ops", "--grant", "sip-admin", "--grant", "list", "--kind",
                "agent", "--attribute", "team=ops"},
               credentials());
  ASSERT_TRUE(r.status.exited_with(0)) << r.err;
  auto verified = livekit::verify_access_token(r.out.substr(0, r.out.find('\n')), {{kKey, kSecret}}, now());
  ASSERT_TRUE(std::holds_alternative<livekit::AccessTokenClaims>(verified));
  const auto& claims = std::get<livekit::AccessTokenClaims>(verified);
  EXPECT_EQ(claims.kind, "agent");
  EXPECT_EQ(claims.attributes.at("team"), "ops");
  ASSERT_TRUE(claims.sip);
  EXPECT_EQ(claims.sip->admin, true);
  ASSERT_TRUE(claims.video);
  EXPECT_EQ(claims.video->room_list, true);
  EXPECT_FALSE(claims.video->room_join);
}

TEST(TokenCli, BadOptionsExitTwoWithAMessage) {
  auto bad_grant = run({"token", "create", "--identity", "x", "--grant", "bogus"}, credentials());
  EXPECT_TRUE(bad_grant.status.exited_with(2));
  EXPECT_THAT(bad_grant.err, HasSubstr("unknown --grant \"bogus\""));
  EXPECT_TRUE(
      run({"token", "create", "--identity", "x", "--ttl", "soon"}, credentials()).status.exited_with(2));
  EXPECT_TRUE(
      run({"token", "create", "--identity", "x", "--kind", "robot"}, credentials()).status.exited_with(2));
  EXPECT_TRUE(run({"token", "create", "--identity", "x", "--attribute", "novalue"}, credentials())
                  .status.exited_with(2));
  EXPECT_TRUE(run({"token", "create"}, credentials()).status.exited_with(2));  // --identity is required
}

}  // namespace
}  // namespace va::test
