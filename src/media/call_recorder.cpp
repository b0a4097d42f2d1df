#include "media/call_recorder.hpp"

#include <algorithm>
#include <bit>

#include "common/log.hpp"
#include "common/metrics.hpp"

namespace va::media {

CallRecorder::CallRecorder(std::string call_name, RecordingMode mode, std::vector<std::string> files,
                           Clock::time_point started, std::size_t queue_capacity,
                           metrics::Counter* dropped_metric)
    : call_name_(std::move(call_name)),
      mode_(mode),
      files_(std::move(files)),
      started_(started),
      dropped_metric_(dropped_metric) {
  const std::size_t capacity = std::bit_ceil(std::max<std::size_t>(queue_capacity, 2));
  ring_ = std::make_unique<Entry[]>(capacity);
  mask_ = capacity - 1;
}

SampleTime CallRecorder::elapsed(Clock::time_point now) const {
  auto t = std::chrono::duration_cast<SampleTime>(now - started_);
  return std::max(t, SampleTime{0});
}

CallRecorder::Entry* CallRecorder::begin_push() {
  const auto tail = tail_.load(std::memory_order_relaxed);
  if (tail - head_.load(std::memory_order_acquire) > mask_) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    if (dropped_metric_) dropped_metric_->inc();
    if (!overflow_logged_) {
      overflow_logged_ = true;  // once per call: a stalled disk must not flood the log from every call
      log::warn("recording: the writer is behind, frames dropped (logged once per call)",
                {{"call", call_name_}});
    }
    return nullptr;
  }
  return &ring_[tail & mask_];
}

void CallRecorder::end_push() {
  tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

void CallRecorder::caller_audio(const AudioFrame& frame, Clock::time_point now) {
  if (stopped_.load(std::memory_order_relaxed)) return;
  const auto clock = elapsed(now);
  // The frame just handed over ends about now: anchored, it starts one frame earlier.
  const auto anchored = std::max(clock - SampleTime{kFrameSamples}, SampleTime{0});
  SampleTime at = anchored;
  if (caller_placed_ && frame.timestamp == caller_expected_) {
    at = caller_next_;
    if (at - anchored > kReanchorAfter || anchored - at > kReanchorAfter) at = anchored;
  }
  caller_placed_ = true;
  caller_next_ = at + SampleTime{kFrameSamples};
  caller_expected_ = frame.end();
  auto* e = begin_push();
  if (!e) return;
  e->kind = Entry::Kind::caller;
  e->at = at;
  e->samples = frame.samples;
  end_push();
}

void CallRecorder::agent_audio(const AudioFrame& frame, std::size_t frames_queued_ahead,
                               Clock::time_point now) {
  if (stopped_.load(std::memory_order_relaxed)) return;
  const auto estimate =
      elapsed(now) + SampleTime{static_cast<std::int64_t>(frames_queued_ahead * kFrameSamples)};
  // With nothing queued the frame goes out on the leg's next tick: the clock is exact then.
  SampleTime at = agent_next_;
  if (frames_queued_ahead == 0 || at - estimate > kReanchorAfter || estimate - at > kReanchorAfter)
    at = estimate;
  agent_next_ = at + SampleTime{kFrameSamples};
  auto* e = begin_push();
  if (!e) return;
  e->kind = Entry::Kind::agent;
  e->at = at;
  e->samples = frame.samples;
  end_push();
}

void CallRecorder::agent_flushed(Clock::time_point now) {
  if (stopped_.load(std::memory_order_relaxed)) return;
  const auto at = elapsed(now);
  agent_next_ = at;
  auto* e = begin_push();
  if (!e) return;
  e->kind = Entry::Kind::agent_flush;
  e->at = at;
  end_push();
}

void CallRecorder::stop(Clock::time_point now) {
  if (stopped_.load(std::memory_order_relaxed)) return;
  stop_at_.store(elapsed(now).count(), std::memory_order_relaxed);
  stopped_.store(true, std::memory_order_release);
}

bool CallRecorder::pop(Entry& out) {
  const auto head = head_.load(std::memory_order_relaxed);
  if (head == tail_.load(std::memory_order_acquire)) return false;
  out = ring_[head & mask_];
  head_.store(head + 1, std::memory_order_release);
  return true;
}

}  // namespace va::media
