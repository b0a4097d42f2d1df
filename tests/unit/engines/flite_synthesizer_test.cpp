#include "engines/tts/flite_synthesizer.hpp"

#include <gtest/gtest.h>

#include "shared_engines.hpp"
#include "speech_audio.hpp"

namespace va::test {
namespace {

TEST(FliteSynthesizer, SpeaksEnglishAsNonSilent16kHzAudioOfPlausibleLength) {
  std::string why;
  auto tts = synthesizer("flite", "en", "", why);
  VA_REQUIRE_ENGINE(tts, why);
  auto speech = synthesize(*tts, "I would like to speak to an operator", "en");
  ASSERT_TRUE(speech.ok()) << speech.error().to_string();
  // Eight words at a normal rate: about two seconds.
  EXPECT_GT(speech->seconds(), 1.2);
  EXPECT_LT(speech->seconds(), 5.0);
  EXPECT_GT(rms(speech->pcm), 300.0);
  EXPECT_GT(speech->chunks, 1u) << "streams through flite's audio callback";
}

TEST(FliteSynthesizer, RefusesOtherLanguages) {
  std::string why;
  auto tts = synthesizer("flite", "en", "", why);
  VA_REQUIRE_ENGINE(tts, why);
  EXPECT_FALSE(synthesize(*tts, "До свидания", "ru").ok());
  engines::EngineSettings settings;
  settings.language = "ru";
  EXPECT_FALSE(engines::make_flite_synthesizer(settings).ok());
}

TEST(FliteSynthesizer, SinkReturningFalseStopsSynthesis) {
  std::string why;
  auto tts = synthesizer("flite", "en", "", why);
  VA_REQUIRE_ENGINE(tts, why);
  std::string long_text;
  for (int i = 0; i < 10; ++i) long_text += "I would like to speak to an operator about my account. ";
  std::size_t calls = 0;
  auto result = tts->synthesize(long_text, "en", [&](std::span<const std::int16_t>) {
    ++calls;
    return false;
  });
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  EXPECT_TRUE(result->stopped);
  EXPECT_EQ(calls, 1u);
}

}  // namespace
}  // namespace va::test
