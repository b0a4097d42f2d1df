// The OpenAI-compatible chat engine against a server that misbehaves on purpose
// (tests/support/misbehaving_chat_server.py: one scenario per model name). Every scenario ends in a result
// or a clear error within its deadline — never a crash or a hang.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "engines/llm/openai_chat_model.hpp"
#include "support/misbehaving_chat_server.hpp"

namespace va {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Outcome {
  Result<voice::ChatResult, voice::ChatError> result = voice::ChatError{};
  std::vector<std::string> pieces;
  std::chrono::milliseconds took{0};
};

class OpenAiChatTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new test::MisbehavingChatServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  Outcome run(const std::string& scenario, std::chrono::milliseconds timeout = 2s,
              const std::atomic<bool>* cancel = nullptr, std::string key = {}) {
    engines::llm::OpenAiChatSettings settings;
    settings.base_url = server_->base_url();
    settings.model = scenario;
    settings.api_key = std::move(key);
    auto model = engines::llm::make_openai_chat_model(settings);
    EXPECT_TRUE(model.ok());
    voice::ChatRequest request;
    request.messages = {{voice::ChatRole::system, "Be brief.", {}, {}},
                        {voice::ChatRole::user, "Привет", {}, {}}};
    request.tools = {
        {"transfer_call", "Transfer", R"({"type":"object","properties":{"target":{"type":"string"}}})"}};
    request.timeout = timeout;
    std::atomic<bool> never{false};
    Outcome out;
    const auto start = Clock::now();
    out.result = (*model)->complete(
        request, [&](std::string_view text) { out.pieces.emplace_back(text); }, cancel ? *cancel : never);
    out.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    return out;
  }

  static test::MisbehavingChatServer* server_;
};
test::MisbehavingChatServer* OpenAiChatTest::server_ = nullptr;

std::string joined(const std::vector<std::string>& pieces) {
  std::string out;
  for (const auto& p : pieces) out += p;
  return out;
}

TEST_F(OpenAiChatTest, StreamsTextPiecesAsTheyComeWithUsage) {
  auto out = run("ok", 2s, nullptr, "sk-test-123");
  ASSERT_TRUE(out.result.ok()) << out.result.error().to_string();
  EXPECT_EQ(out.pieces.size(), 3u);
  EXPECT_EQ(joined(out.pieces), "Здравствуйте! Чем могу помочь?");
  EXPECT_EQ(out.result->text, joined(out.pieces));
  EXPECT_EQ(out.result->finish_reason, "stop");
  EXPECT_EQ(out.result->prompt_tokens, 21);
  EXPECT_EQ(out.result->completion_tokens, 7);
  // What the server received: a streamed request with the tools, the key as a bearer token.
  auto log = server_->requests();
  auto line = log.substr(log.rfind("{\"path\""));
  auto sent = nlohmann::json::parse(line.substr(0, line.find('\n')));
  EXPECT_EQ(sent["auth"], "Bearer sk-test-123");
  EXPECT_EQ(sent["body"]["stream"], true);
  EXPECT_EQ(sent["body"]["messages"][1]["content"], "Привет");
  EXPECT_EQ(sent["body"]["tools"][0]["function"]["name"], "transfer_call");
}

TEST_F(OpenAiChatTest, TheNextRequestReusesTheKeptAliveConnection) {
  engines::llm::OpenAiChatSettings settings;
  settings.base_url = server_->base_url();
  settings.model = "ok";
  auto model = engines::llm::make_openai_chat_model(settings);
  ASSERT_TRUE(model.ok());
  voice::ChatRequest request;
  request.messages = {{voice::ChatRole::user, "Привет", {}, {}}};
  request.timeout = 2s;
  std::atomic<bool> never{false};
  auto client_port = [&] {
    auto log = server_->requests();
    auto line = log.substr(log.rfind("{\"path\""));
    return nlohmann::json::parse(line.substr(0, line.find('\n')))["client_port"].get<int>();
  };
  ASSERT_TRUE((*model)->complete(request, {}, never).ok());
  const int first = client_port();
  ASSERT_TRUE((*model)->complete(request, {}, never).ok());
  EXPECT_EQ(client_port(), first) << "a second TCP connection was opened";
}

TEST_F(OpenAiChatTest, JoinsToolCallFragments) {
  auto out = run("tool");
  ASSERT_TRUE(out.result.ok()) << out.result.error().to_string();
  ASSERT_EQ(out.result->tool_calls.size(), 1u);
  EXPECT_EQ(out.result->tool_calls[0].id, "call_7");
  EXPECT_EQ(out.result->tool_calls[0].name, "transfer_call");
  EXPECT_EQ(nlohmann::json::parse(out.result->tool_calls[0].arguments)["target"], "operator");
  EXPECT_EQ(out.result->finish_reason, "tool_calls");
  EXPECT_EQ(joined(out.pieces), "Соединяю. ");
}

TEST_F(OpenAiChatTest, ReadsCrlfCommentsAndEventsSplitIntoBytes) {
  auto out = run("crlf");
  ASSERT_TRUE(out.result.ok()) << out.result.error().to_string();
  EXPECT_EQ(joined(out.pieces), "Hello there. Bye.");
}

TEST_F(OpenAiChatTest, MultiByteCharacterSplitBetweenWritesArrivesWhole) {
  auto out = run("utf8split");
  ASSERT_TRUE(out.result.ok()) << out.result.error().to_string();
  EXPECT_EQ(joined(out.pieces), "Привет.");
}

TEST_F(OpenAiChatTest, AStallAfterTheFirstPieceTimesOut) {
  auto out = run("stall", 1s);
  ASSERT_FALSE(out.result.ok());
  EXPECT_EQ(out.result.error().kind, voice::ChatError::Kind::timeout) << out.result.error().to_string();
  EXPECT_EQ(joined(out.pieces), "Сейчас");
  EXPECT_LT(out.took, 5s);
}

TEST_F(OpenAiChatTest, NoResponseTimesOut) {
  auto out = run("silent", 1s);
  ASSERT_FALSE(out.result.ok());
  EXPECT_EQ(out.result.error().kind, voice::ChatError::Kind::timeout) << out.result.error().to_string();
  EXPECT_LT(out.took, 5s);
}

TEST_F(OpenAiChatTest, CancellingStopsAStalledStreamAtItsNextPieceOrDeadline) {
  std::atomic<bool> cancel{false};
  std::thread canceller([&] {
    std::this_thread::sleep_for(200ms);
    cancel = true;
  });
  auto out = run("stall", 1s, &cancel);
  canceller.join();
  ASSERT_FALSE(out.result.ok());
  EXPECT_EQ(out.result.error().kind, voice::ChatError::Kind::cancelled) << out.result.error().to_string();
}

TEST_F(OpenAiChatTest, NonJsonEventIsAProtocolError) {
  auto out = run("garbage");
  ASSERT_FALSE(out.result.ok());
  EXPECT_EQ(out.result.error().kind, voice::ChatError::Kind::protocol);
  EXPECT_NE(out.result.error().message.find("not a JSON object"), std::string::npos);
  EXPECT_EQ(joined(out.pieces), "Hi");
}

TEST_F(OpenAiChatTest, ConnectionCutMidChunkIsAnError) {
  auto out = run("cut");
  ASSERT_FALSE(out.result.ok());
  EXPECT_NE(out.result.error().kind, voice::ChatError::Kind::timeout) << out.result.error().to_string();
  EXPECT_EQ(joined(out.pieces), "Начало");
}

TEST_F(OpenAiChatTest, FinishReasonWithoutDoneIsAccepted) {
  auto out = run("no_done");
  ASSERT_TRUE(out.result.ok()) << out.result.error().to_string();
  EXPECT_EQ(out.result->text, "Done without done.");
}

TEST_F(OpenAiChatTest, StreamEndingWithoutFinishOrDoneIsAnError) {
  auto out = run("nothing");
  ASSERT_FALSE(out.result.ok());
  EXPECT_EQ(out.result.error().kind, voice::ChatError::Kind::protocol);
}

TEST_F(OpenAiChatTest, ServerErrorCarriesTheProvidersMessage) {
  auto out = run("error500");
  ASSERT_FALSE(out.result.ok());
  EXPECT_EQ(out.result.error().kind, voice::ChatError::Kind::status);
  EXPECT_NE(out.result.error().message.find("500"), std::string::npos);
  EXPECT_NE(out.result.error().message.find("model overloaded"), std::string::npos);
}

TEST_F(OpenAiChatTest, OversizedEventIsRefused) {
  auto out = run("huge");
  ASSERT_FALSE(out.result.ok());
  EXPECT_EQ(out.result.error().kind, voice::ChatError::Kind::protocol);
  EXPECT_NE(out.result.error().message.find("1 MiB"), std::string::npos);
}

TEST_F(OpenAiChatTest, NonStreamedAnswerIsAcceptedWhole) {
  auto out = run("whole");
  ASSERT_TRUE(out.result.ok()) << out.result.error().to_string();
  EXPECT_EQ(joined(out.pieces), "All at once.");
  EXPECT_EQ(out.result->completion_tokens, 3);
}

TEST_F(OpenAiChatTest, UnreachableServerIsAConnectError) {
  engines::llm::OpenAiChatSettings settings;
  settings.base_url = "http://127.0.0.1:1/v1";
  settings.model = "ok";
  auto model = engines::llm::make_openai_chat_model(settings);
  ASSERT_TRUE(model.ok());
  std::atomic<bool> never{false};
  auto result = (*model)->complete({}, {}, never);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, voice::ChatError::Kind::connect) << result.error().to_string();
}

TEST(OpenAiChatSettings, BadBaseUrlOrNoModelIsRefusedAtStart) {
  engines::llm::OpenAiChatSettings settings;
  settings.base_url = "ftp://example";
  settings.model = "m";
  EXPECT_FALSE(engines::llm::make_openai_chat_model(settings).ok());
  settings.base_url = "http://127.0.0.1:8080/v1";
  settings.model.clear();
  EXPECT_FALSE(engines::llm::make_openai_chat_model(settings).ok());
}

}  // namespace
}  // namespace va
