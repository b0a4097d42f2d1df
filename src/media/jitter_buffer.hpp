// An adaptive jitter buffer for one RTP audio stream: packets go in as they arrive (any order, duplicated,
// late, in bursts); the media clock pulls audio out at the pace of real time, and each pull gets the payload
// to decode, "lost" (conceal with the codec's PLC) or "empty" (play silence).
//
// Why our own and not speexdsp's JitterBuffer: speexdsp copies every packet with speex_alloc() (an allocation
// per packet on the hot path), knows nothing of SSRCs, sequence numbers, duplicates or timeline resets,
// reports no late/duplicate statistics, and its tick/span model hides the decisions we need to test exactly.
// This one is small, allocation-free after construction, and every decision below is covered by a scenario
// test.
//
// How it works (all times in RTP timestamp units, packet timestamps and sequence numbers extended to 64
// bits):
// - Each packet's transit = arrival time − RTP timestamp. The smallest transit over the last kTransitWindow
//   packets is the "base": a packet with the base transit is one the network delivered as fast as it can.
//   A packet's lateness is its transit − base; the target delay is the 99th percentile of lateness in the
//   window, clamped to [min_delay, max_delay]: enough to wait for all but isolated outliers. (A lower
//   percentile forgets periodic bursts — a Wi-Fi scan, a congested uplink — between two of them and then
//   loses their first packets every time; the price of 99 % is a little more delay on steady, noisy links.)
// - Playout follows a playout point P (the timestamp to play next). The buffer's current delay is
//   now − P − base: how long after the fastest possible arrival the audio at P is played.
// - A talkspurt starts (P := first packet's timestamp) once that packet has waited the target delay. At each
//   talkspurt start the delay is set afresh, so adaptation is free in silence.
// - While playing, the delay is steered towards the target at most once per kAdaptInterval pulls: above
//   target + one packet, a packet is discarded (counted); below target, one tick of concealment is inserted
//   ("grown") instead of advancing. The packet-sized hysteresis prevents oscillation. A discard needs the
//   delay to have stayed above that band for the whole interval (its minimum over the interval's pulls):
//   a talkspurt starts up to one tick above the target, so one late tick of our own media clock or one
//   early packet would otherwise cut 20 ms out of speech.
// - A missing packet at P with later packets buffered is lost: "lost" is returned and P advances. With
//   nothing buffered (underrun) and the delay below target, P waits (the packet is probably just late: the
//   delay grows); at or above target the packet is declared lost. After kMaxConcealment of consecutive
//   concealment the stream is considered stopped and pulls return "empty".
// - A gap in timestamps without a gap in sequence numbers (or a marker bit, or a gap longer than
//   kMaxConcealment) is a silence period of the sender (DTX, RFC 3551 §4.1): a new talkspurt starts there.
// - Packets arriving after their timestamp was played are late: dropped and counted. An SSRC change, a
//   sequence jump of more than kMaxSequenceJump or a transit jump of more than kMaxTransitJump (the sender's
//   timeline restarted) reset the buffer.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace va::media {

struct JitterBufferConfig {
  int clock_rate = 8000;  // RTP timestamp units per second
  // The media clock's period: how much audio a pull that stalls or finds nothing stands for.
  std::chrono::milliseconds tick{20};
  std::chrono::milliseconds min_delay{40};   // lower bound of the target delay
  std::chrono::milliseconds max_delay{200};  // upper bound of the target delay
  std::size_t capacity = 64;                 // packets held at most
  // Bytes per packet: 80 ms of G.711 or G.722, the longest common ptime (64 × 640 B = 40 KiB per stream).
  // A leg that negotiates a longer ptime sizes this from it.
  std::size_t max_payload = 640;
};

// An RTP packet as the jitter buffer sees it; the payload is copied in push().
struct RtpAudioPacket {
  std::uint32_t ssrc = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  bool marker = false;
  std::uint8_t payload_type = 0;
  // Audio in the payload, in RTP timestamp units: codec.info().rtp_units(codec.decoded_samples(payload)).
  std::uint32_t duration = 0;
  std::span<const std::uint8_t> payload;
};

enum class PushResult {
  buffered,
  duplicate,  // the same sequence number was received before: dropped
  late,       // its playout time has passed: dropped
  invalid,    // no duration, or a payload larger than max_payload: dropped
};

struct Playout {
  enum class Kind {
    packet,  // decode `payload`
    lost,    // conceal `duration` units with the codec's PLC
    empty,   // nothing to play: `duration` units of silence
  };
  Kind kind = Kind::empty;
  std::uint32_t timestamp = 0;  // RTP timestamp of the audio this stands for
  std::uint32_t duration = 0;   // RTP timestamp units
  // packet only:
  std::uint16_t sequence = 0;
  std::uint8_t payload_type = 0;
  bool marker = false;
  std::span<const std::uint8_t> payload;  // valid until the next push() or reset()
};

struct JitterBufferStats {
  std::uint64_t received = 0;    // packets accepted into the buffer
  std::uint64_t played = 0;      // packets returned for decoding
  std::uint64_t lost = 0;        // sequence numbers skipped at playout (never arrived, or arrived too late)
  std::uint64_t late = 0;        // arrived after their playout time: dropped
  std::uint64_t duplicates = 0;  // dropped
  std::uint64_t invalid = 0;     // dropped (no duration, payload too large)
  std::uint64_t discarded = 0;   // dropped to reduce the delay, or because the buffer was full
  std::uint64_t concealed = 0;   // "lost" pulls (including the ones inserted to grow the delay)
  std::uint64_t grown = 0;       // of which inserted to grow the delay
  std::uint64_t empty = 0;       // "empty" pulls
  std::uint64_t resets = 0;      // SSRC changes and timeline restarts
  std::chrono::microseconds current_delay{0};  // at the last pull
  std::chrono::microseconds target_delay{0};
  std::chrono::microseconds jitter{0};  // RFC 3550 §6.4.1 interarrival jitter estimate
};

class JitterBuffer {
 public:
  using Clock = std::chrono::steady_clock;

  static constexpr std::size_t kTransitWindow = 128;               // packets (2.56 s at 20 ms)
  static constexpr int kAdaptInterval = 5;                         // pulls between delay adjustments
  static constexpr std::chrono::milliseconds kMaxConcealment{60};  // G.711 App. I fades to silence by then
  static constexpr std::int64_t kMaxSequenceJump = 3000;           // RFC 3550 A.1 MAX_DROPOUT
  static constexpr std::chrono::seconds kMaxTransitJump{1};

  // Storage for `capacity` packets is allocated here; push() and pull() never allocate.
  explicit JitterBuffer(JitterBufferConfig config = {});

  PushResult push(const RtpAudioPacket& packet, Clock::time_point arrival);
  // Called by the media clock whenever the consumer needs the next piece of audio (once per tick for 20 ms
  // packets; twice for 10 ms packets; once per three ticks for 60 ms packets).
  Playout pull(Clock::time_point now);
  // Forgets the stream (packets, timeline, delay estimate); statistics are kept.
  void reset();

  const JitterBufferStats& stats() const { return stats_; }
  const JitterBufferConfig& config() const { return config_; }
  std::size_t buffered() const { return count_; }

 private:
  struct Slot {
    bool used = false;
    std::int64_t sequence = 0;
    std::int64_t timestamp = 0;
    std::uint32_t duration = 0;
    std::uint8_t payload_type = 0;
    bool marker = false;
    std::size_t size = 0;
  };

  std::int64_t units(Clock::time_point t) const;
  std::int64_t units(std::chrono::microseconds d) const;
  std::chrono::microseconds to_duration(std::int64_t units) const;
  void restart_stream(std::uint32_t ssrc, const RtpAudioPacket& packet);
  bool seen_before(std::int64_t sequence);
  void record_transit(std::int64_t transit);
  std::int64_t base_transit() const;
  std::size_t earliest() const;  // slot index, or npos
  std::size_t find_timestamp(std::int64_t timestamp) const;
  Playout play(std::size_t slot);
  Playout conceal(std::uint32_t duration, bool advance);
  Playout idle_pull(std::int64_t now);
  void free_slot(std::size_t slot);
  void drop_stale();

  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  JitterBufferConfig config_;
  std::int64_t tick_units_;
  std::int64_t min_delay_units_;
  std::int64_t max_delay_units_;
  std::int64_t max_concealment_units_;
  Clock::time_point origin_{};

  std::vector<Slot> slots_;
  std::vector<std::uint8_t> payloads_;  // capacity × max_payload
  std::size_t count_ = 0;

  // stream identity and extended numbering
  bool have_stream_ = false;
  std::uint32_t ssrc_ = 0;
  std::uint32_t last_timestamp_ = 0;
  std::int64_t last_ext_timestamp_ = 0;
  std::uint16_t last_sequence_ = 0;
  std::int64_t last_ext_sequence_ = 0;
  std::int64_t highest_sequence_ = 0;
  std::uint64_t received_mask_ = 0;  // bit i: highest_sequence_ − i was received

  // delay estimation
  std::array<std::int64_t, kTransitWindow> transits_{};
  std::size_t transit_count_ = 0;
  std::size_t transit_next_ = 0;
  std::int64_t last_transit_ = 0;
  double jitter_units_ = 0;
  std::int64_t target_units_;

  // playout
  bool playing_ = false;
  bool have_playout_ = false;  // playout_ is meaningful (something was played on this timeline)
  std::int64_t playout_ = 0;   // P
  std::int64_t last_played_sequence_ = 0;
  std::uint32_t last_duration_ = 0;
  std::int64_t concealed_run_ = 0;  // consecutive concealment, units
  int pulls_since_adapt_ = 0;
  std::int64_t min_delay_since_adapt_ = 0;  // the smallest current delay since the last adjustment, units

  JitterBufferStats stats_;
};

}  // namespace va::media
