// The Russian reception flow driven by keys over SIP (issue 10): SIPp calls the real `voice-agent serve`
// on PCMA and plays its own RFC 4733 pcap of '1' into the menu; tshark captures the call. Read off the
// wire: from the key on the caller hears the opening hours, not the rest of the menu, at speech level and
// about as long as the hours prompt synthesised on its own.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/agent_instance.hpp"
#include "support/audio_files.hpp"
#include "support/external_tool.hpp"
#include "support/free_port.hpp"
#include "support/rtp_capture.hpp"
#include "support/sipp.hpp"
#include "support/temp_directory.hpp"
#include "support/wire_audio.hpp"

namespace va::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kPcma = 8;
constexpr int kTelephoneEvent = 101;  // what the scenario offers
// The flow's prompt for '1' (config/flows/reception.yaml, state `hours`).
constexpr const char* kHoursRu =
    "Мы работаем с понедельника по пятницу с девяти утра до шести вечера, в субботу — с десяти до трёх. "
    "Воскресенье — выходной.";

TEST(DtmfMenuCall, KeyOneCutsTheMenuAndPlaysTheOpeningHoursInRussian) {
  const std::filesystem::path pcap = "/usr/share/sip-tester/dtmf_2833_1.pcap";
  if (!Sipp::available() || !RtpCapture::available() || !std::filesystem::exists(pcap))
    GTEST_FAIL() << "sipp (sip-tester, with its pcaps) and tshark are needed (scripts/setup installs them)";
  TempDirectory dir("dtmf-menu-e2e");
  // How long the hours prompt is when synthesised alone: what the caller must hear after the key.
  const auto hours_wav = dir / "hours.wav";
  run_tool_or_throw({VA_BINARY, "say", "--lang", "ru", kHoursRu, "-o", hours_wav.string()}, 60s);
  const auto hours = read_wav(hours_wav);
  const WireSeconds hours_length{hours.seconds()};

  const auto sip = reserve_port(PortProtocol::udp);
  const auto media = reserve_rtp_ports(12);
  const auto agent_rtp = media.first();
  const auto sipp_rtp = static_cast<std::uint16_t>(media.first() + 8);
  AgentInstanceOptions o;
  o.config_yaml =
      "routing:\n  inbound:\n    - match: \"*\"\n      flow: main\n      language: ru\n"
      "agent:\n  language: ru\n  conversation:\n    no_input_timeout: 30s\n";
  o.sip_transports = {"udp"};
  o.sip_port = sip.port();
  o.rtp_first = agent_rtp;
  o.rtp_last = static_cast<std::uint16_t>(agent_rtp + 7);
  AgentInstance agent(o);
  ASSERT_TRUE(agent.ready()) << agent.describe();
  RtpCapture capture({.first_port = media.first(), .last_port = media.last(), .max_duration = 90s});
  const auto caller =
      Sipp::run({.scenario_file = std::filesystem::path(VA_E2E_SCENARIO_DIR) / "uac_dtmf_menu.xml",
                 .remote = agent.sip_address(),
                 .max_calls = 1,
                 .media_port = sipp_rtp,
                 .links = {{"digits/1.pcap", pcap}}},
                60s);
  capture.stop();
  ASSERT_TRUE(caller.exit.exited_with(0) && caller.all_successful()) << caller.describe() << agent.describe();

  // The key on the wire, and what the agent made of it.
  const auto sent = capture.packets(sipp_rtp, kTelephoneEvent);
  ASSERT_FALSE(sent.empty()) << capture.summary().describe();
  const WireSeconds key = sent.front().time;
  EXPECT_GE(agent.count_log_lines("\"msg\":\"conversation: dtmf\",\"call_id\""), 1u) << agent.describe();
  EXPECT_GE(agent.count_log_lines("понедельника"), 1u) << agent.describe();

  const auto agent_audio = alaw_levels(capture.packets(agent_rtp, kPcma));
  ASSERT_FALSE(agent_audio.empty()) << capture.summary().describe();
  // The menu was playing when the key came.
  const auto playing = first_sound(agent_audio, key - WireSeconds{0.5});
  ASSERT_TRUE(playing && *playing <= key) << describe_window(agent_audio, key - WireSeconds{1}, key);
  // From the key on, the caller heard the opening hours — not the rest of the menu (RHVoice streams the
  // first sentence so fast that the wire shows no gap at the switch: the words tell) — at speech level
  // for about as long as the prompt synthesised on its own (its pauses included there).
  const auto after_key = dir / "after-key.alaw";
  {
    std::ofstream out(after_key, std::ios::binary);
    for (const auto& packet : capture.packets(agent_rtp, kPcma))
      if (packet.time >= key && packet.time < key + hours_length)
        out.write(reinterpret_cast<const char*>(packet.payload.data()),
                  static_cast<std::streamsize>(packet.payload.size()));
  }
  const auto after_key_wav = dir / "after-key.wav";
  decode_g711_raw(after_key, after_key_wav, G711Law::alaw);
  const auto words =
      run_tool_or_throw({VA_BINARY, "transcribe", "--lang", "ru", after_key_wav.string()}, 120s);
  const auto heard = sound_duration(agent_audio, key, key + hours_length);
  std::printf("[ dtmf-menu ] key at %.3f s; then %.2f s of sound in the hours prompt's %.2f s: %s\n",
              key.count(), heard.count(), hours_length.count(), words.c_str());
  EXPECT_THAT(words, HasSubstr("понедельник"));
  EXPECT_THAT(words, Not(HasSubstr("баланс")));
  EXPECT_GE(heard.count(), 0.6 * hours_length.count())
      << describe_window(agent_audio, key, key + hours_length);
  EXPECT_GE(agent.metric("voice_turns_total{kind=\"dtmf\"}"), 1.0) << agent.describe();
}

}  // namespace
}  // namespace va::test
