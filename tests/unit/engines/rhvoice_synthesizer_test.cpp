// RHVoice: streaming 16 kHz speech from the LGPL voices, refusal of the others, stopping from the sink, and
// parallel syntheses on one engine (the thread-safety finding in rhvoice_synthesizer.cpp).
#include "engines/tts/rhvoice_synthesizer.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "shared_engines.hpp"
#include "speech_audio.hpp"

namespace va::test {
namespace {

TEST(RhvoiceSynthesizer, SpeaksRussianAndEnglishIn16kHzChunks) {
  std::string why;
  auto tts = synthesizer("rhvoice", "ru", "", why);
  VA_REQUIRE_ENGINE(tts, why);
  auto ru = synthesize(*tts, "Соедините меня с оператором", "ru");
  ASSERT_TRUE(ru.ok()) << ru.error().to_string();
  EXPECT_GT(ru->seconds(), 1.0);
  EXPECT_LT(ru->seconds(), 4.0);
  EXPECT_GT(rms(ru->pcm), 300.0);
  EXPECT_GT(ru->chunks, 2u) << "streams, not one block at the end";
  auto en = synthesize(*tts, "Goodbye", "en");
  ASSERT_TRUE(en.ok()) << en.error().to_string();
  EXPECT_GT(en->seconds(), 0.3);
  EXPECT_LT(en->seconds(), 2.5);
}

TEST(RhvoiceSynthesizer, NonLgplVoiceIsRefusedNamingTheLicence) {
  engines::EngineSettings settings;
  settings.language = "ru";
  settings.voice = "Arina";  // CC-BY-NC-ND-4.0, installed by rhvoice-russian
  auto made = engines::make_rhvoice_synthesizer(settings);
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message.find("LGPL"), std::string::npos) << made.error().message;
  EXPECT_NE(made.error().message.find("non-commercial"), std::string::npos) << made.error().message;
}

TEST(RhvoiceSynthesizer, ChosenLgplVoiceIsUsedAndDiffersFromTheDefault) {
  std::string why;
  auto anna = synthesizer("rhvoice", "ru", "", why);
  VA_REQUIRE_ENGINE(anna, why);
  auto aleksandr = synthesizer("rhvoice", "ru", "aleksandr", why);
  ASSERT_TRUE(aleksandr) << why;
  auto a = synthesize(*anna, "До свидания", "ru");
  auto b = synthesize(*aleksandr, "До свидания", "ru");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->pcm, b->pcm);
}

TEST(RhvoiceSynthesizer, SinkReturningFalseStopsSynthesisPromptly) {
  std::string why;
  auto tts = synthesizer("rhvoice", "ru", "", why);
  VA_REQUIRE_ENGINE(tts, why);
  std::string long_text;
  for (int i = 0; i < 20; ++i) long_text += "Я хочу узнать баланс своего счёта и последние платежи. ";
  std::size_t calls = 0, samples = 0;
  auto result = tts->synthesize(long_text, "ru", [&](std::span<const std::int16_t> pcm) {
    ++calls;
    samples += pcm.size();
    return false;
  });
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  EXPECT_TRUE(result->stopped);
  EXPECT_EQ(calls, 1u);
  EXPECT_LT(samples, static_cast<std::size_t>(kRate));  // far less than the minute the text would take
}

TEST(RhvoiceSynthesizer, ParallelSynthesesMatchSerialOnes) {
  std::string why;
  auto tts = synthesizer("rhvoice", "ru", "", why);
  VA_REQUIRE_ENGINE(tts, why);
  const std::string texts[] = {"Я хочу узнать баланс", "I would like to speak to an operator"};
  const std::string langs[] = {"ru", "en"};
  Speech serial[2], parallel[2];
  for (int i = 0; i < 2; ++i) serial[i] = *synthesize(*tts, texts[i], langs[i]);
  for (int round = 0; round < 3; ++round) {
    std::thread threads[2];
    for (int i = 0; i < 2; ++i)
      threads[i] = std::thread([&, i] { parallel[i] = *synthesize(*tts, texts[i], langs[i]); });
    for (auto& t : threads) t.join();
    for (int i = 0; i < 2; ++i) EXPECT_EQ(parallel[i].pcm, serial[i].pcm) << texts[i] << " round " << round;
  }
}

}  // namespace
}  // namespace va::test
