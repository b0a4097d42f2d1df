// Table-driven configuration tests: each case is a YAML text (plus optional --set overrides and environment)
// and the exact set of problems the loader must report, by YAML path, line and message fragment.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "common/config.hpp"
#include "common/embedded_config.hpp"

namespace va::config {
namespace {

// A complete production-like configuration that must be valid.
constexpr const char* kValid = R"(livekit:
  url: wss://voice.example.livekit.cloud
  api_key: API48Ajeeuv4tYL
  api_secret: 0123456789abcdef0123456789abcdef
sip:
  listen: [udp://0.0.0.0:5060]
  trunks:
    - name: exolve
      mode: register
      registrar: sip.exolve.ru
      username: "883140000000001"
      password: pa55word-long
      numbers: ["+79991234567"]
routing:
  inbound:
    - match: "+79991234567"
      flow: main
  outbound:
    caller_id: "+79991234567"
    trunk: exolve
)";

struct Expected {
  std::string path;
  int line = 0;  // 0: don't care
  std::string fragment;
};

struct Case {
  std::string name;
  std::string yaml;
  std::vector<std::string> overrides;
  std::map<std::string, std::string> env;
  std::vector<Expected> errors;  // empty: must load cleanly
};

// gtest prints parameters in test names and failures; the case name is what a reader needs.
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

LoadResult load(const Case& c) {
  LoadOptions options;
  options.overrides = c.overrides;
  auto env = c.env;
  options.env = [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  return load_string(c.yaml, options);
}

std::string dump(const std::vector<Diagnostic>& list) {
  std::string s;
  for (const auto& d : list) s += "  " + d.to_string() + "\n";
  return s;
}

std::vector<Case> cases() {
  const std::string v = kValid;
  return {
      {"valid production config", v, {}, {}, {}},
      {"seed example key API48Ajeeuv4tYL passes", v, {"livekit.api_key=API48Ajeeuv4tYL"}, {}, {}},
      {"key of exactly 12 chars passes", v, {"livekit.api_key=APIabcdefghi"}, {}, {}},
      {"key API123 is too short",
       v,
       {"livekit.api_key=API123"},
       {},
       {{"livekit.api_key", 0, "too short: 6 characters, at least 12"}}},
      {"key of 11 chars is too short",
       v,
       {"livekit.api_key=APIabcdefgh"},
       {},
       {{"livekit.api_key", 0, "at least 12"}}},
      {"key without API prefix",
       v,
       {"livekit.api_key=KEY48Ajeeuv4tYL"},
       {},
       {{"livekit.api_key", 0, "start with 'API'"}}},
      {"key with punctuation",
       v,
       {"livekit.api_key=API48Ajee-v4tYL"},
       {},
       {{"livekit.api_key", 0, "only letters and digits"}}},
      {"secret of 31 chars without dev",
       v,
       {"livekit.api_secret=0123456789abcdef0123456789abcde"},
       {},
       {{"livekit.api_secret", 0, "at least 32"}}},
      {"dev keys accepted with dev: true",
       v,
       {"livekit.api_key=devkey", "livekit.api_secret=secret", "livekit.dev=true"},
       {},
       {}},
      {"dev key rejected without dev",
       v,
       {"livekit.api_key=devkey", "livekit.api_secret=secret"},
       {},
       {{"livekit.api_key", 0, "needs livekit.dev: true"}, {"livekit.api_secret", 0, "at least 32"}}},
      {"url scheme ftp rejected",
       v,
       {"livekit.url=ftp://x.example"},
       {},
       {{"livekit.url", 0, "not a LiveKit URL"}}},
      {"url with port and path ok", v, {"livekit.url=https://lk.example.com:7880/base"}, {}, {}},
      {"livekit from environment",
       "sip: {trunks: []}\n",
       {},
       {{"LIVEKIT_URL", "ws://127.0.0.1:7880"},
        {"LIVEKIT_API_KEY", "API48Ajeeuv4tYL"},
        {"LIVEKIT_API_SECRET", "0123456789abcdef0123456789abcdef"}},
       {}},
      // Direct SIP mode only: no livekit section, an empty one, or one with only provisioning is valid.
      {"livekit section absent: direct SIP mode", "sip: {trunks: []}\n", {}, {}, {}},
      {"livekit section empty", "livekit:\nsip: {trunks: []}\n", {}, {}, {}},
      {"livekit section with empty values",
       "livekit: {url: \"\", api_key: \"\", api_secret: \"\"}\n",
       {},
       {},
       {}},
      {"livekit url without key and secret names both",
       "livekit:\n  url: wss://lk.example.com\n",
       {},
       {},
       {{"livekit.api_key", 0,
         "is required when livekit.url is set (or set the environment variable LIVEKIT_API_KEY)"},
        {"livekit.api_secret", 0, "is required when livekit.url is set"}}},
      {"livekit key and secret without url",
       "livekit:\n  api_key: API48Ajeeuv4tYL\n  api_secret: 0123456789abcdef0123456789abcdef\n",
       {},
       {},
       {{"livekit.url", 2,
         "is required when livekit.api_key and livekit.api_secret are set (or set the "
         "environment variable LIVEKIT_URL)"}}},
      {"livekit url from environment without key",
       "sip: {trunks: []}\n",
       {},
       {{"LIVEKIT_URL", "ws://127.0.0.1:7880"}},
       {{"livekit.api_key", 0, "LIVEKIT_API_KEY"}, {"livekit.api_secret", 0, "LIVEKIT_API_SECRET"}}},
      {"livekit secret only from environment",
       "sip: {trunks: []}\n",
       {},
       {{"LIVEKIT_API_SECRET", "0123456789abcdef0123456789abcdef"}},
       {{"livekit.url", 0, "is required when livekit.api_secret is set"},
        {"livekit.api_key", 0, "LIVEKIT_API_KEY"}}},
      // security.srtp: a YAML 1.1 tool writes the value off back as `false` (PyYAML, Ansible).
      {"srtp false is off", v + "security: {srtp: false}\n", {}, {}, {}},
      {"srtp no is off", v + "security: {srtp: no}\n", {}, {}, {}},
      {"srtp quoted OFF is off", v + "security: {srtp: \"OFF\"}\n", {}, {}, {}},
      {"srtp false from the command line is off", v, {"security.srtp=false"}, {}, {}},
      {"srtp true is ambiguous and says how to quote",
       v + "security:\n  srtp: true\n",
       {},
       {},
       {{"security.srtp", 22,
         "'true' is not one of off, optional, required; unquoted yes/no/on/off/true/false are booleans in "
         "YAML 1.1 (a tool may have rewritten the value): write the value in quotes, e.g. srtp: "
         "\"optional\""}}},
      {"srtp typo still gets a suggestion",
       v + "security: {srtp: requird}\n",
       {},
       {},
       {{"security.srtp", 0, "did you mean 'required'?"}}},
      {"enum without an off value: a boolean word gets the quoting hint",
       v + "logging: {format: yes}\n",
       {},
       {},
       {{"logging.format", 0,
         "'yes' is not one of auto, json, console; unquoted yes/no/on/off/true/false are "
         "booleans in YAML 1.1 (a tool may have rewritten the value): write the value in "
         "quotes, e.g. format: \"auto\""}}},
      {"string choice media_encryption false gets the quoting hint",
       std::string(v).replace(v.find("sip:"), 0,
                              "  provisioning: {inbound_trunk: {media_encryption: false}}\n"),
       {},
       {},
       {{"livekit.provisioning.inbound_trunk.media_encryption", 5,
         "'false' is not one of disable, allow, require; unquoted yes/no/on/off/true/false are booleans in "
         "YAML 1.1 (a tool may have rewritten the value): write the value in quotes, e.g. \"disable\""}}},
      {"bad key from environment names the variable",
       "sip: {trunks: []}\n",
       {},
       {{"LIVEKIT_URL", "ws://127.0.0.1:7880"},
        {"LIVEKIT_API_KEY", "API1"},
        {"LIVEKIT_API_SECRET", "0123456789abcdef0123456789abcdef"}},
       {{"livekit.api_key", 0, "too short"}}},
      {"env substitution with default", v + "http:\n  listen: ${HTTP_LISTEN:-127.0.0.1:9090}\n", {}, {}, {}},
      {"env substitution unset variable",
       v + "http:\n  listen: ${HTTP_LISTEN}\n",
       {},
       {},
       {{"http.listen", 22, "HTTP_LISTEN is not set"}}},
      {"trunk port 70000",
       v,
       {"sip.trunks[0].port=70000"},
       {},
       {{"sip.trunks[0].port", 0, "70000 is not a valid port"}}},
      {"typo in trunk key gets a suggestion",
       std::string(kValid).replace(std::string(kValid).find("      numbers"), 0, "      pasword: x\n"),
       {},
       {},
       {{"sip.trunks[0].pasword", 13, "did you mean 'password'?"}}},
      {"unknown top-level section",
       v + "loging:\n  level: debug\n",
       {},
       {},
       {{"loging", 21, "did you mean 'logging'?"}}},
      {"register trunk without password",
       std::string(kValid).replace(std::string(kValid).find("      password: pa55word-long\n"), 30, ""),
       {},
       {},
       {{"sip.trunks[0].password", 8, "is required"}}},
      {"static trunk needs addresses",
       v + "",
       {"sip.trunks[1].name=static", "sip.trunks[1].mode=static_ip"},
       {},
       {{"sip.trunks[1].allowed_addresses", 0, "at least one"}}},
      {"static trunk with bad CIDR",
       v,
       {"sip.trunks[1].name=static", "sip.trunks[1].mode=static_ip",
        "sip.trunks[1].allowed_addresses=[10.0.0.0/33]"},
       {},
       {{"sip.trunks[1].allowed_addresses", 0, "invalid prefix length"}}},
      {"static trunk with registrar",
       v,
       {"sip.trunks[1].name=static", "sip.trunks[1].mode=static_ip",
        "sip.trunks[1].allowed_addresses=[192.0.2.10, 2001:db8::/32]", "sip.trunks[1].registrar=x.example"},
       {},
       {{"sip.trunks[1].registrar", 0, "only to mode: register"}}},
      {"unknown trunk mode",
       v,
       {"sip.trunks[0].mode=regsiter"},
       {},
       {{"sip.trunks[0].mode", 0, "did you mean 'register'?"}}},
      {"duplicate trunk names",
       v,
       {"sip.trunks[1].name=exolve", "sip.trunks[1].mode=static_ip",
        "sip.trunks[1].allowed_addresses=[192.0.2.10]"},
       {},
       {{"sip.trunks", 0, "used twice"}}},
      {"bad phone number",
       v,
       {"sip.trunks[0].numbers[1]=8-999-123"},
       {},
       {{"sip.trunks[0].numbers", 0, "not a phone number"}}},
      {"listen uri with bad scheme",
       v,
       {"sip.listen[0]=sctp://0.0.0.0:5060"},
       {},
       {{"sip.listen", 0, "not a SIP transport"}}},
      {"listen tls without certificate",
       v,
       {"sip.listen[1]=tls://0.0.0.0:5061"},
       {},
       {{"sip", 0, "security.tls.certificate"}}},
      {"listen IPv6", v, {"sip.listen[0]=udp://[::1]:5070"}, {}, {}},
      {"rtp range odd start and inverted",
       v,
       {"sip.rtp_ports.min=20001", "sip.rtp_ports.max=20000"},
       {},
       {{"sip.rtp_ports.min", 0, "start even"}, {"sip.rtp_ports.max", 0, "greater than min"}}},
      {"call limit and media timeout", v, {"sip.max_calls=50", "sip.media_timeout=10s"}, {}, {}},
      {"call limit and media timeout out of range",
       v,
       {"sip.max_calls=0", "sip.media_timeout=500ms"},
       {},
       {{"sip.max_calls", 0, "out of range (1-100000)"},
        {"sip.media_timeout", 0, "out of range (1s to 1h)"}}},
      {"session timer", v, {"sip.session_timer.expires=600s", "sip.session_timer.min_se=120s"}, {}, {}},
      {"session timer below the RFC 4028 floor and inverted",
       v,
       {"sip.session_timer.expires=100s", "sip.session_timer.min_se=60s"},
       {},
       {{"sip.session_timer.min_se", 0, "out of range (1m30s to 24h)"}}},
      {"session timer min_se above expires",
       v,
       {"sip.session_timer.expires=100s", "sip.session_timer.min_se=200s"},
       {},
       {{"sip.session_timer.min_se", 0, "must not exceed expires (1m40s)"}}},
      {"unknown codec with suggestion",
       v + "codecs:\n  preference: [PCMU, PCMAA]\n",
       {},
       {},
       {{"codecs.preference[1]", 22, "did you mean 'PCMA'?"}}},
      {"G729 listed but disabled",
       v + "codecs:\n  preference: [G729, PCMA]\n",
       {},
       {},
       {{"codecs.preference", 0, "codecs.g729 is false"}}},
      {"duplicate codec",
       v + "codecs:\n  preference: [PCMA, PCMA]\n",
       {},
       {},
       {{"codecs.preference", 0, "twice"}}},
      {"ptime bare number",
       v + "codecs:\n  ptime: 20\n",
       {},
       {},
       {{"codecs.ptime", 22, "add a unit: 20s or 20ms"}}},
      {"ptime 25ms", v + "codecs:\n  ptime: 25ms\n", {}, {}, {{"codecs.ptime", 22, "not a packet time"}}},
      {"durations in all units",
       v + "monitoring:\n  trunk_check_interval: 1m\n  backoff_initial: 500ms\n"
           "  backoff_max: 1m30s\n",
       {},
       {},
       {}},
      {"backoff max below initial",
       v + "monitoring:\n  backoff_initial: 10s\n  backoff_max: 2s\n",
       {},
       {},
       {{"monitoring.backoff_max", 23, "not be less than backoff_initial"}}},
      {"reconnect attempts not a number",
       v + "monitoring:\n  reconnect_attempts: five\n",
       {},
       {},
       {{"monitoring.reconnect_attempts", 22, "expected an integer"}}},
      {"webhook path without slash",
       v + "webhooks:\n  path: hook\n",
       {},
       {},
       {{"webhooks.path", 22, "start with '/'"}}},
      {"http listen without port",
       v + "http:\n  listen: localhost\n",
       {},
       {},
       {{"http.listen", 22, "host:port"}}},
      {"body limit units", v + "http:\n  body_limit: 512KiB\n", {}, {}, {}},
      {"body limit too big",
       v + "http:\n  body_limit: 1GiB\n",
       {},
       {},
       {{"http.body_limit", 22, "out of range"}}},
      {"cors origin with path",
       v + "security:\n  cors:\n    allowed_origins: [https://a.example/x]\n",
       {},
       {},
       {{"security.cors.allowed_origins", 23, "not an origin"}}},
      {"srtp mode",
       v + "security:\n  srtp: mandatory\n",
       {},
       {},
       {{"security.srtp", 22, "not one of off, optional, required"}}},
      {"tls key without certificate",
       v + "security:\n  tls:\n    private_key: /x.key\n",
       {},
       {},
       {{"security.tls.certificate", 0, "set together"}, {"security.tls.private_key", 0, "not found"}}},
      {"storage url scheme",
       v + "storage:\n  url: mysql://x\n",
       {},
       {},
       {{"storage.url", 22, "not a storage URL"}}},
      {"route regex invalid",
       v,
       {"routing.inbound[0].match=~([0-9"},
       {},
       {{"routing.inbound[0].match", 0, "not a valid regular expression"}}},
      {"route without flow",
       v + "",
       {"routing.inbound[1].match=+7999*"},
       {},
       {{"routing.inbound[1].flow", 0, "is required"}}},
      {"outbound trunk unknown", v, {"routing.outbound.trunk=nope"}, {}, {{"routing", 0, "not a trunk"}}},
      {"engine typo",
       v + "agent:\n  engines:\n    tts: rhvoise\n",
       {},
       {},
       {{"agent.engines.tts", 23, "did you mean 'rhvoice'?"}}},
      {"language engines: a typo, a language twice, no language",
       v + "agent:\n  engines:\n    languages:\n      - {language: en, tts: flit}\n      - {language: en}\n"
           "      - {stt: whisper}\n",
       {},
       {},
       {{"agent.engines.languages[0].tts", 24, "did you mean 'flite'?"},
        {"agent.engines.languages[2].language", 0, "is required"},
        {"agent.engines.languages", 0, "language 'en' is listed twice"}}},
      {"language", v + "agent:\n  language: de\n", {}, {}, {{"agent.language", 22, "not one of ru, en"}}},
      {"flow file missing",
       v + "agent:\n  flow_file: /nonexistent/flow.yaml\n",
       {},
       {},
       {{"agent.flow_file", 22, "not found"}}},
      {"boolean spelled wrong",
       v + "webhooks:\n  verify: maybe\n",
       {},
       {},
       {{"webhooks.verify", 22, "true or false"}}},
      {"section is a list", v + "http: [1, 2]\n", {}, {}, {{"http", 21, "expected a mapping, got a list"}}},
      {"duplicate key",
       v + "http:\n  listen: 127.0.0.1:1\n  listen: 127.0.0.1:2\n",
       {},
       {},
       {{"http.listen", 23, "duplicate key (first defined on line 22)"}}},
      {"not YAML", "livekit: [unclosed\n", {}, {}, {{"", 0, "not valid YAML"}}},
      {"top level is a list", "- a\n- b\n", {}, {}, {{"", 0, "must be a mapping"}}},
      {"override with bad syntax", v, {"http.listen"}, {}, {{"", 0, "expected key.path=value"}}},
      {"override marks its errors",
       v,
       {"http.listen=nonsense"},
       {},
       {{"http.listen", 0, "set on the command line"}}},
      {"override of a list item",
       v,
       {"sip.listen[0]=udp://127.0.0.1:5070", "http.listen=127.0.0.1:18080"},
       {},
       {}},
  };
}

class ConfigCase : public ::testing::TestWithParam<Case> {};

TEST_P(ConfigCase, ReportsExactlyTheExpectedErrors) {
  const Case& c = GetParam();
  auto result = load(c);
  ASSERT_EQ(result.errors.size(), c.errors.size()) << "errors were:\n" << dump(result.errors);
  for (std::size_t i = 0; i < c.errors.size(); ++i) {
    const auto& want = c.errors[i];
    bool found = false;
    for (const auto& got : result.errors) {
      if (got.path != want.path) continue;
      if (want.line != 0 && got.line != want.line) continue;
      if (got.to_string().find(want.fragment) == std::string::npos) continue;
      found = true;
    }
    EXPECT_TRUE(found) << "missing error at " << want.path << " (line " << want.line << ") containing '"
                       << want.fragment << "'; errors were:\n"
                       << dump(result.errors);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, ConfigCase, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& param_info) {
                           std::string name = param_info.param.name;
                           for (auto& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

TEST(Config, CollectsAllErrorsOfAFileWithFiveMistakes) {
  std::ifstream in(std::string(VA_SOURCE_DIR) + "/tests/data/config/five-mistakes.yaml");
  std::string yaml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(yaml.empty());
  auto result = load_string(yaml, {.overrides = {}, .env = [](const std::string&) { return std::nullopt; }});
  std::vector<std::string> texts;
  for (const auto& e : result.errors) texts.push_back(e.to_string());
  EXPECT_THAT(
      texts, ::testing::UnorderedElementsAre(
                 "livekit.api_key: LiveKit API key is too short: 6 characters, at least 12 expected (line 3)",
                 "sip.trunks[0].port: 70000 is not a valid port (1-65535) (line 12)",
                 "codecs.preference[1]: 'OPUS' is not one of PCMU, PCMA, G722, G729 (line 14)",
                 "monitoring.trunk_check_interval: expected a duration such as 60s, 1m or 500ms, got '60' "
                 "(add a unit: 60s or 60ms) (line 16)",
                 "http.listn: unknown key; did you mean 'listen'? (line 18)"));
}

TEST(Config, DefaultsAreFilledIn) {
  auto result = load_string(kValid);
  ASSERT_TRUE(result.ok()) << dump(result.errors);
  const auto& c = result.config;
  EXPECT_EQ(c.monitoring.trunk_check_interval, std::chrono::seconds(60));
  EXPECT_EQ(c.monitoring.reconnect_attempts, 5);
  EXPECT_EQ(c.codecs.preference, (std::vector<Codec>{Codec::pcmu, Codec::pcma, Codec::g722}));
  EXPECT_FALSE(c.codecs.g729);
  EXPECT_EQ(c.codecs.ptime, std::chrono::milliseconds(20));
  EXPECT_EQ(c.sip.trunks.at(0).port, 5060);
  EXPECT_EQ(c.sip.trunks.at(0).register_expires, std::chrono::seconds(300));
  EXPECT_EQ(c.routing.inbound.at(0).room_prefix, "call-");
  EXPECT_TRUE(c.webhooks.verify);
  EXPECT_EQ(c.webhooks.path, "/livekit/webhook");
  EXPECT_EQ(c.http.body_limit.bytes, 1024u * 1024u);
  EXPECT_EQ(c.storage.url, "sqlite://voice-agent.db");
  EXPECT_EQ(c.security.srtp, SrtpMode::off);
  EXPECT_TRUE(c.logging.mask_phone_numbers);
}

TEST(Config, TlsTrunkDefaultsToPort5061) {
  auto result = load_string(kValid, {.overrides = {"sip.trunks[0].transport=tls"}});
  ASSERT_TRUE(result.ok()) << dump(result.errors);
  EXPECT_EQ(result.config.sip.trunks.at(0).port, 5061);
}

TEST(Config, CollectsSecretsForMasking) {
  auto result = load_string(kValid, {.overrides = {"storage.url=postgresql://va:pgpass-123@db/va",
                                                   "sip.trunks[0].inbound_auth.username=u",
                                                   "sip.trunks[0].inbound_auth.password=inbound-pw"}});
  ASSERT_TRUE(result.ok()) << dump(result.errors);
  EXPECT_THAT(
      result.secrets,
      ::testing::IsSupersetOf({std::string("0123456789abcdef0123456789abcdef"), std::string("pa55word-long"),
                               std::string("pgpass-123"), std::string("inbound-pw")}));
}

TEST(Config, EffectiveYamlMasksSecretsAndReloadsToTheSameConfig) {
  auto result = load_string(kValid, {.overrides = {"storage.url=postgresql://va:pgpass-123@db/va"}});
  ASSERT_TRUE(result.ok()) << dump(result.errors);
  auto masked = to_yaml(result.config);
  EXPECT_EQ(masked.find("0123456789abcdef0123456789abcdef"), std::string::npos);
  EXPECT_EQ(masked.find("pa55word-long"), std::string::npos);
  EXPECT_EQ(masked.find("pgpass-123"), std::string::npos);
  EXPECT_NE(masked.find("postgresql://va:***@db/va"), std::string::npos);

  // With secrets revealed the output is a complete configuration that loads to the same values.
  auto revealed = to_yaml(result.config, true);
  auto again = load_string(revealed);
  ASSERT_TRUE(again.ok()) << dump(again.errors) << revealed;
  EXPECT_EQ(to_yaml(again.config, true), revealed);
}

TEST(Config, EmbeddedExampleIsValidAndMatchesTheShippedFile) {
  auto result = load_string(std::string(embedded_example()));
  EXPECT_TRUE(result.ok()) << dump(result.errors);
  std::ifstream in(std::string(VA_SOURCE_DIR) + "/config/livekit-sip.example.yaml");
  std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(file, embedded_example());
}

LoadResult load_without_environment(const std::string& yaml, std::vector<std::string> overrides = {}) {
  return load_string(yaml,
                     {.overrides = std::move(overrides),
                      .env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; }});
}

TEST(Config, WithoutLiveKitSectionLiveKitIsNotConfigured) {
  auto result = load_without_environment("sip:\n  listen: [udp://127.0.0.1:5060]\n");
  ASSERT_TRUE(result.ok()) << dump(result.errors);
  EXPECT_FALSE(result.config.livekit.configured());
  EXPECT_TRUE(load_string(kValid).config.livekit.configured());
  // The effective configuration of a LiveKit-less deployment loads again as LiveKit-less.
  auto again = load_without_environment(to_yaml(result.config, true));
  ASSERT_TRUE(again.ok()) << dump(again.errors);
  EXPECT_FALSE(again.config.livekit.configured());
}

TEST(Config, EnvironmentStillFillsALiveKitSectionThatLeavesTheValuesOut) {
  const std::map<std::string, std::string> env{{"LIVEKIT_URL", "ws://127.0.0.1:7880"},
                                               {"LIVEKIT_API_KEY", "API48Ajeeuv4tYL"},
                                               {"LIVEKIT_API_SECRET", "0123456789abcdef0123456789abcdef"}};
  auto result = load_string("livekit:\n  dev: false\n",
                            {.env = [env](const std::string& name) -> std::optional<std::string> {
                              auto it = env.find(name);
                              return it == env.end() ? std::nullopt : std::optional(it->second);
                            }});
  ASSERT_TRUE(result.ok()) << dump(result.errors);
  EXPECT_TRUE(result.config.livekit.configured());
  EXPECT_EQ(result.config.livekit.url, "ws://127.0.0.1:7880");
  EXPECT_EQ(result.config.livekit.api_key, "API48Ajeeuv4tYL");
}

TEST(Config, YamlBooleanFalseMeansSrtpOff) {
  for (const std::string spelling : {"false", "no", "off", "False", "\"OFF\""}) {
    auto result = load_without_environment(std::string(kValid) + "security:\n  srtp: " + spelling + "\n",
                                           {"security.srtp=required"});
    ASSERT_TRUE(result.ok()) << dump(result.errors);
    EXPECT_EQ(result.config.security.srtp, SrtpMode::required) << "--set wins over the file";
    result = load_without_environment(std::string(kValid) + "security:\n  srtp: " + spelling + "\n");
    ASSERT_TRUE(result.ok()) << spelling << ":\n" << dump(result.errors);
    EXPECT_EQ(result.config.security.srtp, SrtpMode::off) << spelling;
  }
  // What a YAML 1.1 tool makes of the effective configuration loads back to the same mode.
  auto written = to_yaml(load_string(kValid).config);
  EXPECT_NE(written.find("srtp: off"), std::string::npos);
  auto rewritten = written.replace(written.find("srtp: off"), 9, "srtp: false");
  auto reloaded = load_without_environment(rewritten);
  EXPECT_EQ(reloaded.config.security.srtp, SrtpMode::off) << dump(reloaded.errors);
}

// LiveKit's public development secret ("secret", with livekit.dev: true) is not registered with the log
// masker: it would turn every "secret" in every log line into "***" ("does not match the API ***").
TEST(Config, LiveKitDevelopmentSecretIsNotCollectedForMasking) {
  auto dev = load_without_environment(
      kValid, {"livekit.api_key=devkey", "livekit.api_secret=secret", "livekit.dev=true"});
  ASSERT_TRUE(dev.ok()) << dump(dev.errors);
  EXPECT_THAT(dev.secrets, ::testing::Not(::testing::Contains(std::string("secret"))));
  // A real secret is, even in dev mode; and a trunk password that happens to be "secret" still is.
  auto weak_dev = load_without_environment(
      kValid, {"livekit.api_secret=short-dev-secret", "livekit.dev=true", "sip.trunks[0].password=secret"});
  ASSERT_TRUE(weak_dev.ok()) << dump(weak_dev.errors);
  EXPECT_THAT(weak_dev.secrets, ::testing::Contains(std::string("short-dev-secret")));
  EXPECT_THAT(weak_dev.secrets, ::testing::Contains(std::string("secret")));
  EXPECT_THAT(load_string(kValid).secrets,
              ::testing::Contains(std::string("0123456789abcdef0123456789abcdef")));
}

}  // namespace
}  // namespace va::config
