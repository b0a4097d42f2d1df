#include "media/codec_bridge.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "audio_test_signals.hpp"
#include "media/audio_frame.hpp"
#include "media/g711_codec.hpp"

namespace va::media {
namespace {

using namespace std::chrono_literals;

std::vector<const char*> codec_names() {
  std::vector<const char*> names{"PCMU", "PCMA", "G722"};
#ifdef VA_TEST_WITH_G729
  names.push_back("G729");
#endif
  return names;
}

std::vector<AudioFrame> frames_of(std::span<const std::int16_t> pcm16k) {
  std::vector<AudioFrame> frames(pcm16k.size() / kFrameSamples);
  for (std::size_t f = 0; f < frames.size(); ++f) {
    std::copy_n(pcm16k.begin() + static_cast<std::ptrdiff_t>(f * kFrameSamples), kFrameSamples,
                frames[f].samples.begin());
    frames[f].timestamp = SampleTime{static_cast<std::int64_t>(f * kFrameSamples)};
  }
  return frames;
}

using BridgeCase = std::tuple<const char*, int>;

class CodecBridgePtime : public ::testing::TestWithParam<BridgeCase> {};

// Pipeline frames → packets of the negotiated ptime → (another call's) bridge → pipeline frames.
TEST_P(CodecBridgePtime, FramesBecomePacketsOfThePtimeAndBack) {
  const auto [name, ptime_ms] = GetParam();
  const std::chrono::milliseconds ptime{ptime_ms};
  const auto sender_codec = make_codec(name);
  const auto receiver_codec = make_codec(name);
  CodecBridge sender(*sender_codec, ptime);
  CodecBridge receiver(*receiver_codec, ptime);
  const CodecInfo& info = sender_codec->info();

  const auto tone =
      test::sine(kPipelineSampleRate, 1000, 16 * 1200, 8000);  // 1.2 s: whole packets of any ptime
  std::vector<AudioFrame> received;
  std::size_t packets = 0;
  for (const AudioFrame& frame : frames_of(tone)) {
    ASSERT_TRUE(sender.send_frame(frame));
    while (const auto payload = sender.pop_payload()) {
      ++packets;
      EXPECT_EQ(payload->bytes.size(), info.encoded_bytes(info.samples_per(ptime)));
      EXPECT_EQ(payload->rtp_units, static_cast<std::uint32_t>(info.rtp_clock_rate * ptime_ms / 1000));
      ASSERT_EQ(receiver.receive_payload(payload->bytes), CodecBridge::ReceiveStatus::ok);
      while (auto frame_out = receiver.pop_frame()) received.push_back(*frame_out);
    }
  }
  EXPECT_EQ(packets, static_cast<std::size_t>(1200 / ptime_ms));
  ASSERT_EQ(received.size(), 60u);  // every sample comes back: the resamplers keep exact lengths
  for (std::size_t f = 0; f < received.size(); ++f) {
    EXPECT_EQ(received[f].timestamp, SampleTime{static_cast<std::int64_t>(f * kFrameSamples)});
  }
  std::vector<std::int16_t> out;
  for (const AudioFrame& frame : received) out.insert(out.end(), frame.samples.begin(), frame.samples.end());
  const auto settled = std::span<const std::int16_t>(out).subspan(3200);
  EXPECT_NEAR(test::zero_crossing_frequency(settled, kPipelineSampleRate), 1000.0, 5.0);
  EXPECT_GT(rms(settled), 0.5 * rms(tone));
  EXPECT_EQ(receiver.received_samples_queued(), 0u);
}

INSTANTIATE_TEST_SUITE_P(CodecsAndPtimes, CodecBridgePtime,
                         ::testing::Combine(::testing::ValuesIn(codec_names()),
                                            ::testing::Values(10, 20, 30, 40, 60)),
                         [](const auto& test_case) {
                           return std::string(std::get<0>(test_case.param)) + "_" +
                                  std::to_string(std::get<1>(test_case.param)) + "ms";
                         });

class CodecBridgeReceive : public ::testing::TestWithParam<const char*> {};

TEST_P(CodecBridgeReceive, LossIsConcealedAndGapsAreSilent) {
  const auto codec = make_codec(GetParam());
  const auto encoder = make_codec(GetParam());
  CodecBridge bridge(*codec, 20ms);
  const CodecInfo& info = codec->info();
  const std::size_t samples = info.samples_per(20ms);
  const auto speech = test::speech_like(info.sample_rate, samples * 10);
  std::vector<std::uint8_t> payload(info.encoded_bytes(samples));
  for (std::size_t p = 0; p < 10; ++p) {
    ASSERT_TRUE(encoder->encode(std::span(speech).subspan(p * samples, samples), payload).ok());
    ASSERT_EQ(bridge.receive_payload(payload), CodecBridge::ReceiveStatus::ok);
    ASSERT_TRUE(bridge.pop_frame().has_value());
  }
  const std::uint32_t units = info.rtp_units(samples);
  ASSERT_EQ(bridge.receive_loss(units), CodecBridge::ReceiveStatus::ok);
  const auto concealed = bridge.pop_frame();
  ASSERT_TRUE(concealed.has_value());
  EXPECT_FALSE(is_silence(concealed->pcm(), -40)) << "concealment continues the voice";

  for (int i = 0; i < 10; ++i) ASSERT_EQ(bridge.receive_silence(units), CodecBridge::ReceiveStatus::ok);
  std::optional<AudioFrame> last;
  while (auto frame = bridge.pop_frame()) last = frame;
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(peak(last->pcm()), 0);
  EXPECT_EQ(last->timestamp, SampleTime{20 * static_cast<std::int64_t>(kFrameSamples)});
}

TEST_P(CodecBridgeReceive, RejectsWhatItCannotPlay) {
  const auto codec = make_codec(GetParam());
  CodecBridge bridge(*codec, 20ms);
  const CodecInfo& info = codec->info();
  EXPECT_EQ(bridge.receive_payload({}), CodecBridge::ReceiveStatus::malformed_payload);
  // 200 ms is the longest packet; one more block is too long.
  const std::size_t longest = info.encoded_bytes(info.samples_per(CodecBridge::kMaxPacketDuration));
  std::vector<std::uint8_t> too_long(longest + static_cast<std::size_t>(info.block_bytes));
  EXPECT_EQ(bridge.receive_payload(too_long), CodecBridge::ReceiveStatus::too_long);
  std::vector<std::uint8_t> longest_payload(longest);
  EXPECT_EQ(bridge.receive_payload(longest_payload), CodecBridge::ReceiveStatus::ok);
  // Nobody popped frames: the next packet has no room.
  EXPECT_EQ(bridge.receive_payload(longest_payload), CodecBridge::ReceiveStatus::queue_full);
  EXPECT_EQ(bridge.receive_loss(info.rtp_units(info.samples_per(CodecBridge::kMaxPacketDuration))),
            CodecBridge::ReceiveStatus::queue_full);
  int frames = 0;
  while (bridge.pop_frame()) ++frames;
  EXPECT_EQ(frames, 10);
}

INSTANTIATE_TEST_SUITE_P(Codecs, CodecBridgeReceive, ::testing::ValuesIn(codec_names()));

TEST(CodecBridge, FlushDropsQueuedOutgoingAudio) {
  const auto codec = make_codec("PCMA");
  CodecBridge bridge(*codec, 40ms);
  AudioFrame loud;
  loud.samples.fill(8000);
  ASSERT_TRUE(bridge.send_frame(loud));
  EXPECT_FALSE(bridge.pop_payload().has_value());  // 20 of 40 ms
  bridge.flush_send();                             // barge-in
  ASSERT_TRUE(bridge.send_frame(AudioFrame::silence()));
  EXPECT_FALSE(bridge.pop_payload().has_value());
  ASSERT_TRUE(bridge.send_frame(AudioFrame::silence()));
  const auto payload = bridge.pop_payload();
  ASSERT_TRUE(payload.has_value());
  ASSERT_EQ(payload->bytes.size(), 320u);
  for (const std::uint8_t b : payload->bytes) EXPECT_EQ(b, encode_alaw(0)) << "no trace of the flushed audio";
}

TEST(CodecBridge, SendQueueRefusesWhenPayloadsAreNotTaken) {
  const auto codec = make_codec("PCMU");
  CodecBridge bridge(*codec, 20ms);
  int accepted = 0;
  for (int i = 0; i < 10; ++i) accepted += bridge.send_frame(AudioFrame::silence()) ? 1 : 0;
  EXPECT_EQ(accepted, 2);  // one ptime plus one frame of room
  EXPECT_TRUE(bridge.pop_payload().has_value());
}

// The in-band DTMF detector listens at the codec's rate: what the bridge decoded (or concealed) for the last
// packet, before resampling.
TEST(CodecBridge, ExposesTheLastReceivedAudioAtTheCodecRate) {
  const auto codec = make_codec("PCMU");
  CodecBridge bridge(*codec, 20ms);
  std::vector<std::uint8_t> payload(240);  // 30 ms
  for (std::size_t i = 0; i < payload.size(); ++i)
    payload[i] = encode_ulaw(static_cast<std::int16_t>(i * 100));
  ASSERT_EQ(bridge.receive_payload(payload), CodecBridge::ReceiveStatus::ok);
  const auto pcm = bridge.last_received_pcm();
  ASSERT_EQ(pcm.size(), 240u);
  for (std::size_t i = 0; i < pcm.size(); ++i) EXPECT_EQ(encode_ulaw(pcm[i]), payload[i]);

  ASSERT_EQ(bridge.receive_loss(160), CodecBridge::ReceiveStatus::ok);
  EXPECT_EQ(bridge.last_received_pcm().size(), 160u);

  // Frames not popped: the next packet does not fit and nothing was received.
  ASSERT_NE(bridge.receive_payload(std::vector<std::uint8_t>(1600, 0xff)), CodecBridge::ReceiveStatus::ok);
  EXPECT_TRUE(bridge.last_received_pcm().empty());
}

TEST(CodecBridge, RejectsUnusablePtimes) {
  const auto pcmu = make_codec("PCMU");
  EXPECT_THROW(CodecBridge(*pcmu, 0ms), std::invalid_argument);
  EXPECT_THROW(CodecBridge(*pcmu, 250ms), std::invalid_argument);
  EXPECT_NO_THROW(CodecBridge(*pcmu, 200ms));
#ifdef VA_TEST_WITH_G729
  const auto g729 = make_codec("G729");
  EXPECT_THROW(CodecBridge(*g729, 15ms), std::invalid_argument);  // G.729 frames are 10 ms
#endif
}

}  // namespace
}  // namespace va::media
