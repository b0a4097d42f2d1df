// Received room audio → pipeline frames. liblivekit_ffi delivers the caller's audio (already decoded from
// Opus and resampled to 16 kHz mono by the library) in chunks of about 10 ms; the pipeline wants 20 ms
// AudioFrames with a media timestamp. The assembler collects samples and hands out every complete frame.
// Fixed storage, no allocation per chunk.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>

#include "media/audio_frame.hpp"

namespace va::livekit::room {

class AudioFrameAssembler {
 public:
  // Appends `pcm` and calls `emit(const media::AudioFrame&)` for each frame it completes (a chunk longer
  // than the remainder of a frame completes several).
  template <class Emit>
  void push(std::span<const std::int16_t> pcm, Emit&& emit) {
    while (!pcm.empty()) {
      auto take = std::min(pcm.size(), media::kFrameSamples - filled_);
      std::copy_n(pcm.begin(), take, frame_.samples.begin() + static_cast<std::ptrdiff_t>(filled_));
      filled_ += take;
      pcm = pcm.subspan(take);
      if (filled_ == media::kFrameSamples) {
        emit(static_cast<const media::AudioFrame&>(frame_));
        frame_.timestamp = frame_.end();
        filled_ = 0;
      }
    }
  }

  // Samples waiting for the rest of their frame.
  std::size_t pending_samples() const { return filled_; }
  // Drops the partial frame and restarts the timeline at 0 (a new stream).
  void reset() {
    filled_ = 0;
    frame_.timestamp = media::SampleTime{0};
  }

 private:
  media::AudioFrame frame_{};
  std::size_t filled_ = 0;
};

}  // namespace va::livekit::room
