// A real OpenAI-compatible chat server for the LLM client tests: llama-cpp-python's server (PyPI
// llama-cpp-python[server], MIT, built by scripts/setup into its own venv) on the Gemma 3 270M GGUF of
// scripts/setup, on a free loopback port. It answers /v1/models and /v1/chat/completions with and without
// `stream` (SSE `data:` lines ending with `data: [DONE]`), with `tools`.
//
// The chat format is llama-cpp-python's `chatml-function-calling` by default, its one that takes OpenAI
// `tools` with any model (measured with Gemma 3 270M: with a system message, text streams as `content`
// deltas; with `tool_choice` naming a function, the call streams as `tool_calls` deltas, grammar-constrained;
// with `tool_choice: auto` and no system message the small model mostly answers with empty content).
//
// The venv: $VA_LLM_SERVER_VENV, else the pinned version under the tools directory scripts/setup fills
// ($VA_TOOLS_DIR, else $XDG_CACHE_HOME or ~/.cache, then voice-agent/tools). The model: $VA_LLM_MODEL, else
// the one scripts/setup assembles there.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "support/free_port.hpp"
#include "support/process.hpp"

namespace va::test {

struct LlmServerOptions {
  std::string chat_format = "chatml-function-calling";
  int context = 2048;
  int threads = 2;
  std::chrono::seconds startup_timeout{60};
  std::chrono::seconds shutdown_timeout{10};
};

class LlmServer {
 public:
  static std::filesystem::path python();  // the venv's interpreter
  static std::filesystem::path model();   // the GGUF file it serves
  // True when the venv (with llama_cpp installed) and the model are there.
  static bool available();
  // What is missing and how to install it, for a failure or skip message.
  static std::string unavailable_reason();

  // Starts the server and waits until GET /v1/models answers 200; throws std::runtime_error with the
  // command line and the server's output when it does not.
  explicit LlmServer(LlmServerOptions options = {});
  ~LlmServer();  // stop()
  LlmServer(const LlmServer&) = delete;
  LlmServer& operator=(const LlmServer&) = delete;

  std::uint16_t port() const { return port_.port(); }
  // http://127.0.0.1:PORT/v1 — what an OpenAI client takes as its base URL.
  std::string base_url() const;
  // The model id the server lists (llama-cpp-python names it after the file path).
  std::string model_id() const { return model().string(); }

  // SIGINT (uvicorn's graceful stop), SIGKILL when it does not end in time.
  void stop();
  std::string log() const;

 private:
  LlmServerOptions options_;
  PortReservation port_;
  std::unique_ptr<Process> server_;
  std::string earlier_log_;
};

}  // namespace va::test
