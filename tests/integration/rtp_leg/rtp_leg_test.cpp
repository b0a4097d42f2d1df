// The SIP call leg's media with a real peer: RtpLeg on its own io_context and media clock, and a UDP socket
// on 127.0.0.1 playing the far end (RTP at 20 ms pace, RTCP). What a user would notice: digits sent as tones
// are reported when no telephone-event was negotiated (and only then), loss and jitter reach the call's stats
// and the Prometheus metrics, and with rtcp-mux RTCP travels on the RTP port both ways.
#include "sip/ua/rtp_leg.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/metrics.hpp"
#include "media/dtmf_inband.hpp"
#include "media/g711_codec.hpp"
#include "media/media_clock.hpp"
#include "media/rtcp_packet.hpp"
#include "media/rtp_packet.hpp"

namespace va::sip {
namespace {

namespace asio = boost::asio;
using udp = asio::ip::udp;
using namespace std::chrono_literals;

class RecordingObserver : public media::CallLegObserver {
 public:
  void on_answered() override {}
  void on_audio(const media::AudioFrame&) override { ++frames; }
  void on_dtmf(const media::DtmfEvent& event) override { digits.push_back(event); }
  void on_hold_changed(bool) override {}
  void on_transfer_progress(int, bool) override {}
  void on_ended(const media::CallEnded&) override { ended = true; }

  int frames = 0;
  std::vector<media::DtmfEvent> digits;
  bool ended = false;
};

// The far end: one socket for RTP (and RTCP with rtcp-mux), one for RTCP otherwise.
class RtpPeer {
 public:
  explicit RtpPeer(asio::io_context& io)
      : rtp(io, {asio::ip::make_address("127.0.0.1"), 0}),
        rtcp(io, {asio::ip::make_address("127.0.0.1"), 0}) {}

  void send(udp::socket& socket, std::span<const std::uint8_t> bytes, std::uint16_t port) {
    socket.send_to(asio::buffer(bytes.data(), bytes.size()),
                   udp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  // One PCMU packet (160 samples: 20 ms).
  void send_audio(std::uint16_t port, std::uint16_t sequence, std::uint32_t timestamp,
                  std::span<const std::int16_t> pcm) {
    std::array<std::uint8_t, 1600> payload{};
    for (std::size_t i = 0; i < pcm.size(); ++i) payload[i] = media::encode_ulaw(pcm[i]);
    media::RtpHeader header;
    header.payload_type = 0;
    header.sequence = sequence;
    header.timestamp = timestamp;
    header.ssrc = kSsrc;
    std::array<std::uint8_t, 2048> out{};
    auto size = media::serialize_rtp(header, std::span<const std::uint8_t>(payload.data(), pcm.size()), out);
    send(rtp, std::span<const std::uint8_t>(out.data(), size), port);
  }

  static constexpr std::uint32_t kSsrc = 0x5eed1234;
  udp::socket rtp;
  udp::socket rtcp;
};

struct LegUnderTest {
  asio::io_context io{1};
  media::MediaClock clock{io};
  RtpPortAllocator ports{41000, 41998};
  RtpPeer peer{io};
  RecordingObserver observer;
  metrics::Registry registry;
  std::shared_ptr<RtpLeg> leg;
  std::uint64_t sent = 0;
  std::uint64_t received = 0;

  explicit LegUnderTest(bool telephone_event, bool rtcp_mux = false) {
    RtpLegOptions options;
    options.local_address = "127.0.0.1";
    leg = RtpLeg::open(io.get_executor(), clock, ports, options, "rtp-leg-test");
    if (!leg) throw std::runtime_error("no RTP port pair free in 41000-41998");
    leg->set_observer(&observer);
    leg->set_counters({[this](std::uint64_t s, std::uint64_t r) {
                         sent += s;
                         received += r;
                       },
                       rtp_quality_recorder(registry)});
    sdp::NegotiatedMedia media;
    media.codec = {config::Codec::pcmu, 0, 0, 8000, 8000};
    if (telephone_event) media.telephone_event = sdp::NegotiatedTelephoneEvent{101, 101, 8000};
    media.remote_rtp = {sdp::AddressType::ip4, "127.0.0.1", peer.rtp.local_endpoint().port()};
    media.remote_rtcp = {sdp::AddressType::ip4, "127.0.0.1",
                         rtcp_mux ? peer.rtp.local_endpoint().port() : peer.rtcp.local_endpoint().port()};
    media.rtcp_mux = rtcp_mux;
    if (auto error = leg->apply(media)) throw std::runtime_error(*error);
    clock.start();
  }
  ~LegUnderTest() {
    if (leg && !leg->ended()) leg->end({media::EndReason::local_hangup, 0, "test over"});
    clock.stop();
    io.poll();
  }

  // Sends `pcm` (8 kHz) to the leg as 20 ms packets paced by a timer, skipping the sequence numbers in
  // `lose`, then runs `linger` longer so the jitter buffer plays everything out.
  void stream(const std::vector<std::int16_t>& pcm, const std::vector<std::uint16_t>& lose = {},
              std::chrono::milliseconds linger = 400ms, std::size_t samples_per_packet = 160) {
    const std::size_t n = samples_per_packet;
    const auto interval = std::chrono::milliseconds(n / 8);
    asio::steady_timer timer(io);
    std::size_t offset = 0;
    std::uint16_t sequence = 1000;
    std::uint32_t timestamp = 80000;
    auto start = std::chrono::steady_clock::now();
    int packet = 0;
    std::function<void()> next = [&] {
      if (offset + n > pcm.size()) return;
      bool lost = false;
      for (auto s : lose) lost = lost || s == sequence;
      if (!lost) {
        peer.send_audio(leg->local_port(), sequence, timestamp,
                        std::span<const std::int16_t>(pcm.data() + offset, n));
      }
      offset += n;
      ++sequence;
      timestamp += static_cast<std::uint32_t>(n);
      ++packet;
      timer.expires_at(start + packet * interval);
      timer.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) next();
      });
    };
    next();
    io.run_for(std::chrono::milliseconds(pcm.size() / 8) + linger);
    timer.cancel();  // its handler refers to this frame: let it run (aborted) before the frame goes
    io.poll();
  }
};

std::vector<std::int16_t> dtmf_tones(const std::string& digits, std::chrono::milliseconds total) {
  media::InbandDtmfGenerator generator(8000);
  EXPECT_TRUE(generator.queue(digits));
  std::vector<std::int16_t> pcm(static_cast<std::size_t>(total.count()) * 8);
  generator.generate(pcm);
  return pcm;
}

// A Prometheus sample line's value, or nullopt when absent.
std::optional<double> sample(const std::string& exposition, const std::string& series) {
  auto at = exposition.find("\n" + series + " ");
  if (at == std::string::npos) return std::nullopt;
  return std::stod(exposition.substr(at + series.size() + 2));
}

TEST(RtpLegInbandDtmf, TonesAreReportedWhenNoTelephoneEventWasNegotiated) {
  LegUnderTest t(/*telephone_event=*/false);
  t.stream(dtmf_tones("5#", 600ms));
  ASSERT_EQ(t.observer.digits.size(), 2u);
  EXPECT_EQ(t.observer.digits[0].digit, '5');
  EXPECT_EQ(t.observer.digits[1].digit, '#');
  for (const auto& d : t.observer.digits) {
    EXPECT_EQ(d.source, media::DtmfSource::inband);
    // 100 ms tones (the generator's default); spandsp confirms start and end within a few 10 ms blocks.
    EXPECT_GE(d.duration, 60ms);
    EXPECT_LE(d.duration, 140ms);
  }
  EXPECT_GT(t.observer.frames, 20);
}

TEST(RtpLegInbandDtmf, TonesAreNotReportedTwiceWhenTelephoneEventWasNegotiated) {
  // A peer that negotiated RFC 4733 sends its digits as events; tones in its audio are the caller's own
  // business (and would otherwise be reported twice by gateways that send both).
  LegUnderTest t(/*telephone_event=*/true);
  t.stream(dtmf_tones("7", 400ms));
  EXPECT_TRUE(t.observer.digits.empty());
  EXPECT_GT(t.observer.frames, 10);
}

TEST(RtpLegQuality, LossReachesStatsAndMetrics) {
  LegUnderTest t(/*telephone_event=*/false);
  std::vector<std::int16_t> silence(50 * 160, 0);  // 1 s
  t.stream(silence, {1010, 1011, 1030});
  auto stats = t.leg->stats();
  EXPECT_EQ(stats.packets_received, 47u);
  // RFC 3550 A.1: the first packet of a source is on probation and not yet counted as expected.
  EXPECT_EQ(stats.packets_expected, 49u);
  EXPECT_EQ(stats.packets_lost, 3);
  EXPECT_GE(stats.jitter_ms, 0.0);
  EXPECT_LT(stats.jitter_ms, 100.0);  // loopback, timer-paced (a loaded machine adds a few ms)

  t.leg->end({media::EndReason::remote_hangup, 0, "bye"});
  EXPECT_TRUE(t.observer.ended);
  EXPECT_EQ(t.received, 47u);
  auto text = t.registry.expose();
  EXPECT_EQ(sample(text, "rtp_packets_lost_total{direction=\"received\"}"), 3.0) << text;
  EXPECT_EQ(sample(text, "rtp_fraction_lost_count"), 1.0) << text;
  // 3/49 = 0.061: above the 0.05 bucket, within 0.1.
  EXPECT_EQ(sample(text, "rtp_fraction_lost_bucket{le=\"0.05\"}"), 0.0) << text;
  EXPECT_EQ(sample(text, "rtp_fraction_lost_bucket{le=\"0.1\"}"), 1.0) << text;
  EXPECT_EQ(sample(text, "rtp_jitter_seconds_count"), 1.0) << text;
}

// Our answer asks for 20 ms, but a peer sends what it likes up to its maxptime: 100 ms packets are longer
// than the jitter buffer's usual slots, which grow once, and the audio plays.
TEST(RtpLegJitterBuffer, PacketsLongerThanUsualStillPlay) {
  LegUnderTest t(/*telephone_event=*/false);
  t.stream(dtmf_tones("9", 1000ms), {}, 500ms, /*samples_per_packet=*/800);
  EXPECT_GE(t.observer.frames, 40);  // 50 frames in 1 s, less what the buffer still holds at the end
  ASSERT_EQ(t.observer.digits.size(), 1u);
  EXPECT_EQ(t.observer.digits[0].digit, '9');
  EXPECT_EQ(t.leg->stats().packets_lost, 0);
}

TEST(RtpLegQuality, CallsWithoutMediaAreNotObserved) {
  LegUnderTest t(/*telephone_event=*/false);
  t.io.run_for(100ms);
  t.leg->end({media::EndReason::remote_hangup, 0, "bye"});
  auto text = t.registry.expose();
  EXPECT_EQ(sample(text, "rtp_fraction_lost_count"), 0.0) << text;
}

// Our RTCP arrives on the peer's RTP port, and the peer's report block sent to our RTP port is taken.
TEST(RtpLegRtcpMux, RtcpTravelsOnTheRtpPortBothWays) {
  LegUnderTest t(/*telephone_event=*/false, /*rtcp_mux=*/true);
  std::vector<std::int16_t> silence(10 * 160, 0);
  t.stream(silence, {}, 100ms);  // the peer becomes a known source

  // The first report is due 1.0-3.1 s after the session starts (RFC 3550 §6.2 with T = 5 s halved).
  std::array<std::uint8_t, 1500> in{};
  udp::endpoint from;
  std::optional<std::uint32_t> our_ssrc;
  t.peer.rtp.async_receive_from(
      asio::buffer(in), from, [&](const boost::system::error_code& ec, std::size_t n) {
        if (ec) return;
        if (auto compound = media::parse_rtcp(std::span<const std::uint8_t>(in.data(), n))) {
          our_ssrc = media::wire::read_u32((*compound->begin()).body.data());
        }
      });
  for (int i = 0; i < 50 && !our_ssrc; ++i) t.io.run_for(100ms);
  ASSERT_TRUE(our_ssrc.has_value()) << "no RTCP on the RTP port within 5 s";
  EXPECT_EQ(from.port(), t.leg->local_port());

  std::array<media::RtcpReportBlock, 1> blocks{};
  blocks[0].ssrc = *our_ssrc;
  blocks[0].cumulative_lost = 7;
  blocks[0].fraction_lost = 64;  // 25 %
  media::RtcpReport report;
  report.ssrc = RtpPeer::kSsrc;
  report.blocks = blocks;
  report.cname = "peer";
  std::array<std::uint8_t, 512> out{};
  auto size = media::build_rtcp(report, out);
  ASSERT_GT(size, 0u);
  t.peer.send(t.peer.rtp, std::span<const std::uint8_t>(out.data(), size), t.leg->local_port());
  t.io.run_for(200ms);

  auto stats = t.leg->stats();
  EXPECT_TRUE(stats.has_remote_report);
  EXPECT_EQ(stats.remote_packets_lost, 7);
  EXPECT_DOUBLE_EQ(stats.remote_fraction_lost, 0.25);
  // The report was not mistaken for RTP.
  EXPECT_EQ(stats.packets_received, 10u);

  t.leg->end({media::EndReason::remote_hangup, 0, "bye"});
  auto text = t.registry.expose();
  EXPECT_EQ(sample(text, "rtp_packets_lost_total{direction=\"sent\"}"), 7.0) << text;
}

}  // namespace
}  // namespace va::sip
