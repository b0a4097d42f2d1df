// X-Voice-Agent-Signature (src/calls/event_signature.hpp): what a receiver of the call events verifies.
#include "calls/event_signature.hpp"

#include <gtest/gtest.h>

namespace va::calls {
namespace {

constexpr std::int64_t kT = 1764900000;
const std::string kBody = R"({"a":1})";

// Expected values computed independently:
//   python3 -c "import hmac,hashlib; print(hmac.new(b'whsec-test', b'1764900000.{\"a\":1}',
//               hashlib.sha256).hexdigest())"   (and b'old-secret' for the second)
constexpr const char* kMac = "6f3a2f5a5df38b84dcbbacfd8642acefe666d0dd17e03b4e0b2d802cd7bfb48a";
constexpr const char* kOldMac = "b407b84c6888c02502625ad48116ed2213385b0e750df922a3eecf8fc8fd7bcf";

TEST(EventSignature, MatchesAnIndependentHmacSha256) {
  EXPECT_EQ(sign_event({"whsec-test"}, kT, kBody), std::string("t=1764900000,v1=") + kMac);
  EXPECT_EQ(sign_event({"whsec-test", "old-secret"}, kT, kBody),
            std::string("t=1764900000,v1=") + kMac + ",v1=" + kOldMac);
}

TEST(EventSignature, VerifiesWhatWasSignedAndNothingElse) {
  auto header = sign_event({"whsec-test"}, kT, kBody);
  EXPECT_EQ(verify_event_signature(header, kBody, "whsec-test", kT + 10), "");
  EXPECT_EQ(verify_event_signature(header, R"({"a":2})", "whsec-test", kT), "signature does not match");
  EXPECT_EQ(verify_event_signature(header, kBody, "another", kT), "signature does not match");
  EXPECT_EQ(verify_event_signature(header, kBody, "whsec-test", kT + 301),
            "signature timestamp is 301 s from now");
  EXPECT_EQ(verify_event_signature(header, kBody, "whsec-test", kT - 400),
            "signature timestamp is 400 s from now");
}

TEST(EventSignature, ARotationIsAcceptedByEitherSecret) {
  auto header = sign_event({"new-secret", "whsec-test"}, kT, kBody);
  EXPECT_EQ(verify_event_signature(header, kBody, "whsec-test", kT), "");
  EXPECT_EQ(verify_event_signature(header, kBody, "new-secret", kT), "");
}

TEST(EventSignature, MalformedHeadersAreRefusedWithAReason) {
  for (const char* bad : {"", "t=", "t=abc,v1=00", "v1=00", "t=1764900000", "t=17649x0000,v1=00", "garbage",
                          "t=1764900000,v1=", "t=1764900000,v1=6f3a"}) {
    EXPECT_NE(verify_event_signature(bad, kBody, "whsec-test", kT), "") << bad;
  }
  EXPECT_EQ(
      verify_event_signature(std::string("t=1764900000, v1=") + kMac + ",v2=zz", kBody, "whsec-test", kT), "")
      << "spaces and unknown schemes are tolerated";
}

}  // namespace
}  // namespace va::calls
