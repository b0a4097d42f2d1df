// The per-frame audio path must not allocate (style.md: hot paths allocation-free per packet/frame). This
// test binary counts allocations with support/allocation_window (it replaces the global operator new).
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <memory>
#include <new>

#include "audio_test_signals.hpp"
#include "media/audio_codec.hpp"
#include "media/codec_bridge.hpp"
#include "media/dtmf_inband.hpp"
#include "media/jitter_buffer.hpp"
#include "media/media_clock.hpp"
#include "support/allocation_window.hpp"

namespace va::media {
namespace {

using namespace std::chrono_literals;

using va::test::AllocationWindow;

TEST(AllocationCounter, SeesAllocations) {
  AllocationWindow window;
  auto p = std::make_unique<int>(1);
  EXPECT_GE(window.close(), 1u);
}

class AudioHotPath : public ::testing::TestWithParam<const char*> {};

// One call's media for 2 s: pipeline frame → send bridge → RTP payload → jitter buffer → receive bridge →
// pipeline frame → in-band DTMF detector, with every 7th packet lost (concealment) and silence at the start.
TEST_P(AudioHotPath, SendAndReceivePerFrameDoNotAllocate) {
  const auto sender_codec = make_codec(GetParam());
  const auto receiver_codec = make_codec(GetParam());
  CodecBridge sender(*sender_codec, 20ms);
  CodecBridge receiver(*receiver_codec, 20ms);
  JitterBuffer jitter({.clock_rate = sender_codec->rtp_clock_rate()});
  InbandDtmfDetector dtmf(kPipelineSampleRate);
  const auto speech = test::speech_like(kPipelineSampleRate, kFrameSamples * 120);
  const auto t0 = JitterBuffer::Clock::now();

  auto run_frames = [&](std::size_t first, std::size_t count) {
    std::size_t received = 0;
    for (std::size_t f = first; f < first + count; ++f) {
      AudioFrame frame;
      std::copy_n(speech.begin() + static_cast<std::ptrdiff_t>(f * kFrameSamples), kFrameSamples,
                  frame.samples.begin());
      sender.send_frame(frame);
      const auto now = t0 + 20ms * static_cast<int>(f);
      while (const auto payload = sender.pop_payload()) {
        if (f % 7 != 3) {
          jitter.push({.ssrc = 1,
                       .sequence = static_cast<std::uint16_t>(f),
                       .timestamp = static_cast<std::uint32_t>(f * payload->rtp_units),
                       .payload_type = sender_codec->payload_type(),
                       .duration = payload->rtp_units,
                       .payload = payload->bytes},
                      now);
        }
      }
      while (receiver.received_samples_queued() < kFrameSamples) {
        const Playout out = jitter.pull(now + 10ms);
        if (out.kind == Playout::Kind::packet) receiver.receive_payload(out.payload);
        if (out.kind == Playout::Kind::lost) receiver.receive_loss(out.duration);
        if (out.kind == Playout::Kind::empty) receiver.receive_silence(out.duration);
      }
      if (const auto decoded = receiver.pop_frame()) {
        dtmf.process(decoded->pcm());
        ++received;
      }
    }
    return received;
  };

  run_frames(0, 20);  // warm-up: first-use initialisation is not per-frame work
  AllocationWindow window;
  const std::size_t received = run_frames(20, 100);
  const std::size_t allocated = window.close();
  EXPECT_EQ(allocated, 0u);
  EXPECT_EQ(received, 100u);
  EXPECT_GT(jitter.stats().concealed, 10u);
  EXPECT_GT(jitter.stats().played, 80u);
}

INSTANTIATE_TEST_SUITE_P(Codecs, AudioHotPath, ::testing::Values("PCMU", "PCMA", "G722"));

TEST(MediaClockHotPath, TicksDoNotAllocate) {
  boost::asio::io_context io;
  MediaClock clock(io, {.period = 2ms});
  std::size_t ticks = 0;
  std::size_t allocated_during_ticks = 0;
  std::size_t ticks_counted = 0;
  AllocationWindow window(false);
  auto subscription = clock.subscribe([&](const MediaTick&) {
    ++ticks;
    if (ticks == 20) window.open();  // after warm-up, count allocations between the 20th and the 70th tick
    if (ticks == 70) {
      allocated_during_ticks = window.close();
      ticks_counted = 50;
      clock.stop();
    }
  });
  clock.start();
  io.run_for(2s);
  window.close();
  ASSERT_EQ(ticks_counted, 50u);
  EXPECT_EQ(allocated_during_ticks, 0u);
}

}  // namespace
}  // namespace va::media
