// A language model behind any OpenAI-compatible Chat Completions endpoint (OpenAI, YandexGPT's and
// GigaChat's compatible APIs, vLLM, Ollama, llama.cpp's server): POST {base_url}/chat/completions with
// "stream": true, read as Server-Sent Events (chat_stream.hpp). Tools go as `tools`, calls come back as
// `tool_calls`. One HTTP connection per request in flight; the key goes only into the Authorization header.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/result.hpp"
#include "voice/language_model.hpp"

namespace va::engines::llm {

struct OpenAiChatSettings {
  std::string base_url;  // "https://api.openai.com/v1", "http://127.0.0.1:8080/v1"
  std::string model;
  std::string api_key;  // empty: no Authorization header (local servers)
  std::chrono::milliseconds connect_timeout{3000};
  std::string ca_file;
};

Result<std::shared_ptr<voice::LanguageModel>, voice::ChatError> make_openai_chat_model(
    const OpenAiChatSettings& settings);

}  // namespace va::engines::llm
