// The agent's audio on its way into the room: a bounded queue of 20 ms frames that the leg's media tick
// drains one frame per tick (design.md: one 20 ms tick paces every call on a thread), with silence when
// nothing is queued — the published track carries audio from the moment it is published, because LiveKit's
// SIP bridge answers the caller only once it hears a track (facts/livekit.md: ring time is join time).
//
// The frames handed to the library must stay untouched until its capture callback arrives (the protocol's
// rule for CaptureAudioFrameRequest), so they are copied into a small pool of in-flight slots; a slot is
// released by the callback. When every slot is in flight the library is behind real time: the tick sends
// nothing and keeps the queued frame for the next one.
//
// Single-threaded (the leg's executor). No allocation after construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "media/audio_frame.hpp"

namespace va::livekit::room {

class OutgoingAudio {
 public:
  explicit OutgoingAudio(std::size_t max_queued_frames, std::size_t in_flight_slots = 8);

  // Queues a frame; false (frame dropped) when the queue is full: the producer runs ahead of real time.
  bool push(const media::AudioFrame& frame);
  // Barge-in: drops everything queued.
  void flush();
  std::size_t queued() const { return queued_; }
  std::size_t capacity() const { return ring_.size(); }

  struct Capture {
    std::size_t slot = 0;
    const media::AudioFrame* frame = nullptr;  // valid until release(slot)
    bool silence = false;                      // nothing was queued
  };
  // The frame for this tick: the oldest queued one, else silence; placed in a free in-flight slot. Empty
  // when every slot is in flight (then nothing is dequeued).
  std::optional<Capture> next();
  // The library is done with `slot` (its capture callback arrived).
  void release(std::size_t slot);
  std::size_t in_flight() const;

  std::uint64_t frames_sent() const { return frames_sent_; }
  std::uint64_t silence_sent() const { return silence_sent_; }
  std::uint64_t stalls() const { return stalls_; }  // ticks without a free slot

 private:
  std::vector<media::AudioFrame> ring_;
  std::size_t head_ = 0;
  std::size_t queued_ = 0;
  std::vector<media::AudioFrame> slots_;
  std::vector<bool> busy_;
  std::uint64_t frames_sent_ = 0;
  std::uint64_t silence_sent_ = 0;
  std::uint64_t stalls_ = 0;
};

}  // namespace va::livekit::room
