#include "media/dtmf_inband.hpp"

#include <gtest/gtest.h>
#include <spandsp.h>

#include <stdexcept>
#include <string>

#include "audio_test_signals.hpp"
#include "media/audio_frame.hpp"
#include "media/g711_codec.hpp"
#include "media/resampler.hpp"

namespace va::media {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kAllDigits = "123A456B789C*0#D";

// The oracle: spandsp's own generator at 8 kHz (default timing: 50 ms tone, 55 ms pause, -10 dBm0).
test::Pcm spandsp_tones(std::string_view digits) {
  dtmf_tx_state_t* tx = dtmf_tx_init(nullptr);
  dtmf_tx_put(tx, digits.data(), static_cast<int>(digits.size()));
  test::Pcm out;
  std::int16_t buffer[160];
  int n = 0;
  while ((n = dtmf_tx(tx, buffer, 160)) > 0) out.insert(out.end(), buffer, buffer + n);
  dtmf_tx_free(tx);
  out.resize(out.size() + 1600, 0);  // trailing silence so the last digit ends
  return out;
}

test::Pcm upsample(std::span<const std::int16_t> pcm8k) {
  Resampler up(8000, 16000);
  test::Pcm out(up.max_output(pcm8k.size()));
  out.resize(up.process(pcm8k, out));
  return out;
}

struct Detected {
  std::string digits;  // from "ended" events
  std::string starts;  // from "started" events
  std::vector<InbandDtmfEvent> events;
};

Detected detect(int rate, std::span<const std::int16_t> pcm, std::size_t chunk = 320) {
  InbandDtmfDetector detector(rate);
  Detected out;
  for (std::size_t at = 0; at < pcm.size(); at += chunk) {
    detector.process(pcm.subspan(at, std::min(chunk, pcm.size() - at)));
    while (const auto event = detector.next_event()) {
      out.events.push_back(*event);
      (event->kind == InbandDtmfEvent::Kind::started ? out.starts : out.digits) += event->digit;
    }
  }
  return out;
}

TEST(InbandDtmf, DetectsAllSixteenSpandspDigitsAtEightKilohertz) {
  const auto tones = spandsp_tones(kAllDigits);
  const Detected d = detect(8000, tones, 160);
  EXPECT_EQ(d.digits, kAllDigits);
  EXPECT_EQ(d.starts, kAllDigits);
}

TEST(InbandDtmf, DetectsAllSixteenSpandspDigitsResampledToSixteenKilohertz) {
  const auto tones = upsample(spandsp_tones(kAllDigits));
  const Detected d = detect(16000, tones);
  EXPECT_EQ(d.digits, kAllDigits);
  EXPECT_EQ(d.starts, kAllDigits);
}

TEST(InbandDtmf, EventsCarryStartEndAndDuration) {
  // spandsp's tones: 50 ms on, 55 ms off, so digit i starts at i·105 ms.
  const auto tones = spandsp_tones("19");
  const Detected d = detect(8000, tones, 80);
  ASSERT_EQ(d.events.size(), 4u);
  EXPECT_EQ(d.events[0].kind, InbandDtmfEvent::Kind::started);
  EXPECT_EQ(d.events[1].kind, InbandDtmfEvent::Kind::ended);
  EXPECT_EQ(d.events[1].digit, '1');
  EXPECT_EQ(d.events[1].duration, d.events[1].at - d.events[0].at);
  // Detection confirms starts and ends a few tens of milliseconds late, the tone length is kept.
  EXPECT_GE(d.events[0].at, 10ms);
  EXPECT_LE(d.events[0].at, 50ms);
  EXPECT_NEAR(static_cast<double>(d.events[1].duration.count()), 50'000.0, 15'000.0);
  EXPECT_NEAR(static_cast<double>((d.events[2].at - d.events[0].at).count()), 105'000.0, 15'000.0);
}

TEST(InbandDtmf, OurGeneratorIsDetectedAtBothRatesAndThroughG711) {
  for (const int rate : {8000, 16000}) {
    InbandDtmfGenerator generator(rate);
    ASSERT_TRUE(generator.queue(kAllDigits));
    test::Pcm tones;
    test::Pcm chunk(static_cast<std::size_t>(rate / 50));
    std::size_t n = 0;
    while ((n = generator.generate(chunk)) > 0)
      tones.insert(tones.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    // 16 digits · (100 ms tone + 100 ms pause)
    EXPECT_NEAR(static_cast<double>(tones.size()), 16 * 0.2 * rate, rate * 0.02) << rate;
    tones.resize(tones.size() + static_cast<std::size_t>(rate / 5), 0);
    EXPECT_EQ(detect(rate, tones).digits, kAllDigits) << rate;
    if (rate == 8000) {
      for (auto& s : tones) s = decode_alaw(encode_alaw(s));
      EXPECT_EQ(detect(rate, tones).digits, kAllDigits) << "through A-law";
    }
  }
}

TEST(InbandDtmf, GeneratorPadsWithSilenceWhenIdleAndRejectsNonDigits) {
  InbandDtmfGenerator generator(16000);
  test::Pcm out(320, 77);
  EXPECT_EQ(generator.generate(out), 0u);
  EXPECT_EQ(peak(out), 0);
  EXPECT_FALSE(generator.queue("12x"));
  EXPECT_FALSE(generator.queue(std::string(200, '1')));
  EXPECT_TRUE(generator.queue("#"));
  EXPECT_EQ(generator.generate(out), 320u);
  EXPECT_GT(rms(out), 1000.0);
}

TEST(InbandDtmf, NoFalseDigitsOnSpeechLikeAudio) {
  for (const int rate : {8000, 16000}) {
    const auto speech = test::speech_like(rate, static_cast<std::size_t>(rate) * 20, 8000);
    EXPECT_EQ(detect(rate, speech).starts, "") << rate;
    auto noisy = test::white_noise(static_cast<std::size_t>(rate) * 5, 6000, 11);
    EXPECT_EQ(detect(rate, noisy).starts, "") << rate;
  }
}

TEST(InbandDtmf, NoFalseDigitsOnMusicLikeTones) {
  for (const int rate : {8000, 16000}) {
    const auto music = test::music_like(rate, static_cast<std::size_t>(rate) * 20);
    EXPECT_EQ(detect(rate, music).starts, "") << rate;
  }
}

TEST(InbandDtmf, RejectsUnsupportedRates) {
  EXPECT_THROW(InbandDtmfDetector(44100), std::invalid_argument);
  EXPECT_THROW(InbandDtmfGenerator(48000), std::invalid_argument);
}

TEST(InbandDtmf, ResetForgetsATonInProgress) {
  InbandDtmfDetector detector(8000);
  const auto tones = spandsp_tones("5");
  detector.process(std::span(tones).first(300));  // inside the tone
  detector.reset();
  detector.process(test::Pcm(1600, 0));
  EXPECT_FALSE(detector.next_event().has_value());
}

}  // namespace
}  // namespace va::media
