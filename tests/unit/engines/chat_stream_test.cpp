// Reading a streamed OpenAI-compatible chat completion: the event stream as the WHATWG HTML "Server-sent
// events" section defines it (line ends, comments, multi-line data), and the chat.completion.chunk objects
// of OpenAI's Chat Completions streaming reference (text deltas, tool call fragments by index, the usage
// chunk with empty choices, [DONE]); and the request body we send.
#include "engines/llm/chat_stream.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace va::engines::llm {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct Event {
  std::string event;
  std::string data;
  bool operator==(const Event&) const = default;
};

void PrintTo(const Event& e, std::ostream* os) {
  *os << "{" << e.event << ": " << ::testing::PrintToString(e.data) << "}";
}

// Feeds `stream` in pieces cut at `cuts`, then finishes.
std::vector<Event> events(std::string_view stream, const std::vector<std::size_t>& cuts = {}) {
  SseParser parser;
  std::vector<Event> out;
  auto on_event = [&](std::string_view event, std::string_view data) {
    out.push_back({std::string(event), std::string(data)});
  };
  std::size_t at = 0;
  for (auto cut : cuts) {
    EXPECT_TRUE(parser.feed(stream.substr(at, cut - at), on_event));
    at = cut;
  }
  EXPECT_TRUE(parser.feed(stream.substr(at), on_event));
  parser.finish(on_event);
  return out;
}

TEST(SseParser, LfCrlfAndCrLineEndsAreAlike) {
  const std::vector<Event> expected{{"message", "one"}, {"message", "two"}};
  EXPECT_EQ(events("data: one\n\ndata: two\n\n"), expected);
  EXPECT_EQ(events("data: one\r\n\r\ndata: two\r\n\r\n"), expected);
  EXPECT_EQ(events("data: one\r\rdata: two\r\r"), expected);
  EXPECT_EQ(events("data: one\r\n\ndata: two\n\r\n"), expected);
}

TEST(SseParser, CommentsAndUnknownFieldsAreIgnoredAndDataLinesJoin) {
  EXPECT_THAT(events(": keep-alive\n\nid: 7\nretry: 100\nevent: delta\ndata: first\ndata:second\ndata\n\n"),
              ElementsAre(Event{"delta", "first\nsecond\n"}));
  EXPECT_THAT(events(": only a comment\n\n\n\n"), IsEmpty());  // no data: nothing dispatched
  EXPECT_THAT(events("data:  two spaces\n\n"), ElementsAre(Event{"message", " two spaces"}));
}

TEST(SseParser, EverySplitPositionGivesTheSameEvents) {
  const std::string stream =
      ": hi\r\nevent: chunk\r\ndata: {\"a\":1}\r\ndata: line2\r\n\r\ndata: x\rdata: y\r\rdata: [DONE]\n\n";
  const auto whole = events(stream);
  ASSERT_EQ(whole.size(), 3u);
  EXPECT_EQ(whole[0], (Event{"chunk", "{\"a\":1}\nline2"}));
  EXPECT_EQ(whole[1], (Event{"message", "x\ny"}));
  for (std::size_t cut = 0; cut <= stream.size(); ++cut)
    EXPECT_EQ(events(stream, {cut}), whole) << "cut at " << cut;
  for (std::size_t a = 0; a <= stream.size(); a += 3)
    for (std::size_t b = a; b <= stream.size(); b += 5) EXPECT_EQ(events(stream, {a, b}), whole);
}

TEST(SseParser, FinishDispatchesAnUnterminatedLastEvent) {
  EXPECT_THAT(events("data: a\n\ndata: [DONE]\n"),
              ElementsAre(Event{"message", "a"}, Event{"message", "[DONE]"}));
  EXPECT_THAT(events("data: [DONE]"), ElementsAre(Event{"message", "[DONE]"}));
}

TEST(SseParser, AnOversizedEventBreaksTheStreamOff) {
  SseParser parser(64);
  int dispatched = 0;
  auto on_event = [&](std::string_view, std::string_view) { ++dispatched; };
  EXPECT_TRUE(parser.feed("data: small\n\n", on_event));
  EXPECT_EQ(dispatched, 1);
  std::string big = "data: " + std::string(40, 'x') + "\ndata: " + std::string(40, 'y');
  EXPECT_FALSE(parser.feed(big, on_event));
  SseParser line_only(16);
  EXPECT_FALSE(line_only.feed(std::string(100, 'z'), on_event));  // one line without an end
}

// --- chunks --------------------------------------------------------------------------------------------

struct Decoded {
  bool ok = true;
  std::vector<std::string> texts;
  ChatChunkDecoder decoder;
};

void decode(Decoded& d, std::string_view data) {
  if (!d.ok) return;
  d.ok = d.decoder.on_data(data, [&](std::string_view text) { d.texts.emplace_back(text); });
}

TEST(ChatChunkDecoder, TextDeltasInOrderThenFinishReasonUsageAndDone) {
  Decoded d;
  decode(d, R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})");
  decode(d, R"({"choices":[{"index":0,"delta":{"content":"Здравст"}}]})");
  decode(d, R"({"choices":[{"index":0,"delta":{"content":"вуйте!"}}]})");
  decode(d, R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})");
  decode(d, R"({"choices":[],"usage":{"prompt_tokens":42,"completion_tokens":7,"total_tokens":49}})");
  EXPECT_FALSE(d.decoder.done());
  decode(d, "[DONE]");
  ASSERT_TRUE(d.ok) << d.decoder.error();
  EXPECT_TRUE(d.decoder.done());
  EXPECT_THAT(d.texts, ElementsAre("Здравст", "вуйте!"));
  auto result = d.decoder.result();
  EXPECT_EQ(result.text, "Здравствуйте!");
  EXPECT_EQ(result.finish_reason, "stop");
  EXPECT_EQ(result.prompt_tokens, 42);
  EXPECT_EQ(result.completion_tokens, 7);
  EXPECT_EQ(result.cached_prompt_tokens, -1) << "not said";
  EXPECT_TRUE(result.tool_calls.empty());
}

TEST(ChatChunkDecoder, CachedPromptTokensAreReadFromTheUsageDetails) {
  Decoded d;
  decode(d, R"({"choices":[{"index":0,"delta":{"content":"Да."},"finish_reason":"stop"}]})");
  decode(d, R"({"choices":[],"usage":{"prompt_tokens":1200,"completion_tokens":3,)"
            R"("prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0}}})");
  decode(d, "[DONE]");
  ASSERT_TRUE(d.ok) << d.decoder.error();
  EXPECT_EQ(d.decoder.result().prompt_tokens, 1200);
  EXPECT_EQ(d.decoder.result().cached_prompt_tokens, 1024);
}

TEST(ChatChunkDecoder, WithoutUsageTheCountsAreUnknown) {
  Decoded d;
  decode(d, R"({"choices":[{"index":0,"delta":{"content":"Да."},"finish_reason":"stop"}]})");
  EXPECT_EQ(d.decoder.result().prompt_tokens, -1);
  EXPECT_EQ(d.decoder.result().completion_tokens, -1);
}

TEST(ChatChunkDecoder, ToolCallFragmentsAreJoinedByIndex) {
  Decoded d;
  decode(
      d,
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"transfer_call","arguments":""}}]}}]})");
  decode(
      d,
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"send_dtmf","arguments":"{\"digits\":"}}]}}]})");
  decode(
      d,
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"tar"}}]}}]})");
  decode(
      d,
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"get\":\"oper"}}]}}]})");
  decode(
      d,
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"\"1#\"}"}}]}}]})");
  decode(
      d,
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ator\"}"}}]}}]})");
  decode(d, R"({"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})");
  ASSERT_TRUE(d.ok) << d.decoder.error();
  auto result = d.decoder.result();
  EXPECT_EQ(result.finish_reason, "tool_calls");
  ASSERT_EQ(result.tool_calls.size(), 2u);
  EXPECT_EQ(result.tool_calls[0].id, "call_a");
  EXPECT_EQ(result.tool_calls[0].name, "transfer_call");
  EXPECT_EQ(result.tool_calls[0].arguments, R"({"target":"operator"})");
  EXPECT_EQ(result.tool_calls[1].id, "call_b");
  EXPECT_EQ(result.tool_calls[1].arguments, R"({"digits":"1#"})");
  EXPECT_TRUE(d.texts.empty());
}

TEST(ChatChunkDecoder, AToolCallWithoutIdGetsOne) {
  Decoded d;
  decode(d, R"({"choices":[{"delta":{"tool_calls":[{"function":{"name":"end_call","arguments":"{}"}}]}}]})");
  ASSERT_EQ(d.decoder.result().tool_calls.size(), 1u);
  EXPECT_EQ(d.decoder.result().tool_calls[0].id, "call_0");
}

TEST(ChatChunkDecoder, TheServersErrorObjectIsAnErrorWithItsMessage) {
  Decoded d;
  decode(d, R"({"error":{"message":"model overloaded","type":"server_error"}})");
  EXPECT_FALSE(d.ok);
  EXPECT_THAT(d.decoder.error(), HasSubstr("model overloaded"));
}

TEST(ChatChunkDecoder, InvalidJsonIsAnError) {
  for (std::string_view bad : {"{\"choices\":[", "not json", "[1,2]", "\"text\""}) {
    Decoded d;
    decode(d, bad);
    EXPECT_FALSE(d.ok) << bad;
    EXPECT_FALSE(d.decoder.error().empty());
  }
}

TEST(ChatChunkDecoder, AToolCallIndexOutOfRangeIsAnError) {
  for (std::string_view index : {"-1", "65", "100000000000"}) {
    Decoded d;
    decode(d, R"({"choices":[{"delta":{"tool_calls":[{"index":)" + std::string(index) +
                  R"(,"function":{"name":"x","arguments":"{}"}}]}}]})");
    EXPECT_FALSE(d.ok) << index;
    EXPECT_THAT(d.decoder.error(), HasSubstr("index out of range"));
  }
}

TEST(ChatChunkDecoder, OtherChoicesAndOddShapesAreIgnored) {
  Decoded d;
  decode(d, R"({"choices":[{"index":1,"delta":{"content":"other"}}]})");
  decode(d, R"({"choices":[1,"x",{"delta":"text"},{"delta":{"content":5}}]})");
  decode(d, R"({"object":"chat.completion.chunk"})");
  ASSERT_TRUE(d.ok) << d.decoder.error();
  EXPECT_TRUE(d.texts.empty());
  EXPECT_EQ(d.decoder.result().text, "");
}

TEST(ChatChunkDecoder, AWholeAnswerWithToolCalls) {
  ChatChunkDecoder decoder;
  std::vector<std::string> texts;
  ASSERT_TRUE(decoder.on_whole(
      R"({"choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":"Соединяю.",
          "tool_calls":[{"id":"call_9","type":"function","function":{"name":"transfer_call",
          "arguments":"{\"target\":\"operator\"}"}}]}}],"usage":{"prompt_tokens":10,"completion_tokens":5}})",
      [&](std::string_view text) { texts.emplace_back(text); }))
      << decoder.error();
  EXPECT_TRUE(decoder.done());
  EXPECT_THAT(texts, ElementsAre("Соединяю."));
  auto result = decoder.result();
  EXPECT_EQ(result.text, "Соединяю.");
  EXPECT_EQ(result.finish_reason, "tool_calls");
  EXPECT_EQ(result.prompt_tokens, 10);
  ASSERT_EQ(result.tool_calls.size(), 1u);
  EXPECT_EQ(result.tool_calls[0].id, "call_9");
  EXPECT_EQ(result.tool_calls[0].arguments, R"({"target":"operator"})");

  ChatChunkDecoder empty;
  EXPECT_FALSE(empty.on_whole(R"({"choices":[]})", {}));
  EXPECT_THAT(empty.error(), HasSubstr("no choices"));
}

// --- the request ---------------------------------------------------------------------------------------

TEST(ChatRequestBody, MessagesToolsAndStreamingOptions) {
  voice::ChatRequest request;
  request.max_tokens = 120;
  request.messages = {
      {voice::ChatRole::system, "Be brief.", {}, {}},
      {voice::ChatRole::user, "Соедините с оператором", {}, {}},
      {voice::ChatRole::assistant, "", {{"call_1", "transfer_call", R"({"target":"boss"})"}}, {}},
      {voice::ChatRole::tool, R"({"error":"unknown target"})", {}, "call_1"},
  };
  request.tools = {{"transfer_call", "Transfer the caller.", R"({"type":"object","properties":{}})"},
                   {"broken", "Bad schema.", "{not json"}};
  auto body = json::parse(chat_request_body(request, "gemma-3"));
  EXPECT_EQ(body["model"], "gemma-3");
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"]["include_usage"], true);
  EXPECT_EQ(body["max_tokens"], 120);
  ASSERT_EQ(body["messages"].size(), 4u);
  EXPECT_EQ(body["messages"][0]["role"], "system");
  EXPECT_EQ(body["messages"][1]["content"], "Соедините с оператором");
  const auto& call = body["messages"][2]["tool_calls"][0];
  EXPECT_EQ(call["id"], "call_1");
  EXPECT_EQ(call["type"], "function");
  EXPECT_EQ(call["function"]["name"], "transfer_call");
  EXPECT_EQ(call["function"]["arguments"], R"({"target":"boss"})");  // a string, as the API wants
  EXPECT_EQ(body["messages"][3]["role"], "tool");
  EXPECT_EQ(body["messages"][3]["tool_call_id"], "call_1");
  EXPECT_FALSE(body["messages"][1].contains("tool_call_id"));
  ASSERT_EQ(body["tools"].size(), 2u);
  EXPECT_EQ(body["tools"][0]["type"], "function");
  EXPECT_EQ(body["tools"][0]["function"]["name"], "transfer_call");
  EXPECT_EQ(body["tools"][0]["function"]["description"], "Transfer the caller.");
  EXPECT_EQ(body["tools"][0]["function"]["parameters"],
            json({{"type", "object"}, {"properties", json::object()}}));
  EXPECT_EQ(body["tools"][1]["function"]["parameters"],
            json({{"type", "object"}, {"properties", json::object()}}));
}

TEST(ChatRequestBody, NoToolsNoToolsKeyAndInvalidUtf8DoesNotThrow) {
  voice::ChatRequest request;
  request.messages = {{voice::ChatRole::user, std::string("caf\xC3") + "\xFF end", {}, {}}};
  std::string text;
  EXPECT_NO_THROW(text = chat_request_body(request, "m"));
  auto body = json::parse(text);
  EXPECT_FALSE(body.contains("tools"));
  EXPECT_THAT(body["messages"][0]["content"].get<std::string>(), HasSubstr(" end"));
}

}  // namespace
}  // namespace va::engines::llm
