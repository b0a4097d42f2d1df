// Contract tests of the `openai` speech engines against tests/support/openai_speech_fake (a hand-written
// stand-in for the OpenAI Audio API, which cannot run here; it follows the published reference and runs the
// project's real whisper and RHVoice behind it, so texts and audio are real). Every test name says
// "AgainstTheFake".
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "engines/fallback_engines.hpp"
#include "engines/stt/openai_recognizer.hpp"
#include "engines/tts/openai_synthesizer.hpp"
#include "support/openai_speech_fake.hpp"
#include "unit/engines/shared_engines.hpp"
#include "unit/engines/speech_audio.hpp"

namespace va::engines {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

constexpr const char* kKey = "sk-test-0123456789abcdefSECRET";

struct Fixture {
  std::shared_ptr<voice::SpeechRecognizer> whisper;
  std::shared_ptr<voice::SpeechSynthesizer> rhvoice_ru, rhvoice_en;
  std::string why;
  Fixture() {
    whisper = test::whisper(why);
    if (whisper) rhvoice_ru = test::synthesizer("rhvoice", "ru", "", why);
    if (rhvoice_ru) rhvoice_en = test::synthesizer("rhvoice", "en", "", why);
  }
  bool ready() const { return whisper && rhvoice_ru && rhvoice_en; }
};

EngineSettings settings_for(const test::OpenAiSpeechFake& fake, std::string model, std::string key = kKey,
                            std::chrono::milliseconds timeout = 5s, std::string fallback = "") {
  EngineSettings s;
  s.remote.base_url = fake.base_url();
  s.remote.api_key = std::move(key);
  s.remote.model = std::move(model);
  s.remote.voice = "alloy";
  s.remote.timeout = timeout;
  s.remote.fallback = std::move(fallback);
  return s;
}

std::vector<std::int16_t> spoken(voice::SpeechSynthesizer& tts, const std::string& text,
                                 const std::string& lang) {
  auto speech = test::synthesize(tts, text, lang);
  EXPECT_TRUE(speech) << (speech ? "" : speech.error().to_string());
  return speech ? speech->pcm : std::vector<std::int16_t>{};
}

std::string heard(voice::SpeechRecognizer& stt, std::span<const std::int16_t> pcm, const std::string& lang) {
  auto r = stt.recognize(pcm, lang);
  EXPECT_TRUE(r) << (r ? "" : r.error().to_string());
  return r ? voice::normalize_text(r->text) : std::string();
}

TEST(OpenAiSpeech, TranscribesRussianAndEnglishUtterancesAgainstTheFake) {
  Fixture f;
  VA_REQUIRE_ENGINE(f.ready(), f.why);
  test::OpenAiSpeechFake fake(kKey, f.whisper, f.rhvoice_ru);
  auto stt = make_openai_recognizer(settings_for(fake, "whisper-1"));
  ASSERT_TRUE(stt);
  EXPECT_THAT(heard(**stt, spoken(*f.rhvoice_ru, "Часы работы", "ru"), "ru"), HasSubstr("часы работы"));
  EXPECT_THAT(heard(**stt, spoken(*f.rhvoice_en, "What are your opening hours?", "en"), "en"),
              HasSubstr("opening hours"));
  EXPECT_EQ(fake.requests(), 2);
}

TEST(OpenAiSpeech, SpeechStreamsToTheSinkBeforeTheFakeFinishedSending) {
  Fixture f;
  VA_REQUIRE_ENGINE(f.ready(), f.why);
  test::OpenAiSpeechFake fake(kKey, f.whisper, f.rhvoice_en);
  fake.set_chunking(6, 200ms);
  auto tts = make_openai_synthesizer(settings_for(fake, "tts-1"));
  ASSERT_TRUE(tts);
  std::vector<std::int16_t> pcm;
  std::optional<Clock::time_point> first;
  const auto start = Clock::now();
  auto said = (*tts)->synthesize("Our opening hours are from nine to six.", "en",
                                 [&](std::span<const std::int16_t> p) {
                                   if (!first) first = Clock::now();
                                   pcm.insert(pcm.end(), p.begin(), p.end());
                                   return true;
                                 });
  ASSERT_TRUE(said) << said.error().to_string();
  ASSERT_TRUE(first);
  const auto to_first = std::chrono::duration_cast<std::chrono::milliseconds>(*first - start);
  const auto to_last =
      std::chrono::duration_cast<std::chrono::milliseconds>(fake.last_speech_finished() - start);
  std::printf("[figures] openai tts: first audio after %lld ms, the fake's last byte after %lld ms\n",
              static_cast<long long>(to_first.count()), static_cast<long long>(to_last.count()));
  // Six chunks 200 ms apart: the whole body takes at least a second after the first chunk.
  EXPECT_LT(*first + 800ms, fake.last_speech_finished());
  // 16 kHz: the sentence lasts about 2-4 s, and whisper understands it.
  EXPECT_GT(test::Speech{pcm}.seconds(), 1.5);
  EXPECT_LT(test::Speech{pcm}.seconds(), 6.0);
  EXPECT_THAT(heard(*f.whisper, pcm, "en"), HasSubstr("opening hours"));
}

TEST(OpenAiSpeech, AWrongKeyIsAClear401WithoutTheKeyAgainstTheFake) {
  Fixture f;
  VA_REQUIRE_ENGINE(f.ready(), f.why);
  test::OpenAiSpeechFake fake(kKey, f.whisper, f.rhvoice_en);
  const std::string wrong = "sk-wrong-9876543210zyxwvuHIDDEN";
  auto stt = make_openai_recognizer(settings_for(fake, "whisper-1", wrong));
  auto tts = make_openai_synthesizer(settings_for(fake, "tts-1", wrong));
  ASSERT_TRUE(stt && tts);
  auto r = (*stt)->recognize(spoken(*f.rhvoice_en, "Hello", "en"), "en");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("HTTP 401"));
  EXPECT_THAT(r.error().message, HasSubstr("Incorrect API key provided"));
  EXPECT_THAT(r.error().message, HasSubstr("invalid_api_key"));
  EXPECT_THAT(r.error().message, Not(HasSubstr("HIDDEN")));
  EXPECT_THAT(r.error().message, Not(HasSubstr("sk-wro")));
  auto s = test::synthesize(**tts, "Hello", "en");
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message, HasSubstr("HTTP 401"));
  EXPECT_THAT(s.error().message, Not(HasSubstr("HIDDEN")));
}

TEST(OpenAiSpeech, ATimeoutFallsBackToEmbeddedWhisperAndRhvoiceAgainstTheFake) {
  Fixture f;
  VA_REQUIRE_ENGINE(f.ready(), f.why);
  test::OpenAiSpeechFake fake(kKey, f.whisper, f.rhvoice_en);
  fake.set_mode(test::OpenAiSpeechFake::Mode::late);
  fake.set_late_by(3s);
  const auto pcm = spoken(*f.rhvoice_ru, "Часы работы", "ru");

  auto bare = make_openai_recognizer(settings_for(fake, "whisper-1", kKey, 1s));
  ASSERT_TRUE(bare);
  const auto start = Clock::now();
  auto r = (*bare)->recognize(pcm, "ru");
  const auto took = Clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("timeout"));
  EXPECT_LT(took, 1s + 700ms);

  // Through the registry as `serve` makes it: openai with its embedded fallback.
  const auto before = engine_fallbacks();
  const auto stt_before = engine_fallbacks("stt");
  auto stt = test::registry().make_recognizer("openai", settings_for(fake, "whisper-1", kKey, 1s, "whisper"));
  ASSERT_TRUE(stt) << stt.error().to_string();
  EXPECT_THAT(heard(**stt, pcm, "ru"), HasSubstr("часы работы"));
  auto tts_settings = settings_for(fake, "tts-1", kKey, 1s, "rhvoice");
  tts_settings.language = "en";
  auto tts = test::registry().make_synthesizer("openai", tts_settings);
  ASSERT_TRUE(tts) << tts.error().to_string();
  auto said = test::synthesize(**tts, "Our opening hours are from nine to six.", "en");
  ASSERT_TRUE(said) << said.error().to_string();
  EXPECT_THAT(heard(*f.whisper, said->pcm, "en"), HasSubstr("opening hours"));
  EXPECT_EQ(engine_fallbacks(), before + 2);
  EXPECT_EQ(engine_fallbacks("stt"), stt_before + 1) << "one of each kind";
}

TEST(OpenAiSpeech, A500FallsBackAndACutStreamIsAnErrorAgainstTheFake) {
  Fixture f;
  VA_REQUIRE_ENGINE(f.ready(), f.why);
  test::OpenAiSpeechFake fake(kKey, f.whisper, f.rhvoice_en);
  fake.set_mode(test::OpenAiSpeechFake::Mode::server_error);
  auto tts_settings = settings_for(fake, "tts-1", kKey, 2s, "rhvoice");
  tts_settings.language = "en";
  auto tts = test::registry().make_synthesizer("openai", tts_settings);
  ASSERT_TRUE(tts);
  auto said = test::synthesize(**tts, "Good bye", "en");
  ASSERT_TRUE(said) << said.error().to_string();
  EXPECT_GT(said->seconds(), 0.3);

  fake.set_mode(test::OpenAiSpeechFake::Mode::cut_mid_stream);
  fake.set_chunking(6, 50ms);
  auto bare = make_openai_synthesizer(settings_for(fake, "tts-1", kKey, 2s));
  ASSERT_TRUE(bare);
  auto cut = test::synthesize(**bare, "Our opening hours are from nine to six.", "en");
  ASSERT_FALSE(cut);
  EXPECT_THAT(cut.error().message, HasSubstr("cut short"));
  // Through the decorator: audio had reached the sink, so no fallback repeats the start.
  auto decorated = test::synthesize(**tts, "Our opening hours are from nine to six.", "en");
  EXPECT_FALSE(decorated);
}

}  // namespace
}  // namespace va::engines
