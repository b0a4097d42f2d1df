#include "media/rtp_session.hpp"

#include <algorithm>
#include <random>

namespace va::media {

namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t seed_from_device() {
  // One device per thread: opening it was 5 % of the CPU of 300 new calls per second (libstdc++'s
  // random_device::_M_init probes the CPU and the entropy sources each time); reading it stays per session.
  thread_local std::random_device device;
  return (std::uint64_t{device()} << 32) ^ device();
}

}  // namespace

std::string_view to_string(RtpDrop drop) {
  switch (drop) {
    case RtpDrop::malformed:
      return "malformed";
    case RtpDrop::unknown_payload_type:
      return "unknown payload type";
    case RtpDrop::unexpected_ssrc:
      return "unexpected SSRC";
    case RtpDrop::foreign_source:
      return "foreign source";
    case RtpDrop::sequence_jump:
      return "sequence jump";
  }
  return "unknown";
}

RtpSession::RtpSession(RtpSessionConfig config, Clock::time_point now,
                       std::chrono::system_clock::time_point wall_now)
    : config_(std::move(config)), start_(now), wall_start_(wall_now), last_rtp_(now) {
  format_index_.fill(-1);
  for (std::size_t i = 0; i < config_.formats.size(); ++i) {
    const auto payload_type = config_.formats[i].payload_type;
    if (payload_type < format_index_.size() && format_index_[payload_type] < 0) {
      format_index_[payload_type] = static_cast<std::int16_t>(i);
    }
  }
  random_state_ = config_.random_seed ? *config_.random_seed : seed_from_device();
  ssrc_ = config_.ssrc ? *config_.ssrc : static_cast<std::uint32_t>(random());
  sequence_ = config_.initial_sequence ? *config_.initial_sequence : static_cast<std::uint16_t>(random());
  media_timestamp_ =
      config_.initial_timestamp ? *config_.initial_timestamp : static_cast<std::uint32_t>(random());
  if (config_.clock_rate == 0) config_.clock_rate = 8000;
  if (config_.cname.size() > 255) config_.cname.resize(255);  // the SDES item length is one octet
  schedule_rtcp(now, true);
}

std::uint64_t RtpSession::random() {
  return splitmix64(random_state_);
}

std::uint32_t RtpSession::arrival_units(Clock::time_point now, std::uint32_t clock_rate) const {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now - start_).count();
  return static_cast<std::uint32_t>(static_cast<std::uint64_t>(micros) * clock_rate / 1'000'000);
}

std::uint64_t RtpSession::ntp_at(Clock::time_point now) const {
  return to_ntp(wall_start_ + std::chrono::duration_cast<std::chrono::system_clock::duration>(now - start_));
}

void RtpSession::set_remote(const UdpEndpoint& rtp, const UdpEndpoint& rtcp) {
  const bool moved = rtp != sdp_rtp_;
  sdp_rtp_ = rtp;
  if (moved || !latched_) {
    latched_ = false;
    rtp_destination_ = rtp;
  }
  if (moved || !rtcp_latched_) {
    rtcp_latched_ = false;
    rtcp_destination_ = rtcp;
  }
}

void RtpSession::latch(const UdpEndpoint& from) {
  latched_ = true;
  rtp_destination_ = from;
  // Until the peer's own RTCP arrives, guess its RTCP port the way the SDP default does (RTP port + 1).
  if (!rtcp_latched_ && !config_.rtcp_mux && from.port() < 65535) {
    rtcp_destination_ = UdpEndpoint(from.address(), static_cast<unsigned short>(from.port() + 1));
  }
}

RtpSession::RemoteSource* RtpSession::find_source(std::uint32_t ssrc) {
  for (auto& source : sources_) {
    if (source.in_use && source.ssrc == ssrc) return &source;
  }
  return nullptr;
}

RtpSession::RemoteSource& RtpSession::add_source(std::uint32_t ssrc, Clock::time_point now) {
  // A free slot, or else the one heard from least recently.
  auto* slot = &sources_[0];
  for (auto& source : sources_) {
    if (!source.in_use) {
      slot = &source;
      break;
    }
    if (source.last_heard < slot->last_heard) slot = &source;
  }
  *slot = RemoteSource{};
  slot->in_use = true;
  slot->ssrc = ssrc;
  slot->last_heard = now;
  return *slot;
}

RtpReceiveResult RtpSession::drop(RtpDrop reason) {
  ++drops_[static_cast<std::size_t>(reason)];
  RtpReceiveResult result;
  result.dropped = reason;
  return result;
}

RtpReceiveResult RtpSession::on_rtp(std::span<const std::uint8_t> datagram, const UdpEndpoint& from,
                                    Clock::time_point now) {
  const auto packet = parse_rtp(datagram);
  if (!packet) return drop(RtpDrop::malformed);
  const int index = format_index_[packet->payload_type];
  if (index < 0) return drop(RtpDrop::unknown_payload_type);
  if (config_.remote_ssrc && packet->ssrc != *config_.remote_ssrc) return drop(RtpDrop::unexpected_ssrc);
  const RtpPayloadFormat& format = config_.formats[static_cast<std::size_t>(index)];

  RtpReceiveResult result;
  if (config_.symmetric_rtp) {
    if (!latched_) {
      latch(from);
      result.latched = true;
    } else if (from != rtp_destination_) {
      // RFC 4961 leaves re-latching to policy. Ours: only once the latched source has gone quiet, so a stray
      // or hostile sender cannot take over a live stream.
      if (now - last_rtp_ < config_.relatch_after) return drop(RtpDrop::foreign_source);
      latch(from);
      result.latched = true;
    }
  }

  RemoteSource* source = find_source(packet->ssrc);
  if (source == nullptr) {
    source = &add_source(packet->ssrc, now);
    result.new_source = true;
  }
  const bool is_event = format.kind == PayloadKind::telephone_event;
  const auto check = source->statistics.on_packet(packet->sequence, packet->timestamp,
                                                  arrival_units(now, format.clock_rate), !is_event);
  if (check == SequenceCheck::jump) return drop(RtpDrop::sequence_jump);

  if (packet->ssrc == ssrc_) {
    // RFC 3550 §8.2: the peer picked our SSRC. Minimal handling: we move to a fresh one (no BYE for the old).
    ++ssrc_collisions_;
    do {
      ssrc_ = static_cast<std::uint32_t>(random());
    } while (ssrc_ == packet->ssrc);
    sent_ = {};  // the SR counts belong to the SSRC
    reports_since_sent_ = 2;
  }

  source->last_heard = now;
  source->heard_since_report = true;
  if (format.kind == PayloadKind::audio) audio_ssrc_ = packet->ssrc;
  last_rtp_ = now;
  timeout_reported_ = false;
  ++packets_received_;
  octets_received_ += packet->payload.size();

  result.packet = *packet;
  result.kind = format.kind;
  result.clock_rate = format.clock_rate;
  return result;
}

RtcpReceiveResult RtpSession::on_rtcp(std::span<const std::uint8_t> datagram, const UdpEndpoint& from,
                                      Clock::time_point now) {
  RtcpReceiveResult result;
  const auto compound = parse_rtcp(datagram);
  if (!compound) {
    result.dropped = RtcpDrop::malformed;
    return result;
  }
  // parse_rtcp guarantees an SR or RR first; its SSRC identifies the reporter.
  const RtcpPacketView first = *compound->begin();
  const std::uint32_t reporter = wire::read_u32(first.body.data());
  RemoteSource* source = find_source(reporter);
  if (source == nullptr) {
    result.dropped = RtcpDrop::unknown_source;
    return result;
  }
  ++rtcp_received_;
  if (config_.symmetric_rtp && !config_.rtcp_mux) {
    rtcp_latched_ = true;
    rtcp_destination_ = from;
  }

  const auto take_blocks = [&](const RtcpReportBlocks& blocks) {
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      const RtcpReportBlock block = blocks[i];
      if (block.ssrc != ssrc_) continue;
      remote_report_ = block;
      result.report_about_us = true;
      if (auto rtt = round_trip_time(ntp_compact(ntp_at(now)), block.last_sr, block.delay_since_last_sr)) {
        round_trip_ = rtt;
      }
    }
  };
  for (const RtcpPacketView& packet : *compound) {
    if (auto sr = parse_sender_report(packet)) {
      if (RemoteSource* sender = find_source(sr->ssrc)) {
        sender->last_sr = ntp_compact(sr->sender.ntp_timestamp);
        sender->last_sr_arrival = now;
      }
      take_blocks(sr->blocks);
    } else if (auto rr = parse_receiver_report(packet)) {
      take_blocks(rr->blocks);
    } else if (auto bye = parse_goodbye(packet)) {
      for (std::size_t i = 0; i < bye->ssrc_count(); ++i) {
        if (RemoteSource* leaving = find_source(bye->ssrc(i))) {
          leaving->in_use = false;
          result.goodbye = true;
        }
      }
    }
  }
  return result;
}

std::size_t RtpSession::finish_rtp(const RtpHeader& header, std::span<const std::uint8_t> payload,
                                   Clock::time_point now, std::span<std::uint8_t> out) {
  const std::size_t size = serialize_rtp(header, payload, out);
  if (size == 0) return 0;
  ++sequence_;
  sent_.on_sent(payload.size());
  ++packets_sent_;
  octets_sent_ += payload.size();
  have_sent_ = true;
  reports_since_sent_ = 0;
  last_sent_timestamp_ = header.timestamp;
  last_sent_time_ = now;
  return size;
}

std::size_t RtpSession::write_audio(std::span<const std::uint8_t> payload, std::uint8_t payload_type,
                                    std::uint32_t samples, Clock::time_point now,
                                    std::span<std::uint8_t> out) {
  RtpHeader header;
  header.marker = talkspurt_;
  header.payload_type = payload_type;
  header.sequence = sequence_;
  header.timestamp = media_timestamp_;
  header.ssrc = ssrc_;
  const std::size_t size = finish_rtp(header, payload, now, out);
  if (size == 0) return 0;
  media_timestamp_ += samples;
  talkspurt_ = false;
  return size;
}

void RtpSession::skip_audio(std::uint32_t samples) {
  media_timestamp_ += samples;
  talkspurt_ = true;
}

std::size_t RtpSession::write_event(const Rfc4733Packet& packet, std::uint8_t payload_type,
                                    Clock::time_point now, std::span<std::uint8_t> out) {
  if (packet.marker) event_timestamp_ = media_timestamp_;
  RtpHeader header;
  header.marker = packet.marker;
  header.payload_type = payload_type;
  header.sequence = sequence_;
  header.timestamp = event_timestamp_;
  header.ssrc = ssrc_;
  const std::size_t size = finish_rtp(header, packet.payload, now, out);
  if (size == 0) return 0;
  media_timestamp_ += packet.interval;
  talkspurt_ = true;
  return size;
}

void RtpSession::schedule_rtcp(Clock::time_point now, bool initial) {
  // RFC 3550 §6.2 / A.7: T × U[0.5, 1.5] / (e − 3/2), the first report after half the minimum.
  using Micros = std::chrono::microseconds;
  const double base = static_cast<double>(std::chrono::duration_cast<Micros>(config_.rtcp_interval).count()) *
                      (initial ? 0.5 : 1.0);
  const double factor = 0.5 + static_cast<double>(random() >> 11) * 0x1.0p-53;
  constexpr double kCompensation = 2.71828182845904523536 - 1.5;
  next_rtcp_ = now + Micros(static_cast<std::int64_t>(base * factor / kCompensation));
}

std::size_t RtpSession::write_rtcp(Clock::time_point now, bool goodbye, std::string_view reason,
                                   std::span<std::uint8_t> out) {
  std::array<RtcpReportBlock, kMaxRemoteSources> blocks{};
  std::size_t block_count = 0;
  for (auto& source : sources_) {
    if (!source.in_use || !source.heard_since_report) continue;
    std::uint32_t delay = 0;
    if (source.last_sr != 0) {
      const auto since = std::chrono::duration_cast<std::chrono::microseconds>(now - source.last_sr_arrival);
      delay = static_cast<std::uint32_t>(since.count() * 65536 / 1'000'000);
    }
    blocks[block_count] = source.statistics.make_report_block(source.ssrc, source.last_sr, delay);
    if (audio_ssrc_ && source.ssrc == *audio_ssrc_) last_fraction_lost_ = blocks[block_count].fraction_lost;
    ++block_count;
  }

  RtcpReport report;
  report.ssrc = ssrc_;
  if (have_sent_ && reports_since_sent_ < 2) {
    RtcpSenderInfo sender;
    sender.ntp_timestamp = ntp_at(now);
    // The RTP timestamp that corresponds to the NTP time, extrapolated from the last packet sent.
    const auto since = std::chrono::duration_cast<std::chrono::microseconds>(now - last_sent_time_).count();
    sender.rtp_timestamp =
        last_sent_timestamp_ +
        static_cast<std::uint32_t>(static_cast<std::uint64_t>(since) * config_.clock_rate / 1'000'000);
    sender.packet_count = sent_.packets;
    sender.octet_count = sent_.octets;
    report.sender = sender;
  }
  report.blocks = std::span<const RtcpReportBlock>(blocks.data(), block_count);
  report.cname = config_.cname;
  report.goodbye = goodbye;
  report.goodbye_reason = reason;
  const std::size_t size = build_rtcp(report, out);
  if (size == 0) return 0;

  for (auto& source : sources_) source.heard_since_report = false;
  ++reports_since_sent_;
  ++rtcp_sent_;
  schedule_rtcp(now, false);
  return size;
}

std::size_t RtpSession::write_rtcp_report(Clock::time_point now, std::span<std::uint8_t> out) {
  return write_rtcp(now, false, {}, out);
}

std::size_t RtpSession::write_rtcp_goodbye(Clock::time_point now, std::string_view reason,
                                           std::span<std::uint8_t> out) {
  return write_rtcp(now, true, reason, out);
}

bool RtpSession::check_media_timeout(Clock::time_point now) {
  if (config_.media_timeout.count() <= 0 || !remote_sending_ || timeout_reported_) return false;
  if (now - last_rtp_ < config_.media_timeout) return false;
  timeout_reported_ = true;
  return true;
}

void RtpSession::set_remote_sending(bool sending, Clock::time_point now) {
  if (sending && !remote_sending_) {
    last_rtp_ = now;  // the peer gets a full timeout period to resume
    timeout_reported_ = false;
  }
  remote_sending_ = sending;
}

std::optional<std::uint32_t> RtpSession::remote_ssrc() const {
  return audio_ssrc_;
}

RtpStatsSnapshot RtpSession::stats() const {
  RtpStatsSnapshot snapshot;
  snapshot.packets_received = packets_received_;
  snapshot.octets_received = octets_received_;
  for (const auto& source : sources_) {
    if (!source.in_use) continue;
    snapshot.packets_expected += source.statistics.expected();
    snapshot.packets_lost += source.statistics.cumulative_lost();
    if (audio_ssrc_ && source.ssrc == *audio_ssrc_) {
      // Jitter of the audio stream, converted with its clock.
      std::uint32_t clock_rate = config_.clock_rate;
      for (const auto& format : config_.formats) {
        if (format.kind == PayloadKind::audio) {
          clock_rate = format.clock_rate;
          break;
        }
      }
      snapshot.jitter_ms = 1000.0 * source.statistics.jitter() / clock_rate;
    }
  }
  snapshot.fraction_lost = last_fraction_lost_ / 256.0;
  for (auto count : drops_) snapshot.packets_dropped += count;
  snapshot.packets_sent = packets_sent_;
  snapshot.octets_sent = octets_sent_;
  if (remote_report_) {
    snapshot.has_remote_report = true;
    snapshot.remote_fraction_lost = remote_report_->fraction_lost / 256.0;
    snapshot.remote_packets_lost = remote_report_->cumulative_lost;
    snapshot.remote_jitter_ms = 1000.0 * remote_report_->jitter / config_.clock_rate;
  }
  if (round_trip_) {
    snapshot.has_round_trip = true;
    snapshot.round_trip_ms = static_cast<double>(round_trip_->count()) / 1000.0;
  }
  snapshot.rtcp_sent = rtcp_sent_;
  snapshot.rtcp_received = rtcp_received_;
  return snapshot;
}

}  // namespace va::media
