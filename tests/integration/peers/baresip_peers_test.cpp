// Smoke tests of the baresip harness, baresip calling baresip: a WAV played by the caller is recorded by
// the callee (correlation and length), over G.722 (16 kHz) and PCMA, with an RFC 4733 digit on the way.
// A later test puts voice-agent's echo flow in the callee's place.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <string>
#include <thread>

#include "support/audio_files.hpp"
#include "support/baresip.hpp"
#include "support/free_port.hpp"
#include "support/rtp_capture.hpp"
#include "support/temp_directory.hpp"

namespace va::test {
namespace {

using namespace std::chrono_literals;

// Calls from a caller playing a sweep to an auto-answering callee that records, sends a DTMF digit in the
// silence after the sweep, and lets the call end when the caller's WAV ends.
void expect_call_carries_audio_and_dtmf(const BaresipCodec& codec) {
  TempDirectory scratch("baresip-call");
  const TestSignal sent_signal = telephone_band_sweep(codec, 2500ms);
  const auto sent_wav = scratch / "caller.wav";
  make_test_wav(sent_wav, sent_signal);
  // The callee's own WAV outlasts the caller's: baresip hangs up when its source ends.
  const auto callee_wav = scratch / "callee.wav";
  make_test_wav(callee_wav, {.shape = TestSignal::Shape::tone,
                             .start_hz = 440.0,
                             .length = 3000ms,
                             .amplitude = 0.2,
                             .sample_rate = codec.sample_rate,
                             .lead_silence = 0ms,
                             .tail_silence = 5000ms});

  const auto rtp = reserve_rtp_ports(20);
  RtpCapture capture({.first_port = rtp.first(), .last_port = rtp.last(), .max_duration = 60s});
  auto callee_options =
      baresip_peer("callee", codec, callee_wav, static_cast<std::uint16_t>(rtp.first() + 10), 10);
  callee_options.auto_answer = true;
  Baresip callee(callee_options);
  Baresip caller(baresip_peer("caller", codec, sent_wav, rtp.first(), 10));
  const auto describe = [&] { return caller.describe("caller") + callee.describe("callee"); };

  ASSERT_TRUE(caller.dial(callee.uri()).ok) << describe();
  ASSERT_TRUE(caller.next_event("CALL_ESTABLISHED", 10s)) << describe();
  ASSERT_TRUE(callee.next_event("CALL_ESTABLISHED", 10s)) << describe();
  EXPECT_TRUE(callee.next_event("CALL_RTPESTAB", 5s)) << describe();

  // The caller's source started before it reported the call established: after lead + sweep + margin
  // the sweep is over and the digit lands in the trailing silence, not on top of the audio compared below.
  std::this_thread::sleep_for(sent_signal.lead_silence + sent_signal.length + 300ms);
  ASSERT_TRUE(caller.send_dtmf('7').ok) << describe();
  const auto digit = callee.next_event("CALL_DTMF_START", 5s);
  ASSERT_TRUE(digit) << "the callee reported no DTMF\n" << describe();
  EXPECT_EQ(digit->param, "7") << describe();

  // The caller hangs up when its WAV ends.
  ASSERT_TRUE(caller.next_event("CALL_CLOSED", 15s)) << describe();
  ASSERT_TRUE(callee.next_event("CALL_CLOSED", 5s)) << describe();
  caller.stop();
  callee.stop();
  capture.stop();

  const auto summary = capture.summary();
  std::printf("[ %-8s ] %s", codec.name.c_str(), summary.describe().c_str());
  bool codec_on_wire = false;
  bool telephone_event_on_wire = false;
  for (const auto& stream : summary.streams) {
    if (stream.source_port >= rtp.first() && stream.source_port < rtp.first() + 10) {
      codec_on_wire = codec_on_wire || stream.carries(codec.wire_payload);
      telephone_event_on_wire = telephone_event_on_wire || stream.carries("rtpevent");
    }
  }
  EXPECT_TRUE(codec_on_wire) << "no " << codec.wire_payload << " from the caller\n" << summary.describe();
  EXPECT_TRUE(telephone_event_on_wire) << "no RFC 4733 event from the caller\n" << summary.describe();

  const auto recordings = callee.received_recordings();
  ASSERT_EQ(recordings.size(), 1u) << "callee recordings in " << callee.recordings_directory() << "\n"
                                   << describe();
  const auto recorded = read_wav(recordings.front());
  EXPECT_EQ(recorded.sample_rate, codec.sample_rate);
  const auto comparison = compare_wav_files(sent_wav, recordings.front(), 2s);
  std::printf("[ %-8s ] callee recorded: %s\n", codec.name.c_str(), comparison.describe().c_str());
  EXPECT_GT(comparison.correlation, 0.9) << comparison.describe();
  // Both lengths: the whole recording (the call carried the WAV from its start to its end, less the frames
  // the digit replaced) and the sweep within it (no stretching or truncation).
  EXPECT_LE(std::abs(comparison.duration_difference()), 0.2) << comparison.describe();
  EXPECT_LE(std::abs(comparison.active_duration_difference()), 0.2) << comparison.describe();
}

TEST(BaresipPeers, G722CallRecordsTheCallersWavAndReportsItsDigit) {
  if (!Baresip::available()) GTEST_SKIP() << "baresip (Debian package baresip-core) is not installed";
  if (!sox_available()) GTEST_SKIP() << "sox is not installed";
  if (!RtpCapture::available()) GTEST_SKIP() << "tshark is not installed";
  expect_call_carries_audio_and_dtmf(kBaresipG722);
}

TEST(BaresipPeers, PcmaCallRecordsTheCallersWavAndReportsItsDigit) {
  if (!Baresip::available()) GTEST_SKIP() << "baresip (Debian package baresip-core) is not installed";
  if (!sox_available()) GTEST_SKIP() << "sox is not installed";
  if (!RtpCapture::available()) GTEST_SKIP() << "tshark is not installed";
  expect_call_carries_audio_and_dtmf(kBaresipPcma);
}

}  // namespace
}  // namespace va::test
