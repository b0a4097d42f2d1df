// Silero VAD v5 on real synthesised speech (RHVoice), alone, through the telephone path and in noise against
// the WebRTC VAD on the same labelled clip; and is_speech() allocation-free after warm-up. Labels come from
// the clean clip's frame energy. Allocations are counted by support/allocation_window, which replaces
// the global operator new: a test executable of its own.
#include "engines/vad/silero_vad.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <new>
#include <random>
#include <vector>

#include "engines/vad/webrtc_vad.hpp"
#include "media/audio_frame.hpp"
#include "shared_engines.hpp"
#include "speech_audio.hpp"
#include "support/allocation_window.hpp"

// ONNX Runtime (the npm build, no symbols) leaks two blocks once per process when a session is created: one
// from a thread it starts under pthread_once, one deep inside session initialisation. Not ours to fix; every
// other leak still fails the test.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libonnxruntime.so\n";
}

namespace va::test {
namespace {

using Pcm = std::vector<std::int16_t>;
constexpr std::size_t kFrame = media::kFrameSamples;

// The model shared by the tests of this process, or nullptr with `why` set.
std::shared_ptr<engines::SileroVadModel> silero_model(std::string& why) {
  static auto loaded = engines::load_silero_vad_model({});
  if (!loaded) {
    why = loaded.error();
    return nullptr;
  }
  return *loaded;
}

std::unique_ptr<voice::VoiceActivityDetector> silero(std::string& why) {
  auto model = silero_model(why);
  if (!model) return nullptr;
  auto vad = engines::make_silero_vad(model);
  if (!vad) {
    why = vad.error();
    return nullptr;
  }
  return std::move(*vad);
}

// A Russian and an English phrase with digital silence around and between them (about 6 s).
const Pcm& speech_clip(std::string& why) {
  static const Pcm clip = [&] {
    Pcm out;
    const Pcm pause(kRate * 6 / 10, 0);
    struct Line {
      const char* language;
      const char* voice;
      const char* text;
    };
    for (const Line& line : {Line{"ru", "Anna", "Соедините меня с оператором, пожалуйста"},
                             Line{"en", "SLT", "I would like to check my balance"}}) {
      auto tts = synthesizer("rhvoice", line.language, line.voice, why);
      if (!tts) return Pcm{};
      auto speech = synthesize(*tts, line.text, line.language);
      if (!speech) {
        why = speech.error().to_string();
        return Pcm{};
      }
      out.insert(out.end(), pause.begin(), pause.end());
      out.insert(out.end(), speech->pcm.begin(), speech->pcm.end());
    }
    out.insert(out.end(), pause.begin(), pause.end());
    out.resize(out.size() / kFrame * kFrame);
    return out;
  }();
  return clip;
}

std::size_t frames_of(const Pcm& pcm) {
  return pcm.size() / kFrame;
}

media::AudioFrame frame_at(const Pcm& pcm, std::size_t index) {
  media::AudioFrame frame;
  std::copy_n(pcm.begin() + static_cast<std::ptrdiff_t>(index * kFrame), kFrame, frame.samples.begin());
  return frame;
}

// Speech where a clean frame is within 30 dB of the loudest frame (RHVoice's pauses are digital silence).
std::vector<bool> energy_labels(const Pcm& clean) {
  std::vector<double> levels;
  double loudest = media::kSilenceDbfs;
  for (std::size_t i = 0; i < frames_of(clean); ++i) {
    const auto frame = frame_at(clean, i);
    levels.push_back(media::level_dbfs(frame.pcm()));
    loudest = std::max(loudest, levels.back());
  }
  std::vector<bool> labels;
  for (double level : levels) labels.push_back(level > loudest - 30.0);
  return labels;
}

// Frames farther than 300 ms from any labelled speech frame: silence every VAD must call silence.
std::vector<bool> clear_silence(const std::vector<bool>& labels) {
  constexpr std::ptrdiff_t kMargin = 15;
  std::vector<bool> clear(labels.size(), true);
  for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(labels.size()); ++i)
    if (labels[static_cast<std::size_t>(i)])
      for (auto j = std::max<std::ptrdiff_t>(0, i - kMargin);
           j <= std::min<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(labels.size()) - 1, i + kMargin); ++j)
        clear[static_cast<std::size_t>(j)] = false;
  return clear;
}

std::vector<bool> decisions(voice::VoiceActivityDetector& vad, const Pcm& pcm) {
  vad.reset();
  std::vector<bool> out;
  for (std::size_t i = 0; i < frames_of(pcm); ++i) out.push_back(vad.is_speech(frame_at(pcm, i)));
  return out;
}

// Fraction of the frames selected by `where` that the detector called speech.
double speech_fraction(const std::vector<bool>& decided, const std::vector<bool>& where) {
  std::size_t n = 0, speech = 0;
  for (std::size_t i = 0; i < decided.size() && i < where.size(); ++i)
    if (where[i]) {
      ++n;
      speech += decided[i] ? 1 : 0;
    }
  return n == 0 ? 0.0 : static_cast<double>(speech) / static_cast<double>(n);
}

double accuracy(const std::vector<bool>& decided, const std::vector<bool>& labels) {
  std::size_t right = 0;
  for (std::size_t i = 0; i < decided.size(); ++i) right += decided[i] == labels[i] ? 1 : 0;
  return static_cast<double>(right) / static_cast<double>(decided.size());
}

std::vector<bool> negate(const std::vector<bool>& v) {
  std::vector<bool> out;
  for (bool b : v) out.push_back(!b);
  return out;
}

Pcm white_noise(std::size_t samples, double rms, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> gauss(0.0, rms);
  Pcm out(samples);
  for (auto& s : out) s = static_cast<std::int16_t>(std::clamp(gauss(rng), -32768.0, 32767.0));
  return out;
}

// clean + white noise, the noise scaled to `snr_db` below the speech power of the labelled speech frames.
Pcm with_noise(const Pcm& clean, const std::vector<bool>& labels, double snr_db, unsigned seed) {
  double power = 0;
  std::size_t n = 0;
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i])
      for (std::size_t k = 0; k < kFrame; ++k, ++n) power += std::pow(clean[i * kFrame + k], 2.0);
  const double noise_rms = std::sqrt(power / static_cast<double>(n) / std::pow(10.0, snr_db / 10.0));
  const auto noise = white_noise(clean.size(), noise_rms, seed);
  Pcm out(clean.size());
  for (std::size_t i = 0; i < clean.size(); ++i)
    out[i] = static_cast<std::int16_t>(std::clamp(clean[i] + noise[i], -32768, 32767));
  return out;
}

#define VA_REQUIRE_SILERO(vad, why) VA_REQUIRE_ENGINE(vad, why)
#define VA_REQUIRE_CLIP(clip, why) \
  if ((clip).empty()) GTEST_SKIP() << "no speech synthesiser here: " << (why)

TEST(SileroVad, TheRegistryListsItWithTheProbesReason) {
  const auto status = status_of("silero");
  EXPECT_EQ(status.name, "silero");
  EXPECT_EQ(status.kind, engines::EngineKind::vad);
  EXPECT_FALSE(status.detail.empty());
  if (status.available)
    EXPECT_NE(status.detail.find("ONNX Runtime"), std::string::npos) << status.detail;
  else
    EXPECT_NE(status.detail.find("scripts/setup"), std::string::npos) << status.detail;
  std::printf("silero: %s (%s)\n", status.available ? "available" : "unavailable", status.detail.c_str());
}

TEST(SileroVad, AMissingOrWrongModelIsAnErrorNamingTheFile) {
  std::string why;
  if (!silero_model(why)) GTEST_SKIP() << why;
  auto missing = engines::load_silero_vad_model({"/nonexistent/silero.onnx", {}});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("/nonexistent/silero.onnx"), std::string::npos) << missing.error();
  EXPECT_NE(missing.error().find("scripts/setup"), std::string::npos) << missing.error();

  const auto bogus = std::string(::testing::TempDir()) + "/not_a_model.onnx";
  std::ofstream(bogus) << "this is not an ONNX model";
  auto wrong = engines::load_silero_vad_model({bogus, {}});
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().find(bogus), std::string::npos) << wrong.error();

  auto bad_library = engines::load_silero_vad_model({{}, "/etc/hostname"});
  ASSERT_FALSE(bad_library.ok());
  EXPECT_NE(bad_library.error().find("/etc/hostname"), std::string::npos) << bad_library.error();

  auto out_of_range = engines::make_silero_vad(silero_model(why), {{}, {}, 1.5f, 0.15f});
  EXPECT_FALSE(out_of_range.ok());
}

TEST(SileroVad, DetectsSynthesisedSpeechAndNotTheSilenceAroundIt) {
  std::string why;
  auto vad = silero(why);
  VA_REQUIRE_SILERO(vad, why);
  const auto& clip = speech_clip(why);
  VA_REQUIRE_CLIP(clip, why);
  const auto labels = energy_labels(clip);
  const auto decided = decisions(*vad, clip);
  const double hit = speech_fraction(decided, labels);
  const double false_alarm = speech_fraction(decided, clear_silence(labels));
  std::printf("clean 16 kHz: %.3f of speech frames detected, %.3f of clear silence called speech\n", hit,
              false_alarm);
  EXPECT_GE(hit, 0.85);
  EXPECT_LE(false_alarm, 0.02);
}

TEST(SileroVad, DetectsSpeechThatCameThroughAnALawCallAt8kHz) {
  std::string why;
  auto vad = silero(why);
  VA_REQUIRE_SILERO(vad, why);
  const auto& clip = speech_clip(why);
  VA_REQUIRE_CLIP(clip, why);
  const auto labels = energy_labels(clip);
  auto narrow = through_alaw_call(clip);
  narrow.resize(clip.size());
  const auto decided = decisions(*vad, narrow);
  const double hit = speech_fraction(decided, labels);
  const double false_alarm = speech_fraction(decided, clear_silence(labels));
  std::printf("8 kHz A-law: %.3f of speech frames detected, %.3f of clear silence called speech\n", hit,
              false_alarm);
  EXPECT_GE(hit, 0.8);
  EXPECT_LE(false_alarm, 0.02);
}

TEST(SileroVad, SilenceAndModerateWhiteNoiseAreNotSpeech) {
  std::string why;
  auto vad = silero(why);
  VA_REQUIRE_SILERO(vad, why);
  const Pcm silence(kRate * 3, 0);
  const std::vector<bool> all(frames_of(silence), true);
  EXPECT_EQ(speech_fraction(decisions(*vad, silence), all), 0.0);
  // RMS 1000 is about -30 dBFS: loud hiss for a phone line.
  const auto noise = white_noise(kRate * 5, 1000.0, 7);
  const double noise_speech = speech_fraction(decisions(*vad, noise), all);
  std::printf("white noise at -30 dBFS: %.3f of frames called speech\n", noise_speech);
  EXPECT_LE(noise_speech, 0.02);
}

TEST(SileroVad, IsAtLeastAsAccurateAsWebRtcOnSpeechIn5dBNoise) {
  std::string why;
  auto vad = silero(why);
  VA_REQUIRE_SILERO(vad, why);
  const auto& clip = speech_clip(why);
  VA_REQUIRE_CLIP(clip, why);
  auto webrtc = engines::make_webrtc_vad({});
  ASSERT_TRUE(webrtc.ok()) << webrtc.error();
  const auto labels = energy_labels(clip);
  for (unsigned seed : {1u, 2u, 3u}) {
    const auto noisy = with_noise(clip, labels, 5.0, seed);
    const auto by_silero = decisions(*vad, noisy);
    const auto by_webrtc = decisions(**webrtc, noisy);
    const double silero_accuracy = accuracy(by_silero, labels);
    const double webrtc_accuracy = accuracy(by_webrtc, labels);
    std::printf(
        "5 dB SNR (seed %u): frame accuracy silero %.3f (speech %.3f, silence %.3f), webrtc %.3f (speech "
        "%.3f, "
        "silence %.3f)\n",
        seed, silero_accuracy, speech_fraction(by_silero, labels),
        1.0 - speech_fraction(by_silero, negate(labels)), webrtc_accuracy, speech_fraction(by_webrtc, labels),
        1.0 - speech_fraction(by_webrtc, negate(labels)));
    EXPECT_GE(silero_accuracy, webrtc_accuracy);
  }
}

TEST(SileroVad, ADecisionLooksBackToTheStartOfItsWindow) {
  std::string why;
  auto vad = silero(why);
  VA_REQUIRE_SILERO(vad, why);
  const auto& clip = speech_clip(why);
  VA_REQUIRE_CLIP(clip, why);
  // Eight 320-sample frames hold five 512-sample windows: five frames of eight end a window, whose start
  // lies 192-511 samples before the frame's; the other three keep the previous decision and look back 0.
  // A decision that starts speech reaches 30 ms (480 samples) further back.
  constexpr std::int64_t kPad = 480;
  std::size_t with_window = 0;
  std::size_t onsets = 0;
  bool was_speech = false;
  const std::size_t frames = frames_of(clip);
  for (std::size_t i = 0; i < frames; ++i) {
    const bool speech = vad->is_speech(frame_at(clip, i));
    const auto lookback = vad->decision_lookback().count();
    const bool started = speech && !was_speech;
    if (lookback != 0) {
      ++with_window;
      EXPECT_GE(lookback, 192 + (started ? kPad : 0)) << "frame " << i;
      EXPECT_LT(lookback, 512 + (started ? kPad : 0)) << "frame " << i;
    }
    if (started) {
      ++onsets;
      EXPECT_NE(lookback, 0) << "a decision changes only when a window ran, frame " << i;
    }
    was_speech = speech;
  }
  EXPECT_NEAR(static_cast<double>(with_window), static_cast<double>(frames) * 5.0 / 8.0, 1.0);
  EXPECT_GE(onsets, 2u);
  vad->reset();
  EXPECT_EQ(vad->decision_lookback().count(), 0);
}

TEST(SileroVad, DetectorsOverOneModelKeepTheirOwnState) {
  std::string why;
  auto a = silero(why);
  VA_REQUIRE_SILERO(a, why);
  auto b = silero(why);
  ASSERT_TRUE(b) << why;
  const auto& clip = speech_clip(why);
  VA_REQUIRE_CLIP(clip, why);
  const auto labels = energy_labels(clip);
  const auto alone = decisions(*a, clip);
  a->reset();
  b->reset();
  std::vector<bool> interleaved;
  const auto silent = media::AudioFrame::silence();
  std::size_t b_speech = 0;
  for (std::size_t i = 0; i < frames_of(clip); ++i) {
    interleaved.push_back(a->is_speech(frame_at(clip, i)));
    b_speech += b->is_speech(silent) ? 1 : 0;
  }
  EXPECT_EQ(interleaved, alone);
  EXPECT_EQ(b_speech, 0u);
  // reset() forgets the speech: silence right after is silence.
  a->reset();
  EXPECT_FALSE(a->is_speech(silent));
}

// Our side of is_speech() (framing, hysteresis, tensors made once over member buffers) allocates nothing;
// OrtApi::Run itself allocates inside ONNX Runtime on every window (its executor's bookkeeping, through the
// global operator new) — measured here and reported, not hidden: docs/engines.md.
TEST(SileroVad, FramesBetweenModelRunsDoNotAllocateAndRunsAllocateAFixedAmount) {
  {
    test::AllocationWindow window;
    void* p = ::operator new(64);
    ::operator delete(p);
    ASSERT_EQ(window.close(), 1u) << "the allocation counter does not see operator new";
  }
  std::string why;
  auto vad = silero(why);
  VA_REQUIRE_SILERO(vad, why);
  const auto& clip = speech_clip(why);
  VA_REQUIRE_CLIP(clip, why);
  std::vector<media::AudioFrame> frames;
  for (std::size_t i = 0; i < frames_of(clip); ++i) frames.push_back(frame_at(clip, i));
  vad->reset();
  constexpr std::size_t kWarmUp = 50;  // a few model runs
  std::size_t between_runs = 0, between_frames = 0, min_per_run = SIZE_MAX, max_per_run = 0, runs = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    // After reset(), frame i completes a 512-sample window when the sample count crosses a multiple of 512.
    const bool runs_model = (i + 1) * kFrame / 512 > i * kFrame / 512;
    test::AllocationWindow window;
    vad->is_speech(frames[i]);
    const std::size_t n = window.close();
    if (i < kWarmUp) continue;
    if (runs_model) {
      ++runs;
      min_per_run = std::min(min_per_run, n);
      max_per_run = std::max(max_per_run, n);
    } else {
      ++between_frames;
      between_runs += n;
    }
  }
  std::printf("allocations: %zu in %zu frames without a model run; %zu..%zu per model run (%zu runs)\n",
              between_runs, between_frames, min_per_run, max_per_run, runs);
  EXPECT_GT(between_frames, 50u);
  EXPECT_EQ(between_runs, 0u);
  // Steady state: every run allocates the same (nothing accumulates per window).
  EXPECT_EQ(min_per_run, max_per_run);
}

}  // namespace
}  // namespace va::test
