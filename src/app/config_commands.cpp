#include "app/config_commands.hpp"

#include <iostream>
#include <nlohmann/json.hpp>

#include "app/config_loading.hpp"
#include "app/exit_codes.hpp"
#include "common/log.hpp"

namespace va::app {
namespace {
nlohmann::json to_json(const std::vector<config::Diagnostic>& list) {
  auto out = nlohmann::json::array();
  for (const auto& d : list) {
    nlohmann::json item = {{"path", d.path}, {"message", log::mask(d.message)}, {"text", masked_text(d)}};
    if (d.line > 0) item["line"] = d.line;
    if (d.from_override) item["from_override"] = true;
    out.push_back(std::move(item));
  }
  return out;
}
}  // namespace

int config_validate(const ConfigSource& source, bool json) {
  auto loaded = load_config(source);
  for (const auto& s : loaded.secrets) log::add_secret(s);
  if (json) {
    nlohmann::json out = {{"config", describe(source)},
                          {"valid", loaded.ok()},
                          {"errors", to_json(loaded.errors)},
                          {"warnings", to_json(loaded.warnings)}};
    std::cout << out.dump(2) << "\n";
  } else {
    print_diagnostics(loaded, source);
    if (loaded.ok()) std::cout << describe(source) << ": valid\n";
  }
  return loaded.ok() ? kExitOk : kExitUsageOrConfig;
}

int config_show(const ConfigSource& source) {
  auto loaded = load_config(source);
  for (const auto& s : loaded.secrets) log::add_secret(s);
  print_diagnostics(loaded, source);
  if (!loaded.ok()) return kExitUsageOrConfig;
  // to_yaml masks the schema's secret fields; log::mask catches secrets anywhere else (e.g. a password
  // that also appears inside a URL).
  std::cout << "# effective configuration of " << describe(source) << " (secrets masked)\n"
            << log::mask(config::to_yaml(loaded.config, false));
  return kExitOk;
}

}  // namespace va::app
