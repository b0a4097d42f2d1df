// Reading a streamed chat completion (src/engines/llm/chat_stream.hpp): the event stream and the chunks.
#include "engines/llm/chat_stream.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace va::engines::llm {
namespace {

using Events = std::vector<std::pair<std::string, std::string>>;

Events parse(const std::string& bytes, std::size_t step) {
  SseParser parser;
  Events out;
  auto on_event = [&](std::string_view event, std::string_view data) { out.emplace_back(event, data); };
  for (std::size_t i = 0; i < bytes.size(); i += step)
    EXPECT_TRUE(parser.feed(std::string_view(bytes).substr(i, step), on_event));
  parser.finish(on_event);
  return out;
}

TEST(SseParser, LineEndsCommentsFieldsAndMultiLineDataWhateverTheSplit) {
  const std::string stream =
      ": keep-alive\r\n\r\ndata: one\n\nevent: update\rdata: two\rdata:three\r\rid: 7\nretry: 10\n\n"
      "data: last";
  const Events expected{{"message", "one"}, {"update", "two\nthree"}, {"message", "last"}};
  for (std::size_t step = 1; step <= stream.size(); ++step) EXPECT_EQ(parse(stream, step), expected) << step;
}

TEST(SseParser, AnEventLargerThanTheLimitIsRefused) {
  SseParser parser(1024);
  auto ignore = [](std::string_view, std::string_view) {};
  EXPECT_TRUE(parser.feed("data: " + std::string(500, 'x') + "\n", ignore));
  EXPECT_FALSE(parser.feed("data: " + std::string(600, 'y'), ignore));
}

std::string chunk(const nlohmann::json& delta, const char* finish = nullptr) {
  nlohmann::json choice{{"index", 0}, {"delta", delta}};
  choice["finish_reason"] = finish ? nlohmann::json(finish) : nlohmann::json();
  return nlohmann::json{{"choices", {choice}}}.dump();
}

TEST(ChatChunkDecoder, TextToolCallFragmentsUsageAndDone) {
  ChatChunkDecoder decoder;
  std::string streamed;
  auto on_text = [&](std::string_view t) { streamed += t; };
  ASSERT_TRUE(decoder.on_data(chunk({{"role", "assistant"}, {"content", "Соединяю"}}), on_text));
  ASSERT_TRUE(decoder.on_data(chunk({{"content", ". "}}), on_text));
  ASSERT_TRUE(
      decoder.on_data(chunk({{"tool_calls",
                              {{{"index", 0},
                                {"id", "call_1"},
                                {"function", {{"name", "transfer_call"}, {"arguments", "{\"ta"}}}}}}}),
                      on_text));
  ASSERT_TRUE(decoder.on_data(
      chunk({{"tool_calls", {{{"index", 0}, {"function", {{"arguments", "rget\":"}}}}}}}), on_text));
  // llama-cpp-python repeats the name in every delta: it is not doubled.
  ASSERT_TRUE(decoder.on_data(
      chunk({{"tool_calls",
              {{{"index", 0}, {"function", {{"name", "transfer_call"}, {"arguments", "\"operator\"}"}}}}}}},
            "tool_calls"),
      on_text));
  ASSERT_TRUE(
      decoder.on_data(R"({"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5}})", on_text));
  ASSERT_TRUE(decoder.on_data("[DONE]", on_text));
  EXPECT_TRUE(decoder.done());
  auto result = decoder.result();
  EXPECT_EQ(streamed, "Соединяю. ");
  EXPECT_EQ(result.text, streamed);
  ASSERT_EQ(result.tool_calls.size(), 1u);
  EXPECT_EQ(result.tool_calls[0].id, "call_1");
  EXPECT_EQ(result.tool_calls[0].name, "transfer_call");
  EXPECT_EQ(result.tool_calls[0].arguments, R"({"target":"operator"})");
  EXPECT_EQ(result.finish_reason, "tool_calls");
  EXPECT_EQ(result.prompt_tokens, 12);
  EXPECT_EQ(result.completion_tokens, 5);
}

TEST(ChatChunkDecoder, ServerErrorsGarbageAndAbsurdIndexesAreErrors) {
  ChatChunkDecoder a;
  EXPECT_FALSE(a.on_data(R"({"error":{"message":"rate limited","type":"requests"}})", {}));
  EXPECT_EQ(a.error(), "the server reported: rate limited");
  ChatChunkDecoder b;
  EXPECT_FALSE(b.on_data("{not json", {}));
  EXPECT_NE(b.error().find("not a JSON object"), std::string::npos);
  ChatChunkDecoder c;
  EXPECT_FALSE(c.on_data(chunk({{"tool_calls", {{{"index", 100000}, {"function", {{"name", "x"}}}}}}}), {}));
  ChatChunkDecoder d;
  EXPECT_TRUE(d.on_data(R"({"choices":"nonsense","usage":7})", {})) << "odd shapes are ignored, not fatal";
  EXPECT_TRUE(d.result().text.empty());
}

TEST(ChatChunkDecoder, AWholeAnswerWithToolCalls) {
  ChatChunkDecoder decoder;
  std::string streamed;
  ASSERT_TRUE(decoder.on_whole(
      R"({"choices":[{"index":0,"finish_reason":"tool_calls","message":{"content":"Ok.","tool_calls":[)"
      R"({"id":"c9","type":"function","function":{"name":"end_call","arguments":"{}"}}]}}],)"
      R"("usage":{"prompt_tokens":4,"completion_tokens":2}})",
      [&](std::string_view t) { streamed += t; }));
  auto result = decoder.result();
  EXPECT_EQ(streamed, "Ok.");
  ASSERT_EQ(result.tool_calls.size(), 1u);
  EXPECT_EQ(result.tool_calls[0].name, "end_call");
  EXPECT_EQ(result.completion_tokens, 2);
  ChatChunkDecoder empty;
  EXPECT_FALSE(empty.on_whole(R"({"choices":[]})", {}));
}

TEST(ChatRequestBody, MessagesToolsAndChoice) {
  voice::ChatRequest request;
  request.messages = {{voice::ChatRole::system, "Be brief.", {}, {}},
                      {voice::ChatRole::user, "Hi \xff", {}, {}},
                      {voice::ChatRole::assistant, "", {{"c1", "lookup", R"({"id":"7"})"}}, {}},
                      {voice::ChatRole::tool, R"({"status":"sent"})", {}, "c1"}};
  request.tools = {{"lookup", "Find an order", R"({"type":"object","properties":{"id":{"type":"string"}}})"},
                   {"broken", "Bad schema", "{not json"}};
  request.tool_choice = "lookup";
  request.max_tokens = 50;
  auto body = nlohmann::json::parse(chat_request_body(request, "gpt-test"));
  EXPECT_EQ(body["model"], "gpt-test");
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"]["include_usage"], true);
  EXPECT_EQ(body["max_tokens"], 50);
  EXPECT_EQ(body["messages"][0]["role"], "system");
  EXPECT_EQ(body["messages"][2]["tool_calls"][0]["function"]["arguments"], R"({"id":"7"})");
  EXPECT_EQ(body["messages"][3]["role"], "tool");
  EXPECT_EQ(body["messages"][3]["tool_call_id"], "c1");
  EXPECT_EQ(body["tools"][0]["type"], "function");
  EXPECT_EQ(body["tools"][0]["function"]["parameters"]["properties"]["id"]["type"], "string");
  EXPECT_EQ(body["tools"][1]["function"]["parameters"]["type"], "object") << "a broken schema: an empty one";
  EXPECT_EQ(body["tool_choice"]["function"]["name"], "lookup");
  request.tool_choice = "required";
  EXPECT_EQ(nlohmann::json::parse(chat_request_body(request, "m"))["tool_choice"], "required");
}

}  // namespace
}  // namespace va::engines::llm
