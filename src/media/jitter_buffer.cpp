#include "media/jitter_buffer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>

namespace va::media {

JitterBuffer::JitterBuffer(JitterBufferConfig config) : config_(config) {
  if (config_.clock_rate <= 0 || config_.tick.count() <= 0 || config_.min_delay.count() < 0 ||
      config_.max_delay < config_.min_delay || config_.capacity == 0 || config_.max_payload == 0) {
    throw std::invalid_argument("jitter buffer: invalid configuration");
  }
  tick_units_ = units(config_.tick);
  min_delay_units_ = units(config_.min_delay);
  max_delay_units_ = units(config_.max_delay);
  max_concealment_units_ = units(kMaxConcealment);
  target_units_ = min_delay_units_;
  stats_.target_delay = config_.min_delay;
  slots_.resize(config_.capacity);
  payloads_.resize(config_.capacity * config_.max_payload);
}

std::int64_t JitterBuffer::units(std::chrono::microseconds d) const {
  return d.count() * config_.clock_rate / 1'000'000;
}

std::int64_t JitterBuffer::units(Clock::time_point t) const {
  return units(std::chrono::duration_cast<std::chrono::microseconds>(t - origin_));
}

std::chrono::microseconds JitterBuffer::to_duration(std::int64_t u) const {
  return std::chrono::microseconds(u * 1'000'000 / config_.clock_rate);
}

void JitterBuffer::reset() {
  for (Slot& slot : slots_) slot.used = false;
  count_ = 0;
  have_stream_ = false;
  received_mask_ = 0;
  transit_count_ = 0;
  transit_next_ = 0;
  jitter_units_ = 0;
  target_units_ = min_delay_units_;
  playing_ = false;
  have_playout_ = false;
  concealed_run_ = 0;
  pulls_since_adapt_ = 0;
  stats_.target_delay = config_.min_delay;
  stats_.current_delay = std::chrono::microseconds{0};
}

void JitterBuffer::restart_stream(std::uint32_t ssrc, const RtpAudioPacket& packet) {
  reset();
  have_stream_ = true;
  ssrc_ = ssrc;
  last_timestamp_ = packet.timestamp;
  last_ext_timestamp_ = packet.timestamp;
  last_sequence_ = packet.sequence;
  last_ext_sequence_ = packet.sequence;
  highest_sequence_ = packet.sequence;
}

bool JitterBuffer::seen_before(std::int64_t sequence) {
  if (sequence > highest_sequence_) {
    const std::int64_t shift = sequence - highest_sequence_;
    received_mask_ = shift >= 64 ? 0 : received_mask_ << shift;
    received_mask_ |= 1;
    highest_sequence_ = sequence;
    return false;
  }
  const std::int64_t age = highest_sequence_ - sequence;
  if (age >= 64) return false;  // too old to tell; the late check drops it
  const std::uint64_t bit = std::uint64_t{1} << age;
  if ((received_mask_ & bit) != 0) return true;
  received_mask_ |= bit;
  return false;
}

std::int64_t JitterBuffer::base_transit() const {
  if (transit_count_ == 0) return 0;
  return *std::min_element(transits_.begin(),
                           transits_.begin() + static_cast<std::ptrdiff_t>(transit_count_));
}

void JitterBuffer::record_transit(std::int64_t transit) {
  if (transit_count_ > 0) {
    // RFC 3550 §6.4.1: J += (|D| − J) / 16.
    const auto d = static_cast<double>(std::llabs(transit - last_transit_));
    jitter_units_ += (d - jitter_units_) / 16.0;
  }
  last_transit_ = transit;
  transits_[transit_next_] = transit;
  transit_next_ = (transit_next_ + 1) % kTransitWindow;
  transit_count_ = std::min(transit_count_ + 1, kTransitWindow);

  // 99th percentile: the largest lateness in the window, ignoring isolated outliers (one per hundred
  // packets). Lateness is transit − base, so its order is the transits' order: the percentile is the k-th
  // largest transit less the smallest, with k = 1 or 2 for a window of at most 200. One pass finds both; this
  // runs for every packet of every call (a sort of the window here was 4 % of the CPU of 300 echo calls).
  static_assert(kTransitWindow <= 200, "the percentile below keeps the top two values only");
  const std::size_t rank = (transit_count_ * 99 + 99) / 100 - 1;
  const std::size_t k = transit_count_ - rank;
  std::int64_t base = transits_[0];
  std::int64_t first = std::numeric_limits<std::int64_t>::min();
  std::int64_t second = first;
  for (std::size_t i = 0; i < transit_count_; ++i) {
    const std::int64_t t = transits_[i];
    base = std::min(base, t);
    if (t > first) {
      second = first;
      first = t;
    } else if (t > second) {
      second = t;
    }
  }
  const std::int64_t percentile = (k == 1 ? first : second) - base;
  target_units_ = std::clamp(percentile, min_delay_units_, max_delay_units_);
  stats_.target_delay = to_duration(target_units_);
  stats_.jitter = to_duration(std::llround(jitter_units_));
}

PushResult JitterBuffer::push(const RtpAudioPacket& packet, Clock::time_point arrival) {
  if (packet.duration == 0 || packet.payload.size() > config_.max_payload) {
    ++stats_.invalid;
    return PushResult::invalid;
  }
  const std::int64_t arrived = units(arrival);
  if (!have_stream_ || packet.ssrc != ssrc_) {
    if (have_stream_) ++stats_.resets;
    restart_stream(packet.ssrc, packet);
  }
  // Extend timestamp and sequence number relative to the previous packet (RTP wraps both).
  std::int64_t timestamp =
      last_ext_timestamp_ + static_cast<std::int32_t>(packet.timestamp - last_timestamp_);
  std::int64_t sequence = last_ext_sequence_ + static_cast<std::int16_t>(packet.sequence - last_sequence_);
  if (transit_count_ > 0 && (std::llabs(sequence - highest_sequence_) > kMaxSequenceJump ||
                             std::llabs(arrived - timestamp - last_transit_) > units(kMaxTransitJump))) {
    // The sender's timeline restarted under the same SSRC (a media server switched sources, a restart).
    ++stats_.resets;
    restart_stream(packet.ssrc, packet);
    timestamp = packet.timestamp;
    sequence = packet.sequence;
  }
  last_timestamp_ = packet.timestamp;
  last_ext_timestamp_ = timestamp;
  last_sequence_ = packet.sequence;
  last_ext_sequence_ = sequence;

  if (seen_before(sequence)) {
    ++stats_.duplicates;
    return PushResult::duplicate;
  }
  // Late packets count for the delay estimate too: they are the reason to wait longer.
  record_transit(arrived - timestamp);
  if (have_playout_ && timestamp < playout_) {
    ++stats_.late;
    return PushResult::late;
  }

  std::size_t slot = npos;
  if (count_ == slots_.size()) {
    slot = earliest();  // full (the consumer stopped pulling): the oldest audio goes
    free_slot(slot);
    ++stats_.discarded;
  } else {
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (!slots_[i].used) {
        slot = i;
        break;
      }
    }
  }
  Slot& s = slots_[slot];
  s = Slot{.used = true,
           .sequence = sequence,
           .timestamp = timestamp,
           .duration = packet.duration,
           .payload_type = packet.payload_type,
           .marker = packet.marker,
           .size = packet.payload.size()};
  std::copy(packet.payload.begin(), packet.payload.end(),
            payloads_.begin() + static_cast<std::ptrdiff_t>(slot * config_.max_payload));
  ++count_;
  ++stats_.received;
  return PushResult::buffered;
}

std::size_t JitterBuffer::earliest() const {
  std::size_t best = npos;
  if (count_ == 0) return best;  // every tick of a call that receives nothing (hold, silence) ends here
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].used && (best == npos || slots_[i].timestamp < slots_[best].timestamp)) best = i;
  }
  return best;
}

std::size_t JitterBuffer::find_timestamp(std::int64_t timestamp) const {
  if (count_ == 0) return npos;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].used && slots_[i].timestamp == timestamp) return i;
  }
  return npos;
}

void JitterBuffer::free_slot(std::size_t slot) {
  slots_[slot].used = false;
  --count_;
}

// Packets that overlap audio already played (a sender that changed its packetisation mid-stream).
void JitterBuffer::drop_stale() {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].used && slots_[i].timestamp < playout_) {
      free_slot(i);
      ++stats_.late;
    }
  }
}

Playout JitterBuffer::play(std::size_t slot) {
  const Slot& s = slots_[slot];
  if (have_playout_ && s.sequence > last_played_sequence_ + 1) {
    stats_.lost += static_cast<std::uint64_t>(s.sequence - last_played_sequence_ - 1);
  }
  Playout out;
  out.kind = Playout::Kind::packet;
  out.timestamp = static_cast<std::uint32_t>(s.timestamp);
  out.duration = s.duration;
  out.sequence = static_cast<std::uint16_t>(s.sequence);
  out.payload_type = s.payload_type;
  out.marker = s.marker;
  out.payload = std::span<const std::uint8_t>(payloads_).subspan(slot * config_.max_payload, s.size);
  playout_ = s.timestamp + s.duration;
  have_playout_ = true;
  last_played_sequence_ = s.sequence;
  last_duration_ = s.duration;
  concealed_run_ = 0;
  ++stats_.played;
  free_slot(slot);  // the payload bytes stay in place until a later push() reuses the slot
  return out;
}

Playout JitterBuffer::conceal(std::uint32_t duration, bool advance) {
  Playout out;
  out.kind = Playout::Kind::lost;
  out.timestamp = static_cast<std::uint32_t>(playout_);
  out.duration = duration;
  if (advance) playout_ += duration;
  concealed_run_ += duration;
  ++stats_.concealed;
  return out;
}

Playout JitterBuffer::idle_pull(std::int64_t now) {
  const std::size_t first = earliest();
  if (first != npos) {
    const std::int64_t waited = now - slots_[first].timestamp - base_transit();
    if (waited >= target_units_) {
      playing_ = true;
      pulls_since_adapt_ = 0;
      stats_.current_delay = to_duration(waited);
      return play(first);
    }
  }
  Playout out;
  out.kind = Playout::Kind::empty;
  out.timestamp = static_cast<std::uint32_t>(playout_);
  out.duration = static_cast<std::uint32_t>(tick_units_);
  ++stats_.empty;
  return out;
}

Playout JitterBuffer::pull(Clock::time_point now_time) {
  const std::int64_t now = units(now_time);
  if (!playing_) return idle_pull(now);

  drop_stale();
  const std::int64_t current = now - playout_ - base_transit();
  min_delay_since_adapt_ = pulls_since_adapt_ == 0 ? current : std::min(min_delay_since_adapt_, current);
  ++pulls_since_adapt_;
  stats_.current_delay = to_duration(current);
  const auto tick = static_cast<std::uint32_t>(tick_units_);

  const std::size_t next = earliest();
  if (next != npos && slots_[next].timestamp == playout_) {
    const Slot& s = slots_[next];
    if (pulls_since_adapt_ >= kAdaptInterval || current > max_delay_units_) {
      const std::int64_t hysteresis = std::max<std::int64_t>(tick_units_, s.duration);
      const bool excess = current > target_units_ + hysteresis;
      const bool sustained = min_delay_since_adapt_ > target_units_ + hysteresis;
      if (excess && (sustained || current > max_delay_units_)) {
        const std::size_t after = find_timestamp(s.timestamp + s.duration);
        if (after != npos) {
          // Drop one packet to shorten the delay. Counted as played-through, not lost.
          last_played_sequence_ = s.sequence;
          playout_ = s.timestamp + s.duration;
          free_slot(next);
          ++stats_.discarded;
          pulls_since_adapt_ = 0;
          return play(after);
        }
      } else if (current < target_units_) {
        // Stretch: one tick of concealment before this packet lengthens the delay by a tick.
        pulls_since_adapt_ = 0;
        ++stats_.grown;
        return conceal(tick, false);
      }
      pulls_since_adapt_ = 0;  // nothing to adjust: the next interval is judged on its own pulls
    }
    return play(next);
  }

  if (next != npos) {
    const Slot& s = slots_[next];
    const std::int64_t gap = s.timestamp - playout_;
    if (s.sequence == last_played_sequence_ + 1 || s.marker || gap > max_concealment_units_) {
      // Nothing is missing, or too much is: the sender paused (DTX) or the stream jumped. Start afresh at the
      // next talkspurt, with the target delay.
      playing_ = false;
      return idle_pull(now);
    }
    return conceal(static_cast<std::uint32_t>(std::min<std::int64_t>(gap, last_duration_)), true);
  }

  // Underrun: nothing buffered.
  if (concealed_run_ >= max_concealment_units_) {
    playing_ = false;  // the stream stopped (end of talkspurt without a marker, hold, or the peer went away)
    return idle_pull(now);
  }
  if (current < target_units_) {
    ++stats_.grown;  // the packet is probably late: wait for it
    return conceal(tick, false);
  }
  return conceal(last_duration_, true);  // at the target delay, a missing packet is lost
}

}  // namespace va::media
