#include "voice/endpointer.hpp"

#include <algorithm>

namespace va::voice {

namespace {

media::SampleTime samples(std::chrono::milliseconds duration) {
  return std::chrono::duration_cast<media::SampleTime>(duration);
}

}  // namespace

std::optional<EndpointEvent> Endpointer::push(bool speech, media::SampleTime timestamp,
                                              media::SampleTime lookback) {
  const media::SampleTime frame_end = timestamp + media::SampleTime{media::kFrameSamples};
  switch (state_) {
    case State::idle:
      if (!speech) return std::nullopt;
      state_ = State::onset;
      // The lookback reaches no further than the stream's start.
      lookback = std::clamp(lookback, media::SampleTime{0}, timestamp);
      start_ = timestamp - lookback;
      speech_ = lookback;
      [[fallthrough]];
    case State::onset:
      if (!speech) {
        if (frame_end - last_speech_ >= samples(settings_.onset_gap)) state_ = State::idle;
        return std::nullopt;
      }
      speech_ += media::SampleTime{media::kFrameSamples};
      last_speech_ = frame_end;
      if (speech_ < samples(settings_.min_speech)) return std::nullopt;
      state_ = State::speaking;
      return EndpointEvent{EndpointEvent::Kind::speech_started, start_, frame_end, false};
    case State::speaking:
      if (speech) last_speech_ = frame_end;
      if (frame_end - start_ >= samples(settings_.max_utterance)) {
        state_ = State::idle;
        return EndpointEvent{EndpointEvent::Kind::speech_ended, start_, last_speech_, true};
      }
      if (!speech && frame_end - last_speech_ >= samples(settings_.trailing_silence)) {
        state_ = State::idle;
        return EndpointEvent{EndpointEvent::Kind::speech_ended, start_, last_speech_, false};
      }
      return std::nullopt;
  }
  return std::nullopt;
}

void Endpointer::reset() {
  state_ = State::idle;
  start_ = last_speech_ = speech_ = media::SampleTime{0};
}

}  // namespace va::voice
