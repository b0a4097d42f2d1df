// Packet-loss concealment for codecs that have none of their own (G.711, G.722): a lost packet is replaced by
// the last pitch period of the signal, repeated, faded out over a long loss, and blended back into the real
// signal when packets resume.
//
// The method is the one of ITU-T G.711 Appendix I and of spandsp's plc.c (pitch by average magnitude
// difference over the last 20 ms, 66–200 Hz; overlap-add at the cycle joins). spandsp's plc_rx()/plc_fillin()
// cannot be used directly: its pitch range, history and fade are constants in samples tuned for 8 kHz, and
// G.722 — the codec the pipeline prefers — delivers 16 kHz. This implementation takes the sample rate as a
// parameter; everything else is specified in milliseconds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace va::media {

class PacketLossConcealer {
 public:
  // sample_rate: 8000 … 48000 Hz. Buffers are allocated here once; receive() and conceal() never allocate.
  explicit PacketLossConcealer(int sample_rate);

  // Records audio that arrived. After a loss, the first quarter pitch period of `pcm` is cross-faded from the
  // concealment into the real signal (so `pcm` may be modified) to avoid a click.
  void receive(std::span<std::int16_t> pcm);
  // Writes a synthetic continuation for audio that did not arrive. Full level for the first 10 ms of a loss,
  // then a linear fade that reaches silence 60 ms into the loss (G.711 Appendix I: longer synthetic speech
  // sounds worse than a gap). Before any audio was received it writes silence.
  void conceal(std::span<std::int16_t> out);
  void reset();

  int sample_rate() const { return sample_rate_; }
  // Samples concealed since the last receive().
  std::size_t missing_samples() const { return missing_; }
  // The pitch period (samples) used for the current loss; 0 when none was estimated.
  std::size_t pitch_period() const { return pitch_; }

 private:
  void remember(std::span<const std::int16_t> pcm);
  std::size_t estimate_pitch() const;
  void prepare_cycle();
  float gain_at(std::size_t missing) const;

  int sample_rate_;
  std::size_t min_lag_;                // shortest pitch period (200 Hz)
  std::size_t max_lag_;                // longest pitch period (66 Hz)
  std::size_t window_;                 // AMDF window (20 ms)
  std::size_t full_level_;             // concealed samples at full level (10 ms)
  std::size_t silent_after_;           // concealed samples after which the output is silence (60 ms)
  std::vector<std::int16_t> history_;  // the last window_ + max_lag_ samples, oldest first
  std::size_t history_filled_ = 0;
  std::vector<float> cycle_;  // the pitch cycle being repeated (pitch_ samples)
  std::size_t pitch_ = 0;
  std::size_t cycle_offset_ = 0;
  std::size_t missing_ = 0;
};

}  // namespace va::media
