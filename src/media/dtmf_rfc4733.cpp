#include "media/dtmf_rfc4733.hpp"

#include <algorithm>

namespace va::media {

namespace {
constexpr std::string_view kDtmfCharacters = "0123456789*#ABCD!";
// A segment of a long event continues the press only when the previous segment was this long (about 4 s at
// 8 kHz): real segments end near 0xFFFF, while two quick presses of one key are short and leave a gap.
constexpr std::uint32_t kMinSegmentDuration = 0x8000;
// Packets of an event that are older than the newest one by up to this many seconds are late arrivals;
// anything older means the peer's timestamps started anew.
constexpr std::uint32_t kLateWindowSeconds = 10;
}  // namespace

std::optional<char> dtmf_event_character(std::uint8_t event) {
  if (event >= kDtmfCharacters.size()) return std::nullopt;
  return kDtmfCharacters[event];
}

std::optional<std::uint8_t> dtmf_event_code(char character) {
  if (character >= 'a' && character <= 'd') character = static_cast<char>(character - 'a' + 'A');
  const auto at = kDtmfCharacters.find(character);
  if (at == std::string_view::npos) return std::nullopt;
  return static_cast<std::uint8_t>(at);
}

std::optional<TelephoneEvent> decode_telephone_event(std::span<const std::uint8_t> payload) {
  if (payload.size() < kTelephoneEventSize) return std::nullopt;
  TelephoneEvent event;
  event.event = payload[0];
  event.end = (payload[1] & 0x80) != 0;
  event.volume = payload[1] & 0x3f;  // the R bit (0x40) is reserved and ignored
  event.duration = static_cast<std::uint16_t>((std::uint16_t{payload[2]} << 8) | payload[3]);
  return event;
}

std::array<std::uint8_t, kTelephoneEventSize> encode_telephone_event(const TelephoneEvent& event) {
  return {event.event, static_cast<std::uint8_t>((event.end ? 0x80 : 0) | (event.volume & 0x3f)),
          static_cast<std::uint8_t>(event.duration >> 8), static_cast<std::uint8_t>(event.duration)};
}

Rfc4733Receiver::Rfc4733Receiver(std::uint32_t clock_rate, std::chrono::milliseconds timeout)
    : clock_rate_(clock_rate), timeout_(timeout) {}

void Rfc4733Receiver::reset() {
  active_ = false;
  have_last_ = false;
  finished_count_ = 0;
  finished_next_ = 0;
}

bool Rfc4733Receiver::recently_finished(std::uint32_t timestamp) const {
  return std::find(finished_.begin(), finished_.begin() + static_cast<std::ptrdiff_t>(finished_count_),
                   timestamp) != finished_.begin() + static_cast<std::ptrdiff_t>(finished_count_);
}

void Rfc4733Receiver::remember_finished(std::uint32_t timestamp) {
  if (recently_finished(timestamp)) return;
  finished_[finished_next_] = timestamp;
  finished_next_ = (finished_next_ + 1) % finished_.size();
  finished_count_ = std::min(finished_count_ + 1, finished_.size());
}

bool Rfc4733Receiver::is_late(std::uint32_t timestamp, std::uint32_t reference) const {
  const std::uint32_t behind = reference - timestamp;
  return behind != 0 && behind <= clock_rate_ * kLateWindowSeconds;
}

void Rfc4733Receiver::finish(DtmfNotifications& out, bool end_received) {
  current_.end_received = end_received;
  out.items[out.count++] = DtmfNotification{DtmfNotification::Kind::end, current_};
  remember_finished(current_.timestamp);
  remember_finished(segment_timestamp_);
  active_ = false;
}

DtmfNotifications Rfc4733Receiver::on_packet(std::uint32_t rtp_timestamp, bool marker,
                                             std::span<const std::uint8_t> payload,
                                             std::chrono::steady_clock::time_point now) {
  DtmfNotifications out;
  const auto event = decode_telephone_event(payload);
  const auto character = event ? dtmf_event_character(event->event) : std::nullopt;
  if (!event || !character) {
    ++ignored_;
    return out;
  }
  // Retransmitted ends, duplicates and late packets of a press already reported.
  if (recently_finished(rtp_timestamp)) {
    ++ignored_;
    return out;
  }

  if (active_) {
    if (rtp_timestamp == segment_timestamp_) {
      if (event->event != current_.event) {  // one timestamp, two events: not something a sender does
        ++ignored_;
        return out;
      }
      // An update, a duplicate or a reordered older update: the duration only grows.
      current_.duration = std::max(current_.duration, segment_offset_ + event->duration);
      current_.volume = event->volume;
      last_heard_ = now;
      if (event->end) finish(out, true);
      return out;
    }
    if (is_late(rtp_timestamp, segment_timestamp_)) {
      ++ignored_;
      return out;
    }
    const std::uint32_t segment_length = current_.duration - segment_offset_;
    const std::uint32_t gap = rtp_timestamp - segment_timestamp_;
    const std::uint32_t tolerance = clock_rate_ / 20;  // 50 ms
    if (event->event == current_.event && !marker && segment_length >= kMinSegmentDuration &&
        gap <= segment_length + tolerance) {
      // The next segment of a long press (a long event is split before its duration field overflows).
      remember_finished(segment_timestamp_);
      segment_offset_ += gap;
      segment_timestamp_ = rtp_timestamp;
      last_timestamp_ = rtp_timestamp;
      current_.duration = std::max(current_.duration, segment_offset_ + event->duration);
      last_heard_ = now;
      if (event->end) finish(out, true);
      return out;
    }
    finish(out, false);  // a new event began without the previous end
  } else if (have_last_ && is_late(rtp_timestamp, last_timestamp_)) {
    ++ignored_;  // older than the newest event seen: a straggler of an event we no longer remember
    return out;
  }

  current_ = DtmfDigit{*character, event->event, rtp_timestamp, event->duration, event->volume, false};
  active_ = true;
  segment_timestamp_ = rtp_timestamp;
  segment_offset_ = 0;
  last_timestamp_ = rtp_timestamp;
  have_last_ = true;
  last_heard_ = now;
  out.items[out.count++] = DtmfNotification{DtmfNotification::Kind::begin, current_};
  if (event->end) finish(out, true);
  return out;
}

DtmfNotifications Rfc4733Receiver::poll(std::chrono::steady_clock::time_point now) {
  DtmfNotifications out;
  if (active_ && now - last_heard_ >= timeout_) finish(out, false);
  return out;
}

Rfc4733Sender::Rfc4733Sender(std::uint32_t clock_rate, std::chrono::milliseconds ptime, std::uint8_t volume)
    : ptime_(ptime),
      samples_per_packet_(static_cast<std::uint32_t>(
          std::uint64_t{clock_rate} * static_cast<std::uint64_t>(std::max<std::int64_t>(ptime.count(), 0)) /
          1000)),
      volume_(static_cast<std::uint8_t>(volume & 0x3f)) {}

std::size_t Rfc4733Sender::packets_for(std::chrono::milliseconds duration) const {
  if (ptime_.count() <= 0 || duration.count() <= 0) return 0;
  const auto updates = static_cast<std::size_t>((duration.count() + ptime_.count() - 1) / ptime_.count());
  return updates + 2;
}

bool Rfc4733Sender::start(char digit, std::chrono::milliseconds duration) {
  const auto code = dtmf_event_code(digit);
  if (!code || active_ || samples_per_packet_ == 0 || duration.count() <= 0 || duration > kMaxDuration) {
    return false;
  }
  // The digit lasts a whole number of packet intervals, and must fit the 16-bit duration field: we do not
  // split events into segments (16 kHz clocks halve the longest digit to about 4 s).
  const std::uint64_t total = (packets_for(duration) - 2) * std::uint64_t{samples_per_packet_};
  if (total > 0xFFFF) return false;
  event_ = *code;
  total_duration_ = static_cast<std::uint32_t>(total);
  elapsed_ = 0;
  ends_sent_ = 0;
  first_ = true;
  active_ = true;
  return true;
}

std::optional<Rfc4733Packet> Rfc4733Sender::next() {
  if (!active_) return std::nullopt;
  Rfc4733Packet packet;
  packet.marker = first_;
  first_ = false;
  packet.interval = samples_per_packet_;
  // Each packet reports the duration up to the end of the interval it stands for, so the first one is not 0.
  if (elapsed_ < total_duration_) elapsed_ += samples_per_packet_;
  packet.end = elapsed_ >= total_duration_;
  packet.payload = encode_telephone_event(
      TelephoneEvent{event_, packet.end, volume_, static_cast<std::uint16_t>(elapsed_)});
  if (packet.end && ++ends_sent_ == 3) active_ = false;  // the final packet goes out three times in all
  return packet;
}

}  // namespace va::media
