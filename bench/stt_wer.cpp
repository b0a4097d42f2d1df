// Word error rate and recognition time of each speech recogniser on synthesised call phrases (RHVoice's
// LGPL voices), at 16 kHz and through the telephone path (8 kHz, G.711 A-law, our codec and resampler).
// Whisper runs twice per clip: the guarded short window (the product's path) and the full 30 s window (the
// reference, same run), so the time ratio is measured on the same machine load. PocketSphinx: English only.
// Results: docs/benchmarks.md, "Speech recognition".
//
//   stt_wer [--threads N] [--no-full-window]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engines/engine_registry.hpp"
#include "engines/stt/whisper_recognizer.hpp"
#include "speech_audio.hpp"

namespace {

using namespace va;
using Clock = std::chrono::steady_clock;

struct Utterance {
  const char* spoken;  // what the voice says
  const char* digits;  // the same with numbers as digits (Whisper writes them so); counted correct too
};

const std::vector<Utterance> kRussian = {
    {"Соедините меня с оператором", ""},
    {"Я хочу узнать баланс", ""},
    {"Запишите меня на двадцать пятое марта", "Запишите меня на 25 марта"},
    {"Мой номер восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь",
     "Мой номер 8 916 123 45 67"},
    {"Доставка не пришла в понедельник", ""},
    {"Перезвоните мне завтра после обеда", ""},
    {"Сколько стоит перевод на другую карту", ""},
    {"Встреча назначена на третье апреля в десять часов", "Встреча назначена на 3 апреля в 10 часов"},
    {"Нет, спасибо, это всё", ""},
    {"Заблокируйте мою карту, я её потерял", ""},
};
const std::vector<Utterance> kEnglish = {
    {"I would like to speak to an operator", ""},
    {"Please check my account balance", ""},
    {"Book me for the twenty fifth of March", "Book me for the 25th of March"},
    {"My number is five five five one two three four five six seven", "My number is 555 123 4567"},
    {"The delivery did not arrive on Monday", ""},
    {"Call me back tomorrow afternoon", ""},
    {"How much does a transfer cost", ""},
    {"The meeting is on the third of April at ten", "The meeting is on the 3rd of April at 10"},
    {"No thank you that is all", ""},
    {"Please block my card I lost it", ""},
};

struct Tally {
  std::size_t errors = 0, words = 0, clips = 0;
  double seconds = 0;
  void add(const Utterance& u, const std::string& heard, double took) {
    auto e = test::word_errors(u.spoken, heard);
    if (*u.digits) e = std::min(e, test::word_errors(u.digits, heard));
    errors += e;
    words += test::words(u.spoken).size();
    ++clips;
    seconds += took;
  }
  double wer() const { return words ? 100.0 * static_cast<double>(errors) / static_cast<double>(words) : 0; }
  double mean() const { return clips ? seconds / static_cast<double>(clips) : 0; }
};

struct Decodes {
  std::mutex mutex;
  std::size_t fallbacks = 0, rejected = 0;
  double max_tokens_per_second = 0;
  int max_tokens = 0;
};

std::shared_ptr<voice::SpeechRecognizer> tuned_whisper(int threads, bool short_window, Decodes& d) {
  engines::EngineSettings settings;
  settings.threads = threads;
  engines::WhisperTuning tuning;
  tuning.short_window = short_window;
  tuning.on_decode = [&d](const engines::WhisperDecodeReport& r) {
    std::lock_guard lock(d.mutex);
    if (r.fallback) ++d.fallbacks;
    if (!r.rejected.empty()) {
      ++d.rejected;
      std::printf("    rejected (audio_ctx %d): %s\n", r.audio_ctx, r.rejected.c_str());
    }
    if (r.seconds > 0) d.max_tokens_per_second = std::max(d.max_tokens_per_second, r.tokens / r.seconds);
    d.max_tokens = std::max(d.max_tokens, r.tokens);
  };
  auto made = engines::make_tuned_whisper_recognizer(settings, std::move(tuning));
  if (!made) {
    std::fprintf(stderr, "%s\n", made.error().to_string().c_str());
    return nullptr;
  }
  return *made;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  bool full_window = true;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) {
      threads = std::max(1, std::atoi(argv[++i]));
    } else if (!std::strcmp(argv[i], "--no-full-window")) {
      full_window = false;
    } else {
      std::fprintf(stderr, "usage: stt_wer [--threads N] [--no-full-window]\n");
      return 2;
    }
  }
  engines::EngineRegistry registry;
  engines::register_builtin_engines(registry);
  Decodes short_decodes, full_decodes;
  auto whisper_short = tuned_whisper(threads, true, short_decodes);
  auto whisper_full = full_window ? tuned_whisper(threads, false, full_decodes) : nullptr;
  auto sphinx = registry.make_recognizer("pocketsphinx", {});
  if (!whisper_short) return 1;
  if (!sphinx) std::printf("pocketsphinx not available: %s\n", sphinx.error().to_string().c_str());

  std::printf("whisper threads per decode: %d\n", threads);
  std::printf("%-4s %-6s %-22s %6s %6s %10s\n", "lang", "band", "engine", "clips", "WER%", "mean s");
  for (const char* language : {"ru", "en"}) {
    const auto& set = std::string(language) == "ru" ? kRussian : kEnglish;
    const char* voices[2] = {std::string(language) == "ru" ? "Anna" : "SLT",
                             std::string(language) == "ru" ? "Aleksandr" : "CLB"};
    std::vector<test::Speech> clips;
    for (std::size_t i = 0; i < set.size(); ++i) {
      engines::EngineSettings tts_settings;
      tts_settings.language = language;
      tts_settings.voice = voices[i % 2];
      auto tts = registry.make_synthesizer("rhvoice", tts_settings);
      if (!tts) {
        std::fprintf(stderr, "%s\n", tts.error().to_string().c_str());
        return 1;
      }
      auto speech = test::synthesize(**tts, set[i].spoken, language);
      if (!speech) return 1;
      clips.push_back(std::move(*speech));
    }
    for (const bool telephone : {false, true}) {
      Tally fast, full, ps;
      for (std::size_t i = 0; i < set.size(); ++i) {
        const auto pcm = telephone ? test::through_alaw_call(clips[i].pcm) : clips[i].pcm;
        auto run = [&](voice::SpeechRecognizer& stt, Tally& tally, const char* label) {
          const auto start = Clock::now();
          auto heard = stt.recognize(pcm, language);
          const double took = std::chrono::duration<double>(Clock::now() - start).count();
          tally.add(set[i], heard ? heard->text : std::string(), took);
          std::printf("    %-13s %s -> \"%s\" (%.2f s)\n", label, set[i].spoken,
                      heard ? heard->text.c_str() : heard.error().to_string().c_str(), took);
        };
        run(*whisper_short, fast, "whisper-short");
        if (whisper_full) run(*whisper_full, full, "whisper-full");
        if (sphinx && std::string(language) == "en") run(**sphinx, ps, "pocketsphinx");
      }
      const char* band = telephone ? "8k" : "16k";
      std::printf("%-4s %-6s %-22s %6zu %6.1f %10.2f\n", language, band, "whisper short window", fast.clips,
                  fast.wer(), fast.mean());
      if (whisper_full) {
        std::printf("%-4s %-6s %-22s %6zu %6.1f %10.2f\n", language, band, "whisper full window", full.clips,
                    full.wer(), full.mean());
        std::printf("%-4s %-6s %-22s %6s %6s %10.2f\n", language, band, "short/full time ratio", "", "",
                    fast.mean() / full.mean());
      }
      if (ps.clips)
        std::printf("%-4s %-6s %-22s %6zu %6.1f %10.2f\n", language, band, "pocketsphinx", ps.clips, ps.wer(),
                    ps.mean());
      std::fflush(stdout);
    }
  }
  std::printf(
      "whisper short window: %zu fallbacks to the full window, %zu rejected decodes, max %d tokens, "
      "max %.1f tokens/s\n",
      short_decodes.fallbacks, short_decodes.rejected, short_decodes.max_tokens,
      short_decodes.max_tokens_per_second);
  return 0;
}
