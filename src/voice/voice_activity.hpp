// Voice activity detection behind one interface (engines/vad/ implements it: WebRTC VAD by default, Silero as
// the accurate option). A detector looks at one pipeline frame (20 ms, 16 kHz) at a time and says whether it
// holds speech; the Endpointer turns those decisions into utterances.
//
// Threading: a detector belongs to one call and runs on that call's thread; is_speech() is on the media path
// and must not allocate or block.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "media/audio_frame.hpp"

namespace va::voice {

class VoiceActivityDetector {
 public:
  virtual ~VoiceActivityDetector() = default;
  virtual std::string_view name() const = 0;
  // Speech in this frame? Frames are consecutive 20 ms pipeline frames of one stream.
  virtual bool is_speech(const media::AudioFrame& frame) = 0;
  // How much audio before the last frame's start the last decision rests on. A detector that scores windows
  // longer than a frame (Silero: 32 ms) decides on a window that began before the frame it answers for: when
  // that decision starts speech, the speech began with the window, and the endpointer counts it from there
  // (the window's audio is not heard twice, and min_speech is not waited for again).
  virtual media::SampleTime decision_lookback() const { return media::SampleTime{0}; }
  // Forget the stream (a new call, or the stream restarted after hold).
  virtual void reset() = 0;
};

}  // namespace va::voice
