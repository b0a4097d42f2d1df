// A chat-completions server's streamed answer is untrusted input: the SSE parser and the chunk decoder get
// arbitrary bytes, split into two feeds at a position taken from the first byte, then in one feed, then the
// same bytes as a whole non-streamed answer whose result is written back into a request body. Nothing may
// crash, hang or grow without bound; the text handed on must be exactly the text the result reports, and
// where the stream was split must not change what was read.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engines/llm/chat_stream.hpp"

namespace {

using namespace va::engines::llm;

struct Read {
  bool ok = true;
  std::string streamed;
  va::voice::ChatResult result;
};

Read read(std::string_view input, std::size_t split) {
  Read out;
  SseParser sse(64 * 1024);
  ChatChunkDecoder decoder;
  auto on_text = [&](std::string_view text) { out.streamed += text; };
  auto on_event = [&](std::string_view, std::string_view payload) {
    if (out.ok && !decoder.done()) out.ok = decoder.on_data(payload, on_text);
  };
  if (sse.feed(input.substr(0, split), on_event) && sse.feed(input.substr(split), on_event))
    sse.finish(on_event);
  out.result = decoder.result();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t split = data[0] % (input.size() + 1);

  const auto two = read(input, split);
  if (two.result.text != two.streamed) std::abort();
  for (const auto& call : two.result.tool_calls)
    if (call.name.empty() || call.id.empty()) std::abort();
  const auto one = read(input, input.size());
  if (one.ok != two.ok || one.streamed != two.streamed || one.result.text != two.result.text ||
      one.result.tool_calls.size() != two.result.tool_calls.size())
    std::abort();  // the split changed what was read

  ChatChunkDecoder whole;
  (void)whole.on_whole(input, {});
  auto result = whole.result();
  va::voice::ChatRequest request;
  request.messages.push_back({va::voice::ChatRole::assistant, result.text, result.tool_calls, {}});
  (void)chat_request_body(request, "fuzz");
  return 0;
}
