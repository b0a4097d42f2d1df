// Built only with -DVA_WITH_G729=ON (bcg729, GPL-3).
#include "media/g729_codec.hpp"

#include <gtest/gtest.h>

#include "audio_test_signals.hpp"
#include "media/audio_frame.hpp"

namespace va::media {
namespace {

using namespace std::chrono_literals;

TEST(G729, IsRegisteredWithItsRtpParameters) {
  const auto codec = make_codec("G729");
  ASSERT_NE(codec, nullptr);
  EXPECT_EQ(codec->payload_type(), 18);
  EXPECT_EQ(codec->sample_rate(), 8000);
  EXPECT_EQ(codec->rtp_clock_rate(), 8000);
  EXPECT_TRUE(codec->info().native_plc);
  EXPECT_TRUE(codec->info().supports_ptime(20ms));
  EXPECT_FALSE(codec->info().supports_ptime(15ms));
  EXPECT_EQ(codec->info().encoded_bytes(160), 20u);
}

// G.729 is a CELP codec: it keeps the spectral envelope and pitch, not the waveform, so the check is
// the frequency of a tone and the level and shape of a speech-like signal rather than a waveform SNR.
TEST(G729, RoundTripKeepsPitchAndLevel) {
  const auto codec = make_codec("G729");
  const auto speech = test::speech_like(8000, 16000);
  std::vector<std::int16_t> decoded;
  std::vector<std::uint8_t> payload(20);
  std::vector<std::int16_t> pcm(160);
  for (std::size_t at = 0; at + 160 <= speech.size(); at += 160) {
    const CodecResult encoded = codec->encode(std::span(speech).subspan(at, 160), payload);
    ASSERT_TRUE(encoded.ok());
    ASSERT_EQ(encoded.size, 20u);  // 8 kbit/s, two 10-byte frames
    ASSERT_EQ(codec->decoded_samples(payload), 160u);
    const CodecResult result = codec->decode(payload, pcm);
    ASSERT_TRUE(result.ok());
    ASSERT_EQ(result.size, 160u);
    decoded.insert(decoded.end(), pcm.begin(), pcm.end());
  }
  ASSERT_EQ(decoded.size(), speech.size());
  const auto settled_in = std::span<const std::int16_t>(speech).subspan(800);
  const auto settled_out = std::span<const std::int16_t>(decoded).subspan(800);
  EXPECT_NEAR(level_dbfs(settled_out), level_dbfs(settled_in), 3.0);

  const auto tone = test::sine(8000, 440, 8000, 6000);
  const auto tone_codec = make_codec("G729");
  std::vector<std::int16_t> tone_out;
  for (std::size_t at = 0; at + 80 <= tone.size(); at += 80) {
    tone_codec->encode(std::span(tone).subspan(at, 80), payload);
    tone_codec->decode(std::span(payload).first(10), pcm);
    tone_out.insert(tone_out.end(), pcm.begin(), pcm.begin() + 80);
  }
  EXPECT_NEAR(test::zero_crossing_frequency(std::span<const std::int16_t>(tone_out).subspan(1600), 8000), 440,
              10);
}

TEST(G729, PayloadLengthsFollowRfc3551) {
  const auto codec = make_codec("G729");
  EXPECT_EQ(codec->decoded_samples(std::vector<std::uint8_t>(10)), 80u);
  EXPECT_EQ(codec->decoded_samples(std::vector<std::uint8_t>(30)), 240u);
  EXPECT_EQ(codec->decoded_samples(std::vector<std::uint8_t>(2)), 80u);    // Annex B SID only
  EXPECT_EQ(codec->decoded_samples(std::vector<std::uint8_t>(22)), 240u);  // two frames and a SID
  for (const std::size_t bad : {0, 1, 5, 9, 11, 13}) {
    EXPECT_EQ(codec->decoded_samples(std::vector<std::uint8_t>(bad)), 0u) << bad;
  }
  std::vector<std::int16_t> pcm(240);
  EXPECT_EQ(codec->decode(std::vector<std::uint8_t>(5), pcm).error, CodecError::malformed_payload);
  EXPECT_EQ(codec->decode(std::vector<std::uint8_t>(40), pcm).error, CodecError::output_too_small);
  EXPECT_TRUE(codec->decode(std::vector<std::uint8_t>(22), pcm).ok());
  std::vector<std::uint8_t> out(20);
  EXPECT_EQ(codec->encode(std::vector<std::int16_t>(100), out).error, CodecError::bad_input_length);
  EXPECT_EQ(codec->encode(std::vector<std::int16_t>(240), out).error, CodecError::output_too_small);
}

TEST(G729, ConcealsWithItsOwnErasureDecoding) {
  const auto codec = make_codec("G729");
  const auto speech = test::speech_like(8000, 1600);
  std::vector<std::uint8_t> payload(20);
  std::vector<std::int16_t> pcm(160);
  for (std::size_t at = 0; at < speech.size(); at += 160) {
    codec->encode(std::span(speech).subspan(at, 160), payload);
    codec->decode(payload, pcm);
  }
  std::vector<std::int16_t> concealed(170);  // not a whole number of frames
  codec->conceal(concealed);
  EXPECT_GT(rms(concealed), 0.2 * rms(pcm));
}

TEST(G729, ResetStartsTheStreamAgain) {
  const auto codec = make_codec("G729");
  const auto speech = test::speech_like(8000, 800);
  std::vector<std::uint8_t> first(100);
  std::vector<std::uint8_t> second(100);
  codec->encode(speech, first);
  codec->reset();
  codec->encode(speech, second);
  EXPECT_EQ(first, second);
}

}  // namespace
}  // namespace va::media
