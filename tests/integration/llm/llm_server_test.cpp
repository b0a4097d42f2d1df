// The real OpenAI-compatible server of the LLM client tests (support/llm_server.hpp): it starts on the Gemma
// 3 270M model, lists the model, and streams a chat completion as SSE `data:` lines that end with
// `data: [DONE]`, text as `content` deltas and a requested tool call as `tool_calls` deltas. Without the venv
// or the model the tests skip, except in CI (CI set), where they fail: CI must run them.
#include "support/llm_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "engines/llm/openai_chat_model.hpp"
#include "support/http_client.hpp"

namespace va::test {
namespace {

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && *ci && std::string_view(ci) != "false" && std::string_view(ci) != "0";
}

#define VA_REQUIRE_LLM_SERVER()                             \
  if (!LlmServer::available()) {                            \
    if (in_ci()) FAIL() << LlmServer::unavailable_reason(); \
    GTEST_SKIP() << LlmServer::unavailable_reason();        \
  }

// The payloads of the SSE `data:` lines, in order.
std::vector<std::string> sse_data(const std::string& body) {
  std::vector<std::string> out;
  std::istringstream lines(body);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("data:", 0) == 0) out.push_back(line.substr(line.size() > 5 && line[5] == ' ' ? 6 : 5));
  }
  return out;
}

LlmServer& server() {
  static LlmServer instance;  // one model load for all the tests of this program
  return instance;
}

HttpResponse post_chat(const nlohmann::json& request) {
  HttpClient http(std::chrono::seconds(60));
  return http.request("POST", server().base_url() + "/chat/completions",
                      {{"Content-Type", "application/json"}, {"Authorization", "Bearer not-checked"}},
                      request.dump());
}

TEST(LlmServer, ListsTheModel) {
  VA_REQUIRE_LLM_SERVER();
  HttpClient http;
  const auto models = http.get(server().base_url() + "/models");
  ASSERT_EQ(models.status, 200) << models.error << models.body;
  const auto json = nlohmann::json::parse(models.body);
  ASSERT_FALSE(json.at("data").empty());
  EXPECT_EQ(json["data"][0]["id"], server().model_id());
}

TEST(LlmServer, StreamsAChatCompletionAsSseEndingWithDone) {
  VA_REQUIRE_LLM_SERVER();
  const auto response = post_chat({{"model", server().model_id()},
                                   {"stream", true},
                                   {"max_tokens", 24},
                                   {"temperature", 0},
                                   {"messages",
                                    {{{"role", "system"}, {"content", "You are a helpful assistant."}},
                                     {{"role", "user"}, {"content", "Say hello in one short sentence."}}}}});
  ASSERT_EQ(response.status, 200) << response.error << response.body << server().log();
  EXPECT_NE(response.header("Content-Type").value_or("").find("text/event-stream"), std::string::npos);
  const auto events = sse_data(response.body);
  ASSERT_GE(events.size(), 2u) << response.body;
  EXPECT_EQ(events.back(), "[DONE]");
  std::string text;
  std::string finish;
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    const auto chunk = nlohmann::json::parse(events[i]);
    EXPECT_EQ(chunk.at("object"), "chat.completion.chunk");
    const auto& choice = chunk.at("choices").at(0);
    if (choice["delta"].contains("content") && choice["delta"]["content"].is_string())
      text += choice["delta"]["content"].get<std::string>();
    if (choice["finish_reason"].is_string()) finish = choice["finish_reason"];
  }
  std::cout << "[ server   ] streamed " << events.size() - 1 << " chunks: " << text << "\n";
  EXPECT_FALSE(text.empty());
  EXPECT_TRUE(finish == "stop" || finish == "length") << finish;
}

TEST(LlmServer, StreamsARequestedToolCallAsToolCallDeltas) {
  VA_REQUIRE_LLM_SERVER();
  const nlohmann::json tool = {
      {"type", "function"},
      {"function",
       {{"name", "transfer_call"},
        {"description", "Transfer the caller to a human operator"},
        {"parameters", {{"type", "object"}, {"properties", {{"department", {{"type", "string"}}}}}}}}}};
  const auto response =
      post_chat({{"model", server().model_id()},
                 {"stream", true},
                 {"max_tokens", 48},
                 {"temperature", 0},
                 {"tools", {tool}},
                 {"tool_choice", {{"type", "function"}, {"function", {{"name", "transfer_call"}}}}},
                 {"messages", {{{"role", "user"}, {"content", "Put me through to sales, please."}}}}});
  ASSERT_EQ(response.status, 200) << response.error << response.body << server().log();
  const auto events = sse_data(response.body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "[DONE]");
  std::string name;
  std::string arguments;
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    const auto chunk = nlohmann::json::parse(events[i]);
    const auto& delta = chunk.at("choices").at(0).at("delta");
    if (!delta.contains("tool_calls") || !delta["tool_calls"].is_array()) continue;
    for (const auto& call : delta["tool_calls"]) {
      const auto& function = call.at("function");
      if (function.contains("name") && function["name"].is_string()) name = function["name"];
      if (function.contains("arguments") && function["arguments"].is_string())
        arguments += function["arguments"].get<std::string>();
    }
  }
  std::cout << "[ server   ] tool call " << name << " " << arguments << "\n";
  EXPECT_EQ(name, "transfer_call");
  EXPECT_FALSE(arguments.empty());
}

// The product's OpenAI-compatible engine (engines/llm/openai_chat_model) against this real server.
std::shared_ptr<voice::LanguageModel> product_engine() {
  engines::llm::OpenAiChatSettings settings;
  settings.base_url = server().base_url();
  settings.model = server().model_id();
  settings.api_key = "not-checked";
  auto model = engines::llm::make_openai_chat_model(settings);
  EXPECT_TRUE(model.ok());
  return model ? *model : nullptr;
}

TEST(LlmServer, TheProductsEngineStreamsARealModelsReplyPieceByPiece) {
  VA_REQUIRE_LLM_SERVER();
  auto model = product_engine();
  voice::ChatRequest request;
  request.messages = {{voice::ChatRole::system, "You are a helpful assistant on a phone call.", {}, {}},
                      {voice::ChatRole::user, "Say hello to the caller in one short sentence.", {}, {}}};
  request.max_tokens = 40;
  request.temperature = 0;
  request.timeout = std::chrono::seconds(30);
  std::vector<std::string> pieces;
  std::atomic<bool> never{false};
  auto result = model->complete(
      request, [&](std::string_view text) { pieces.emplace_back(text); }, never);
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  std::string joined;
  for (const auto& p : pieces) joined += p;
  EXPECT_GT(pieces.size(), 1u) << "streamed in pieces, not at once";
  EXPECT_FALSE(joined.empty());
  EXPECT_EQ(result->text, joined);
  EXPECT_FALSE(result->finish_reason.empty());
  // llama-cpp-python sends no usage chunk when streaming (stream_options is ignored): -1, "not said".
  EXPECT_TRUE(result->completion_tokens == -1 ||
              (result->completion_tokens > 0 && result->completion_tokens <= 40))
      << result->completion_tokens;
}

TEST(LlmServer, TheProductsEngineDecodesARealToolCall) {
  VA_REQUIRE_LLM_SERVER();
  auto model = product_engine();
  voice::ChatRequest request;
  request.messages = {{voice::ChatRole::system, "You route phone calls.", {}, {}},
                      {voice::ChatRole::user, "Put me through to the operator, please.", {}, {}}};
  request.tools = {
      {"transfer_call", "Transfer the caller to a person or department.",
       R"({"type":"object","properties":{"target":{"type":"string","enum":["operator","sales"]}},)"
       R"("required":["target"]})"}};
  request.tool_choice = "transfer_call";  // the small model is made to call it (grammar-constrained)
  request.max_tokens = 60;
  request.temperature = 0;
  request.timeout = std::chrono::seconds(30);
  std::atomic<bool> never{false};
  auto result = model->complete(request, {}, never);
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  ASSERT_EQ(result->tool_calls.size(), 1u) << result->text;
  EXPECT_EQ(result->tool_calls[0].name, "transfer_call");
  EXPECT_FALSE(result->tool_calls[0].id.empty());
  auto args = nlohmann::json::parse(result->tool_calls[0].arguments, nullptr, false);
  ASSERT_FALSE(args.is_discarded()) << result->tool_calls[0].arguments;
  ASSERT_TRUE(args.contains("target")) << result->tool_calls[0].arguments;
  EXPECT_TRUE(args["target"] == "operator" || args["target"] == "sales") << args.dump();
}

}  // namespace
}  // namespace va::test
