#include "support/node_sdk.hpp"

#include <filesystem>
#include <stdexcept>

#include "support/external_tool.hpp"
#include "support/temp_directory.hpp"

#ifndef VA_NODE_PEER_DIR
#error "VA_NODE_PEER_DIR must name tests/node"
#endif

namespace va::test {

bool NodeSdk::available() {
  return unavailable_reason().empty();
}

std::string NodeSdk::unavailable_reason() {
  if (!find_program("node")) return "node is not installed (run scripts/setup)";
  std::error_code ec;
  if (!std::filesystem::is_directory(
          std::filesystem::path(VA_NODE_PEER_DIR) / "node_modules" / "livekit-server-sdk", ec)) {
    return std::string("livekit-server-sdk is not installed in ") + VA_NODE_PEER_DIR +
           "/node_modules (run scripts/setup)";
  }
  return {};
}

nlohmann::json NodeSdk::run(const std::string& script, const nlohmann::json& input,
                            std::chrono::milliseconds timeout) {
  if (auto why = unavailable_reason(); !why.empty()) throw std::runtime_error(why);
  TempDirectory scratch("node-peer");
  auto input_file = scratch.write_file("input.json", input.dump());
  std::vector<std::string> argv{"node", (std::filesystem::path(VA_NODE_PEER_DIR) / script).string(),
                                input_file.string()};
  auto run = run_tool(argv, timeout, VA_NODE_PEER_DIR);
  if (!run.ok()) throw std::runtime_error(run.describe(argv));
  auto output = nlohmann::json::parse(run.out, nullptr, false);
  if (output.is_discarded()) throw std::runtime_error("no JSON from " + script + ":\n" + run.describe(argv));
  return output;
}

}  // namespace va::test
