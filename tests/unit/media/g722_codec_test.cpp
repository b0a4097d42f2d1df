#include "media/g722_codec.hpp"

#include <gtest/gtest.h>
#include <spandsp.h>

#include "audio_test_signals.hpp"
#include "media/audio_frame.hpp"

namespace va::media {
namespace {

using namespace std::chrono_literals;

// Encodes and decodes `signal` in 20 ms packets, as a call would.
std::vector<std::int16_t> round_trip(AudioCodec& codec, std::span<const std::int16_t> signal) {
  std::vector<std::int16_t> out;
  std::vector<std::uint8_t> payload(160);
  std::vector<std::int16_t> decoded(320);
  for (std::size_t at = 0; at + 320 <= signal.size(); at += 320) {
    const CodecResult encoded = codec.encode(signal.subspan(at, 320), payload);
    EXPECT_TRUE(encoded.ok());
    EXPECT_EQ(encoded.size, 160u);  // 64 kbit/s: one byte per two samples
    EXPECT_EQ(codec.decoded_samples(payload), 320u);
    const CodecResult result = codec.decode(payload, decoded);
    EXPECT_TRUE(result.ok());
    EXPECT_EQ(result.size, 320u);
    out.insert(out.end(), decoded.begin(), decoded.end());
  }
  return out;
}

TEST(G722, IsSixteenKilohertzAudioOnAnEightKilohertzRtpClock) {
  const auto codec = make_codec("G722");
  ASSERT_NE(codec, nullptr);
  EXPECT_EQ(codec->payload_type(), 9);
  EXPECT_EQ(codec->sample_rate(), 16000);
  EXPECT_EQ(codec->rtp_clock_rate(), 8000);
  EXPECT_EQ(codec->samples_per(20ms), 320u);
  EXPECT_EQ(codec->info().rtp_units(320), 160u);
  EXPECT_FALSE(codec->info().native_plc);
}

// Thresholds: G.722 is a sub-band ADPCM waveform codec, so the decoded signal must match the input sample by
// sample once the adaptive quantisers have settled (the first 40 ms are skipped) and the QMF filter delay
// (22 samples) is compensated. Measured with spandsp 0.0.6: 49 dB on a 100–3400 Hz sweep, 34 dB on the
// speech-like signal; the thresholds leave 6–9 dB of margin and still fail on any real defect (a lost or
// repeated sample, a wrong rate or byte order costs far more).
TEST(G722, SweepRoundTripKeepsTheWaveform) {
  const auto codec = make_codec("G722");
  const auto signal = test::sweep(16000, 100, 3400, 32000);
  const auto decoded = round_trip(*codec, signal);
  ASSERT_EQ(decoded.size(), signal.size());
  std::size_t delay = 0;
  const double snr = test::snr_db(signal, decoded, 64, 640, &delay);
  EXPECT_GT(snr, 40.0) << "delay " << delay;
  EXPECT_EQ(delay, 22u);
}

TEST(G722, SpeechLikeRoundTripKeepsTheWaveform) {
  const auto codec = make_codec("G722");
  const auto signal = test::speech_like(16000, 48000);
  const auto decoded = round_trip(*codec, signal);
  ASSERT_EQ(decoded.size(), signal.size());
  EXPECT_GT(test::snr_db(signal, decoded, 64, 640), 28.0);
}

TEST(G722, WidebandContentSurvives) {
  // A 6 kHz tone is beyond narrowband telephony: G.722's upper band must carry it.
  const auto codec = make_codec("G722");
  const auto tone = test::sine(16000, 6000, 16000, 6000);
  const auto decoded = round_trip(*codec, tone);
  const std::span<const std::int16_t> settled = std::span(decoded).subspan(3200);
  EXPECT_NEAR(test::zero_crossing_frequency(settled, 16000), 6000, 30);
  EXPECT_GT(rms(settled), 0.5 * rms(tone));
}

TEST(G722, IsBitExactWithSpandsp) {
  const auto codec = make_codec("G722");
  const auto signal = test::speech_like(16000, 3200);
  g722_encode_state_t* oracle = g722_encode_init(nullptr, 64000, 0);
  std::vector<std::uint8_t> expected(1600);
  g722_encode(oracle, expected.data(), signal.data(), static_cast<int>(signal.size()));
  g722_encode_free(oracle);
  std::vector<std::uint8_t> actual(1600);
  for (std::size_t at = 0; at < signal.size(); at += 320) {
    codec->encode(std::span(signal).subspan(at, 320), std::span(actual).subspan(at / 2, 160));
  }
  EXPECT_EQ(actual, expected);
}

TEST(G722, ResetStartsTheStreamAgain) {
  const auto codec = make_codec("G722");
  const auto signal = test::speech_like(16000, 3200);
  const auto first = round_trip(*codec, signal);
  codec->reset();
  EXPECT_EQ(round_trip(*codec, signal), first);
}

TEST(G722, RefusesOddSampleCountsAndSmallBuffers) {
  const auto codec = make_codec("G722");
  std::vector<std::int16_t> pcm(321);
  std::vector<std::uint8_t> out(200);
  EXPECT_EQ(codec->encode(pcm, out).error, CodecError::bad_input_length);
  pcm.resize(320);
  std::vector<std::uint8_t> small(159);
  EXPECT_EQ(codec->encode(pcm, small).error, CodecError::output_too_small);
  std::vector<std::uint8_t> payload(161);
  EXPECT_EQ(codec->decode(payload, pcm).error, CodecError::output_too_small);
  EXPECT_EQ(codec->decode({}, pcm).error, CodecError::malformed_payload);
}

TEST(G722, ConcealsWithGenericPlcAtSixteenKilohertz) {
  const auto codec = make_codec("G722");
  const auto signal = test::speech_like(16000, 3200);
  round_trip(*codec, signal);
  std::vector<std::int16_t> concealed(320);
  codec->conceal(concealed);
  EXPECT_GT(rms(concealed), 0.3 * rms(std::span(signal).subspan(2880, 320)));
}

}  // namespace
}  // namespace va::media
