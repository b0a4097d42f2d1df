#include "app/flow_commands.hpp"

#include <iostream>
#include <nlohmann/json.hpp>

#include "app/exit_codes.hpp"
#include "voice/flow/flow_loader.hpp"

namespace va::app {
namespace {
nlohmann::json to_json(const std::vector<config::Diagnostic>& list) {
  auto out = nlohmann::json::array();
  for (const auto& d : list) {
    nlohmann::json item = {{"path", d.path}, {"message", d.message}, {"text", d.to_string()}};
    if (d.line > 0) item["line"] = d.line;
    out.push_back(std::move(item));
  }
  return out;
}
}  // namespace

int flow_validate(const std::string& path, bool json) {
  auto loaded = voice::flow::load_flow_file(path);
  if (json) {
    nlohmann::json out = {{"flow", path},
                          {"valid", loaded.ok()},
                          {"errors", to_json(loaded.errors)},
                          {"warnings", to_json(loaded.warnings)}};
    std::cout << out.dump(2) << "\n";
  } else {
    for (const auto& e : loaded.errors) std::cerr << "error: " << e.to_string() << "\n";
    for (const auto& w : loaded.warnings) std::cerr << "warning: " << w.to_string() << "\n";
    if (loaded.ok()) {
      std::cout << path << ": valid (" << loaded.flow->states.size() << " states)\n";
    } else {
      std::cerr << path << ": " << loaded.errors.size() << " error" << (loaded.errors.size() == 1 ? "" : "s")
                << "\n";
    }
  }
  return loaded.ok() ? kExitOk : kExitUsageOrConfig;
}

}  // namespace va::app
