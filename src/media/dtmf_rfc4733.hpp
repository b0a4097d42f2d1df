// DTMF over RTP as telephone-events (RFC 4733): the 4-byte payload, a receiver that turns the packets real
// peers send into one report per key press, and a sender that produces the packets for one digit.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace va::media {

// Event codes 0-15 are the DTMF digits 0-9 * # A-D (RFC 4733 §3.2), 16 is hook flash.
inline constexpr std::uint8_t kTelephoneEventFlash = 16;
inline constexpr std::size_t kTelephoneEventSize = 4;

// The event's character: '0'-'9', '*', '#', 'A'-'D', '!' for flash; nullopt for other events.
std::optional<char> dtmf_event_character(std::uint8_t event);
// The inverse; accepts lower-case a-d. nullopt for anything else.
std::optional<std::uint8_t> dtmf_event_code(char character);

// RFC 4733 §2.3: event (8) | E (1) | R (1) | volume (6) | duration (16).
struct TelephoneEvent {
  std::uint8_t event = 0;
  bool end = false;
  std::uint8_t volume = 10;    // power level as −dBm0, 0..63
  std::uint16_t duration = 0;  // timestamp units since the event's RTP timestamp
  friend bool operator==(const TelephoneEvent&, const TelephoneEvent&) = default;
};

// Decodes the first event of a payload; nullopt when it is shorter than 4 bytes. A payload may carry more
// than one event only with redundancy (RFC 2198), which we do not negotiate; the rest is ignored.
std::optional<TelephoneEvent> decode_telephone_event(std::span<const std::uint8_t> payload);
std::array<std::uint8_t, kTelephoneEventSize> encode_telephone_event(const TelephoneEvent& event);

// One key press as the receiver reports it.
struct DtmfDigit {
  char digit = 0;               // as dtmf_event_character()
  std::uint8_t event = 0;       // event code
  std::uint32_t timestamp = 0;  // RTP timestamp of the event's start
  std::uint32_t duration = 0;   // timestamp units; at begin, what the first packet seen claimed
  std::uint8_t volume = 0;
  bool end_received = false;  // at end: false when the end was inferred (a newer event, or the timeout)
};

struct DtmfNotification {
  enum class Kind : std::uint8_t { begin, end };
  Kind kind = Kind::begin;
  DtmfDigit digit;
};

// What one packet (or a timeout) produced: at most an inferred end of the previous event, the begin of a new
// one and its end (when the first packet we see of it already carries E).
struct DtmfNotifications {
  std::array<DtmfNotification, 3> items{};
  std::size_t count = 0;

  // Iterable directly, so `for (const auto& n : receiver.on_packet(...))` keeps the temporary alive.
  const DtmfNotification* begin() const { return items.data(); }
  const DtmfNotification* end() const { return items.data() + count; }
  std::size_t size() const { return count; }
  bool empty() const { return count == 0; }
};

// Turns received telephone-event packets into exactly one begin and one end per key press. Event identity is
// the RTP timestamp (RFC 4733 §2.5.2), not the marker bit, so it copes with what real peers and networks do:
// a missing marker bit, the end packet sent three times (with the same or new sequence numbers), duplicates,
// reordering (late packets of an event already ended are dropped), a lost start (the first packet seen may be
// an update or the end), a lost end (a newer event, or silence for `timeout`, ends it), long presses
// (duration updates only grow the duration; a segmented long event continues the press), and a new event
// without the previous end. Other event codes (tones, modem events) are ignored.
class Rfc4733Receiver {
 public:
  static constexpr std::chrono::milliseconds kDefaultTimeout{500};

  // `clock_rate` of the telephone-event payload (8000 normally): it sizes the window for late packets and the
  // tolerance when a long press continues in a new segment.
  explicit Rfc4733Receiver(std::uint32_t clock_rate = 8000,
                           std::chrono::milliseconds timeout = kDefaultTimeout);

  DtmfNotifications on_packet(std::uint32_t rtp_timestamp, bool marker, std::span<const std::uint8_t> payload,
                              std::chrono::steady_clock::time_point now);
  // Ends an event whose end never arrived once nothing was heard of it for `timeout`. Call from the media
  // tick.
  DtmfNotifications poll(std::chrono::steady_clock::time_point now);

  bool active() const { return active_; }
  // Duration so far of the current key press (long-press detection), timestamp units.
  std::uint32_t active_duration() const { return active_ ? current_.duration : 0; }
  std::uint64_t ignored_packets() const { return ignored_; }
  // Forgets everything, for a new remote source (its timestamps start anew). No notifications.
  void reset();

 private:
  bool recently_finished(std::uint32_t timestamp) const;
  bool is_late(std::uint32_t timestamp, std::uint32_t reference) const;
  void remember_finished(std::uint32_t timestamp);
  void finish(DtmfNotifications& out, bool end_received);

  std::uint32_t clock_rate_;
  std::chrono::milliseconds timeout_;
  bool active_ = false;
  DtmfDigit current_;
  // Where the current press's latest segment started (long events are split into segments, RFC 4733 §2.5.1)
  // and that segment's offset from the press's start.
  std::uint32_t segment_timestamp_ = 0;
  std::uint32_t segment_offset_ = 0;
  std::chrono::steady_clock::time_point last_heard_{};
  bool have_last_ = false;
  std::uint32_t last_timestamp_ = 0;  // newest event timestamp seen, for ordering
  std::array<std::uint32_t, 8> finished_{};
  std::size_t finished_count_ = 0;
  std::size_t finished_next_ = 0;
  std::uint64_t ignored_ = 0;
};

// One packet the sender wants on the wire at this media tick.
struct Rfc4733Packet {
  std::array<std::uint8_t, kTelephoneEventSize> payload{};
  bool marker = false;         // first packet of the event
  bool end = false;            // E bit set (the final packet and its two retransmissions)
  std::uint32_t interval = 0;  // timestamp units of media time this packet stands for (one ptime)
};

// Produces the RFC 4733 packet sequence for one digit at one packet per ptime: the first packet with the
// marker bit, a duration update every ptime (each carrying the duration up to the end of its interval), then
// the final packet with E set sent three times in total (RFC 4733 §2.5.1), all with the event's start
// timestamp (the caller's RtpSession stamps them; see RtpSession::write_event).
class Rfc4733Sender {
 public:
  static constexpr std::chrono::milliseconds kDefaultDuration{100};
  static constexpr std::chrono::milliseconds kMaxDuration{5000};  // below 0xFFFF units at 8 kHz: no segments

  Rfc4733Sender(std::uint32_t clock_rate, std::chrono::milliseconds ptime, std::uint8_t volume = 10);

  // Starts a digit; false (and nothing changes) for an unknown character, while another digit is being sent,
  // or for a duration that is zero or longer than kMaxDuration.
  bool start(char digit, std::chrono::milliseconds duration = kDefaultDuration);
  bool active() const { return active_; }
  // The packet for this media tick; nullopt when idle. The last one (third end packet) makes it idle again.
  std::optional<Rfc4733Packet> next();
  // Packets the whole digit takes: ceil(duration / ptime) updates (the last one the first end) + 2 repeats.
  std::size_t packets_for(std::chrono::milliseconds duration) const;

 private:
  std::chrono::milliseconds ptime_;
  std::uint32_t samples_per_packet_;
  std::uint8_t volume_;
  bool active_ = false;
  std::uint8_t event_ = 0;
  std::uint32_t total_duration_ = 0;
  std::uint32_t elapsed_ = 0;
  int ends_sent_ = 0;
  bool first_ = false;
};

}  // namespace va::media
