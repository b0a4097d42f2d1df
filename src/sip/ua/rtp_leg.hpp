// media::CallLeg for a SIP call (design.md "the one seam"): the RTP/RTCP socket pair of the call, its
// RtpSession (latching, statistics, RTCP SR/RR, media timeout), the codec bridge between the wire codec and
// 16 kHz pipeline frames, and RFC 4733 DTMF both ways. Call control (answer, hangup) is delegated to the
// dialog through SipCallControl, so this file knows RTP and nothing of SIP messages.
//
// Threading: the leg lives on its call's media thread (media_threads.hpp). Sockets complete there, the
// thread's MediaClock tick runs there, and every CallLeg method must be called there.
//
// Per tick (20 ms): one pipeline frame to the observer when decoded audio is queued, one packet out (a queued
// frame encoded, or an RFC 4733 packet while a digit is being sent, or nothing but a timestamp advance),
// RTCP when due, the media timeout check. Receive: audio packets go into the adaptive jitter buffer as they
// arrive; each tick pulls from it (packet → decode, lost → the codec's concealment) until the codec bridge
// holds a 16 kHz frame; telephone-event packets go to the Rfc4733Receiver at once. Without a negotiated
// telephone-event, the decoded audio also goes through an in-band (tone) DTMF detector. With rtcp-mux
// (RFC 5761) RTCP shares the RTP socket both ways. No allocation per packet:
// fixed receive/send buffers, the jitter buffer's preallocated slots, the outgoing frame queue is a ring.
#pragma once

#include <array>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "common/metrics.hpp"
#include "media/audio_codec.hpp"
#include "media/call_leg.hpp"
#include "media/codec_bridge.hpp"
#include "media/dtmf_inband.hpp"
#include "media/dtmf_rfc4733.hpp"
#include "media/jitter_buffer.hpp"
#include "media/media_clock.hpp"
#include "media/rtp_session.hpp"
#include "media/srtp_session.hpp"
#include "sdp/negotiated_media.hpp"
#include "sip/ua/rtp_port_allocator.hpp"

namespace va::sip {

// What the leg needs from the SIP side of its call. Called on the leg's thread.
struct SipCallControl {
  std::function<void()> answer;                               // send the 200 (the handler accepted)
  std::function<void(media::EndReason, std::string)> hangup;  // send BYE (or reject before answer)
};

// Media quality of one call, reported once when it ends (for calls that received RTP): what its RTP
// statistics (RFC 3550 A.3, A.8) and the peer's last RTCP report say.
struct RtpCallQuality {
  std::uint64_t packets_expected = 0;  // of the peer's stream, since its first packet
  std::uint64_t packets_lost = 0;      // of those, never received (duplicates do not offset losses below 0)
  double fraction_lost = 0;            // lost / expected over the whole call, 0..1
  double jitter_seconds = 0;           // interarrival jitter of the received audio at the end of the call
  bool has_remote_report = false;      // the peer sent an RTCP report block about our stream
  std::uint64_t remote_packets_lost = 0;  // of our stream, as the peer's last report counts them
};

// Counters shared by all legs (metrics). Each member may be null.
struct RtpCounters {
  // Packet deltas, about once a second per call and at its end.
  std::function<void(std::uint64_t sent, std::uint64_t received)> add;
  // Once per call, at its end.
  std::function<void(const RtpCallQuality&)> call_ended;
};

// RtpCounters::call_ended on a metrics registry: rtp_packets_lost_total{direction="received"|"sent"}
// (counter), and one observation per call of rtp_jitter_seconds and rtp_fraction_lost (histograms).
std::function<void(const RtpCallQuality&)> rtp_quality_recorder(metrics::Registry& registry);

struct RtpLegOptions {
  std::string local_address = "127.0.0.1";  // where the sockets bind (and the SDP c=)
  std::chrono::milliseconds media_timeout{30000};
  std::size_t max_queued_frames = 50;  // 1 s of audio out
};

class RtpLeg : public media::CallLeg, public std::enable_shared_from_this<RtpLeg> {
 public:
  // Binds a free even/odd port pair from `ports` (ports taken by other processes are skipped). Returns null
  // when the range is exhausted. Call on `executor`'s thread.
  static std::shared_ptr<RtpLeg> open(boost::asio::any_io_executor executor, media::MediaClock& clock,
                                      RtpPortAllocator& ports, RtpLegOptions options, std::string call_id);
  ~RtpLeg() override;

  std::uint16_t local_port() const { return rtp_port_; }
  const std::string& local_address() const { return options_.local_address; }
  void set_control(SipCallControl control) { control_ = std::move(control); }
  void set_counters(RtpCounters counters) { counters_ = std::move(counters); }

  // Starts (or, for a re-INVITE, updates) media with the negotiated parameters. Returns an error text when
  // the codec is not available.
  std::optional<std::string> apply(const sdp::NegotiatedMedia& media);
  // A digit from SIP INFO (application/dtmf-relay).
  void receive_info_dtmf(char digit, std::chrono::milliseconds duration);
  // The call ended (BYE either way, CANCEL, error): closes the sockets, reports on_ended once.
  void end(const media::CallEnded& ended);
  bool ended() const { return ended_; }

  // media::CallLeg
  std::string_view id() const override { return call_id_; }
  void set_observer(media::CallLegObserver* observer) override { observer_ = observer; }
  void answer() override;
  void hangup(media::EndReason reason = media::EndReason::local_hangup) override;
  void transfer(const std::string& target) override;
  void hold(bool on) override;
  bool send_audio(const media::AudioFrame& frame) override;
  void flush_audio() override;
  std::size_t queued_audio_frames() const override { return queued_; }
  void send_dtmf(char digit, std::chrono::milliseconds duration) override;
  media::MediaStats stats() const override;

 private:
  RtpLeg(boost::asio::any_io_executor executor, media::MediaClock& clock, RtpPortAllocator& ports,
         RtpLegOptions options, std::string call_id);
  bool bind(std::uint16_t port);
  void receive_rtp();
  void receive_rtcp();
  // The jitter buffer's slots hold packets of up to `longest_packet` (all slots are allocated up front).
  void make_jitter_buffer(std::chrono::milliseconds longest_packet, std::uint32_t rtp_clock_rate);
  void on_rtp(std::size_t size);
  // An RTCP datagram in `buffer` (its own socket, or the RTP socket with rtcp-mux).
  void on_rtcp(std::span<std::uint8_t> buffer, std::size_t size, const boost::asio::ip::udp::endpoint& from);
  void report_dtmf(char digit, std::chrono::milliseconds duration, media::DtmfSource source);
  void report_packets();
  void report_quality();
  void on_tick(const media::MediaTick& tick);
  void send_packet(std::size_t size);
  void send_rtcp(std::size_t size);
  void close();

  boost::asio::any_io_executor executor_;
  media::MediaClock& clock_;
  RtpPortAllocator& ports_;
  RtpLegOptions options_;
  std::string call_id_;
  SipCallControl control_;
  RtpCounters counters_;
  media::CallLegObserver* observer_ = nullptr;

  boost::asio::ip::udp::socket rtp_socket_;
  boost::asio::ip::udp::socket rtcp_socket_;
  std::uint16_t rtp_port_ = 0;
  bool port_allocated_ = false;
  std::array<std::uint8_t, 2048> rtp_in_{};
  std::array<std::uint8_t, 1500> rtcp_in_{};
  std::array<std::uint8_t, 1500> out_{};
  boost::asio::ip::udp::endpoint rtp_from_;
  boost::asio::ip::udp::endpoint rtcp_from_;

  std::optional<sdp::NegotiatedMedia> media_;
  std::unique_ptr<media::RtpSession> session_;
  std::unique_ptr<media::AudioCodec> codec_;
  std::unique_ptr<media::CodecBridge> bridge_;
  // Slots sized for 60 ms packets (20, 30, 40 and 60 ms are what peers send) rather than the 200 ms the
  // bridge accepts: 64 slots of 1600 bytes were 100 KiB of each G.711 call's ~180 KiB. A longer packet grows
  // the buffer once (make_jitter_buffer).
  static constexpr std::chrono::milliseconds kUsualLongestPacket{60};
  std::unique_ptr<media::JitterBuffer> jitter_;
  std::uint64_t concealed_before_ = 0;  // statistics of jitter buffers replaced by a larger one
  std::uint64_t late_before_ = 0;
  std::optional<media::SrtpSession> srtp_;  // when SDES-SRTP was negotiated
  std::uint64_t srtp_failures_ = 0;         // packets that did not authenticate (dropped)
  std::optional<media::Rfc4733Receiver> dtmf_in_;
  std::optional<media::Rfc4733Sender> dtmf_out_;
  // Without a negotiated telephone-event the peer can only send digits as tones: the decoded audio goes
  // through spandsp's detector (at the codec's rate, before resampling).
  std::unique_ptr<media::InbandDtmfDetector> dtmf_inband_;
  media::MediaClock::Subscription tick_;

  std::vector<media::AudioFrame> ring_;  // frames queued for sending, capacity max_queued_frames
  std::size_t head_ = 0;
  std::size_t queued_ = 0;
  std::uint32_t units_per_tick_ = 160;
  bool ended_ = false;
  bool held_ = false;
  std::uint64_t reported_sent_ = 0;
  std::uint64_t reported_received_ = 0;
};

}  // namespace va::sip
