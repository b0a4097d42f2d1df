// RTP reception and transmission statistics as RFC 3550 defines them: sequence validation with wrap,
// probation and restart (A.1), expected/lost/fraction lost (A.3), interarrival jitter (A.8), sender
// packet/octet counts, and the round-trip time from LSR/DLSR (§6.4.1). These feed RTCP reports and the
// per-call metrics.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "media/rtcp_packet.hpp"

namespace va::media {

// Verdict of A.1's update_seq() for one packet.
enum class SequenceCheck : std::uint8_t {
  valid,      // in sequence, a small gap, a duplicate or a late packet: counted
  probation,  // the source is new and not yet confirmed by MIN_SEQUENTIAL packets in order: not counted
  jump,       // a large jump: not counted until the next packet confirms the new sequence (then it restarts)
};

// Receiver-side statistics of one source (one SSRC), RFC 3550 Appendix A.1, A.3 and A.8.
class RtpReceiveStatistics {
 public:
  static constexpr std::uint32_t kMaxDropout = 3000;
  static constexpr std::uint32_t kMaxMisorder = 100;
  static constexpr std::uint32_t kMinSequential = 2;

  // The first packet of a source: starts A.1 probation. Call on_packet() for this packet too.
  void start(std::uint16_t sequence);
  bool started() const { return started_; }

  // `arrival` is the arrival time in the payload's timestamp units (any fixed origin; wraps freely).
  // `measure_jitter` is false for packets whose timestamps do not advance with their arrival, such as
  // RFC 4733 events, which repeat the event's start timestamp.
  SequenceCheck on_packet(std::uint16_t sequence, std::uint32_t rtp_timestamp, std::uint32_t arrival,
                          bool measure_jitter = true);

  // Counts of A.3, since the sequence was (re)initialised.
  std::uint32_t extended_highest_sequence() const { return cycles_ + max_seq_; }
  std::uint32_t expected() const;
  std::uint32_t received() const { return received_; }
  // Clamped to the 24-bit signed range of a report block; negative when duplicates outnumber losses.
  std::int32_t cumulative_lost() const;
  // Interarrival jitter in timestamp units (A.8, the integer form scaled by 16 internally).
  std::uint32_t jitter() const { return jitter_q4_ >> 4; }

  // A.3 interval loss: lost/expected × 256 since the previous call, which starts the next interval.
  std::uint8_t take_fraction_lost();

  // A report block about this source; advances the fraction-lost interval.
  RtcpReportBlock make_report_block(std::uint32_t ssrc, std::uint32_t last_sr,
                                    std::uint32_t delay_since_last_sr);

 private:
  void init_sequence(std::uint16_t sequence);

  bool started_ = false;
  std::uint16_t max_seq_ = 0;
  std::uint32_t cycles_ = 0;
  std::uint32_t base_seq_ = 0;
  std::uint32_t bad_seq_ = 0;
  std::uint32_t probation_ = 0;
  std::uint32_t received_ = 0;
  std::uint32_t expected_prior_ = 0;
  std::uint32_t received_prior_ = 0;
  bool have_transit_ = false;
  std::uint32_t transit_ = 0;
  std::uint32_t jitter_q4_ = 0;
};

// Sender-side counts for the SR sender info (§6.4.1: octets are payload octets, without header or padding).
struct RtpSendStatistics {
  std::uint32_t packets = 0;  // wrap modulo 2^32 as on the wire
  std::uint32_t octets = 0;

  void on_sent(std::size_t payload_octets) {
    ++packets;
    octets += static_cast<std::uint32_t>(payload_octets);
  }
};

// §6.4.1: RTT = A − LSR − DLSR in 16.16 seconds, with A the compact NTP arrival time of the report block.
// nullopt when the block carries no LSR (no SR received yet by the peer) or the result is negative
// (a peer with a broken DLSR, or clocks that are not what they claim).
std::optional<std::chrono::microseconds> round_trip_time(std::uint32_t arrival_ntp_compact,
                                                         std::uint32_t last_sr,
                                                         std::uint32_t delay_since_last_sr);

// A plain snapshot of one call's RTP statistics for metrics and the call record.
struct RtpStatsSnapshot {
  // Our view of the remote's stream.
  std::uint64_t packets_received = 0;  // every accepted packet, duplicates included
  std::uint64_t octets_received = 0;   // payload octets
  std::uint32_t packets_expected = 0;  // A.3, since the source was validated
  std::int32_t packets_lost = 0;       // A.3 cumulative, negative with duplicates
  double fraction_lost = 0;            // of the last RTCP interval, 0..1
  double jitter_ms = 0;
  std::uint64_t packets_dropped =
      0;  // malformed, unexpected payload type/SSRC, foreign source, sequence jump
  // Our stream.
  std::uint64_t packets_sent = 0;
  std::uint64_t octets_sent = 0;
  // What the remote reported about our stream (its last report block about our SSRC).
  bool has_remote_report = false;
  double remote_fraction_lost = 0;
  std::int32_t remote_packets_lost = 0;
  double remote_jitter_ms = 0;
  bool has_round_trip = false;
  double round_trip_ms = 0;
  // RTCP traffic.
  std::uint64_t rtcp_sent = 0;
  std::uint64_t rtcp_received = 0;
};

}  // namespace va::media
