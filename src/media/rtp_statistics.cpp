#include "media/rtp_statistics.hpp"

#include <algorithm>

namespace va::media {

namespace {
constexpr std::uint32_t kSequenceModulo = 1u << 16;
// A jitter sample this large means the sender restarted its timestamps; clamping keeps the ×16 accumulator of
// A.8 from overflowing (2^27 units is over four hours at 8 kHz).
constexpr std::uint32_t kMaxJitterSample = (1u << 27) - 1;
}  // namespace

void RtpReceiveStatistics::start(std::uint16_t sequence) {
  // A.1: "a new source is heard for the first time": init, then require MIN_SEQUENTIAL packets in order.
  init_sequence(sequence);
  max_seq_ = static_cast<std::uint16_t>(sequence - 1);
  probation_ = kMinSequential;
  started_ = true;
  have_transit_ = false;
  jitter_q4_ = 0;
}

void RtpReceiveStatistics::init_sequence(std::uint16_t sequence) {
  base_seq_ = sequence;
  max_seq_ = sequence;
  bad_seq_ = kSequenceModulo + 1;  // so that sequence == bad_seq_ is false
  cycles_ = 0;
  received_ = 0;
  received_prior_ = 0;
  expected_prior_ = 0;
}

SequenceCheck RtpReceiveStatistics::on_packet(std::uint16_t sequence, std::uint32_t rtp_timestamp,
                                              std::uint32_t arrival, bool measure_jitter) {
  if (!started_) start(sequence);

  // A.1 update_seq(), with the probation comparison done modulo 2^16 (the published code compares against
  // max_seq + 1 in int arithmetic, which never matches across the wrap).
  const auto udelta = static_cast<std::uint16_t>(sequence - max_seq_);
  SequenceCheck verdict = SequenceCheck::valid;
  if (probation_ > 0) {
    if (sequence == static_cast<std::uint16_t>(max_seq_ + 1)) {
      --probation_;
      max_seq_ = sequence;
      if (probation_ == 0) {
        init_sequence(sequence);
        ++received_;
      } else {
        verdict = SequenceCheck::probation;
      }
    } else {
      probation_ = kMinSequential - 1;
      max_seq_ = sequence;
      verdict = SequenceCheck::probation;
    }
  } else if (udelta < kMaxDropout) {
    if (sequence < max_seq_) cycles_ += kSequenceModulo;  // in order, with permissible gap: wrapped
    max_seq_ = sequence;
    ++received_;
  } else if (udelta <= kSequenceModulo - kMaxMisorder) {
    // A very large jump. If two sequential packets arrive, assume the other side restarted without telling
    // us.
    if (sequence == bad_seq_) {
      init_sequence(sequence);
      ++received_;
    } else {
      bad_seq_ = (std::uint32_t{sequence} + 1) & (kSequenceModulo - 1);
      have_transit_ = false;  // the new sequence may come with new timestamps
      return SequenceCheck::jump;
    }
  } else {
    ++received_;  // duplicate or reordered packet
  }

  if (measure_jitter) {
    // A.8: D(i-1,i) = (Rj - Ri) - (Sj - Si); J += (|D| - J) / 16, kept as J × 16 in integers.
    const std::uint32_t transit = arrival - rtp_timestamp;
    if (have_transit_) {
      const auto difference = static_cast<std::int32_t>(transit - transit_);
      const std::uint32_t d = std::min<std::uint32_t>(
          difference < 0 ? static_cast<std::uint32_t>(-static_cast<std::int64_t>(difference))
                         : static_cast<std::uint32_t>(difference),
          kMaxJitterSample);
      jitter_q4_ += d - ((jitter_q4_ + 8) >> 4);
    }
    transit_ = transit;
    have_transit_ = true;
  }
  return verdict;
}

std::uint32_t RtpReceiveStatistics::expected() const {
  if (!started_ || probation_ > 0) return 0;
  return extended_highest_sequence() - base_seq_ + 1;
}

std::int32_t RtpReceiveStatistics::cumulative_lost() const {
  const std::int64_t lost = std::int64_t{expected()} - std::int64_t{received_};
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(lost, -0x800000, 0x7fffff));
}

std::uint8_t RtpReceiveStatistics::take_fraction_lost() {
  const std::uint32_t expected_now = expected();
  const std::uint32_t expected_interval = expected_now - expected_prior_;
  expected_prior_ = expected_now;
  const std::uint32_t received_interval = received_ - received_prior_;
  received_prior_ = received_;
  const std::int64_t lost_interval = std::int64_t{expected_interval} - std::int64_t{received_interval};
  if (expected_interval == 0 || lost_interval <= 0) return 0;
  return static_cast<std::uint8_t>(std::min<std::int64_t>((lost_interval << 8) / expected_interval, 255));
}

RtcpReportBlock RtpReceiveStatistics::make_report_block(std::uint32_t ssrc, std::uint32_t last_sr,
                                                        std::uint32_t delay_since_last_sr) {
  RtcpReportBlock block;
  block.ssrc = ssrc;
  block.fraction_lost = take_fraction_lost();
  block.cumulative_lost = cumulative_lost();
  block.extended_highest_sequence = extended_highest_sequence();
  block.jitter = jitter();
  block.last_sr = last_sr;
  block.delay_since_last_sr = delay_since_last_sr;
  return block;
}

std::optional<std::chrono::microseconds> round_trip_time(std::uint32_t arrival_ntp_compact,
                                                         std::uint32_t last_sr,
                                                         std::uint32_t delay_since_last_sr) {
  if (last_sr == 0) return std::nullopt;
  const auto rtt = static_cast<std::int32_t>(arrival_ntp_compact - last_sr - delay_since_last_sr);
  if (rtt < 0) return std::nullopt;
  return std::chrono::microseconds(std::int64_t{rtt} * 1'000'000 / 65536);
}

}  // namespace va::media
