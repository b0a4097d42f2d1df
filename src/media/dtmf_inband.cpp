#include "media/dtmf_inband.hpp"

#include <spandsp.h>

#include <algorithm>
#include <new>
#include <stdexcept>
#include <string_view>

namespace va::media {

namespace {

constexpr int kDetectorRate = 8000;
// Chunk fed to spandsp at a time: bounds the error of event timestamps (10 ms at 8 kHz).
constexpr std::size_t kChunk8k = 80;

void check_rate(int sample_rate) {
  if (sample_rate != 8000 && sample_rate != 16000) {
    throw std::invalid_argument("in-band DTMF works at 8000 or 16000 Hz");
  }
}

void ignore_digits(void* /*user_data*/, const char* /*digits*/, int /*len*/) {}

std::chrono::microseconds time_at_8k(std::int64_t samples) {
  return std::chrono::microseconds(samples * 1'000'000 / kDetectorRate);
}

}  // namespace

bool is_dtmf_digit(char c) {
  return (c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D');
}

void InbandDtmfDetector::StateDeleter::operator()(dtmf_rx_state_s* state) const {
  dtmf_rx_free(state);
}

InbandDtmfDetector::InbandDtmfDetector(int sample_rate) : sample_rate_(sample_rate) {
  check_rate(sample_rate);
  // Digits are taken from the real-time callback (start and end); the digit-string callback is a no-op so
  // spandsp's internal digit buffer never fills.
  state_.reset(dtmf_rx_init(nullptr, ignore_digits, nullptr));
  if (!state_) throw std::bad_alloc();
  dtmf_rx_set_realtime_callback(state_.get(), &InbandDtmfDetector::on_tone, this);
  if (sample_rate != kDetectorRate) downsampler_.emplace(sample_rate, kDetectorRate);
}

InbandDtmfDetector::~InbandDtmfDetector() = default;

void InbandDtmfDetector::reset() {
  dtmf_rx_init(state_.get(), ignore_digits, nullptr);
  dtmf_rx_set_realtime_callback(state_.get(), &InbandDtmfDetector::on_tone, this);
  if (downsampler_) downsampler_->reset();
  samples_8k_ = 0;
  current_digit_ = 0;
  events_head_ = events_size_ = 0;
}

void InbandDtmfDetector::on_tone(void* self, int code, int /*level*/, int /*delay*/) {
  auto* detector = static_cast<InbandDtmfDetector*>(self);
  const auto now = time_at_8k(detector->samples_8k_);
  if (detector->current_digit_ != 0) {
    detector->queue({.kind = InbandDtmfEvent::Kind::ended,
                     .digit = detector->current_digit_,
                     .at = now,
                     .duration = now - detector->current_start_});
    detector->current_digit_ = 0;
  }
  if (code != 0 && is_dtmf_digit(static_cast<char>(code))) {
    detector->current_digit_ = static_cast<char>(code);
    detector->current_start_ = now;
    detector->queue({.kind = InbandDtmfEvent::Kind::started, .digit = detector->current_digit_, .at = now});
  }
}

void InbandDtmfDetector::queue(const InbandDtmfEvent& event) {
  if (events_size_ == kMaxQueued) {
    events_head_ = (events_head_ + 1) % kMaxQueued;
    --events_size_;
  }
  events_[(events_head_ + events_size_) % kMaxQueued] = event;
  ++events_size_;
}

std::optional<InbandDtmfEvent> InbandDtmfDetector::next_event() {
  if (events_size_ == 0) return std::nullopt;
  const InbandDtmfEvent event = events_[events_head_];
  events_head_ = (events_head_ + 1) % kMaxQueued;
  --events_size_;
  return event;
}

void InbandDtmfDetector::feed_8k(std::span<const std::int16_t> pcm) {
  while (!pcm.empty()) {
    const std::size_t n = std::min(kChunk8k, pcm.size());
    samples_8k_ += static_cast<std::int64_t>(n);  // events in this chunk are stamped at its end
    dtmf_rx(state_.get(), pcm.data(), static_cast<int>(n));
    pcm = pcm.subspan(n);
  }
}

void InbandDtmfDetector::process(std::span<const std::int16_t> pcm) {
  if (!downsampler_) {
    feed_8k(pcm);
    return;
  }
  // 16 kHz: convert in pieces that fit the scratch buffer (2:1 gives exactly half the samples).
  const std::size_t piece = scratch_.size() * 2 - 2;
  while (!pcm.empty()) {
    const std::size_t n = std::min(piece, pcm.size());
    const std::size_t produced = downsampler_->process(pcm.first(n), scratch_);
    feed_8k(std::span<const std::int16_t>(scratch_).first(produced));
    pcm = pcm.subspan(n);
  }
}

void InbandDtmfGenerator::StateDeleter::operator()(dtmf_tx_state_s* state) const {
  dtmf_tx_free(state);
}

InbandDtmfGenerator::InbandDtmfGenerator(int sample_rate, std::chrono::milliseconds tone,
                                         std::chrono::milliseconds pause, int level_dbm0)
    : sample_rate_(sample_rate) {
  check_rate(sample_rate);
  state_.reset(dtmf_tx_init(nullptr));
  if (!state_) throw std::bad_alloc();
  dtmf_tx_set_timing(state_.get(), static_cast<int>(tone.count()), static_cast<int>(pause.count()));
  dtmf_tx_set_level(state_.get(), level_dbm0, 0);
  if (sample_rate != kDetectorRate) upsampler_.emplace(kDetectorRate, sample_rate);
}

InbandDtmfGenerator::~InbandDtmfGenerator() = default;

bool InbandDtmfGenerator::queue(std::string_view digits) {
  if (!std::all_of(digits.begin(), digits.end(), is_dtmf_digit)) return false;
  if (digits.size() > MAX_DTMF_DIGITS) return false;
  return dtmf_tx_put(state_.get(), digits.data(), static_cast<int>(digits.size())) == 0;
}

std::size_t InbandDtmfGenerator::generate(std::span<std::int16_t> out) {
  std::size_t written = 0;
  if (!upsampler_) {
    written = static_cast<std::size_t>(dtmf_tx(state_.get(), out.data(), static_cast<int>(out.size())));
  } else {
    // 8 kHz tones in pieces, each upsampled to exactly twice its length.
    while (out.size() - written >= 2) {
      const std::size_t want = std::min(scratch_.size(), (out.size() - written) / 2);
      const auto got =
          static_cast<std::size_t>(dtmf_tx(state_.get(), scratch_.data(), static_cast<int>(want)));
      if (got == 0) break;
      written +=
          upsampler_->process(std::span<const std::int16_t>(scratch_).first(got), out.subspan(written));
      if (got < want) break;
    }
  }
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(written), out.end(), std::int16_t{0});
  return written;
}

}  // namespace va::media
