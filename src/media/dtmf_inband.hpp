// DTMF carried as tones in the audio (ITU-T Q.23/Q.24): detection for carriers that do not send RFC 4733
// events, and generation for tests and for sending digits in-band when the peer negotiated no
// telephone-event. Both run spandsp's dtmf_rx/dtmf_tx, which work at 8 kHz; 16 kHz audio (the pipeline
// rate, G.722) is resampled to and from 8 kHz inside.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "media/resampler.hpp"

struct dtmf_rx_state_s;
struct dtmf_tx_state_s;

namespace va::media {

// 0-9, *, #, A-D.
bool is_dtmf_digit(char c);

struct InbandDtmfEvent {
  enum class Kind { started, ended };
  Kind kind = Kind::started;
  char digit = 0;
  // Stream position (audio fed so far, to within 10 ms) when spandsp confirmed the change. Detection lags the
  // tone by a few tens of milliseconds: spandsp needs two 12.75 ms blocks to confirm a start or an end.
  std::chrono::microseconds at{0};
  std::chrono::microseconds duration{0};  // ended: how long the digit was detected
};

class InbandDtmfDetector {
 public:
  // sample_rate: 8000 or 16000 (std::invalid_argument otherwise).
  explicit InbandDtmfDetector(int sample_rate);
  ~InbandDtmfDetector();
  InbandDtmfDetector(const InbandDtmfDetector&) = delete;
  InbandDtmfDetector& operator=(const InbandDtmfDetector&) = delete;

  // Feeds audio in any chunk size; detected starts and ends are queued for next_event().
  void process(std::span<const std::int16_t> pcm);
  // Oldest queued event. At most kMaxQueued are kept; when nobody takes them, the oldest are dropped.
  std::optional<InbandDtmfEvent> next_event();
  void reset();
  int sample_rate() const { return sample_rate_; }

  static constexpr std::size_t kMaxQueued = 32;

 private:
  struct StateDeleter {
    void operator()(dtmf_rx_state_s* state) const;
  };
  static void on_tone(void* self, int code, int level, int delay);
  void feed_8k(std::span<const std::int16_t> pcm);
  void queue(const InbandDtmfEvent& event);

  int sample_rate_;
  std::unique_ptr<dtmf_rx_state_s, StateDeleter> state_;
  std::optional<Resampler> downsampler_;
  std::array<std::int16_t, 160> scratch_{};
  std::int64_t samples_8k_ = 0;  // fed to the detector so far
  char current_digit_ = 0;
  std::chrono::microseconds current_start_{0};
  std::array<InbandDtmfEvent, kMaxQueued> events_{};
  std::size_t events_head_ = 0;
  std::size_t events_size_ = 0;
};

class InbandDtmfGenerator {
 public:
  // sample_rate: 8000 or 16000. Tone and pause durations per digit; level of the low tone in dBm0 (the high
  // tone is sent at the same level: no twist). Q.24 asks for at least 40 ms of tone and of pause; the
  // defaults leave margin for codecs and jitter.
  explicit InbandDtmfGenerator(int sample_rate,
                               std::chrono::milliseconds tone = std::chrono::milliseconds{100},
                               std::chrono::milliseconds pause = std::chrono::milliseconds{100},
                               int level_dbm0 = -10);
  ~InbandDtmfGenerator();
  InbandDtmfGenerator(const InbandDtmfGenerator&) = delete;
  InbandDtmfGenerator& operator=(const InbandDtmfGenerator&) = delete;

  // Queues digits to send; false (nothing queued) when one is not a DTMF digit or they do not fit (spandsp's
  // queue holds 128 digits).
  bool queue(std::string_view digits);
  // Writes the next tones and pauses into `out`; returns the samples written, fewer than out.size() when the
  // queue has run dry (the rest of `out` is set to silence).
  std::size_t generate(std::span<std::int16_t> out);
  int sample_rate() const { return sample_rate_; }

 private:
  struct StateDeleter {
    void operator()(dtmf_tx_state_s* state) const;
  };

  int sample_rate_;
  std::unique_ptr<dtmf_tx_state_s, StateDeleter> state_;
  std::optional<Resampler> upsampler_;
  std::array<std::int16_t, 160> scratch_{};
};

}  // namespace va::media
