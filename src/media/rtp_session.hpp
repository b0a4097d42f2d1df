// One call's RTP/RTCP endpoint, without sockets or threads: the UDP transport hands it datagrams with their
// source address, the call's strand drives it with the media tick, and it answers with bytes to send and
// where. It owns the identity of our stream (SSRC, sequence, timestamp), symmetric RTP latching (RFC 4961,
// "comedia"), the statistics and RTCP reports of RFC 3550, and media-timeout detection.
#pragma once

#include <array>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "media/dtmf_rfc4733.hpp"
#include "media/rtcp_packet.hpp"
#include "media/rtp_packet.hpp"
#include "media/rtp_statistics.hpp"

namespace va::media {

using UdpEndpoint = boost::asio::ip::udp::endpoint;

enum class PayloadKind : std::uint8_t { audio, telephone_event, comfort_noise };

// A payload type negotiated in SDP: packets with any other payload type are dropped.
struct RtpPayloadFormat {
  std::uint8_t payload_type = 0;
  PayloadKind kind = PayloadKind::audio;
  std::uint32_t clock_rate = 8000;  // the RTP clock (8000 for G.722 too, RFC 3551 §4.5.2)
};

struct RtpSessionConfig {
  std::vector<RtpPayloadFormat> formats;
  std::uint32_t clock_rate = 8000;  // RTP clock of what we send
  std::string cname;                // SDES CNAME of our reports
  // The peer's SSRC when its SDP announced it (a=ssrc); packets with other SSRCs are then dropped.
  std::optional<std::uint32_t> remote_ssrc;
  // Symmetric RTP: send to where the peer's packets come from rather than to its SDP address (NAT).
  bool symmetric_rtp = true;
  // Once latched, another source takes over only after the latched one has been silent this long (the peer
  // moved, e.g. a NAT rebinding); until then its packets are dropped (RTP injection / "RTP bleed").
  std::chrono::milliseconds relatch_after{2000};
  bool rtcp_mux = false;                           // RFC 5761: RTCP on the RTP port
  std::chrono::milliseconds media_timeout{30000};  // no RTP for this long is reported; 0 disables
  std::chrono::milliseconds rtcp_interval{5000};   // RFC 3550 §6.2 minimum, randomised per report
  // Fixed identity for tests; random when unset (RFC 3550 §5.1 wants random initial sequence and timestamp).
  std::optional<std::uint32_t> ssrc;
  std::optional<std::uint16_t> initial_sequence;
  std::optional<std::uint32_t> initial_timestamp;
  std::optional<std::uint64_t> random_seed;
};

enum class RtpDrop : std::uint8_t {
  malformed,             // not an RTP packet (parse_rtp failed)
  unknown_payload_type,  // not negotiated
  unexpected_ssrc,       // the SDP announced another SSRC
  foreign_source,        // not from the latched address, which is still active
  sequence_jump,         // RFC 3550 A.1: a large jump, kept out until the next packet confirms it
};
std::string_view to_string(RtpDrop drop);

struct RtpReceiveResult {
  std::optional<RtpDrop> dropped;  // set: do not use the packet
  RtpPacketView packet;            // valid (pointing into the datagram) when not dropped
  PayloadKind kind = PayloadKind::audio;
  std::uint32_t clock_rate = 8000;  // of the packet's payload type
  bool latched = false;             // this packet set the remote address (first packet, or a re-latch)
  bool new_source = false;          // first packet of an SSRC: jitter buffer / DTMF receiver start anew
  bool accepted() const { return !dropped; }
};

enum class RtcpDrop : std::uint8_t {
  malformed,       // RFC 3550 A.2 validation failed
  unknown_source,  // the reporting SSRC is not one we receive RTP from
};

struct RtcpReceiveResult {
  std::optional<RtcpDrop> dropped;
  bool goodbye = false;          // a BYE for a remote source we receive
  bool report_about_us = false;  // a report block about our stream (loss, jitter, maybe RTT) arrived
};

class RtpSession {
 public:
  using Clock = std::chrono::steady_clock;

  // `wall_now` anchors the NTP timestamps of our SRs; after that all time comes from the steady `now`s.
  RtpSession(RtpSessionConfig config, Clock::time_point now,
             std::chrono::system_clock::time_point wall_now = std::chrono::system_clock::now());

  // The peer's addresses from SDP (c=/m=, a=rtcp or port + 1). We send there until a packet latches. A
  // changed address (re-INVITE) unlatches, so the next valid packet latches again.
  void set_remote(const UdpEndpoint& rtp, const UdpEndpoint& rtcp);
  const UdpEndpoint& rtp_destination() const { return rtp_destination_; }
  const UdpEndpoint& rtcp_destination() const {
    return config_.rtcp_mux ? rtp_destination_ : rtcp_destination_;
  }
  bool latched() const { return latched_; }
  // RFC 5761 negotiated (or given up) by a later offer/answer: RTCP goes to and comes from the RTP port.
  void set_rtcp_mux(bool on) { config_.rtcp_mux = on; }

  // A received RTP datagram (already SRTP-unprotected, so nothing unauthenticated latches).
  RtpReceiveResult on_rtp(std::span<const std::uint8_t> datagram, const UdpEndpoint& from,
                          Clock::time_point now);
  RtcpReceiveResult on_rtcp(std::span<const std::uint8_t> datagram, const UdpEndpoint& from,
                            Clock::time_point now);

  // One audio frame of `samples` (timestamp units) at the current media timestamp, which then advances. The
  // first packet after silence carries the marker bit (RFC 3551 §4.1). Returns the packet size (0: no room).
  std::size_t write_audio(std::span<const std::uint8_t> payload, std::uint8_t payload_type,
                          std::uint32_t samples, Clock::time_point now, std::span<std::uint8_t> out);
  // A frame's worth of time without sending (silence, hold): timestamps stay continuous with real time.
  void skip_audio(std::uint32_t samples);
  // A telephone-event packet from Rfc4733Sender, one per media tick in place of audio. Its event timestamp is
  // the media timestamp at the packet with the marker bit; the media timestamp keeps advancing by
  // `packet.interval`, so audio after the event resumes in time (and starts a talkspurt).
  std::size_t write_event(const Rfc4733Packet& packet, std::uint8_t payload_type, Clock::time_point now,
                          std::span<std::uint8_t> out);

  // RTCP on its randomised interval (RFC 3550 §6.2, without the bandwidth-based scaling: one sender, one
  // receiver, fixed minimum). write_rtcp_report() builds SR or RR + SDES and schedules the next one.
  bool rtcp_due(Clock::time_point now) const { return now >= next_rtcp_; }
  Clock::time_point next_rtcp_time() const { return next_rtcp_; }
  std::size_t write_rtcp_report(Clock::time_point now, std::span<std::uint8_t> out);
  // The same with BYE appended, for hang-up.
  std::size_t write_rtcp_goodbye(Clock::time_point now, std::string_view reason, std::span<std::uint8_t> out);

  // True once when no RTP has been accepted for media_timeout (since the start, or since the last packet);
  // the next accepted packet re-arms it. Suspended while the peer is not expected to send.
  bool check_media_timeout(Clock::time_point now);
  // Hold: the peer's direction is sendonly-from-us/inactive, so its silence is not a timeout.
  void set_remote_sending(bool sending, Clock::time_point now);

  std::uint32_t ssrc() const { return ssrc_; }
  // The SSRC of the latest accepted audio packet.
  std::optional<std::uint32_t> remote_ssrc() const;
  std::uint16_t next_sequence() const { return sequence_; }
  std::uint32_t media_timestamp() const { return media_timestamp_; }
  std::uint64_t ssrc_collisions() const { return ssrc_collisions_; }
  std::uint64_t drops(RtpDrop reason) const { return drops_[static_cast<std::size_t>(reason)]; }

  RtpStatsSnapshot stats() const;

 private:
  struct RemoteSource {
    bool in_use = false;
    std::uint32_t ssrc = 0;
    RtpReceiveStatistics statistics;
    Clock::time_point last_heard{};
    bool heard_since_report = false;
    std::uint32_t last_sr = 0;  // compact NTP of its last SR, 0 before any
    Clock::time_point last_sr_arrival{};
  };
  static constexpr std::size_t kMaxRemoteSources = 4;

  std::uint64_t random();
  std::uint32_t arrival_units(Clock::time_point now, std::uint32_t clock_rate) const;
  std::uint64_t ntp_at(Clock::time_point now) const;
  RemoteSource* find_source(std::uint32_t ssrc);
  RemoteSource& add_source(std::uint32_t ssrc, Clock::time_point now);
  void latch(const UdpEndpoint& from);
  void schedule_rtcp(Clock::time_point now, bool initial);
  std::size_t write_rtcp(Clock::time_point now, bool goodbye, std::string_view reason,
                         std::span<std::uint8_t> out);
  std::size_t finish_rtp(const RtpHeader& header, std::span<const std::uint8_t> payload,
                         Clock::time_point now, std::span<std::uint8_t> out);
  RtpReceiveResult drop(RtpDrop reason);

  RtpSessionConfig config_;
  std::array<std::int16_t, 128> format_index_{};  // payload type → index in config_.formats, or -1
  std::uint64_t random_state_ = 0;
  Clock::time_point start_;
  std::chrono::system_clock::time_point wall_start_;

  // Our stream.
  std::uint32_t ssrc_ = 0;
  std::uint16_t sequence_ = 0;
  std::uint32_t media_timestamp_ = 0;
  bool talkspurt_ = true;
  std::uint32_t event_timestamp_ = 0;
  RtpSendStatistics sent_;
  std::uint64_t packets_sent_ = 0;  // 64-bit copies for metrics (the SR counts wrap)
  std::uint64_t octets_sent_ = 0;
  bool have_sent_ = false;
  std::uint32_t last_sent_timestamp_ = 0;
  Clock::time_point last_sent_time_{};
  int reports_since_sent_ = 2;  // SR while we sent within the last two report intervals (RFC 3550 §6.4)

  // The peer.
  UdpEndpoint rtp_destination_;
  UdpEndpoint rtcp_destination_;
  UdpEndpoint sdp_rtp_;
  bool latched_ = false;
  bool rtcp_latched_ = false;
  std::array<RemoteSource, kMaxRemoteSources> sources_{};
  std::optional<std::uint32_t> audio_ssrc_;
  Clock::time_point last_rtp_{};
  bool remote_sending_ = true;
  bool timeout_reported_ = false;

  // Reports.
  Clock::time_point next_rtcp_{};
  std::uint64_t packets_received_ = 0;
  std::uint64_t octets_received_ = 0;
  std::array<std::uint64_t, 5> drops_{};
  std::uint64_t rtcp_sent_ = 0;
  std::uint64_t rtcp_received_ = 0;
  std::uint8_t last_fraction_lost_ = 0;
  std::optional<RtcpReportBlock> remote_report_;
  std::optional<std::chrono::microseconds> round_trip_;
  std::uint64_t ssrc_collisions_ = 0;
};

}  // namespace va::media
