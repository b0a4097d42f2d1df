// The inbound admission policy (trunk_admission.hpp) on parsed INVITEs with chosen source addresses.
#include "sip/trunk/trunk_admission.hpp"

#include <gtest/gtest.h>

#include "common/log.hpp"
#include "sip/digest.hpp"
#include "sip/digest_challenge.hpp"
#include "sip/parser.hpp"

namespace va::sip {
namespace {

config::Trunk static_trunk(std::string name, std::vector<std::string> allowed) {
  config::Trunk t;
  t.name = std::move(name);
  t.mode = config::TrunkMode::static_ip;
  t.allowed_addresses = std::move(allowed);
  return t;
}

config::Trunk register_trunk(std::string name, std::string registrar) {
  config::Trunk t;
  t.name = std::move(name);
  t.mode = config::TrunkMode::register_;
  t.registrar = std::move(registrar);
  t.port = 5060;
  t.username = "883140000000001";
  t.password = "registration-secret";
  return t;
}

IncomingMessage invite(const std::string& source, const std::string& call_id = "call-1@test",
                       const std::string& authorization = {}) {
  const std::string host = source.find(':') != std::string::npos ? "[" + source + "]" : source;
  std::string text =
      "INVITE sip:100@127.0.0.1:5060 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP " +
      host +
      ":5070;branch=z9hG4bK-1\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:caller@" +
      host +
      ">;tag=a1\r\n"
      "To: <sip:100@127.0.0.1>\r\n"
      "Call-ID: " +
      call_id +
      "\r\n"
      "CSeq: 1 INVITE\r\n";
  if (!authorization.empty()) text += "Authorization: " + authorization + "\r\n";
  text += "Content-Length: 0\r\n\r\n";
  auto parsed = parse_message(text);
  EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().to_string());
  IncomingMessage m{std::move(*parsed), {}};
  m.flow.remote.address = boost::asio::ip::make_address(source);
  m.flow.remote.port = 5070;
  return m;
}

// The credentials a UAC computes for `decision`'s challenge of `algorithm`.
std::string answer(const AdmissionDecision& decision, std::string_view algorithm, std::string_view user,
                   std::string_view password) {
  for (const auto& [name, value] : decision.headers) {
    if (name != "WWW-Authenticate") continue;
    auto challenge = parse_digest_challenge(value);
    if (!challenge || challenge->algorithm_name != algorithm) continue;
    DigestAnswer a;
    a.username = user;
    a.password = password;
    a.method = "INVITE";
    a.uri = "sip:100@127.0.0.1:5060";
    if (auto credentials = answer_digest_challenge(*challenge, a)) return credentials->to_string();
  }
  ADD_FAILURE() << "no " << algorithm << " challenge";
  return {};
}

TEST(TrunkAdmission, WithoutTrunksEverythingIsAdmitted) {
  TrunkAdmission admission({});
  EXPECT_TRUE(admission.admit(invite("203.0.113.7")).admitted());
}

TEST(TrunkAdmission, StaticIpTrunkAdmitsOnlyItsSources) {
  TrunkAdmission admission({static_trunk("exolve-static", {"127.0.0.1/32", "2001:db8::/32"})});
  auto from_allowed = admission.admit(invite("127.0.0.1"));
  EXPECT_TRUE(from_allowed.admitted());
  EXPECT_EQ(from_allowed.trunk, "exolve-static");
  EXPECT_TRUE(admission.admit(invite("2001:db8::5")).admitted());

  auto refused = admission.admit(invite("127.0.0.2"));
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.result, "forbidden");
  EXPECT_EQ(admission.admit(invite("2001:db9::5")).status, 403);
}

TEST(TrunkAdmission, RefusalsAreLoggedWithTheSourceButAScannerCannotFloodTheLog) {
  TrunkAdmission admission({static_trunk("exolve-static", {"127.0.0.1/32"})});
  std::vector<std::string> lines;
  log::set_output_for_testing([&](std::string_view line) { lines.emplace_back(line); });
  for (int i = 0; i < 25; ++i) EXPECT_EQ(admission.admit(invite("198.51.100.7")).status, 403);
  log::set_output_for_testing(nullptr);
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines.front().find("198.51.100.7:5070"), std::string::npos) << lines.front();
  // Ten lines per second, the rest counted for the next line written (25 refusals take far less than a
  // second; the bound leaves room for a window that rolls over in between).
  EXPECT_GE(lines.size(), 10u);
  EXPECT_LE(lines.size(), 20u);
}

TEST(TrunkAdmission, FirstMatchingStaticTrunkInConfigurationOrderWins) {
  TrunkAdmission admission({static_trunk("narrow", {"192.0.2.10"}), static_trunk("wide", {"192.0.2.0/24"})});
  EXPECT_EQ(admission.admit(invite("192.0.2.10")).trunk, "narrow");
  EXPECT_EQ(admission.admit(invite("192.0.2.11")).trunk, "wide");
}

TEST(TrunkAdmission, RegisterTrunkAdmitsItsRegistrarAddresses) {
  TrunkAdmission admission(
      {register_trunk("exolve-main", "sip.exolve.ru"), register_trunk("lab", "192.0.2.20")});
  // Literal registrars are known from the start; names once a REGISTER was answered from an address.
  EXPECT_EQ(admission.admit(invite("192.0.2.20")).trunk, "lab");
  EXPECT_EQ(admission.admit(invite("80.75.130.100")).status, 403);
  admission.add_registrar_address("exolve-main", boost::asio::ip::make_address("80.75.130.100"));
  auto admitted = admission.admit(invite("80.75.130.100"));
  EXPECT_TRUE(admitted.admitted());
  EXPECT_EQ(admitted.trunk, "exolve-main");
}

class InboundDigest : public ::testing::Test {
 protected:
  InboundDigest() : admission_({trunk()}) {}
  static config::Trunk trunk() {
    auto t = static_trunk("pbx", {"127.0.0.1/32"});
    t.inbound_auth = {"pbx-user", "inbound-secret"};
    return t;
  }
  TrunkAdmission admission_;
};

TEST_F(InboundDigest, InviteWithoutCredentialsIsChallengedWithMd5ThenSha256) {
  auto d = admission_.admit(invite("127.0.0.1"));
  EXPECT_EQ(d.status, 401);
  EXPECT_EQ(d.result, "challenged");
  ASSERT_EQ(d.headers.size(), 2u);
  auto first = parse_digest_challenge(d.headers[0].second);
  auto second = parse_digest_challenge(d.headers[1].second);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->algorithm, DigestAlgorithm::md5);
  EXPECT_EQ(second->algorithm, DigestAlgorithm::sha256);
  EXPECT_EQ(first->realm, "voice-agent");
  EXPECT_TRUE(first->offers_qop("auth"));
  EXPECT_FALSE(first->stale);
}

TEST_F(InboundDigest, CorrectCredentialsAreAdmittedWithEitherAlgorithm) {
  for (const char* algorithm : {"MD5", "SHA-256"}) {
    auto challenge = admission_.admit(invite("127.0.0.1"));
    auto retried = admission_.admit(
        invite("127.0.0.1", "call-1@test", answer(challenge, algorithm, "pbx-user", "inbound-secret")));
    EXPECT_TRUE(retried.admitted()) << algorithm << ": " << retried.status;
    EXPECT_EQ(retried.trunk, "pbx");
  }
}

TEST_F(InboundDigest, WrongPasswordOrUserIsForbidden) {
  auto challenge = admission_.admit(invite("127.0.0.1"));
  auto wrong_password =
      admission_.admit(invite("127.0.0.1", "call-1@test", answer(challenge, "MD5", "pbx-user", "guess")));
  EXPECT_EQ(wrong_password.status, 403);
  EXPECT_EQ(wrong_password.result, "forbidden");
  auto wrong_user = admission_.admit(
      invite("127.0.0.1", "call-1@test", answer(challenge, "MD5", "intruder", "inbound-secret")));
  EXPECT_EQ(wrong_user.status, 403);
}

TEST_F(InboundDigest, CredentialsOfAnotherCallAreChallengedAgain) {
  auto challenge = admission_.admit(invite("127.0.0.1", "call-1@test"));
  auto replayed = admission_.admit(
      invite("127.0.0.1", "call-2@test", answer(challenge, "SHA-256", "pbx-user", "inbound-secret")));
  EXPECT_EQ(replayed.status, 401);
}

TEST_F(InboundDigest, SourceIsCheckedBeforeCredentials) {
  auto challenge = admission_.admit(invite("127.0.0.1"));
  auto elsewhere = admission_.admit(
      invite("127.0.0.2", "call-1@test", answer(challenge, "MD5", "pbx-user", "inbound-secret")));
  EXPECT_EQ(elsewhere.status, 403);
}

}  // namespace
}  // namespace va::sip
