// llama.cpp (MIT) in-process on a GGUF chat model: the LanguageModel that needs no server. By default the
// Gemma 3 270M model scripts/setup assembles (docs/engines.md, "LLM"). The model is loaded once per instance;
// one llama.cpp context (its KV cache) serves one request at a time, so requests are serialised
// (concurrent() is false) and a request that cannot get the context within its timeout fails as a timeout.
//
// Tools: the C API applies only the built-in chat templates, which know nothing of tools, so the tool specs
// go into the system message as text with an instruction to answer a call as one line
// `{"tool": NAME, "arguments": {...}}`. Such a line in the output becomes a ChatResult tool call and is not
// streamed as text.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "voice/language_model.hpp"

namespace va::engines {

struct LlamaSettings {
  std::string model;   // GGUF file; empty: default_llm_model()
  int threads = 2;     // per request (prompt and generation)
  int context = 2048;  // tokens of prompt + reply
  unsigned seed = 42;  // of the sampler when a request has a temperature: same request, same reply
};

// The model scripts/setup installs ($VA_TOOLS_DIR/models/gemma-3-270m-q4_k_m.gguf, CMake's VA_LLM_MODEL).
std::string default_llm_model();

// Loads the model (about a second for Gemma 3 270M). A missing file, a file that is not a GGUF model or a
// build without llama.cpp is a ChatError of kind `engine` saying what to do.
Result<std::shared_ptr<voice::LanguageModel>, voice::ChatError> make_llama_model(
    const LlamaSettings& settings);

struct LlamaStatus {
  bool available = false;
  std::string detail;  // available: llama.cpp version and the model file; else why not and what to install
};
// Whether make_llama_model() can work with `model` (empty: the default); does not load the model.
LlamaStatus llama_status(const std::string& model);

// --- pieces of the engine that need no model (unit-tested on their own) ---

// The length of the longest prefix of `bytes` that does not end inside a UTF-8 character: a token may carry
// the first bytes of a character whose rest comes with the next token.
std::size_t utf8_complete_prefix(std::string_view bytes);

// The system message text that offers `tools` and says how to call one.
std::string llama_tool_instructions(const std::vector<voice::ToolSpec>& tools);

// `line` as a call of one of `tools` (`{"tool": NAME, "arguments": {...}}`, surrounding spaces and a trailing
// comma-free JSON object only), or nullopt when it is anything else. The call's id is left empty.
std::optional<voice::ToolCall> parse_llama_tool_call(std::string_view line,
                                                     const std::vector<voice::ToolSpec>& tools);

}  // namespace va::engines
