// Runs the real binary with known secrets everywhere they can enter (file, environment, --set, HTTP headers,
// query strings) through every command, and asserts that none of them appears anywhere in its output.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>

#include "integration/binary.hpp"
#include "support/agent_instance.hpp"
#include "support/http_client.hpp"

namespace va::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kApiSecret = "Sx9-livekit-api-secret-0123456789abcdef";
const std::string kEnvSecret = "Ev7-secret-from-environment-0123456789abcdef";
const std::string kTrunkPassword = "Exolve-Trunk-Pa55word";
const std::string kInboundPassword = "Inbound-Digest-Pa55";
const std::string kPgPassword = "pg-Pa55-w0rd";
const std::string kOverridePassword = "Override-Pa55word-9";
const std::string kBearer = "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJBUEkxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl";
const std::string kBasic = "dXNlcjpwYXNzd29yZA==";
const std::string kQueryToken = "qtok-5ecret-in-query";
const std::string kPhone = "+79991234567";

std::string config_text() {
  return "livekit:\n"
         "  url: ws://127.0.0.1:7880\n"
         "  api_key: API48Ajeeuv4tYL\n"
         "  api_secret: " +
         kApiSecret +
         "\n"
         "sip:\n"
         "  listen: [udp://127.0.0.1:5060]\n"
         "  trunks:\n"
         "    - name: exolve\n"
         "      mode: register\n"
         "      registrar: sip.exolve.ru\n"
         "      username: \"883140000000001\"\n"
         "      password: " +
         kTrunkPassword +
         "\n"
         "      numbers: [\"" +
         kPhone +
         "\"]\n"
         "      inbound_auth: {username: carrier, password: " +
         kInboundPassword +
         "}\n"
         "    - name: second\n"
         "      mode: register\n"
         "      registrar: sip.exolve.ru\n"
         "      username: \"883140000000002\"\n"
         "      password: ${SECOND_TRUNK_PASSWORD}\n"
         "routing:\n"
         "  inbound:\n"
         "    - {match: \"" +
         kPhone +
         "\", flow: main}\n"
         "storage:\n"
         "  url: postgresql://va:" +
         kPgPassword +
         "@127.0.0.1/va\n"
         "logging:\n"
         "  level: trace\n"
         "  format: json\n";
}

void expect_clean(const std::string& what, const std::string& output) {
  for (const auto& secret : {kApiSecret, kEnvSecret, kTrunkPassword, kInboundPassword, kPgPassword,
                             kOverridePassword, kBearer, kBasic, kQueryToken}) {
    EXPECT_THAT(output, Not(HasSubstr(secret))) << what << " leaked a secret";
  }
}

class SecretMasking : public ::testing::Test {
 protected:
  TempDir dir;
  std::string file = dir.write("livekit-sip.yaml", config_text());
  std::vector<std::pair<std::string, std::string>> env = {{"SECOND_TRUNK_PASSWORD", kEnvSecret}};
};

TEST_F(SecretMasking, ConfigShowValidateAndCheckNeverPrintSecrets) {
  auto show = run({"config", "show", file, "--set", "sip.trunks[1].password=" + kOverridePassword}, env);
  ASSERT_TRUE(show.status.exited_with(0)) << show.err;
  expect_clean("config show", show.out + show.err);
  EXPECT_THAT(show.out, HasSubstr("api_secret: \"***\""));
  EXPECT_THAT(show.out, HasSubstr("postgresql://va:***@127.0.0.1/va"));

  auto validate = run({"config", "validate", file}, env);
  EXPECT_TRUE(validate.status.exited_with(0)) << validate.err;
  expect_clean("config validate", validate.out + validate.err);

  // An invalid value next to secrets: the error must still not echo them.
  auto invalid = run(
      {"config", "validate", "--json", file, "--set", "storage.url=mysql://u:" + kPgPassword + "@h/db"}, env);
  EXPECT_TRUE(invalid.status.exited_with(2));
  expect_clean("config validate (invalid)", invalid.out + invalid.err);

  auto check = run({"check", "--config", file}, env);
  expect_clean("check", check.out + check.err);
}

TEST_F(SecretMasking, ServeLogsNeitherSecretsNorHeadersNorFullPhoneNumbers) {
  AgentInstance agent({.config_file = file, .env = env, .http_timeout = 10s});
  Process& server = agent.process();
  ASSERT_TRUE(agent.listening()) << server.stderr_text();
  auto base = "http://" + agent.http_address();

  HttpClient client;
  EXPECT_EQ(client.get(base + "/healthz", {{"Authorization", "Bearer " + kBearer}}).status, 200);
  EXPECT_EQ(client.get(base + "/nope?token=" + kQueryToken, {{"Authorization", "Basic " + kBasic}}).status,
            404);
  EXPECT_EQ(client.get(base + "/readyz", {{"Proxy-Authorization", "Bearer " + kBearer}}).status, 200);
  auto validate = client.request("POST", base + "/v1/config/validate", {{"Content-Type", "application/yaml"}},
                                 "livekit:\n  api_secret: " + kApiSecret + "\n");
  EXPECT_EQ(validate.status, 200);

  server.send_signal(SIGTERM);
  EXPECT_TRUE(server.wait_for_exit(10s).exited_with(0));
  auto output = server.stdout_text() + server.stderr_text();
  expect_clean("serve", output);
  // The trunk's number is logged at start-up, masked.
  EXPECT_THAT(output, Not(HasSubstr(kPhone)));
  EXPECT_THAT(output, HasSubstr("+79*******67"));
}

TEST_F(SecretMasking, PhoneMaskingCanBeTurnedOff) {
  AgentInstance agent(
      {.config_file = file, .sets = {"logging.mask_phone_numbers=false"}, .env = env, .http_timeout = 10s});
  Process& server = agent.process();
  ASSERT_TRUE(agent.listening());
  server.send_signal(SIGTERM);
  EXPECT_TRUE(server.wait_for_exit(10s).exited_with(0));
  auto output = server.stdout_text() + server.stderr_text();
  EXPECT_THAT(output, HasSubstr(kPhone));
  expect_clean("serve", output);
}

}  // namespace
}  // namespace va::test
