// The official LiveKit JavaScript server SDK (npm livekit-server-sdk, pinned in tests/node/package.json and
// installed by scripts/setup) as an independent implementation: small scripts in tests/node take JSON and
// print JSON (tests/node/peer-io.mjs).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

namespace va::test {

class NodeSdk {
 public:
  // True when node is on PATH and tests/node/node_modules holds the SDK.
  static bool available();
  static std::string unavailable_reason();

  // Runs tests/node/<script> with `input`; returns its JSON output. Throws std::runtime_error (with the
  // script's stderr) when it fails or prints no JSON.
  static nlohmann::json run(const std::string& script, const nlohmann::json& input,
                            std::chrono::milliseconds timeout = std::chrono::seconds(30));
};

}  // namespace va::test
