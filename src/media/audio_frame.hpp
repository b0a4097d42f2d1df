// The pipeline's audio frame: the one format that crosses the leg/conversation seam (design.md, "the one
// seam"): 20 ms of 16-bit mono PCM at 16 kHz with the media time of its first sample.
//
// A frame is a plain value of fixed size (640 bytes of samples): it lives on the stack or in pre-sized
// queues, so moving audio through the pipeline never allocates.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ratio>
#include <span>

namespace va::media {

inline constexpr int kPipelineSampleRate = 16000;
inline constexpr std::chrono::milliseconds kFrameDuration{20};
inline constexpr std::size_t kFrameSamples = kPipelineSampleRate * kFrameDuration.count() / 1000;  // 320

// Media time counted in samples of the pipeline rate. Converts to and from std::chrono durations:
// `std::chrono::duration_cast<std::chrono::milliseconds>(t)`, `SampleTime{kFrameDuration}`.
using SampleTime = std::chrono::duration<std::int64_t, std::ratio<1, kPipelineSampleRate>>;

struct AudioFrame {
  std::array<std::int16_t, kFrameSamples> samples{};
  // Position of the first sample on the stream's media timeline (0 at the start of the stream).
  SampleTime timestamp{0};

  static AudioFrame silence(SampleTime timestamp = SampleTime{0});

  std::span<std::int16_t, kFrameSamples> pcm() { return samples; }
  std::span<const std::int16_t, kFrameSamples> pcm() const { return samples; }
  // The media time just after the last sample: the timestamp of the frame that follows.
  SampleTime end() const { return timestamp + SampleTime{kFrameSamples}; }
};

// Root mean square of the samples (0 for an empty span), in sample units.
double rms(std::span<const std::int16_t> pcm);
// RMS level relative to digital full scale: 20·log10(rms / 32768). A full-scale square wave is 0 dBFS, a
// full-scale sine about -3 dBFS. Digital silence (and an empty span) reports kSilenceDbfs.
inline constexpr double kSilenceDbfs = -120.0;
double level_dbfs(std::span<const std::int16_t> pcm);
// Largest absolute sample value (32768 for a sample of -32768).
int peak(std::span<const std::int16_t> pcm);
// True when the RMS level is below `threshold_dbfs`. The default (-60 dBFS) is below any speech that reaches
// us over a phone line and above the dither/idle noise of G.711 and G.722 decoders.
bool is_silence(std::span<const std::int16_t> pcm, double threshold_dbfs = -60.0);

}  // namespace va::media
