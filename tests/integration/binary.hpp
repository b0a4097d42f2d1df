// Helpers shared by the integration tests that run the real voice-agent binary.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace va::test {

inline std::string binary() {
  return VA_BINARY;
}
inline std::string source_dir() {
  return VA_SOURCE_DIR;
}
inline std::string example_config() {
  return source_dir() + "/config/livekit-sip.example.yaml";
}

// For tests of the HTTP service and the CLI: `serve` without a SIP endpoint, so that parallel test processes
// never compete for the example configuration's SIP port.
inline constexpr const char* kNoSip = "sip.listen=[]";

// LiveKit's variables must not leak from the developer's shell into tests.
inline std::vector<std::string> clean_env() {
  return {"LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"};
}

struct RunResult {
  ExitStatus status;
  std::string out;
  std::string err;
};

// Runs the binary to completion (bounded by `timeout`).
inline RunResult run(std::vector<std::string> args, std::vector<std::pair<std::string, std::string>> env = {},
                     std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  args.insert(args.begin(), binary());
  ProcessOptions options;
  options.argv = std::move(args);
  options.env = std::move(env);
  options.unset_env = clean_env();
  Process p(options);
  auto status = p.wait_for_exit(timeout);
  // Let the drain thread collect the last bytes.
  p.wait_for_output([](const std::string&, const std::string&) { return false; },
                    std::chrono::milliseconds(50));
  return {status, p.stdout_text(), p.stderr_text()};
}

// A file in a per-test temporary directory, removed with it.
class TempDir {
 public:
  TempDir() {
    auto base = std::filesystem::temp_directory_path() / "voice-agent-tests";
    std::filesystem::create_directories(base);
    std::string pattern = (base / "XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    auto p = (std::filesystem::path(path_) / name).string();
    std::ofstream(p) << text;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace va::test
