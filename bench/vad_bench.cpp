// Per-frame cost of the Silero VAD (ONNX Runtime) against the WebRTC VAD, measured in one run on the same
// audio: RHVoice speech with pauses (or white noise when RHVoice is missing), pushed through each detector as
// 20 ms frames. Prints the median of the repetitions and the ratio silero / webrtc. docs/benchmarks.md,
// "VAD".
//   vad_bench [repetitions=15] [passes per repetition=20]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "engines/engine_registry.hpp"
#include "engines/vad/silero_vad.hpp"
#include "engines/vad/webrtc_vad.hpp"
#include "media/audio_frame.hpp"

namespace {

using namespace va;

std::vector<media::AudioFrame> test_audio(const engines::EngineRegistry& registry, const char*& source) {
  std::vector<std::int16_t> pcm;
  engines::EngineSettings settings;
  settings.language = "ru";
  settings.voice = "Anna";
  if (auto tts = registry.make_synthesizer("rhvoice", settings)) {
    const std::vector<std::int16_t> pause(8000, 0);
    for (const char* text : {"Соедините меня с оператором, пожалуйста", "Я хочу узнать баланс"}) {
      pcm.insert(pcm.end(), pause.begin(), pause.end());
      auto said = (*tts)->synthesize(text, "ru", [&](std::span<const std::int16_t> chunk) {
        pcm.insert(pcm.end(), chunk.begin(), chunk.end());
        return true;
      });
      if (!said) {
        pcm.clear();
        break;
      }
    }
    source = "RHVoice ru Anna speech with 0.5 s pauses";
  }
  if (pcm.empty()) {
    std::mt19937 rng(1);
    std::normal_distribution<double> gauss(0.0, 1000.0);
    pcm.resize(5 * media::kPipelineSampleRate);
    for (auto& s : pcm) s = static_cast<std::int16_t>(std::clamp(gauss(rng), -32768.0, 32767.0));
    source = "white noise at -30 dBFS (RHVoice missing)";
  }
  std::vector<media::AudioFrame> frames(pcm.size() / media::kFrameSamples);
  for (std::size_t i = 0; i < frames.size(); ++i)
    std::copy_n(pcm.begin() + static_cast<std::ptrdiff_t>(i * media::kFrameSamples), media::kFrameSamples,
                frames[i].samples.begin());
  return frames;
}

// Median over `repetitions` of the mean nanoseconds per frame of `passes` passes over the frames.
double median_ns_per_frame(voice::VoiceActivityDetector& vad, const std::vector<media::AudioFrame>& frames,
                           int repetitions, int passes, std::size_t& speech) {
  std::vector<double> per_frame;
  for (int r = 0; r < repetitions; ++r) {
    speech = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int p = 0; p < passes; ++p) {
      vad.reset();
      for (const auto& frame : frames) speech += vad.is_speech(frame) ? 1 : 0;
    }
    const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
    per_frame.push_back(took.count() / static_cast<double>(frames.size() * static_cast<std::size_t>(passes)));
  }
  std::sort(per_frame.begin(), per_frame.end());
  speech /= static_cast<std::size_t>(passes);
  return per_frame[per_frame.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int repetitions = std::clamp(argc > 1 ? std::atoi(argv[1]) : 15, 1, 1000);
  const int passes = std::clamp(argc > 2 ? std::atoi(argv[2]) : 20, 1, 1000);
  engines::EngineRegistry registry;
  engines::register_builtin_engines(registry);
  const char* source = "";
  const auto frames = test_audio(registry, source);

  auto webrtc = engines::make_webrtc_vad({});
  auto model = engines::load_silero_vad_model({});
  if (!webrtc || !model) {
    std::fprintf(stderr, "vad_bench: %s\n", !webrtc ? webrtc.error().c_str() : model.error().c_str());
    return 1;
  }
  auto silero = engines::make_silero_vad(*model);
  if (!silero) {
    std::fprintf(stderr, "vad_bench: %s\n", silero.error().c_str());
    return 1;
  }
  std::size_t webrtc_speech = 0, silero_speech = 0;
  // Warm-up pass of each (first model runs, caches), then interleaved measurement.
  median_ns_per_frame(**webrtc, frames, 1, 1, webrtc_speech);
  median_ns_per_frame(**silero, frames, 1, 1, silero_speech);
  const double webrtc_ns = median_ns_per_frame(**webrtc, frames, repetitions, passes, webrtc_speech);
  const double silero_ns = median_ns_per_frame(**silero, frames, repetitions, passes, silero_speech);
  std::printf("audio: %s, %zu frames of 20 ms; %d repetitions x %d passes\n", source, frames.size(),
              repetitions, passes);
  std::printf("webrtc (mode 2): %8.2f us per frame, %zu speech frames\n", webrtc_ns / 1000, webrtc_speech);
  std::printf("silero (v5):     %8.2f us per frame, %zu speech frames (%.2f us per 32 ms model run)\n",
              silero_ns / 1000, silero_speech, silero_ns / 1000 * 512.0 / media::kFrameSamples);
  std::printf("ratio silero / webrtc: %.1f; silero share of one core in real time: %.3f %%\n",
              silero_ns / webrtc_ns, silero_ns / 20e6 * 100);
  return 0;
}
