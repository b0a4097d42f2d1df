// One call's recording as the call's media thread sees it (issue 12 item 11): the caller's decoded frames and
// the agent's frames as they go to the leg are placed on one timeline — samples since the recording started —
// and handed to the writer thread (media/recording_writer.hpp) through a bounded single-producer,
// single-consumer queue. The media thread never blocks and never allocates here: a full queue drops the
// entry, counts it (recording_dropped_frames_total) and logs once per call.
//
// Placement is by sample counts anchored to the steady clock, never by arrival order:
// - caller frames follow each other sample for sample while their media timestamps are contiguous; a gap
//   in the stream (no RTP for a while) or a drift of more than kReanchorAfter from the clock re-anchors the
//   next frame at the clock. A tick burst after a stall (media_clock.hpp) therefore lands where it belongs.
// - an agent frame plays after the frames already queued on the leg: at the clock plus what is queued ahead
//   of it, contiguous with the frame before it while that estimate agrees within kReanchorAfter; at the
//   clock itself when nothing is queued (a new prompt).
// - a flush (barge-in) drops, in the writer, agent audio placed at or after the moment of the flush: what
//   was queued but never reached the caller is not in the recording.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "media/audio_frame.hpp"
#include "media/recording_mode.hpp"

namespace va::metrics {
class Counter;
}

namespace va::media {

class CallRecorder {
 public:
  using Clock = std::chrono::steady_clock;
  // Beyond this disagreement between the sample count and the clock, the clock wins.
  static constexpr SampleTime kReanchorAfter{SampleTime{kPipelineSampleRate / 5}};  // 200 ms

  struct Entry {
    enum class Kind : std::uint8_t { caller, agent, agent_flush };
    Kind kind = Kind::caller;
    SampleTime at{0};  // on the recording's timeline
    std::array<std::int16_t, kFrameSamples> samples{};
  };

  // `queue_capacity` entries (rounded up to a power of two) are allocated here, once.
  CallRecorder(std::string call_name, RecordingMode mode, std::vector<std::string> files,
               Clock::time_point started, std::size_t queue_capacity, metrics::Counter* dropped_metric);
  CallRecorder(const CallRecorder&) = delete;
  CallRecorder& operator=(const CallRecorder&) = delete;

  // --- the call's media thread ---
  void caller_audio(const AudioFrame& frame, Clock::time_point now);
  // `frames_queued_ahead`: the leg's queued_audio_frames() just before this frame was queued.
  void agent_audio(const AudioFrame& frame, std::size_t frames_queued_ahead, Clock::time_point now);
  void agent_flushed(Clock::time_point now);
  // The end of the recording; later calls are ignored.
  void stop(Clock::time_point now);

  // --- any thread ---
  const std::string& call_name() const { return call_name_; }
  RecordingMode mode() const { return mode_; }
  // The files (stereo: one; split: caller's, then agent's), fixed at construction.
  const std::vector<std::string>& files() const { return files_; }
  Clock::time_point started() const { return started_; }
  std::uint64_t dropped_entries() const { return dropped_.load(std::memory_order_relaxed); }
  bool stopped() const { return stopped_.load(std::memory_order_acquire); }
  // Valid once stopped() is true.
  SampleTime stopped_at() const { return SampleTime{stop_at_.load(std::memory_order_relaxed)}; }

  // --- the writer thread (the one consumer) ---
  // Moves the oldest entry into `out`; false when the queue is empty.
  bool pop(Entry& out);

 private:
  SampleTime elapsed(Clock::time_point now) const;
  // Claims the next slot or counts a drop; nullptr when full.
  Entry* begin_push();
  void end_push();

  const std::string call_name_;
  const RecordingMode mode_;
  const std::vector<std::string> files_;
  const Clock::time_point started_;
  metrics::Counter* dropped_metric_;

  std::unique_ptr<Entry[]> ring_;
  std::size_t mask_ = 0;
  std::atomic<std::size_t> head_{0};  // next to pop (writer)
  std::atomic<std::size_t> tail_{0};  // next to push (media thread)
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<bool> stopped_{false};
  std::atomic<std::int64_t> stop_at_{0};

  // The media thread's own placement state.
  bool caller_placed_ = false;
  SampleTime caller_next_{0};      // where a contiguous caller frame goes
  SampleTime caller_expected_{0};  // the media timestamp that continues the caller's stream
  SampleTime agent_next_{0};
  bool overflow_logged_ = false;
};

}  // namespace va::media
