#include "sip/trunk/trunk_digest_nonce.hpp"

#include <gtest/gtest.h>

namespace va::sip {
namespace {

using namespace std::chrono_literals;
const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));

TEST(DigestNonce, IssuedNonceVerifiesForItsBindingWithinItsLifetime) {
  DigestNonceIssuer issuer(300s);
  auto nonce = issuer.issue("127.0.0.1|call-1", t0);
  EXPECT_EQ(nonce.size(), 80u);
  EXPECT_EQ(issuer.check(nonce, "127.0.0.1|call-1", t0), NonceCheck::valid);
  EXPECT_EQ(issuer.check(nonce, "127.0.0.1|call-1", t0 + 300s), NonceCheck::valid);
}

TEST(DigestNonce, OldNonceIsStaleNotInvalid) {
  DigestNonceIssuer issuer(300s);
  auto nonce = issuer.issue("b", t0);
  EXPECT_EQ(issuer.check(nonce, "b", t0 + 301s), NonceCheck::stale);
}

TEST(DigestNonce, OtherBindingOtherKeyOrTamperingIsInvalid) {
  DigestNonceIssuer issuer(300s);
  auto nonce = issuer.issue("127.0.0.1|call-1", t0);
  EXPECT_EQ(issuer.check(nonce, "127.0.0.2|call-1", t0), NonceCheck::invalid);
  EXPECT_EQ(issuer.check(nonce, "127.0.0.1|call-2", t0), NonceCheck::invalid);
  DigestNonceIssuer other(300s);
  EXPECT_EQ(other.check(nonce, "127.0.0.1|call-1", t0), NonceCheck::invalid);
  auto tampered = nonce;
  tampered[70] = tampered[70] == '0' ? '1' : '0';
  EXPECT_EQ(issuer.check(tampered, "127.0.0.1|call-1", t0), NonceCheck::invalid);
  // Re-dating a nonce (to make it fresh again) breaks its MAC.
  auto redated = nonce;
  redated[15] = redated[15] == '0' ? '1' : '0';
  EXPECT_EQ(issuer.check(redated, "127.0.0.1|call-1", t0), NonceCheck::invalid);
}

TEST(DigestNonce, MalformedAndFutureNoncesAreInvalid) {
  DigestNonceIssuer issuer(300s, "fixed key for the test");
  EXPECT_EQ(issuer.check("", "b", t0), NonceCheck::invalid);
  EXPECT_EQ(issuer.check("zz", "b", t0), NonceCheck::invalid);
  EXPECT_EQ(issuer.check(std::string(80, 'g'), "b", t0), NonceCheck::invalid);
  auto future = issuer.issue("b", t0 + 60s);
  EXPECT_EQ(issuer.check(future, "b", t0), NonceCheck::invalid);
  // A fixed key makes nonces reproducible (same time, same binding).
  DigestNonceIssuer same(300s, "fixed key for the test");
  EXPECT_EQ(same.issue("b", t0), issuer.issue("b", t0));
}

}  // namespace
}  // namespace va::sip
