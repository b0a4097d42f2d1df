// Failure paths over a real call (issue 10): baresip calls the real `voice-agent serve`, and something the
// conversation depends on fails for real — no test hooks in the product:
// - a business endpoint that never answers (a socket on 127.0.0.1 that listens and stays silent): the flow's
//   timeout branch speaks, the call ends politely, the timeout is logged and counted;
// - a speech engine failing on every prompt (eSpeak NG asked for a voice it does not have): each prompt is
//   said in the fallback voice, the call goes on, the failure is logged and counted.
// A missing model is refused at start-up (tests/integration/check_engines_test.cpp). What baresip received is
// recognised (`voice-agent transcribe`) to check what the caller heard.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <string>
#include <thread>

#include "support/agent_instance.hpp"
#include "support/baresip.hpp"
#include "support/external_tool.hpp"
#include "support/spoken_audio.hpp"
#include "support/temp_directory.hpp"

namespace va::test {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

// A TCP port on 127.0.0.1 that takes connections (the kernel completes the handshake into the backlog) and
// never reads or answers: an HTTP client's request can only time out.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd_, 16) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
      throw std::runtime_error("cannot listen on 127.0.0.1");
    port_ = ntohs(address.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

class ConversationFailure : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Baresip::available()) GTEST_FAIL() << "baresip is not installed (scripts/setup installs it)";
    if (!find_program("sox")) GTEST_FAIL() << "sox is not installed (scripts/setup installs it)";
    silence = dir / "silence.wav";
    run_tool_or_throw(
        {"sox", "-n", "-r", "16000", "-c", "1", "-b", "16", silence.string(), "trim", "0", "60"});
  }

  AgentInstanceOptions options(const std::string& agent_yaml) {
    AgentInstanceOptions o;
    o.config_yaml =
        "routing:\n  inbound:\n    - match: \"*\"\n      flow: main\n      language: en\n"
        "agent:\n  language: en\n  conversation:\n    no_input_timeout: 30s\n" +
        agent_yaml;
    o.sip_transports = {"udp"};
    o.sets = {"logging.level=debug", "logging.mask_phone_numbers=false"};
    return o;
  }

  TempDirectory dir{"conversation-failure-e2e"};
  std::filesystem::path silence;
};

TEST_F(ConversationFailure, ABusinessEndpointThatNeverAnswersTakesTheFlowsTimeoutBranch) {
  SilentListener endpoint;
  auto flow = dir.write_file("account.yaml",
                             "flow: account\n"
                             "language: en\n"
                             "languages: [en]\n"
                             "start: greeting\n"
                             "states:\n"
                             "  greeting:\n"
                             "    say: \"Hello. One moment, I am checking your account.\"\n"
                             "    actions:\n"
                             "      - http:\n"
                             "          method: POST\n"
                             "          url: \"http://127.0.0.1:" +
                                 std::to_string(endpoint.port()) +
                                 "/balance\"\n"
                                 "          timeout: 2s\n"
                                 "          body: {caller: \"{caller}\"}\n"
                                 "          save: {balance: balance}\n"
                                 "          on:\n"
                                 "            ok: balance\n"
                                 "            error: failed\n"
                                 "            timeout: not_answering\n"
                                 "  balance:\n"
                                 "    say: \"Your balance is {balance} dollars.\"\n"
                                 "    next: goodbye\n"
                                 "  failed:\n"
                                 "    say: \"Sorry, the account service failed.\"\n"
                                 "    next: goodbye\n"
                                 "  not_answering:\n"
                                 "    say: \"Sorry, our account service is not answering. Please call again "
                                 "later.\"\n"
                                 "    next: goodbye\n"
                                 "  goodbye:\n"
                                 "    say: \"Goodbye.\"\n"
                                 "    actions:\n"
                                 "      - hangup: error\n");
  AgentInstance agent(options("  flow_file: " + flow.string() + "\n"));
  ASSERT_TRUE(agent.ready()) << agent.describe();
  Baresip caller(baresip_peer("caller", kBaresipG722, silence, 0, 10));
  ASSERT_TRUE(caller.dial(agent.sip_uri("100")).ok) << caller.describe("caller");
  ASSERT_TRUE(caller.next_event("CALL_ESTABLISHED", 20s)) << caller.describe("caller") << agent.describe();

  // The agent says its piece and hangs up (BYE from the agent).
  ASSERT_TRUE(caller.next_event("CALL_CLOSED", 60s)) << caller.describe_events() << agent.describe();
  EXPECT_GE(agent.count_log_lines("\"msg\":\"conversation: business endpoint failed\""), 1u)
      << agent.describe();
  EXPECT_GE(agent.count_log_lines("\"kind\":\"timeout\""), 1u) << agent.describe();
  EXPECT_EQ(agent.metric("voice_fetch_errors_total{kind=\"timeout\"}"), 1.0);
  EXPECT_GE(agent.count_log_lines("\"reason\":\"error\""), 1u);
  caller.stop();

  auto recordings = caller.received_recordings();
  ASSERT_FALSE(recordings.empty()) << caller.describe("caller");
  auto heard = transcribe(recordings.front(), "en");
  EXPECT_THAT(heard, HasSubstr("checking your account"));
  EXPECT_THAT(heard, HasSubstr("not answering"));
  EXPECT_THAT(heard, HasSubstr("goodbye"));
}

TEST_F(ConversationFailure, AVoiceThatFailsOnEveryPromptIsReplacedByTheFallbackVoiceAndTheCallGoesOn) {
  // The built-in reception flow in English, its voice eSpeak NG with a voice eSpeak NG does not have: every
  // synthesis of the call's voice fails (espeak-ng exits 1), at run time, in the call.
  AgentInstance agent(options("  voice: zz\n  engines:\n    tts: espeak-ng\n"));
  ASSERT_TRUE(agent.ready()) << agent.describe();
  Baresip caller(baresip_peer("caller", kBaresipG722, silence, 0, 10));
  ASSERT_TRUE(caller.dial(agent.sip_uri("100")).ok) << caller.describe("caller");
  ASSERT_TRUE(caller.next_event("CALL_ESTABLISHED", 20s)) << caller.describe("caller") << agent.describe();

  // The greeting and the menu are said (in the fallback voice) and the call is still up.
  ASSERT_TRUE(
      eventually([&] { return agent.count_log_lines("\"msg\":\"conversation: agent says\"") >= 2; }, 30s))
      << agent.describe();
  std::this_thread::sleep_for(10s);
  EXPECT_FALSE(caller.next_event("CALL_CLOSED", 0s)) << caller.describe_events() << agent.describe();
  EXPECT_GE(agent.count_log_lines("\"msg\":\"conversation: synthesis failed\""), 2u) << agent.describe();
  EXPECT_GE(agent.count_log_lines("espeak-ng -v zz failed"), 2u) << agent.describe();
  EXPECT_GE(agent.metric("voice_engine_errors_total{engine=\"espeak-ng\",kind=\"error\"}"), 2.0);
  caller.hangup();
  caller.stop();

  auto recordings = caller.received_recordings();
  ASSERT_FALSE(recordings.empty()) << caller.describe("caller");
  auto heard = transcribe(recordings.front(), "en");
  // (Whisper reads eSpeak NG's robotic "Example Company" as anything from "a mampal company" on: the rest of
  // the greeting is what it hears reliably.)
  EXPECT_THAT(heard, HasSubstr("you have reached")) << "the greeting, in the fallback voice";
  EXPECT_THAT(heard, HasSubstr("opening hours")) << "the menu, in the fallback voice";
}

}  // namespace
}  // namespace va::test
