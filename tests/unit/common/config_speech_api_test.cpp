// agent.speech_api: its defaults, the key as a secret from SPEECH_API_KEY, and base_url checked when an
// openai engine is chosen.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/config.hpp"
#include "unit/common/config_diagnostics.hpp"

namespace va::config {
namespace {

using namespace std::chrono_literals;
using test::errors;
using ::testing::HasSubstr;
using ::testing::Not;

LoadResult load(const std::string& text, std::optional<std::string> key = std::nullopt) {
  return test::load_with_env(text, "SPEECH_API_KEY", std::move(key));
}

TEST(ConfigSpeechApi, DefaultsAreOpenAisWithWhisperAndRhvoiceAsFallbacks) {
  auto r = load("agent:\n  engines: {stt: openai, tts: openai}\n");
  ASSERT_TRUE(r.ok()) << errors(r);
  const auto& api = r.config.agent.speech_api;
  EXPECT_EQ(api.base_url, "https://api.openai.com/v1");
  EXPECT_EQ(api.stt_model, "whisper-1");
  EXPECT_EQ(api.tts_model, "tts-1");
  EXPECT_EQ(api.voice, "alloy");
  EXPECT_EQ(api.timeout, Duration(5s));
  EXPECT_EQ(api.fallback_stt, "whisper");
  EXPECT_EQ(api.fallback_tts, "rhvoice");
}

TEST(ConfigSpeechApi, TheKeyComesFromTheEnvironmentAndIsMasked) {
  auto r = load("agent:\n  engines: {tts: openai}\n", "sk-from-env-0123456789");
  ASSERT_TRUE(r.ok()) << errors(r);
  EXPECT_EQ(r.config.agent.speech_api.api_key, "sk-from-env-0123456789");
  EXPECT_THAT(r.secrets, ::testing::Contains("sk-from-env-0123456789"));
  EXPECT_THAT(to_yaml(r.config), Not(HasSubstr("sk-from-env")));
}

TEST(ConfigSpeechApi, ABadBaseUrlIsAnErrorOnlyWhenAnOpenaiEngineIsChosen) {
  auto bad = load("agent:\n  engines: {stt: openai}\n  speech_api: {base_url: \"ftp://x\"}\n");
  EXPECT_THAT(errors(bad), HasSubstr("not an http:// or https:// URL"));
  auto per_language =
      load("agent:\n  engines: {languages: [{language: en, tts: openai}]}\n  speech_api: {base_url: nope}\n");
  EXPECT_FALSE(per_language.ok());
  EXPECT_TRUE(load("agent:\n  speech_api: {base_url: nope}\n").ok());
  EXPECT_FALSE(load("agent:\n  speech_api: {fallback_tts: openai}\n").ok());
}

}  // namespace
}  // namespace va::config
