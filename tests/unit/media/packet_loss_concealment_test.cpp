#include "media/packet_loss_concealment.hpp"

#include <gtest/gtest.h>
#include <spandsp.h>

#include <stdexcept>

#include "audio_test_signals.hpp"
#include "media/audio_frame.hpp"

namespace va::media {
namespace {

class PlcRate : public ::testing::TestWithParam<int> {
 protected:
  int rate() const { return GetParam(); }
  std::size_t frame() const { return static_cast<std::size_t>(rate() / 50); }  // 20 ms
};

// A sustained vowel: a steady 150 Hz harmonic complex, the case concealment is designed for.
test::Pcm vowel(int rate, std::size_t samples) {
  test::Pcm out(samples);
  for (std::size_t n = 0; n < samples; ++n) {
    double v = 0;
    for (int h = 1; h <= 6; ++h)
      v += std::sin(2 * std::numbers::pi * 150 * h * static_cast<double>(n) / rate) / h;
    out[n] = test::clip(5000 * v);
  }
  return out;
}

TEST_P(PlcRate, ALostVoicedFrameContinuesTheVoice) {
  PacketLossConcealer plc(rate());
  const auto voice = vowel(rate(), frame() * 12);
  test::Pcm pcm(voice.begin(), voice.end());
  for (std::size_t f = 0; f < 10; ++f) plc.receive(std::span(pcm).subspan(f * frame(), frame()));
  test::Pcm concealed(frame());
  plc.conceal(concealed);
  // The pitch period found is the vowel's (1/150 s), and the synthetic frame follows the lost one closely
  // while at full level (the first 10 ms).
  EXPECT_NEAR(static_cast<double>(plc.pitch_period()), rate() / 150.0, 1.0);
  const auto lost = std::span<const std::int16_t>(voice).subspan(10 * frame(), frame());
  const std::size_t half = frame() / 2;
  EXPECT_GT(test::correlation(lost.first(half), std::span<const std::int16_t>(concealed).first(half)), 0.95);
  EXPECT_GT(rms(concealed), 0.7 * rms(lost));
  EXPECT_LT(rms(concealed), 1.1 * rms(lost));
  EXPECT_EQ(plc.missing_samples(), frame());
}

TEST_P(PlcRate, LongLossFadesToSilenceBySixtyMilliseconds) {
  PacketLossConcealer plc(rate());
  auto voice = vowel(rate(), frame() * 10);
  for (std::size_t f = 0; f < 10; ++f) plc.receive(std::span(voice).subspan(f * frame(), frame()));
  std::vector<double> levels;
  for (int f = 0; f < 5; ++f) {
    test::Pcm concealed(frame());
    plc.conceal(concealed);
    levels.push_back(rms(concealed));
  }
  EXPECT_GT(levels[0], levels[1]);
  EXPECT_GT(levels[1], levels[2]);
  EXPECT_GT(levels[2], 0.0);
  EXPECT_EQ(levels[3], 0.0);  // 60-80 ms into the loss
  EXPECT_EQ(levels[4], 0.0);
}

TEST_P(PlcRate, ResumingAfterLossHasNoClick) {
  PacketLossConcealer plc(rate());
  const auto voice = vowel(rate(), frame() * 13);
  test::Pcm pcm(voice.begin(), voice.end());
  for (std::size_t f = 0; f < 10; ++f) plc.receive(std::span(pcm).subspan(f * frame(), frame()));
  test::Pcm concealed(frame());
  plc.conceal(concealed);
  auto resumed = std::span(pcm).subspan(11 * frame(), frame());
  plc.receive(resumed);
  EXPECT_EQ(plc.missing_samples(), 0u);
  // The largest step between consecutive samples across the join stays within what the vowel itself has.
  int largest_step_in_voice = 0;
  for (std::size_t n = 1; n < voice.size(); ++n) {
    largest_step_in_voice = std::max(largest_step_in_voice, std::abs(voice[n] - voice[n - 1]));
  }
  EXPECT_LE(std::abs(resumed[0] - concealed.back()), largest_step_in_voice * 3 / 2);
}

TEST_P(PlcRate, NothingToConcealBeforeAnyAudio) {
  PacketLossConcealer plc(rate());
  test::Pcm concealed(frame(), 123);
  plc.conceal(concealed);
  EXPECT_EQ(peak(concealed), 0);
}

INSTANTIATE_TEST_SUITE_P(Rates, PlcRate, ::testing::Values(8000, 16000));

// spandsp's plc (8 kHz only) as a reference point: on a steady vowel our concealment of a 20 ms loss is at
// least as close to the lost signal as spandsp's.
TEST(PacketLossConcealer, ConcealsAtLeastAsWellAsSpandspAtEightKilohertz) {
  const auto voice = vowel(8000, 160 * 12);
  PacketLossConcealer ours(8000);
  plc_state_t* theirs = plc_init(nullptr);
  test::Pcm a(voice.begin(), voice.end());
  test::Pcm b(voice.begin(), voice.end());
  for (std::size_t f = 0; f < 10; ++f) {
    ours.receive(std::span(a).subspan(f * 160, 160));
    plc_rx(theirs, b.data() + f * 160, 160);
  }
  test::Pcm ours_out(160);
  test::Pcm theirs_out(160);
  ours.conceal(ours_out);
  plc_fillin(theirs, theirs_out.data(), 160);
  plc_free(theirs);
  const auto lost = std::span<const std::int16_t>(voice).subspan(1600, 160);
  const double ours_snr = test::snr_db(lost, ours_out, 0);
  const double theirs_snr = test::snr_db(lost, theirs_out, 0);
  EXPECT_GE(ours_snr, theirs_snr - 1.0) << "ours " << ours_snr << " dB, spandsp " << theirs_snr << " dB";
}

TEST(PacketLossConcealer, RejectsUnsupportedRates) {
  EXPECT_THROW(PacketLossConcealer(4000), std::invalid_argument);
  EXPECT_THROW(PacketLossConcealer(96000), std::invalid_argument);
}

}  // namespace
}  // namespace va::media
