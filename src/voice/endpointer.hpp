// Endpointing: per-frame speech decisions (voice_activity.hpp) → utterances with a start and an end.
//
//   idle ──speech──► onset ──speech for min_speech──► speaking ──silence for trailing_silence──► idle
//                      └──silence for onset_gap (a click, a cough)──► idle
//
// - speech_started is reported when speech has lasted `min_speech` (with gaps shorter than `onset_gap`
//   bridged), stamped with the time speech began: a cough or a click shorter than min_speech is never an
//   utterance, and barge-in acts on this event (so min_speech is the barge-in's minimum speech too).
// - speech_ended is reported after `trailing_silence` without speech, stamped with the end of the last
//   speech frame; or when an utterance reaches `max_utterance` (forced, so one endless noise cannot hold
//   the turn forever).
//
// Pure logic on media time: no clock, no allocation; one per call, on the call's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "media/audio_frame.hpp"

namespace va::voice {

struct EndpointerSettings {
  std::chrono::milliseconds min_speech{120};
  std::chrono::milliseconds onset_gap{80};
  std::chrono::milliseconds trailing_silence{700};
  std::chrono::milliseconds max_utterance{20000};
};

struct EndpointEvent {
  enum class Kind : std::uint8_t { speech_started, speech_ended };
  Kind kind = Kind::speech_started;
  media::SampleTime start{0};  // where the utterance's speech began
  media::SampleTime end{0};    // speech_ended: just after its last speech frame
  bool forced = false;         // speech_ended at max_utterance, not after silence
};

class Endpointer {
 public:
  explicit Endpointer(EndpointerSettings settings = {}) : settings_(settings) {}

  // The decision for the frame starting at `timestamp` (frames are 20 ms and consecutive). Returns the event
  // this frame completes, if any. `lookback`: the decision also covers that much audio before the frame
  // (VoiceActivityDetector::decision_lookback); speech that starts here is counted from there.
  std::optional<EndpointEvent> push(bool speech, media::SampleTime timestamp,
                                    media::SampleTime lookback = media::SampleTime{0});

  bool in_utterance() const { return state_ == State::speaking; }
  // Speech heard but not yet long enough to be an utterance.
  bool in_onset() const { return state_ == State::onset; }
  media::SampleTime utterance_start() const { return start_; }
  const EndpointerSettings& settings() const { return settings_; }
  void reset();

 private:
  enum class State : std::uint8_t { idle, onset, speaking };

  EndpointerSettings settings_;
  State state_ = State::idle;
  media::SampleTime start_{0};        // first speech frame of the onset / utterance
  media::SampleTime last_speech_{0};  // end of the last speech frame
  media::SampleTime speech_{0};       // speech heard during the onset
};

}  // namespace va::voice
