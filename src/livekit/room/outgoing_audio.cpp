#include "livekit/room/outgoing_audio.hpp"

#include <algorithm>

namespace va::livekit::room {

OutgoingAudio::OutgoingAudio(std::size_t max_queued_frames, std::size_t in_flight_slots)
    : ring_(std::max<std::size_t>(max_queued_frames, 1)),
      slots_(std::max<std::size_t>(in_flight_slots, 1)),
      busy_(slots_.size(), false) {}

bool OutgoingAudio::push(const media::AudioFrame& frame) {
  if (queued_ == ring_.size()) return false;
  ring_[(head_ + queued_) % ring_.size()] = frame;
  ++queued_;
  return true;
}

void OutgoingAudio::flush() {
  head_ = 0;
  queued_ = 0;
}

std::optional<OutgoingAudio::Capture> OutgoingAudio::next() {
  auto free = std::find(busy_.begin(), busy_.end(), false);
  if (free == busy_.end()) {
    ++stalls_;
    return std::nullopt;
  }
  auto slot = static_cast<std::size_t>(free - busy_.begin());
  busy_[slot] = true;
  Capture capture{slot, &slots_[slot], queued_ == 0};
  if (queued_ > 0) {
    slots_[slot] = ring_[head_];
    head_ = (head_ + 1) % ring_.size();
    --queued_;
    ++frames_sent_;
  } else {
    slots_[slot].samples.fill(0);
    ++silence_sent_;
  }
  return capture;
}

void OutgoingAudio::release(std::size_t slot) {
  if (slot < busy_.size()) busy_[slot] = false;
}

std::size_t OutgoingAudio::in_flight() const {
  return static_cast<std::size_t>(std::count(busy_.begin(), busy_.end(), true));
}

}  // namespace va::livekit::room
