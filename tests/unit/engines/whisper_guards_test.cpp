// The fast path's guards: a decoder loop is recognised as such (pure checks on synthetic transcripts), the
// token limit grows with the utterance, and real speech passes them: short, longer than the short window's
// 512-frame minimum, and longer than the model's 30 s window.
#include <gtest/gtest.h>

#include <cstdio>
#include <mutex>
#include <vector>

#include "engines/stt/whisper_recognizer.hpp"
#include "shared_engines.hpp"
#include "speech_audio.hpp"

namespace va::test {
namespace {

TEST(WhisperRepetition, DecoderLoopsAreCaught) {
  for (const char* loop : {
           "Спасибо. Спасибо. Спасибо. Спасибо. Спасибо. Спасибо.",
           "Thank you for watching. Thank you for watching. Thank you for watching. Thank you for watching.",
           "я хочу узнать баланс баланс баланс баланс баланс",
           "один два один два один два один два",
           "ааааааааааааааааааааа",
           "8 916 1111111111111111",
           "и я сказал и он сказал и я сказал и он сказал и я сказал и мы сказали и я сказал и он",
       }) {
    EXPECT_TRUE(engines::whisper_repetition(loop).has_value()) << loop;
  }
}

TEST(WhisperRepetition, OrdinarySpeechPasses) {
  for (const char* speech : {
           "Соедините меня с оператором",
           "Нет, нет, нет, я не это имел в виду.",
           "Да да да, именно так.",
           "Запишите меня на двадцать пятое марта, пожалуйста.",
           "Мой номер 8 916 123 45 67",
           "I would like to speak to an operator.",
           "No, no, no. I said the twenty-fifth of March.",
           "Привет!!!",
           "",
           "Я хочу узнать баланс на карте, а потом перевести деньги с карты на счёт и узнать баланс на "
           "счёте.",
       }) {
    auto why = engines::whisper_repetition(speech);
    EXPECT_FALSE(why.has_value()) << speech << ": " << why.value_or("");
  }
}

TEST(WhisperTokenLimit, GrowsWithDurationAndRussianGetsMore) {
  EXPECT_LT(engines::whisper_token_limit(1.0, "en"), engines::whisper_token_limit(5.0, "en"));
  EXPECT_LT(engines::whisper_token_limit(5.0, "en"), engines::whisper_token_limit(5.0, "ru"));
  EXPECT_GT(engines::whisper_token_limit(0.0, "ru"), 0);
  EXPECT_GT(engines::whisper_token_limit(-1.0, "en"), 0);  // never zero (zero means "no limit")
}

// A recogniser of its own, reporting every decode.
struct ReportingWhisper {
  std::shared_ptr<voice::SpeechRecognizer> stt;
  std::mutex mutex;
  std::vector<engines::WhisperDecodeReport> reports;
  std::string why;
  explicit ReportingWhisper(int token_limit = 0) {
    if (!status_of("whisper").available) {
      why = status_of("whisper").detail;
      return;
    }
    engines::WhisperTuning tuning;
    tuning.token_limit = token_limit;
    tuning.on_decode = [this](const engines::WhisperDecodeReport& r) {
      std::lock_guard lock(mutex);
      reports.push_back(r);
    };
    auto made = engines::make_tuned_whisper_recognizer({}, std::move(tuning));
    if (made)
      stt = *made;
    else
      why = made.error().to_string();
  }
};

Speech speak(voice::SpeechSynthesizer& tts, const std::vector<std::string>& sentences, const char* language) {
  Speech all;
  for (const auto& s : sentences) {
    auto one = synthesize(tts, s, language);
    EXPECT_TRUE(one.ok()) << s;
    if (!one) continue;
    all.pcm.insert(all.pcm.end(), one->pcm.begin(), one->pcm.end());
    all.pcm.insert(all.pcm.end(), kRate / 4, 0);  // a breath between sentences
  }
  return all;
}

std::string joined(const std::vector<std::string>& sentences) {
  std::string out;
  for (const auto& s : sentences) out += s + " ";
  return out;
}

void expect_recognised(ReportingWhisper& w, const std::vector<std::string>& sentences, const char* language,
                       const char* voice, double min_seconds, double max_wer) {
  std::string why;
  auto tts = synthesizer("rhvoice", language, voice, why);
  VA_REQUIRE_ENGINE(tts, why);
  const auto speech = speak(*tts, sentences, language);
  ASSERT_GT(speech.seconds(), min_seconds);
  w.reports.clear();
  auto heard = w.stt->recognize(speech.pcm, language);
  ASSERT_TRUE(heard.ok()) << heard.error().to_string();
  const auto reference = joined(sentences);
  const double wer =
      static_cast<double>(word_errors(reference, heard->text)) / static_cast<double>(words(reference).size());
  std::printf("%s %.1f s: \"%s\" WER %.0f %%\n", language, speech.seconds(), heard->text.c_str(), wer * 100);
  EXPECT_LE(wer, max_wer) << heard->text;
  ASSERT_FALSE(w.reports.empty());
  for (const auto& r : w.reports) {
    std::printf("  decode: audio_ctx %d, %d tokens of %d, fallback %d, rejected \"%s\"\n", r.audio_ctx,
                r.tokens, r.token_limit, r.fallback, r.rejected.c_str());
  }
  // Real speech is taken on the first decode: no hallucination verdict, the token limit not reached.
  EXPECT_TRUE(w.reports.front().rejected.empty()) << w.reports.front().rejected;
  EXPECT_LT(w.reports.front().tokens, w.reports.front().token_limit);
}

TEST(WhisperGuards, ShortRealSpeechPassesOnTheFastPath) {
  ReportingWhisper w;
  VA_REQUIRE_ENGINE(w.stt, w.why);
  expect_recognised(w, {"Запишите меня на двадцать пятое марта."}, "ru", "Anna", 1.0, 0.34);
  EXPECT_GT(w.reports.front().audio_ctx, 0);  // the short window was used
  expect_recognised(w, {"I would like to speak to an operator."}, "en", "SLT", 1.0, 0.15);
}

// A short-window decode that fails the checks is retried with the full window and counted; failing there
// too, the utterance is empty rather than cut-off text. Forced here with a 3-token limit on real speech.
TEST(WhisperGuards, FailedShortWindowIsRetriedWithTheFullWindow) {
  ReportingWhisper w(3);
  VA_REQUIRE_ENGINE(w.stt, w.why);
  std::string why;
  auto tts = synthesizer("rhvoice", "en", "SLT", why);
  VA_REQUIRE_ENGINE(tts, why);
  auto speech = synthesize(*tts, "I would like to speak to an operator.", "en");
  ASSERT_TRUE(speech.ok());
  const auto before = engines::whisper_fallbacks();
  auto heard = w.stt->recognize(speech->pcm, "en");
  ASSERT_TRUE(heard.ok()) << heard.error().to_string();
  EXPECT_EQ(heard->text, "");
  ASSERT_EQ(w.reports.size(), 2u);
  EXPECT_GT(w.reports[0].audio_ctx, 0);
  EXPECT_FALSE(w.reports[0].fallback);
  EXPECT_NE(w.reports[0].rejected.find("token limit"), std::string::npos) << w.reports[0].rejected;
  EXPECT_EQ(w.reports[1].audio_ctx, 0);
  EXPECT_TRUE(w.reports[1].fallback);
  EXPECT_FALSE(w.reports[1].rejected.empty());
  EXPECT_EQ(engines::whisper_fallbacks(), before + 1);
}

// Longer than the 512-frame (10.24 s) minimum window: the window is the utterance, the limit scales.
TEST(WhisperGuards, UtteranceLongerThanTheMinimumWindow) {
  ReportingWhisper w;
  VA_REQUIRE_ENGINE(w.stt, w.why);
  expect_recognised(w,
                    {"Здравствуйте, я хочу узнать баланс на моей карте.",
                     "Ещё мне нужно перенести встречу на двадцать пятое марта.",
                     "Соедините меня, пожалуйста, с оператором, если это возможно.",
                     "Спасибо большое за помощь, до свидания."},
                    "ru", "Aleksandr", 10.5, 0.3);
  EXPECT_GT(w.reports.front().audio_ctx, 512);
}

// Longer than the model's 30 s window: decoded window after window, the limit applies per window.
TEST(WhisperGuards, UtteranceLongerThanTheModelWindow) {
  ReportingWhisper w;
  VA_REQUIRE_ENGINE(w.stt, w.why);
  expect_recognised(w,
                    {"Good morning, I am calling about my account.", "I would like to know my balance.",
                     "I also want to move my appointment to the twenty fifth of March.",
                     "My phone number has changed recently, so please update it.",
                     "The delivery did not arrive on Monday, and nobody called me.",
                     "Could you please check what happened with the order?",
                     "If it is not possible, connect me to an operator please.",
                     "Thank you very much for your help, and have a nice day.",
                     "I will call again tomorrow morning if nothing changes."},
                    "en", "CLB", 30.5, 0.3);
  EXPECT_EQ(w.reports.front().audio_ctx, 0);
}

}  // namespace
}  // namespace va::test
