// eSpeak NG as a child process: real speech from the pipe, stopping kills the child, a bad voice is an error.
#include "engines/tts/espeak_synthesizer.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "shared_engines.hpp"
#include "speech_audio.hpp"

namespace va::test {
namespace {

TEST(EspeakSynthesizer, SpeaksRussianAndEnglishAsNonSilent16kHzAudio) {
  std::string why;
  auto tts = synthesizer("espeak-ng", "", "", why);
  VA_REQUIRE_ENGINE(tts, why);
  for (auto [text, lang] : {std::pair{"Соедините меня с оператором", "ru"},
                            std::pair{"I would like to speak to an operator", "en"}}) {
    auto speech = synthesize(*tts, text, lang);
    ASSERT_TRUE(speech.ok()) << speech.error().to_string();
    EXPECT_GT(speech->seconds(), 1.0) << lang;
    EXPECT_LT(speech->seconds(), 5.0) << lang;
    EXPECT_GT(rms(speech->pcm), 300.0) << lang;
  }
}

TEST(EspeakSynthesizer, TextThatLooksLikeAnOptionIsSpoken) {
  std::string why;
  auto tts = synthesizer("espeak-ng", "", "", why);
  VA_REQUIRE_ENGINE(tts, why);
  auto speech = synthesize(*tts, "--help me", "en");
  ASSERT_TRUE(speech.ok()) << speech.error().to_string();
  EXPECT_GT(rms(speech->pcm), 300.0);
}

TEST(EspeakSynthesizer, SinkReturningFalseStopsAtOnce) {
  std::string why;
  auto tts = synthesizer("espeak-ng", "", "", why);
  VA_REQUIRE_ENGINE(tts, why);
  std::string long_text;
  for (int i = 0; i < 200; ++i) long_text += "Я хочу узнать баланс своего счёта. ";
  std::size_t calls = 0;
  const auto start = std::chrono::steady_clock::now();
  auto result = tts->synthesize(long_text, "ru", [&](std::span<const std::int16_t>) {
    ++calls;
    return false;
  });
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  EXPECT_TRUE(result->stopped);
  EXPECT_EQ(calls, 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(EspeakSynthesizer, UnknownVoiceIsAnError) {
  std::string why;
  auto tts = synthesizer("espeak-ng", "", "", why);
  VA_REQUIRE_ENGINE(tts, why);
  auto speech = synthesize(*tts, "hello", "xx-nonexistent");
  ASSERT_FALSE(speech.ok());
  EXPECT_NE(speech.error().message.find("xx-nonexistent"), std::string::npos) << speech.error().message;
}

}  // namespace
}  // namespace va::test
