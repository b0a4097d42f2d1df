#include "support/llm_server.hpp"

#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/external_tool.hpp"
#include "support/http_client.hpp"

#ifndef VA_LLAMA_CPP_PYTHON_VERSION
#error "VA_LLAMA_CPP_PYTHON_VERSION must carry the pinned PyPI llama-cpp-python version (scripts/versions.sh)"
#endif

namespace va::test {
namespace {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// The directory scripts/setup installs tools into (scripts/versions.sh VA_TOOLS_DIR).
std::filesystem::path tools_directory() {
  if (auto dir = env_or_empty("VA_TOOLS_DIR"); !dir.empty()) return dir;
  if (auto cache = env_or_empty("XDG_CACHE_HOME"); !cache.empty())
    return std::filesystem::path(cache) / "voice-agent" / "tools";
  return std::filesystem::path(env_or_empty("HOME")) / ".cache" / "voice-agent" / "tools";
}

std::string tail(const std::string& text, std::size_t max = 3000) {
  return text.size() <= max ? text : "..." + text.substr(text.size() - max);
}

}  // namespace

std::filesystem::path LlmServer::python() {
  if (auto venv = env_or_empty("VA_LLM_SERVER_VENV"); !venv.empty())
    return std::filesystem::path(venv) / "bin" / "python";
  return tools_directory() / (std::string("python-llama-cpp-") + VA_LLAMA_CPP_PYTHON_VERSION) / "bin" /
         "python";
}

std::filesystem::path LlmServer::model() {
  if (auto model = env_or_empty("VA_LLM_MODEL"); !model.empty()) return model;
  return tools_directory() / "models" / "gemma-3-270m-q4_k_m.gguf";
}

bool LlmServer::available() {
  std::error_code ec;
  return std::filesystem::is_regular_file(python(), ec) && std::filesystem::is_regular_file(model(), ec);
}

std::string LlmServer::unavailable_reason() {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(python(), ec))
    return "llama-cpp-python " VA_LLAMA_CPP_PYTHON_VERSION " is not installed at " + python().string() +
           ": run scripts/setup (it builds tests/python/llm-server-requirements.txt into that venv)";
  if (!std::filesystem::is_regular_file(model(), ec))
    return "the LLM model is missing at " + model().string() + ": run scripts/setup";
  return {};
}

LlmServer::LlmServer(LlmServerOptions options)
    : options_(std::move(options)), port_(reserve_port(PortProtocol::tcp)) {
  if (!available()) throw std::runtime_error("llm server harness: " + unavailable_reason());
  const std::vector<std::string> argv{python().string(),
                                      "-m",
                                      "llama_cpp.server",
                                      "--model",
                                      model().string(),
                                      "--host",
                                      "127.0.0.1",
                                      "--port",
                                      std::to_string(port()),
                                      "--n_ctx",
                                      std::to_string(options_.context),
                                      "--n_threads",
                                      std::to_string(options_.threads),
                                      "--chat_format",
                                      options_.chat_format};
  server_ = std::make_unique<Process>(ProcessOptions{argv, {{"PYTHONUNBUFFERED", "1"}}, {}, {}, false});
  HttpClient http(std::chrono::seconds(2));
  const auto deadline = std::chrono::steady_clock::now() + options_.startup_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!server_->running()) break;
    if (http.get(base_url() + "/models").status == 200) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const auto output = log();
  server_.reset();
  throw std::runtime_error("llm server harness: the server did not answer /v1/models within " +
                           std::to_string(options_.startup_timeout.count()) + " s: " + command_line(argv) +
                           "\n" + tail(output));
}

LlmServer::~LlmServer() {
  try {
    stop();
  } catch (...) {
    // Destructors do not throw; the Process destructor kills what is left.
  }
}

std::string LlmServer::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port()) + "/v1";
}

void LlmServer::stop() {
  if (!server_ || !server_->running()) return;
  server_->send_signal(SIGINT);
  server_->wait_for_exit(options_.shutdown_timeout);  // SIGKILL when it does not end in time
  earlier_log_ += server_->stdout_text() + server_->stderr_text();
  server_.reset();
}

std::string LlmServer::log() const {
  return earlier_log_ + (server_ ? server_->stdout_text() + server_->stderr_text() : std::string());
}

}  // namespace va::test
