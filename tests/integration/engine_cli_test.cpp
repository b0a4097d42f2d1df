// The speech engine tools as an operator runs them: `engines` lists all five, `say` writes a WAV that
// `transcribe` reads back to the same words (also after sox narrows it to 8 kHz, as a telephone recording
// is).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>

#include "integration/binary.hpp"

namespace va::test {
namespace {

using ::testing::HasSubstr;

constexpr auto kSpeechTimeout = std::chrono::seconds(60);

TEST(EngineCli, EnginesJsonListsEveryEngineAvailable) {
  auto r = run({"engines", "--json"});
  ASSERT_TRUE(r.status.exited_with(0)) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  std::set<std::string> available;
  for (const auto& e : json.at("engines")) {
    EXPECT_TRUE(e.contains("kind") && e.contains("detail") && e.contains("languages") &&
                e.contains("voices"));
    if (e.at("available").get<bool>()) available.insert(e.at("name").get<std::string>());
  }
  // On a machine where scripts/setup ran (as this one): everything.
  EXPECT_EQ(available, (std::set<std::string>{"webrtc", "silero", "whisper", "pocketsphinx", "rhvoice",
                                              "flite", "espeak-ng", "openai"}))
      << r.out;
}

TEST(EngineCli, SayThenTranscribeRoundTripsRussian) {
  TempDir dir;
  const auto wav = dir.path() + "/reply.wav";
  auto said = run(
      {"say", "--lang", "ru", "--engine", "rhvoice", "--voice", "Anna", "Я хочу узнать баланс", "-o", wav},
      {}, kSpeechTimeout);
  ASSERT_TRUE(said.status.exited_with(0)) << said.err;
  auto heard = run({"transcribe", "--lang", "ru", "--engine", "whisper", wav}, {}, kSpeechTimeout);
  ASSERT_TRUE(heard.status.exited_with(0)) << heard.err;
  EXPECT_THAT(heard.out, HasSubstr("Я хочу узнать баланс")) << heard.err;
}

TEST(EngineCli, TranscribeReads8kHzWav) {
  TempDir dir;
  const auto wav = dir.path() + "/reply.wav", narrow = dir.path() + "/reply8k.wav";
  auto said = run({"say", "--lang", "en", "Goodbye", "-o", wav}, {}, kSpeechTimeout);
  ASSERT_TRUE(said.status.exited_with(0)) << said.err;
  ProcessOptions sox;
  sox.argv = {"sox", wav, "-r", "8000", narrow};
  Process p(sox);
  ASSERT_TRUE(p.wait_for_exit(std::chrono::seconds(20)).exited_with(0)) << p.stderr_text();
  auto heard = run({"transcribe", "--lang", "en", narrow}, {}, kSpeechTimeout);
  ASSERT_TRUE(heard.status.exited_with(0)) << heard.err;
  EXPECT_THAT(heard.out, HasSubstr("Goodbye")) << heard.err;
}

TEST(EngineCli, NonLgplVoiceIsRefusedWithTheReason) {
  TempDir dir;
  auto r = run({"say", "--lang", "ru", "--engine", "rhvoice", "--voice", "Arina", "Привет", "-o",
                dir.path() + "/x.wav"});
  EXPECT_TRUE(r.status.exited_with(2));
  EXPECT_THAT(r.err, HasSubstr("non-commercial"));
}

}  // namespace
}  // namespace va::test
