// A chat-completions server's streamed answer is untrusted input: the SSE parser and the chunk decoder get
// arbitrary bytes, split into two feeds at a position taken from the first byte, then the same payloads as a
// whole non-streamed answer. Nothing may crash, hang or grow without bound; the text handed on must be
// exactly the text the result reports.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engines/llm/chat_stream.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t split = input.empty() ? 0 : data[0] % (input.size() + 1);
  va::engines::llm::SseParser sse(64 * 1024);
  va::engines::llm::ChatChunkDecoder decoder;
  std::string streamed;
  auto on_text = [&](std::string_view text) { streamed += text; };
  bool broken = false;
  auto on_event = [&](std::string_view, std::string_view payload) {
    if (!broken && !decoder.done() && !decoder.on_data(payload, on_text)) broken = true;
  };
  if (sse.feed(input.substr(0, split), on_event) && sse.feed(input.substr(split), on_event))
    sse.finish(on_event);
  auto result = decoder.result();
  if (result.text != streamed) std::abort();
  for (const auto& call : result.tool_calls)
    if (call.name.empty() || call.id.empty()) std::abort();
  va::engines::llm::ChatChunkDecoder whole;
  (void)whole.on_whole(input, {});
  (void)whole.result();
  return 0;
}
