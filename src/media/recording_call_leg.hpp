// A CallLeg that forwards everything to the call's real leg and shows the agent's side of the call to its
// recorder (media/call_recorder.hpp): each frame the leg accepts, with how much was queued ahead of it, and
// each flush. The handler is started on this leg instead of the real one; without a recorder attached it
// only forwards. Transports stay untouched: SIP dialogs and LiveKit rooms are recorded alike.
#pragma once

#include <memory>
#include <utility>

#include "media/call_leg.hpp"
#include "media/call_recorder.hpp"

namespace va::media {

class RecordingCallLeg final : public CallLeg {
 public:
  explicit RecordingCallLeg(CallLeg& leg) : leg_(leg) {}

  // From now on (the call's thread) the agent's audio goes to `recorder` too; nullptr detaches.
  void attach(std::shared_ptr<CallRecorder> recorder) { recorder_ = std::move(recorder); }

  std::string_view id() const override { return leg_.id(); }
  void set_observer(CallLegObserver* observer) override { leg_.set_observer(observer); }
  void answer() override { leg_.answer(); }
  void hangup(EndReason reason) override { leg_.hangup(reason); }
  void transfer(const std::string& target) override { leg_.transfer(target); }
  void hold(bool on) override { leg_.hold(on); }

  bool send_audio(const AudioFrame& frame) override {
    const auto ahead = recorder_ ? leg_.queued_audio_frames() : 0;
    const bool queued = leg_.send_audio(frame);
    if (queued && recorder_) recorder_->agent_audio(frame, ahead, CallRecorder::Clock::now());
    return queued;
  }
  void flush_audio() override {
    leg_.flush_audio();
    if (recorder_) recorder_->agent_flushed(CallRecorder::Clock::now());
  }
  std::size_t queued_audio_frames() const override { return leg_.queued_audio_frames(); }

  void send_dtmf(char digit, std::chrono::milliseconds duration) override { leg_.send_dtmf(digit, duration); }
  MediaStats stats() const override { return leg_.stats(); }

 private:
  CallLeg& leg_;
  std::shared_ptr<CallRecorder> recorder_;
};

}  // namespace va::media
