// whisper.cpp: a missing model is a clear error, silence gives no text, two recognitions run in parallel.
#include "engines/stt/whisper_recognizer.hpp"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "shared_engines.hpp"
#include "speech_audio.hpp"

namespace va::test {
namespace {

TEST(WhisperRecognizer, MissingModelNamesThePathAndScriptsSetup) {
  engines::EngineSettings settings;
  settings.model = "/nonexistent/models/ggml-whisper-base.bin";
  auto made = engines::make_whisper_recognizer(settings);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().engine, "whisper");
  EXPECT_NE(made.error().message.find(settings.model), std::string::npos) << made.error().message;
  EXPECT_NE(made.error().message.find("scripts/setup"), std::string::npos) << made.error().message;
}

TEST(WhisperRecognizer, FileThatIsNotAModelIsAnError) {
  engines::EngineSettings settings;
  settings.model = VA_SOURCE_DIR "/CMakeLists.txt";
  auto made = engines::make_whisper_recognizer(settings);
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message.find("cannot load model"), std::string::npos) << made.error().message;
}

// Whisper invents "Продолжение следует..." or "Thank you." on near-silence; the recogniser must not.
TEST(WhisperRecognizer, NearSilenceGivesNoText) {
  std::string why;
  auto stt = whisper(why);
  VA_REQUIRE_ENGINE(stt, why);
  std::mt19937 random(7);
  std::normal_distribution<double> noise(0.0, 20.0);  // line noise around -64 dBFS
  std::vector<std::int16_t> pcm(2 * kRate);
  for (auto& s : pcm) s = static_cast<std::int16_t>(noise(random));
  for (const char* lang : {"ru", "en"}) {
    auto result = stt->recognize(pcm, lang);
    ASSERT_TRUE(result.ok()) << result.error().to_string();
    EXPECT_EQ(result->text, "") << lang;
  }
}

TEST(WhisperRecognizer, UnknownLanguageIsAnErrorNotAutoDetection) {
  std::string why;
  auto stt = whisper(why);
  VA_REQUIRE_ENGINE(stt, why);
  std::vector<std::int16_t> pcm(kRate, 1000);
  EXPECT_FALSE(stt->recognize(pcm, "").ok());
  EXPECT_FALSE(stt->recognize(pcm, "klingon").ok());
}

TEST(WhisperRecognizer, TwoRecognitionsInParallelThreadsBothSucceed) {
  std::string why;
  auto stt = whisper(why);
  VA_REQUIRE_ENGINE(stt, why);
  auto tts = synthesizer("rhvoice", "ru", "", why);
  VA_REQUIRE_ENGINE(tts, why);
  auto ru = synthesize(*tts, "До свидания", "ru");
  auto en = synthesize(*tts, "Goodbye", "en");
  ASSERT_TRUE(ru.ok() && en.ok());
  std::string heard[2];
  bool ok[2] = {false, false};
  std::thread a([&] {
    auto r = stt->recognize(ru->pcm, "ru");
    ok[0] = r.ok();
    if (r) heard[0] = r->text;
  });
  std::thread b([&] {
    auto r = stt->recognize(en->pcm, "en");
    ok[1] = r.ok();
    if (r) heard[1] = r->text;
  });
  a.join();
  b.join();
  ASSERT_TRUE(ok[0] && ok[1]);
  EXPECT_EQ(voice::normalize_text(heard[0]), "до свидания") << heard[0];
  EXPECT_EQ(voice::normalize_text(heard[1]), "goodbye") << heard[1];
}

}  // namespace
}  // namespace va::test
