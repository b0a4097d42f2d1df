// Masking rules of va::log::mask: what must disappear from logs, and what must stay readable.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "common/log.hpp"

namespace {

using va::log::mask;

std::string mask_no_phones(std::string_view text) {
  return mask(text, false);
}
std::string mask_phones(std::string_view text) {
  return mask(text, true);
}

TEST(SecretMasking, RegisteredSecretIsReplacedEverywhere) {
  va::log::add_secret("s3cr3t-Value-xyz");
  EXPECT_EQ(mask_no_phones("key s3cr3t-Value-xyz and again s3cr3t-Value-xyz."), "key *** and again ***.");
  EXPECT_EQ(mask_no_phones(R"({"msg":"url https://api/?k=s3cr3t-Value-xyz"})"),
            R"({"msg":"url https://api/?k=***"})");
}

TEST(SecretMasking, SecretsShorterThanFourCharactersAreIgnored) {
  va::log::add_secret("abc");
  va::log::add_secret("");
  EXPECT_EQ(mask_no_phones("abc abcdef"), "abc abcdef");
}

TEST(SecretMasking, JsonEscapedFormOfSecretIsReplaced) {
  va::log::add_secret("pa\"ss\\w0rd\n");
  // As it appears inside a JSON (or quoted console) string.
  EXPECT_EQ(mask_no_phones(R"({"msg":"login pa\"ss\\w0rd\n done"})"), R"({"msg":"login *** done"})");
}

TEST(SecretMasking, LongerSecretContainingAnotherIsReplacedWhole) {
  va::log::add_secret("livekit-key");
  va::log::add_secret("livekit-key-secret-part");
  EXPECT_EQ(mask_no_phones("x livekit-key-secret-part y livekit-key z"), "x *** y *** z");
}

TEST(UrlPasswordMasking, PasswordInUserinfoIsMasked) {
  EXPECT_EQ(mask_no_phones("storage postgresql://va:pg-Pa55-w0rd@127.0.0.1/va ok"),
            "storage postgresql://va:***@127.0.0.1/va ok");
  EXPECT_EQ(mask_no_phones(R"({"url":"https://user:p@ss:word@host:8443/x"})"),
            R"({"url":"https://user:***@host:8443/x"})");
}

TEST(UrlPasswordMasking, UrlsWithoutPasswordsAreKept) {
  for (const std::string url :
       {"udp://0.0.0.0:5060", "http://[::1]:8080/healthz", "wss://lk.example/rtc?x=a@b",
        "https://user@host/x", "postgresql://va:@db/va", "sip:bob@example.com:5060"}) {
    EXPECT_EQ(mask_no_phones(url), url);
  }
}

TEST(AuthorizationHeaderMasking, RawSipHeaderValueIsMaskedToEndOfLine) {
  const std::string sip =
      "INVITE sip:bob@example.com SIP/2.0\r\n"
      "Authorization: Digest username=\"alice\", realm=\"exolve\", nonce=\"abc\", response=\"9f1e\"\r\n"
      "Proxy-Authorization: Digest username=\"alice\", response=\"77aa\"\r\n"
      "Via: SIP/2.0/UDP 10.0.0.1:5060\r\n";
  EXPECT_EQ(mask_no_phones(sip),
            "INVITE sip:bob@example.com SIP/2.0\r\n"
            "Authorization: ***\r\n"
            "Proxy-Authorization: ***\r\n"
            "Via: SIP/2.0/UDP 10.0.0.1:5060\r\n");
}

TEST(AuthorizationHeaderMasking, HeaderInsideJsonStringStopsAtEscapedNewlineOrClosingQuote) {
  EXPECT_EQ(
      mask_no_phones(
          R"({"msg":"req","headers":"Authorization: Digest username=\"a\", response=\"f\"\r\nHost: x"})"),
      R"({"msg":"req","headers":"Authorization: ***\r\nHost: x"})");
  EXPECT_EQ(mask_no_phones(R"({"h":"authorization: Basic dXNlcjpwYXNz","n":1})"),
            R"({"h":"authorization: ***","n":1})");
}

TEST(AuthorizationHeaderMasking, HeaderAsJsonKeyIsMasked) {
  EXPECT_EQ(mask_no_phones(R"({"Authorization":"Basic dXNlcjpwYXNz"})"), R"({"Authorization":"***"})");
}

TEST(AuthorizationHeaderMasking, HeaderAsAssignmentMasksSchemeAndCredential) {
  EXPECT_EQ(mask_no_phones("authorization=Basic dXNlcjpwYXNz next=1"), "authorization=*** next=1");
  EXPECT_EQ(mask_no_phones("token=Basically fine"), "token=*** fine");
}

TEST(AuthorizationHeaderMasking, WordAuthorizationInProseIsKept) {
  EXPECT_EQ(mask_no_phones("authorization failed for trunk exolve"), "authorization failed for trunk exolve");
}

TEST(BearerMasking, BearerTokenIsMasked) {
  EXPECT_EQ(mask_no_phones("calling with Bearer abc.DEF-123_~+/= now"), "calling with Bearer *** now");
  EXPECT_EQ(mask_no_phones(R"({"auth":"bearer sk-live-0123"})"), R"({"auth":"bearer ***"})");
  EXPECT_EQ(mask_no_phones(R"(line\nBearer Zm9vYmFy)"), R"(line\nBearer ***)");
}

TEST(BearerMasking, ProseAboutBearerTokensIsKept) {
  EXPECT_EQ(mask_no_phones("missing bearer token in request"), "missing bearer token in request");
  EXPECT_EQ(mask_no_phones("bearer"), "bearer");
}

TEST(JwtMasking, JwtShapedStringIsMasked) {
  const std::string jwt =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZ2VudCIsInZpZGVvIjp7fX0."
      "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_"
      "adQssw5c";
  EXPECT_EQ(mask_no_phones("joining room with " + jwt + "."), "joining room with ***.");
  EXPECT_EQ(mask_no_phones("wss://lk.example/rtc?access_key=" + jwt + "&auto=1"),
            "wss://lk.example/rtc?access_key=***&auto=1");
  // Unsigned (empty signature) and five-segment JWE forms.
  EXPECT_EQ(mask_no_phones("t=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0. ok"), "t=*** ok");
  EXPECT_EQ(mask_no_phones("eyJhbGciOiJSU0EifQ.a1.b2.c3.d4 end"), "*** end");
}

TEST(JwtMasking, SimilarTextIsKept) {
  EXPECT_EQ(mask_no_phones("file eyJunk.txt"), "file eyJunk.txt");
  EXPECT_EQ(mask_no_phones("xeyJhbGci.eyJzdWIi.sig"), "xeyJhbGci.eyJzdWIi.sig");
}

TEST(AssignmentMasking, KeyValueFormsWithSensitiveKeysAreMasked) {
  EXPECT_EQ(mask_no_phones("password=hunter2 user=bob"), "password=*** user=bob");
  EXPECT_EQ(mask_no_phones("DB_PASSWORD=hunter2"), "DB_PASSWORD=***");
  EXPECT_EQ(mask_no_phones("passwd = hunter2"), "passwd = ***");
  EXPECT_EQ(mask_no_phones("client_secret: abc123 next"), "client_secret: *** next");
  EXPECT_EQ(mask_no_phones("livekit.api_secret=xyz"), "livekit.api_secret=***");
  EXPECT_EQ(mask_no_phones("X-Auth-Token: abc123"), "X-Auth-Token: ***");
  EXPECT_EQ(mask_no_phones("GET /cb?access_token=abc123&state=7 HTTP/1.1"),
            "GET /cb?access_token=***&state=7 HTTP/1.1");
  EXPECT_EQ(mask_no_phones("secret='two words' rest"), "secret='***' rest");
  EXPECT_EQ(mask_no_phones(R"(note="x" password="hunter 2" y=1)"), R"(note="x" password="***" y=1)");
}

TEST(AssignmentMasking, JsonMembersWithSensitiveKeysAreMaskedAndStayValidJson) {
  const std::string masked =
      mask_no_phones(R"({"msg":"m","api_secret":"abc\"def","pin_password":1234,"n":2})");
  EXPECT_EQ(masked, R"({"msg":"m","api_secret":"***","pin_password":"***","n":2})");
  EXPECT_TRUE(nlohmann::json::accept(masked));
}

TEST(AssignmentMasking, JsonNestedInJsonStringIsMasked) {
  const std::string masked = mask_no_phones(R"({"msg":"body {\"password\":\"hunter2\",\"user\":\"bob\"}"})");
  EXPECT_EQ(masked, R"({"msg":"body {\"password\":\"***\",\"user\":\"bob\"}"})");
  EXPECT_TRUE(nlohmann::json::accept(masked));
}

// Regressions found by feeding random lines through the logger: masking must never break a JSON line.
TEST(AssignmentMasking, UnbalancedQuotingInsideAJsonStringStaysInsideThatString) {
  const std::string cases[][2] = {
      {R"({"note password: ":"v"})", R"({"note password: ":"v"})"},
      {R"({"msg":"password:\"abc","n":1})", R"({"msg":"password:\"***","n":1})"},
      {R"({"msg":"secret='abc","n":1})", R"({"msg":"secret='***","n":1})"},
  };
  for (const auto& [input, expected] : cases) {
    const std::string masked = mask_no_phones(input);
    EXPECT_EQ(masked, expected);
    EXPECT_TRUE(nlohmann::json::accept(masked)) << masked;
  }
}

TEST(AssignmentMasking, EmptyValuesBooleansAndTokenCountsAreKept) {
  EXPECT_EQ(mask_no_phones(R"(password="" next)"), R"(password="" next)");
  EXPECT_EQ(mask_no_phones(R"({"has_password":true,"token":null})"), R"({"has_password":true,"token":null})");
  EXPECT_EQ(mask_no_phones("max_tokens=1024 completion_tokens: 87"), "max_tokens=1024 completion_tokens: 87");
}

TEST(AssignmentMasking, SensitiveWordsInProseAreKept) {
  const std::string prose = "invalid password for user bob; token refreshed; secret rotation done.";
  EXPECT_EQ(mask_no_phones(prose), prose);
}

// A rejected webhook logs why; the words after "API" are prose, not credentials, and must stay readable
// while the configured LiveKit secret itself is registered and masked.
TEST(ApiWordsInProse, RejectedWebhookReasonStaysReadable) {
  va::log::add_secret("Sx9-livekit-api-secret-0123456789abcdef");
  for (const std::string prose :
       {"token signature does not match the API secret",
        "token signature does not match the API secret of key \"API48Ajeeuv4tYL\"", "the API key is wrong",
        "API server unreachable", "API secret rotated", "set livekit.api_key and livekit.api_secret",
        "livekit.api_secret is too short"}) {
    EXPECT_EQ(mask_no_phones(prose), prose);
  }
  const std::string json_line =
      R"({"level":"warn","msg":"livekit webhook rejected","reason":"bad_signature","status":401,)"
      R"("detail":"webhook signature rejected: token signature does not match the API secret"})";
  EXPECT_EQ(mask_no_phones(json_line), json_line);
}

TEST(ApiWordsInProse, RealSecretsNextToTheWordApiAreStillMasked) {
  va::log::add_secret("Sx9-livekit-api-secret-0123456789abcdef");
  EXPECT_EQ(mask_no_phones("the API secret Sx9-livekit-api-secret-0123456789abcdef is wrong"),
            "the API secret *** is wrong");
  EXPECT_EQ(mask_no_phones("api_secret=abc123xyz api_key=API48Ajeeuv4tYL"),
            "api_secret=*** api_key=API48Ajeeuv4tYL");
  EXPECT_EQ(mask_no_phones("API secret: hunter2-long"), "API secret: ***");
  EXPECT_EQ(mask_no_phones(R"({"api_secret":"abc123xyz"})"), R"({"api_secret":"***"})");
  EXPECT_EQ(mask_no_phones("API token=abc123xyz"), "API token=***");
  EXPECT_EQ(mask_no_phones("API call with Bearer sk-live-0123 failed"), "API call with Bearer *** failed");
}

// A LiveKit API key is a public identifier (the `iss` of every token LiveKit sends us): it stays readable
// so that "which key?" can be answered from the log. Its secret is what is masked.
TEST(ApiWordsInProse, LiveKitApiKeysStayReadable) {
  EXPECT_EQ(mask_no_phones("token issuer \"API48Ajeeuv4tYL\" is not a known API key"),
            "token issuer \"API48Ajeeuv4tYL\" is not a known API key");
  EXPECT_EQ(mask_no_phones("livekit.api_key: API123 too short"), "livekit.api_key: API123 too short");
}

TEST(MaskingKeepsOrdinaryText, PortsDurationsAddressesAndTimestampsAreUntouched) {
  const std::string line =
      R"({"ts":"2026-11-26T13:51:34.123Z","level":"info","msg":"listening on 0.0.0.0:5060","timeout":"1500ms",)"
      R"("rtp":"10.20.30.40:40000","elapsed_s":0.123456789,"at":"2026-11-26T13:51:34.123456789Z","id":"a84b4c76e66710"})";
  EXPECT_EQ(mask_phones(line), line);
  EXPECT_EQ(mask_phones("received 20261126T135134Z frame_12345678 v1.2.3"),
            "received 20261126T135134Z frame_12345678 v1.2.3");
}

TEST(PhoneMasking, E164NumbersKeepPlusFirstTwoAndLastTwoDigits) {
  EXPECT_EQ(mask_phones("+79991234567"), "+79*******67");
  EXPECT_EQ(mask_phones("call from 79991234567 to +14155550100."), "call from 79*******67 to +14*******00.");
  EXPECT_EQ(mask_phones("sip:+79991234567@sip.exolve.ru;user=phone"),
            "sip:+79*******67@sip.exolve.ru;user=phone");
  EXPECT_EQ(mask_phones("tel:1234567"), "tel:12***67");
  EXPECT_EQ(mask_phones("123456789012345"), "12***********45");
}

TEST(PhoneMasking, OnlyRunsOfSevenToFifteenStandaloneDigitsAreMasked) {
  EXPECT_EQ(mask_phones("code 123456"), "code 123456");
  EXPECT_EQ(mask_phones("id 1234567890123456"), "id 1234567890123456");
  EXPECT_EQ(mask_phones("call79991234567 79991234567abc id_79991234567"),
            "call79991234567 79991234567abc id_79991234567");
}

TEST(PhoneMasking, NumberAfterEscapedNewlineIsMasked) {
  EXPECT_EQ(mask_phones(R"({"msg":"From:\n+79991234567"})"), R"({"msg":"From:\n+79*******67"})");
  EXPECT_EQ(mask_phones(R"({"msg":"caller\n79991234567\tcallee"})"),
            R"({"msg":"caller\n79*******67\tcallee"})");
}

TEST(PhoneMasking, BareJsonNumbersAreMeasurementsAndStayIntact) {
  const std::string masked =
      mask_phones(R"({"bytes":1048576,"delta":-1234567,"epoch":1764166286,"n":"+79991234567"})");
  EXPECT_EQ(masked, R"({"bytes":1048576,"delta":-1234567,"epoch":1764166286,"n":"+79*******67"})");
  EXPECT_TRUE(nlohmann::json::accept(masked));
}

TEST(PhoneMasking, NumberInsideAStringIsNotMistakenForABareJsonNumber) {
  EXPECT_EQ(mask_phones(R"({"msg":":79991234567"})"), R"({"msg":":79*******67"})");
}

TEST(PhoneMasking, DisabledLeavesNumbersAlone) {
  EXPECT_EQ(mask_no_phones("+79991234567"), "+79991234567");
}

TEST(PhoneMasking, MaskingIsIdempotent) {
  const std::string once = mask_phones("password=hunter2 from +79991234567 Bearer abc123");
  EXPECT_EQ(once, "password=*** from +79*******67 Bearer ***");
  EXPECT_EQ(mask_phones(once), once);
}

TEST(PhoneMasking, SingleArgumentMaskFollowsLoggerOptions) {
  va::log::init(
      {.level = va::log::Level::info, .format = va::log::Format::json, .mask_phone_numbers = false});
  EXPECT_EQ(mask("+79991234567"), "+79991234567");
  va::log::init({.level = va::log::Level::info, .format = va::log::Format::json, .mask_phone_numbers = true});
  EXPECT_EQ(mask("+79991234567"), "+79*******67");
  va::log::init({});
}

}  // namespace
