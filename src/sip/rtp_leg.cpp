#include "sip/rtp_leg.hpp"

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
    media::JitterBufferConfig jitter;
    jitter.clock_rate = static_cast<int>(media.codec.rtp_clock_rate);
    // Room for the longest packet the bridge accepts (200 ms), whatever ptime the peer chose.
    jitter.max_payload =
        codec_->info().encoded_bytes(codec_->samples_per(media::CodecBridge::kMaxPacketDuration));
    jitter_ = std::make_unique<media::JitterBuffer>(jitter);
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
  } else {
    dtmf_in_.reset();
    dtmf_out_.reset();
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
        if (self->session_ && !(self->srtp_ && self->srtp_->unprotect_rtcp(self->rtcp_in_, n))) {
          (void)self->session_->on_rtcp(std::span<const std::uint8_t>(self->rtcp_in_.data(), n),
                                        self->rtcp_from_, Clock::now());
        }
        self->receive_rtcp();
      });
}

void RtpLeg::on_rtp(std::size_t size) {
  if (!session_ || !media_) return;
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
      auto duration = codec_->info().rtp_units(codec_->decoded_samples(p.payload));
      (void)jitter_->push({p.ssrc, p.sequence, p.timestamp, p.marker, p.payload_type, duration, p.payload},
                          now);
      break;
    }
    case media::PayloadKind::telephone_event:
      if (dtmf_in_) {
        for (const auto& n :
             dtmf_in_->on_packet(result.packet.timestamp, result.packet.marker, result.packet.payload, now)) {
          if (n.kind != media::DtmfNotification::Kind::end || !observer_) continue;
          auto ms = std::chrono::milliseconds(n.digit.duration * 1000 / media_->telephone_event->clock_rate);
          observer_->on_dtmf({n.digit.digit, ms, media::DtmfSource::rfc4733});
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
    if (playout.kind == media::Playout::Kind::packet) {
      (void)bridge_->receive_payload(playout.payload);
    } else if (playout.kind == media::Playout::Kind::lost) {
      (void)bridge_->receive_loss(playout.duration);
    } else {
      break;  // nothing to play: no frame this tick (the observer hears only while media flows)
    }
  }
  if (auto frame = bridge_->pop_frame(); frame && observer_) observer_->on_audio(*frame);
  if (dtmf_in_ && observer_) {
    for (const auto& n : dtmf_in_->poll(now)) {
      if (n.kind != media::DtmfNotification::Kind::end) continue;
      auto ms = std::chrono::milliseconds(n.digit.duration * 1000 / media_->telephone_event->clock_rate);
      observer_->on_dtmf({n.digit.digit, ms, media::DtmfSource::rfc4733});
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

  if (counters_.add && tick.index % 50 == 0) {
    auto s = session_->stats();
    counters_.add(s.packets_sent - reported_sent_, s.packets_received - reported_received_);
    reported_sent_ = s.packets_sent;
    reported_received_ = s.packets_received;
  }

  if (session_->check_media_timeout(now)) {
    log::info("media timeout",
              {{"call_id", call_id_}, {"ms", static_cast<std::int64_t>(options_.media_timeout.count())}});
    if (control_.hangup) control_.hangup(media::EndReason::media_timeout, "no RTP");
  }
}

void RtpLeg::receive_info_dtmf(char digit, std::chrono::milliseconds duration) {
  if (observer_) observer_->on_dtmf({digit, duration, media::DtmfSource::sip_info});
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
  }
  if (jitter_) {
    out.frames_concealed = jitter_->stats().concealed;
    out.packets_late = jitter_->stats().late;
  }
  return out;
}

void RtpLeg::end(const media::CallEnded& ended) {
  if (ended_) return;
  ended_ = true;
  if (session_ && media_) send_rtcp(session_->write_rtcp_goodbye(Clock::now(), ended.detail, out_));
  if (counters_.add && session_) {
    auto s = session_->stats();
    counters_.add(s.packets_sent - reported_sent_, s.packets_received - reported_received_);
    reported_sent_ = s.packets_sent;
    reported_received_ = s.packets_received;
  }
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
