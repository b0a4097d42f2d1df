// Barge-in measured on the wire (issue 10): baresip calls the real `voice-agent serve` on PCMA and talks into
// the greeting; tshark captures both directions of the call's RTP, and the agent's reaction is read from the
// capture — when the caller's audio starts and when the agent's audio stops — not from the agent's own log.
// A 150 ms noise burst (a cough) and a backchannel ("угу") must not cut the prompt.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "support/agent_instance.hpp"
#include "support/baresip.hpp"
#include "support/external_tool.hpp"
#include "support/free_port.hpp"
#include "support/rtp_capture.hpp"
#include "support/temp_directory.hpp"
#include "support/wire_audio.hpp"

namespace va::test {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;
using Seconds = WireSeconds;

// voice-agent's RTP range is the first half of the reserved block, baresip's the second: one capture sees
// both directions of the call.
constexpr std::uint16_t kHalf = 10;

// Synthesised speech (RHVoice through `voice-agent say`) at 8 kHz.
std::filesystem::path speech(const TempDirectory& dir, const std::string& name, const std::string& text) {
  auto wav16 = dir / (name + "-16k.wav");
  run_tool_or_throw({VA_BINARY, "say", "--lang", "ru", text, "-o", wav16.string()}, 60s);
  auto wav = dir / (name + ".wav");
  run_tool_or_throw({"sox", wav16.string(), "-r", "8000", "-c", "1", "-b", "16", wav.string()});
  return wav;
}

std::filesystem::path silence(const TempDirectory& dir, const std::string& name, double seconds) {
  auto wav = dir / (name + ".wav");
  run_tool_or_throw(
      {"sox", "-n", "-r", "8000", "-c", "1", "-b", "16", wav.string(), "trim", "0", std::to_string(seconds)});
  return wav;
}

// The caller's side of the call, pieces in order.
std::filesystem::path concatenate(const TempDirectory& dir, const std::string& name,
                                  const std::vector<std::filesystem::path>& pieces) {
  auto wav = dir / (name + ".wav");
  std::vector<std::string> command{"sox"};
  for (const auto& piece : pieces) command.push_back(piece.string());
  command.push_back(wav.string());
  run_tool_or_throw(command);
  return wav;
}

class BargeInCall : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Baresip::available()) GTEST_FAIL() << "baresip is not installed (scripts/setup installs it)";
    if (!find_program("sox")) GTEST_FAIL() << "sox is not installed (scripts/setup installs it)";
    if (!RtpCapture::available()) GTEST_FAIL() << "tshark is not installed (scripts/setup installs it)";
  }

  // Calls the agent with `caller_wav`, captures the call, hangs up after `call_time`.
  // `vad`: agent.engines.vad.
  void call(const std::filesystem::path& caller_wav, std::chrono::seconds call_time,
            const std::string& vad = "webrtc") {
    const auto sip = reserve_port(PortProtocol::udp);
    const auto rtp = reserve_rtp_ports(2 * kHalf);
    AgentInstanceOptions o;
    o.config_yaml =
        "routing:\n  inbound:\n    - match: \"*\"\n      flow: main\n      language: ru\n"
        "agent:\n  language: ru\n  conversation:\n    no_input_timeout: 20s\n  engines:\n    vad: " +
        vad + "\n";
    o.sip_transports = {"udp"};
    o.sip_port = sip.port();
    o.rtp_first = rtp.first();
    o.rtp_last = static_cast<std::uint16_t>(rtp.first() + kHalf - 1);
    o.env = {{"RECEPTION_OPERATOR", "sip:operator@127.0.0.1:9"}};
    o.sets = {"logging.level=debug", "logging.mask_phone_numbers=false"};
    agent_ = std::make_unique<AgentInstance>(o);
    ASSERT_TRUE(agent_->ready()) << agent_->describe();
    RtpCapture capture({.first_port = rtp.first(), .last_port = rtp.last(), .max_duration = 120s});
    Baresip caller(baresip_peer("caller", kBaresipPcma, caller_wav,
                                static_cast<std::uint16_t>(rtp.first() + kHalf), kHalf));
    ASSERT_TRUE(caller.dial(agent_->sip_uri("100")).ok) << caller.describe("caller");
    ASSERT_TRUE(caller.next_event("CALL_ESTABLISHED", 20s))
        << caller.describe("caller") << agent_->describe();
    caller.next_event("CALL_CLOSED", call_time);
    caller.hangup();
    caller.stop();
    capture.stop();

    const auto summary = capture.summary();
    std::uint16_t agent_port = 0;
    std::uint16_t caller_port = 0;
    for (const auto& stream : summary.streams) {
      if (!stream.carries(kBaresipPcma.wire_payload)) continue;
      (stream.source_port < rtp.first() + kHalf ? agent_port : caller_port) = stream.source_port;
    }
    ASSERT_NE(agent_port, 0) << summary.describe();
    ASSERT_NE(caller_port, 0) << summary.describe();
    agent_audio_ = alaw_levels(capture.packets(agent_port, kBaresipPcma.payload_type));
    caller_audio_ = alaw_levels(capture.packets(caller_port, kBaresipPcma.payload_type));
    ASSERT_FALSE(agent_audio_.empty());
    ASSERT_FALSE(caller_audio_.empty());
    // The recordings live in baresip's directory, which goes with it.
    for (const auto& recording : caller.received_recordings()) {
      recordings_.push_back(dir_ / recording.filename());
      std::filesystem::copy_file(recording, recordings_.back());
    }
  }

  void expect_silence_within_200ms(const std::string& vad);

  TempDirectory dir_{"barge-in-e2e"};
  std::unique_ptr<AgentInstance> agent_;
  std::vector<PacketLevel> agent_audio_;
  std::vector<PacketLevel> caller_audio_;
  std::vector<std::filesystem::path> recordings_;
};

void BargeInCall::expect_silence_within_200ms(const std::string& vad) {
  // The greeting starts right after the answer; the caller speaks about a second into it.
  const auto wav =
      concatenate(dir_, "caller",
                  {silence(dir_, "lead", 1.2), speech(dir_, "operator", "Оператора, пожалуйста."),
                   silence(dir_, "tail", 20.0)});
  ASSERT_NO_FATAL_FAILURE(call(wav, 25s, vad));

  const auto greeting = first_sound(agent_audio_, Seconds{0});
  ASSERT_TRUE(greeting) << "the agent never spoke";
  const auto onset = first_sound(caller_audio_, Seconds{0});
  ASSERT_TRUE(onset) << "the caller's speech is not in the capture";
  std::printf("[ barge-in ] agent's first sound at %.3f s, the caller's at %.3f s\n", greeting->count(),
              onset->count());
  ASSERT_GT(*onset, *greeting) << "the caller must talk into the greeting";
  // The agent was speaking when the caller started (sound within the 300 ms before the onset).
  const auto speaking = first_sound(agent_audio_, *onset - Seconds{0.3});
  ASSERT_TRUE(speaking && *speaking <= *onset)
      << "the agent was not speaking at the caller's onset\n"
      << describe_window(agent_audio_, *onset - Seconds{1}, *onset + Seconds{1});

  // The agent then stays silent for at least a second (the caller's sentence, the endpointing silence and
  // the recognition): the cut, not a pause between words.
  const auto stop = silence_start(agent_audio_, *onset - Seconds{0.3}, Seconds{1.0});
  ASSERT_TRUE(stop) << "the agent did not fall silent\n"
                    << agent_->describe()
                    << describe_window(agent_audio_, *onset - Seconds{0.5}, *onset + Seconds{2});
  const double reaction_ms = (*stop - *onset).count() * 1000.0;
  std::printf("[ barge-in %s ] greeting at %.3f s, caller onset at %.3f s, agent silent at %.3f s: %.0f ms\n",
              vad.c_str(), greeting->count(), onset->count(), stop->count(), reaction_ms);
  EXPECT_LE(reaction_ms, 200.0) << describe_window(agent_audio_, *onset - Seconds{0.2}, *onset + Seconds{0.5})
                                << "caller:\n"
                                << describe_window(caller_audio_, *onset - Seconds{0.1},
                                                   *onset + Seconds{0.3});
  EXPECT_GE(agent_->count_log_lines("\"msg\":\"conversation: barge-in\""), 1u) << agent_->describe();
  EXPECT_GE(agent_->metric("voice_barge_ins_total{outcome=\"interrupted\"}"), 1.0);
  // The transcript keeps only what was played: the greeting marked interrupted.
  EXPECT_GE(agent_->count_log_lines("\"interrupted\":true"), 1u) << agent_->describe();
  EXPECT_GE(agent_->count_log_lines("\"msg\":\"conversation: transfer\""), 1u) << agent_->describe();
}

TEST_F(BargeInCall, TheAgentFallsSilentWithin200msOfTheCallerStartingToSpeak) {
  expect_silence_within_200ms("webrtc");
}

TEST_F(BargeInCall, WithSileroVadTooTheAgentFallsSilentWithin200ms) {
  expect_silence_within_200ms("silero");
}

TEST_F(BargeInCall, ACoughAndABackchannelDoNotCutThePrompt) {
  // 150 ms of shaped noise (a cough) 1.5 s into the greeting, then "угу" during the menu.
  auto cough = dir_ / "cough.wav";
  run_tool_or_throw({"sox",  "-n",           "-r",    "8000", "-c",        "1",    "-b",
                     "16",   cough.string(), "synth", "0.15", "pinknoise", "fade", "t",
                     "0.01", "0.15",         "0.05",  "gain", "-n",        "-6"});
  const auto wav = concatenate(dir_, "caller",
                               {silence(dir_, "lead", 1.5), cough, silence(dir_, "gap", 4.0),
                                speech(dir_, "aha", "Угу."), silence(dir_, "tail", 25.0)});
  ASSERT_NO_FATAL_FAILURE(call(wav, 28s));

  // The cough has no voice (conversation.require_voicing): no barge-in at all for it.
  const auto cough_at = first_sound(caller_audio_, Seconds{0});
  ASSERT_TRUE(cough_at);
  const auto cough_silent = silence_start(agent_audio_, *cough_at - Seconds{0.3}, Seconds{0.6});
  // "угу" pauses the prompt at its onset (nothing can tell it from a question that soon) and the prompt
  // resumes from the cut once it is recognised as a backchannel — or, as whisper base mishears RHVoice's
  // "угу" at 8 kHz ("Побо"), as a short barge-in the flow does not understand.
  EXPECT_LE(agent_->metric("voice_barge_ins_total{outcome=\"interrupted\"}"), 0.0)  // -1: no such sample
      << agent_->describe();
  EXPECT_GE(agent_->metric("voice_barge_ins_total{outcome=\"resumed\"}"), 1.0) << agent_->describe();
  EXPECT_EQ(agent_->count_log_lines("\"interrupted\":true"), 0u) << agent_->describe();
  EXPECT_EQ(agent_->count_log_lines("\"msg\":\"conversation: prompt resumed (backchannel or noise)\""),
            agent_->count_log_lines("\"msg\":\"conversation: barge-in\""))
      << agent_->describe();
  if (cough_silent) {
    EXPECT_GT(*cough_silent - *cough_at, Seconds{0.5})
        << "the agent fell silent at the cough\n"
        << describe_window(agent_audio_, *cough_at - Seconds{0.2}, *cough_at + Seconds{0.8});
  }
  // The whole menu was heard, up to its last sentence.
  ASSERT_FALSE(recordings_.empty());
  auto heard =
      run_tool_or_throw({VA_BINARY, "transcribe", "--lang", "ru", recordings_.front().string()}, 120s);
  EXPECT_THAT(heard, HasSubstr("поговорить")) << heard;
}

}  // namespace
}  // namespace va::test
