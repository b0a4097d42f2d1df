#include "sip/ua/rtp_leg.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <span>

#include "common/log.hpp"
#include "sdp/payload_formats.hpp"

namespace va::sip {

namespace {
using Clock = std::chrono::steady_clock;
namespace asio = boost::asio;

asio::ip::udp::endpoint endpoint_of(const sdp::TransportAddress& address) {
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(address.address, ec);
  if (ec) return {};
  return {ip, address.port};
}
}  // namespace

std::shared_ptr<RtpLeg> RtpLeg::open(asio::any_io_executor executor, media::MediaClock& clock,
                                     RtpPortAllocator& ports, RtpLegOptions options, std::string call_id) {
  std::shared_ptr<RtpLeg> leg(
      new RtpLeg(std::move(executor), clock, ports, std::move(options), std::move(call_id)));
  // Ports held by other processes are skipped (and returned to the range for later).
  for (std::size_t attempt = 0; attempt < 16; ++attempt) {
    auto port = ports.allocate();
    if (!port) return nullptr;
    if (leg->bind(*port)) return leg;
    ports.release(*port);
  }
  return nullptr;
}

RtpLeg::RtpLeg(asio::any_io_executor executor, media::MediaClock& clock, RtpPortAllocator& ports,
               RtpLegOptions options, std::string call_id)
    : executor_(std::move(executor)),
      clock_(clock),
      ports_(ports),
      options_(std::move(options)),
      call_id_(std::move(call_id)),
      rtp_socket_(executor_),
      rtcp_socket_(executor_),
      ring_(options_.max_queued_frames == 0 ? 1 : options_.max_queued_frames) {}

RtpLeg::~RtpLeg() {
  close();
}

bool RtpLeg::bind(std::uint16_t port) {
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(options_.local_address, ec);
  if (ec) return false;
  rtp_socket_.open(ip.is_v6() ? asio::ip::udp::v6() : asio::ip::udp::v4(), ec);
  if (!ec) rtp_socket_.bind({ip, port}, ec);
  if (!ec) rtcp_socket_.open(ip.is_v6() ? asio::ip::udp::v6() : asio::ip::udp::v4(), ec);
  if (!ec) rtcp_socket_.bind({ip, static_cast<std::uint16_t>(port + 1)}, ec);
  if (ec) {
    boost::system::error_code ignored;
    rtp_socket_.close(ignored);
    rtcp_socket_.close(ignored);
    return false;
  }
  rtp_port_ = port;
  port_allocated_ = true;
  return true;
}

std::optional<std::string> RtpLeg::apply(const sdp::NegotiatedMedia& media) {
  const auto& format = sdp::codec_format(media.codec.codec);
  bool codec_changed = !media_ || media_->codec != media.codec;
  if (codec_changed) {
    auto codec = media::builtin_codecs().make(format.encoding_name);
    if (!codec) return "codec " + std::string(format.encoding_name) + " is not built in";
    try {
      bridge_ = std::make_unique<media::CodecBridge>(*codec, media.ptime);
    } catch (const std::exception& e) {
      return std::string("codec bridge: ") + e.what();
    }
    codec_ = std::move(codec);
    make_jitter_buffer(std::max(media.ptime, kUsualLongestPacket), media.codec.rtp_clock_rate);
    units_per_tick_ = static_cast<std::uint32_t>(media.codec.rtp_clock_rate / 50);
  }
  if (!session_ || codec_changed) {
    media::RtpSessionConfig config;
    config.formats.push_back(
        {media.codec.receive_payload_type, media::PayloadKind::audio, media.codec.rtp_clock_rate});
    if (media.telephone_event) {
      config.formats.push_back({media.telephone_event->receive_payload_type,
                                media::PayloadKind::telephone_event, media.telephone_event->clock_rate});
    }
    config.formats.push_back({13, media::PayloadKind::comfort_noise, 8000});
    config.clock_rate = media.codec.rtp_clock_rate;
    config.cname = call_id_;
    config.rtcp_mux = media.rtcp_mux;
    config.media_timeout = options_.media_timeout;
    session_ = std::make_unique<media::RtpSession>(std::move(config), Clock::now());
  }
  if (media.telephone_event) {
    dtmf_in_.emplace(media.telephone_event->clock_rate);
    dtmf_out_.emplace(media.telephone_event->clock_rate, media.ptime);
    dtmf_inband_.reset();
  } else {
    dtmf_in_.reset();
    dtmf_out_.reset();
    // The detector runs at the codec's rate: 8 kHz for G.711 and G.729 needs no resampling at all.
    const int rate = codec_->sample_rate();
    if (rate == 8000 || rate == 16000) {
      if (!dtmf_inband_ || dtmf_inband_->sample_rate() != rate) {
        dtmf_inband_ = std::make_unique<media::InbandDtmfDetector>(rate);
      }
    } else {
      dtmf_inband_.reset();
    }
  }
  if (media.srtp) {
    // RFC 4568: each side sends with its own key; a re-INVITE with new keys starts new contexts.
    auto suite = media::parse_srtp_suite(media.srtp->suite);
    if (!suite || media.srtp->local_key_salt.size() != media::kSrtpKeySaltSize ||
        media.srtp->remote_key_salt.size() != media::kSrtpKeySaltSize) {
      return "unusable SRTP parameters";
    }
    if (!media_ || media_->srtp != media.srtp) {
      media::SrtpKeyMaterial local{*suite, {}};
      media::SrtpKeyMaterial remote{*suite, {}};
      std::copy(media.srtp->local_key_salt.begin(), media.srtp->local_key_salt.end(), local.key_salt.begin());
      std::copy(media.srtp->remote_key_salt.begin(), media.srtp->remote_key_salt.end(),
                remote.key_salt.begin());
      srtp_ = media::SrtpSession::create(local, remote);
      if (!srtp_) return "SRTP session could not be created";
    }
  } else {
    srtp_.reset();
  }
  session_->set_rtcp_mux(media.rtcp_mux);  // a re-INVITE may change it without changing the codec
  session_->set_remote(endpoint_of(media.remote_rtp), endpoint_of(media.remote_rtcp));
  session_->set_remote_sending(sdp::receives(media.direction), Clock::now());
  bool hold_changed = media_ && media_->remote_hold != media.remote_hold;
  media_ = media;
  if (hold_changed && observer_) observer_->on_hold_changed(media.remote_hold);
  if (!tick_.id()) {
    tick_ = clock_.subscribe([this](const media::MediaTick& tick) { on_tick(tick); });
    receive_rtp();
    receive_rtcp();
  }
  return std::nullopt;
}

void RtpLeg::make_jitter_buffer(std::chrono::milliseconds longest_packet, std::uint32_t rtp_clock_rate) {
  if (jitter_) {
    concealed_before_ += jitter_->stats().concealed;
    late_before_ += jitter_->stats().late;
  }
  media::JitterBufferConfig jitter;
  jitter.clock_rate = static_cast<int>(rtp_clock_rate);
  longest_packet =
      std::min(longest_packet, std::chrono::milliseconds(media::CodecBridge::kMaxPacketDuration));
  jitter.max_payload = codec_->info().encoded_bytes(codec_->samples_per(longest_packet));
  jitter_ = std::make_unique<media::JitterBuffer>(jitter);
}

void RtpLeg::receive_rtp() {
  rtp_socket_.async_receive_from(
      asio::buffer(rtp_in_), rtp_from_,
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        if (ec || self->ended_) return;
        self->on_rtp(n);
        self->receive_rtp();
      });
}

void RtpLeg::receive_rtcp() {
  rtcp_socket_.async_receive_from(
      asio::buffer(rtcp_in_), rtcp_from_,
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        if (ec || self->ended_) return;
        self->on_rtcp(self->rtcp_in_, n, self->rtcp_from_);
        self->receive_rtcp();
      });
}

void RtpLeg::on_rtcp(std::span<std::uint8_t> buffer, std::size_t size, const asio::ip::udp::endpoint& from) {
  if (!session_) return;
  if (srtp_ && srtp_->unprotect_rtcp(buffer, size)) return;
  (void)session_->on_rtcp(std::span<const std::uint8_t>(buffer.data(), size), from, Clock::now());
}

namespace {
// RFC 5761 §4: on a multiplexed port, RTCP packet types 200-204 (SR, RR, SDES, BYE, APP) occupy the octet
// where RTP has marker and payload type, reading as payload types 72-76; 64-95 are kept free of RTP payload
// types for exactly this, so the whole range is taken as RTCP.
bool is_multiplexed_rtcp(std::span<const std::uint8_t> datagram) {
  if (datagram.size() < 2) return false;
  const int payload_type = datagram[1] & 0x7f;
  return payload_type >= 64 && payload_type <= 95;
}
}  // namespace

void RtpLeg::on_rtp(std::size_t size) {
  if (!session_ || !media_) return;
  if (media_->rtcp_mux && is_multiplexed_rtcp(std::span<const std::uint8_t>(rtp_in_.data(), size))) {
    on_rtcp(rtp_in_, size, rtp_from_);
    return;
  }
  if (srtp_ && srtp_->unprotect_rtp(rtp_in_, size)) {
    ++srtp_failures_;  // not authenticated: never latched, decoded or counted
    return;
  }
  auto now = Clock::now();
  auto result = session_->on_rtp(std::span<const std::uint8_t>(rtp_in_.data(), size), rtp_from_, now);
  if (!result.accepted()) return;
  if (result.new_source && dtmf_in_) dtmf_in_->reset();
  switch (result.kind) {
    case media::PayloadKind::audio: {
      if (!jitter_ || !codec_) break;
      if (result.new_source) jitter_->reset();
      const auto& p = result.packet;
      if (p.payload.size() > jitter_->config().max_payload) {
        // Longer packets than the usual (a peer may send any ptime up to its maxptime): room for the longest
        // the bridge accepts, once per call. What was buffered is lost with the old buffer.
        make_jitter_buffer(media::CodecBridge::kMaxPacketDuration, media_->codec.rtp_clock_rate);
      }
      auto duration = codec_->info().rtp_units(codec_->decoded_samples(p.payload));
      (void)jitter_->push({p.ssrc, p.sequence, p.timestamp, p.marker, p.payload_type, duration, p.payload},
                          now);
      break;
    }
    case media::PayloadKind::telephone_event:
      if (dtmf_in_) {
        for (const auto& n :
             dtmf_in_->on_packet(result.packet.timestamp, result.packet.marker, result.packet.payload, now)) {
          if (n.kind != media::DtmfNotification::Kind::end) continue;
          auto ms = std::chrono::milliseconds(n.digit.duration * 1000 / media_->telephone_event->clock_rate);
          report_dtmf(n.digit.digit, ms, media::DtmfSource::rfc4733);
          if (ended_ || !dtmf_in_) break;  // the observer hung up
        }
      }
      break;
    case media::PayloadKind::comfort_noise:
      break;
  }
}

void RtpLeg::send_packet(std::size_t size) {
  if (size == 0) return;
  if (srtp_ && srtp_->protect_rtp(out_, size)) return;
  boost::system::error_code ec;
  rtp_socket_.send_to(asio::buffer(out_.data(), size), session_->rtp_destination(), 0, ec);
}

void RtpLeg::send_rtcp(std::size_t size) {
  if (size == 0 || session_->rtcp_destination().port() == 0) return;
  if (srtp_ && srtp_->protect_rtcp(out_, size)) return;
  boost::system::error_code ec;
  auto& socket = media_->rtcp_mux ? rtp_socket_ : rtcp_socket_;
  socket.send_to(asio::buffer(out_.data(), size), session_->rtcp_destination(), 0, ec);
}

void RtpLeg::on_tick(const media::MediaTick& tick) {
  if (ended_ || !session_ || !bridge_ || !media_) return;
  auto now = tick.woke;

  // Receive side: pull from the jitter buffer until a pipeline frame is decoded (a few pulls at most: one
  // per tick at 20 ms ptime, two for 10 ms packets), then hand that frame to the observer.
  for (int pulls = 0; pulls < 8 && bridge_->received_samples_queued() < media::kFrameSamples; ++pulls) {
    auto playout = jitter_->pull(now);
    auto status = media::CodecBridge::ReceiveStatus::ok;
    if (playout.kind == media::Playout::Kind::packet) {
      status = bridge_->receive_payload(playout.payload);
    } else if (playout.kind == media::Playout::Kind::lost) {
      status = bridge_->receive_loss(playout.duration);
    } else {
      break;  // nothing to play: no frame this tick (the observer hears only while media flows)
    }
    // What the pipeline hears, concealment included, so the detector's timeline follows the call's.
    if (dtmf_inband_ && status == media::CodecBridge::ReceiveStatus::ok) {
      dtmf_inband_->process(bridge_->last_received_pcm());
    }
  }
  if (auto frame = bridge_->pop_frame(); frame && observer_) observer_->on_audio(*frame);
  if (dtmf_in_) {
    for (const auto& n : dtmf_in_->poll(now)) {
      if (n.kind != media::DtmfNotification::Kind::end) continue;
      auto ms = std::chrono::milliseconds(n.digit.duration * 1000 / media_->telephone_event->clock_rate);
      report_dtmf(n.digit.digit, ms, media::DtmfSource::rfc4733);
      if (ended_ || !dtmf_in_) break;
    }
  }
  if (dtmf_inband_) {
    while (auto event = dtmf_inband_->next_event()) {
      if (event->kind != media::InbandDtmfEvent::Kind::ended) continue;
      report_dtmf(event->digit, std::chrono::duration_cast<std::chrono::milliseconds>(event->duration),
                  media::DtmfSource::inband);
      if (ended_ || !dtmf_inband_) break;
    }
  }
  if (ended_) return;  // an observer callback may have hung up

  // Send side: one packet per tick, DTMF taking the place of audio (RFC 4733 §2.5.1.2).
  bool sending = !held_ && !media_->remote_hold && sdp::sends(media_->direction) &&
                 session_->rtp_destination().port() != 0;
  if (dtmf_out_ && dtmf_out_->active()) {
    if (auto packet = dtmf_out_->next(); packet && sending) {
      send_packet(session_->write_event(*packet, media_->telephone_event->send_payload_type, now, out_));
    }
    if (queued_ > 0) {  // the audio that the digit replaces is dropped, keeping real time
      head_ = (head_ + 1) % ring_.size();
      --queued_;
    }
  } else if (queued_ > 0) {
    auto& frame = ring_[head_];
    head_ = (head_ + 1) % ring_.size();
    --queued_;
    (void)bridge_->send_frame(frame);
    bool sent = false;
    while (auto payload = bridge_->pop_payload()) {
      if (sending) {
        send_packet(session_->write_audio(payload->bytes, media_->codec.send_payload_type, payload->rtp_units,
                                          now, out_));
      } else {
        session_->skip_audio(payload->rtp_units);
      }
      sent = true;
    }
    (void)sent;
  } else {
    session_->skip_audio(units_per_tick_);
  }

  if (session_->rtcp_due(now)) {
    send_rtcp(session_->write_rtcp_report(now, out_));
  }

  if (counters_.add && tick.index % 50 == 0) report_packets();

  if (session_->check_media_timeout(now)) {
    log::info("media timeout",
              {{"call_id", call_id_}, {"ms", static_cast<std::int64_t>(options_.media_timeout.count())}});
    if (control_.hangup) control_.hangup(media::EndReason::media_timeout, "no RTP");
  }
}

void RtpLeg::receive_info_dtmf(char digit, std::chrono::milliseconds duration) {
  report_dtmf(digit, duration, media::DtmfSource::sip_info);
}

void RtpLeg::report_dtmf(char digit, std::chrono::milliseconds duration, media::DtmfSource source) {
  if (observer_) observer_->on_dtmf({digit, duration, source});
}

void RtpLeg::report_packets() {
  if (!counters_.add || !session_) return;
  const auto s = session_->stats();
  counters_.add(s.packets_sent - reported_sent_, s.packets_received - reported_received_);
  reported_sent_ = s.packets_sent;
  reported_received_ = s.packets_received;
}

void RtpLeg::report_quality() {
  if (!counters_.call_ended || !session_) return;
  const auto s = session_->stats();
  if (s.packets_expected == 0) return;  // nothing received: no loss or jitter to speak of
  RtpCallQuality quality;
  quality.packets_expected = s.packets_expected;
  quality.packets_lost = s.packets_lost > 0 ? static_cast<std::uint64_t>(s.packets_lost) : 0;
  quality.fraction_lost =
      std::min(1.0, static_cast<double>(quality.packets_lost) / static_cast<double>(s.packets_expected));
  quality.jitter_seconds = s.jitter_ms / 1000.0;
  quality.has_remote_report = s.has_remote_report;
  quality.remote_packets_lost =
      s.remote_packets_lost > 0 ? static_cast<std::uint64_t>(s.remote_packets_lost) : 0;
  counters_.call_ended(quality);
}

std::function<void(const RtpCallQuality&)> rtp_quality_recorder(metrics::Registry& registry) {
  auto& lost =
      registry.counter("rtp_packets_lost_total",
                       "RTP packets lost (RFC 3550 A.3): received = of the peers' streams, sent = of "
                       "ours as the peers' RTCP reports count them; added when a call ends",
                       {"direction"});
  auto& lost_received = lost.with({"received"});
  auto& lost_sent = lost.with({"sent"});
  // Interarrival jitter (RFC 3550 A.8) per call at its end: a jitter buffer copes up to its 200 ms ceiling.
  auto& jitter =
      registry
          .histogram("rtp_jitter_seconds", "Interarrival jitter of the received RTP, per call at its end", {},
                     {0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32})
          .get();
  // Loss over the whole call: "le=0" counts the calls without any loss.
  auto& fraction =
      registry
          .histogram("rtp_fraction_lost", "Fraction of the received RTP lost over the call, per call", {},
                     {0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5})
          .get();
  return [&lost_received, &lost_sent, &jitter, &fraction](const RtpCallQuality& quality) {
    lost_received.inc(static_cast<double>(quality.packets_lost));
    if (quality.has_remote_report) lost_sent.inc(static_cast<double>(quality.remote_packets_lost));
    jitter.observe(quality.jitter_seconds);
    fraction.observe(quality.fraction_lost);
  };
}

void RtpLeg::answer() {
  if (control_.answer) control_.answer();
}

void RtpLeg::hangup(media::EndReason reason) {
  if (ended_) return;
  if (control_.hangup) control_.hangup(reason, std::string(media::to_string(reason)));
}

void RtpLeg::transfer(const std::string& target) {
  // REFER is not implemented yet: the call goes on, and the observer learns the transfer failed.
  log::warn("transfer not supported yet", {{"call_id", call_id_}, {"target", target}});
  if (observer_) observer_->on_transfer_progress(501, true);
}

void RtpLeg::hold(bool on) {
  // Without a re-INVITE of ours (not implemented yet) holding only stops what we send.
  held_ = on;
}

bool RtpLeg::send_audio(const media::AudioFrame& frame) {
  if (ended_ || queued_ == ring_.size()) return false;
  ring_[(head_ + queued_) % ring_.size()] = frame;
  ++queued_;
  return true;
}

void RtpLeg::flush_audio() {
  head_ = 0;
  queued_ = 0;
  if (bridge_) bridge_->flush_send();
}

void RtpLeg::send_dtmf(char digit, std::chrono::milliseconds duration) {
  if (dtmf_out_) (void)dtmf_out_->start(digit, duration);
}

media::MediaStats RtpLeg::stats() const {
  media::MediaStats out;
  if (media_) {
    const auto& f = sdp::codec_format(media_->codec.codec);
    out.codec = std::string(f.encoding_name) + "/" + std::to_string(f.rtp_clock_rate);
  }
  if (session_) {
    auto s = session_->stats();
    out.packets_sent = s.packets_sent;
    out.packets_received = s.packets_received;
    out.packets_lost = s.packets_lost;
    out.fraction_lost = s.fraction_lost;
    out.jitter_ms = s.jitter_ms;
    out.round_trip_ms = s.has_round_trip ? s.round_trip_ms : 0;
    out.packets_expected = s.packets_expected;
    out.has_remote_report = s.has_remote_report;
    out.remote_packets_lost = s.remote_packets_lost;
    out.remote_fraction_lost = s.remote_fraction_lost;
    out.remote_jitter_ms = s.remote_jitter_ms;
  }
  if (jitter_) {
    out.frames_concealed = concealed_before_ + jitter_->stats().concealed;
    out.packets_late = late_before_ + jitter_->stats().late;
  }
  return out;
}

void RtpLeg::end(const media::CallEnded& ended) {
  if (ended_) return;
  ended_ = true;
  if (session_ && media_) send_rtcp(session_->write_rtcp_goodbye(Clock::now(), ended.detail, out_));
  report_packets();
  report_quality();
  close();
  if (auto* observer = std::exchange(observer_, nullptr)) observer->on_ended(ended);
}

void RtpLeg::close() {
  tick_.reset();
  boost::system::error_code ec;
  rtp_socket_.close(ec);
  rtcp_socket_.close(ec);
  if (port_allocated_) {
    port_allocated_ = false;
    ports_.release(rtp_port_);
  }
}

}  // namespace va::sip
