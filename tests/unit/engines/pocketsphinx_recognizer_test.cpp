// PocketSphinx: English speech synthesised by flite and RHVoice is recognised with partial text on the way;
// other languages are a clear error; 8 kHz telephone audio is printed for docs/engines.md, not asserted.
#include "engines/stt/pocketsphinx_recognizer.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

#include "shared_engines.hpp"
#include "speech_audio.hpp"

namespace va::test {
namespace {

std::shared_ptr<voice::SpeechRecognizer> pocketsphinx(std::string& why) {
  static auto made = registry().make_recognizer("pocketsphinx", {});
  if (!made) {
    why = made.error().to_string();
    return nullptr;
  }
  return *made;
}

TEST(PocketSphinxRecognizer, MissingModelNamesTheDebianPackage) {
  engines::EngineSettings settings;
  settings.model = "/nonexistent/pocketsphinx/model";
  auto made = engines::make_pocketsphinx_recognizer(settings);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().engine, "pocketsphinx");
  EXPECT_NE(made.error().message.find("pocketsphinx-en-us"), std::string::npos) << made.error().message;
}

TEST(PocketSphinxRecognizer, ProbeSaysEnglishStreaming16kHz) {
  const auto status = status_of("pocketsphinx");
  EXPECT_EQ(status.name, "pocketsphinx");
  EXPECT_FALSE(status.detail.empty());
  EXPECT_EQ(status.capabilities.languages, std::vector<std::string>{"en"});
  EXPECT_EQ(status.capabilities.sample_rates, std::vector<int>{16000});
  EXPECT_TRUE(status.capabilities.streaming);
}

TEST(PocketSphinxRecognizer, RussianIsAnErrorNamingEnglishOnly) {
  std::string why;
  auto stt = pocketsphinx(why);
  VA_REQUIRE_ENGINE(stt, why);
  std::vector<std::int16_t> pcm(kRate, 1000);
  auto result = stt->recognize(pcm, "ru");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("English only"), std::string::npos) << result.error().message;
  EXPECT_FALSE(stt->recognize(pcm, "").ok());
}

struct Case {
  const char* engine;
  const char* voice;
  const char* text;
};

TEST(PocketSphinxRecognizer, EnglishSpeechWithPartials) {
  std::string why;
  auto stt = pocketsphinx(why);
  VA_REQUIRE_ENGINE(stt, why);
  std::size_t errors = 0, total = 0;
  for (const Case& c : {Case{"flite", "", "I would like to speak to an operator"},
                        Case{"flite", "", "please check my account balance"},
                        Case{"rhvoice", "SLT", "I would like to speak to an operator"},
                        Case{"rhvoice", "SLT", "please check my account balance"}}) {
    auto tts = synthesizer(c.engine, "en", c.voice, why);
    if (!tts) continue;
    auto speech = synthesize(*tts, c.text, "en");
    ASSERT_TRUE(speech.ok());
    std::vector<std::string> partials;
    auto heard = stt->recognize(speech->pcm, "en", [&](std::string_view p) { partials.emplace_back(p); });
    ASSERT_TRUE(heard.ok()) << heard.error().to_string();
    EXPECT_EQ(heard->language, "en");
    const auto wrong = word_errors(c.text, heard->text);
    std::printf("%s %s: \"%s\" (%zu partials, %zu word errors)\n", c.engine, c.voice, heard->text.c_str(),
                partials.size(), wrong);
    errors += wrong;
    total += words(c.text).size();
    // Streaming: text appears before the end, growing towards the final hypothesis.
    EXPECT_GE(partials.size(), 2u) << c.text;
    if (!partials.empty()) {
      EXPECT_LE(words(partials.front()).size(), words(heard->text).size());
    }

    // The same speech as a PCMA call delivers it: printed only (docs/engines.md explains the 8 kHz failure).
    auto narrow = stt->recognize(through_alaw_call(speech->pcm), "en");
    ASSERT_TRUE(narrow.ok());
    std::printf("  through 8 kHz A-law: \"%s\" (%zu word errors)\n", narrow->text.c_str(),
                word_errors(c.text, narrow->text));
  }
  if (total == 0) GTEST_SKIP() << "no English synthesizer here: " << why;
  const double wer = static_cast<double>(errors) / static_cast<double>(total);
  std::printf("16 kHz WER %.0f %% over %zu words\n", wer * 100, total);
  EXPECT_LE(wer, 0.2);
}

}  // namespace
}  // namespace va::test
