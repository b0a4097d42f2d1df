// A chat language model behind one interface (engines/llm/ implements it: any OpenAI-compatible server over
// HTTP with SSE streaming, and llama.cpp in-process on a GGUF file). The LLM dialogue (llm/) builds the
// request; the conversation runs it on a worker and posts the streamed text back to the call's thread.
//
// Threading: complete() blocks and runs on a worker thread (never a call's thread); `on_text` is called on
// that thread as the text streams. An instance serves several calls at once only if concurrent() says so;
// else calls wait for it (the composition root bounds them).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "voice/speech_recognizer.hpp"

namespace va::voice {

// A tool call the model asked for; `arguments` is JSON text as the model wrote it (possibly invalid).
struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;
};

enum class ChatRole { system, user, assistant, tool };
std::string_view to_string(ChatRole role);

struct ChatMessage {
  ChatRole role = ChatRole::user;
  std::string content;
  std::vector<ToolCall> tool_calls;  // assistant: what it asked for
  std::string tool_call_id;          // tool: the call this answers
};

// A function the model may call; `parameters` is a JSON Schema object as JSON text.
struct ToolSpec {
  std::string name;
  std::string description;
  std::string parameters;
};

struct ChatRequest {
  std::vector<ChatMessage> messages;
  std::vector<ToolSpec> tools;
  int max_tokens = 256;
  double temperature = 0.3;
  // The model has this long to produce its first token, then as long again between tokens; past it the
  // request fails with a timeout (the dialogue speaks its fallback).
  std::chrono::milliseconds timeout{8000};
  // "" (the server's default: auto), "auto", "none", "required", or a tool's name to force that call.
  std::string tool_choice;
};

struct ChatResult {
  std::string text;  // all the streamed text
  std::vector<ToolCall> tool_calls;
  std::string finish_reason;  // stop, length, tool_calls, cancelled, ...
  int prompt_tokens = -1;     // -1: the server did not say
  // Of prompt_tokens, those not read again (llama.cpp: the previous request's prefix still in its context;
  // a server: usage.prompt_tokens_details.cached_tokens). -1: the server did not say.
  int cached_prompt_tokens = -1;
  int completion_tokens = -1;
};

struct ChatError {
  enum class Kind { timeout, connect, status, protocol, cancelled, engine };
  Kind kind = Kind::engine;
  std::string engine;
  std::string message;
  std::string to_string() const { return engine + ": " + message; }
};
std::string_view to_string(ChatError::Kind kind);

class LanguageModel {
 public:
  virtual ~LanguageModel() = default;
  virtual std::string_view name() const = 0;
  virtual bool concurrent() const { return true; }
  // Streams the reply: `on_text` gets each piece of text as it comes (on the calling thread). `cancelled`
  // is checked between pieces: set, the request is abandoned and the result is a `cancelled` error.
  virtual Result<ChatResult, ChatError> complete(const ChatRequest& request,
                                                 const std::function<void(std::string_view)>& on_text,
                                                 const std::atomic<bool>& cancelled) = 0;
};

}  // namespace va::voice
