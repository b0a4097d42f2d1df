// Voicing: does a frame carry a periodic (pitched) sound? Speech has vowels and voiced consonants, driven by
// the vocal folds at 60-400 Hz; a cough, a breath into the microphone, a rustle or line noise are noise
// bursts without a pitch. The conversation asks for voicing before it counts VAD decisions as speech, so a
// burst that a VAD takes for speech (WebRTC's GMM VAD flags broadband noise) never cuts a prompt.
//
// The test is the normalised autocorrelation of the pre-emphasised signal over the pitch lags: a voiced
// frame has a clear peak (at least kThreshold) at its period. Pre-emphasis whitens pink and brown noise,
// whose slowly decaying autocorrelation would otherwise look periodic at short lags. It works on narrowband
// telephone audio too: the fundamental may be cut by the 300 Hz high-pass, its harmonics keep the period.
//
// Pure computation on fixed buffers: no allocation, one per call, on the call's thread.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

#include "media/audio_frame.hpp"

namespace va::voice {

class VoicingDetector {
 public:
  // Pitch lags at 16 kHz: 400 Hz down to 60 Hz.
  static constexpr std::size_t kMinLag = media::kPipelineSampleRate / 400;  // 40
  static constexpr std::size_t kMaxLag = media::kPipelineSampleRate / 60;   // 266
  // Measured on synthetic signals: noise 0.17-0.19, vowels with 1 % vibrato 0.55-0.65 (jitter and the
  // pre-emphasised upper harmonics keep real voices below 1).
  static constexpr double kThreshold = 0.4;
  // Below this RMS (pre-emphasised) a frame is silence, whatever its shape.
  static constexpr double kMinRms = 30.0;

  // Voicing of this frame (consecutive 20 ms frames of one stream): the best normalised autocorrelation
  // over the pitch lags, 0 for silence.
  double periodicity(const media::AudioFrame& frame);
  bool is_voiced(const media::AudioFrame& frame) { return periodicity(frame) >= kThreshold; }
  void reset();

 private:
  // The previous frame and this one, pre-emphasised: lags reach back into the previous frame.
  std::array<float, media::kFrameSamples + kMaxLag> window_{};
  float last_input_ = 0.0f;
};

// Speech as the conversation counts it: the VAD says speech and voicing was heard within `hangover`, so
// the unvoiced sounds around vowels ("с", "т", breath at the end of a phrase) still count once the voice is
// there, and a noise burst without voice never does. Voicing is two voiced frames in a row (40 ms; a vowel
// lasts longer): a single noise frame can reach the threshold — about one 150 ms pink-noise cough in 30 has
// one at its faded end, and it opened the gate for the whole cough.
class VoicedSpeechGate {
 public:
  static constexpr int kVoicedFrames = 2;

  explicit VoicedSpeechGate(std::chrono::milliseconds hangover = std::chrono::milliseconds(300))
      : hangover_frames_(static_cast<int>(hangover / media::kFrameDuration)) {}

  // Every frame of the stream goes through here (the voicing keeps the previous frame for its lags).
  // `vad_lookback`: the VAD's VoiceActivityDetector::decision_lookback() for this frame.
  bool is_speech(bool vad_speech, const media::AudioFrame& frame,
                 media::SampleTime vad_lookback = media::SampleTime{0}) {
    const bool closed = since_voiced_ > hangover_frames_;
    lookback_ = vad_lookback;
    if (voicing_.is_voiced(frame) && vad_speech) {
      if (voiced_run_++ == 0) run_lookback_ = vad_lookback;
      if (voiced_run_ >= kVoicedFrames) {
        since_voiced_ = 0;
        // Opened now: the voiced frames before this one were speech too (and what the VAD's decision on
        // the first of them covered).
        if (closed)
          lookback_ =
              media::SampleTime{static_cast<std::int64_t>((kVoicedFrames - 1) * media::kFrameSamples)} +
              run_lookback_;
        return true;
      }
    } else {
      voiced_run_ = 0;
    }
    if (since_voiced_ <= hangover_frames_) ++since_voiced_;
    return vad_speech && !closed && since_voiced_ <= hangover_frames_;
  }
  // How much audio before the last frame its speech decision covers (Endpointer::push's lookback).
  media::SampleTime lookback() const { return lookback_; }
  void reset() {
    voicing_.reset();
    since_voiced_ = hangover_frames_ + 1;
    voiced_run_ = 0;
    lookback_ = run_lookback_ = media::SampleTime{0};
  }

 private:
  VoicingDetector voicing_;
  int hangover_frames_;
  int since_voiced_ = hangover_frames_ + 1;
  int voiced_run_ = 0;                 // voiced frames in a row, up to this one
  media::SampleTime run_lookback_{0};  // the VAD's lookback at the run's first frame
  media::SampleTime lookback_{0};
};

}  // namespace va::voice
