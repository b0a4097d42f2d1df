// Fuzzes the configuration loader (YAML → schema → diagnostics → effective YAML) with the environment cut
// off, as POST /v1/config/validate runs it. Any crash, sanitizer report or exception escaping is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  va::config::LoadOptions options;
  options.env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "SET") return std::string("value");
    return std::nullopt;
  };
  options.check_files = false;
  auto result = va::config::load_string(text, options);
  for (const auto& d : result.errors) (void)d.to_string();
  if (result.ok()) {
    // A configuration that loads must print and load again to the same effective configuration.
    auto printed = va::config::to_yaml(result.config, true);
    auto again = va::config::load_string(printed, options);
    if (!again.ok() || va::config::to_yaml(again.config, true) != printed) __builtin_trap();
  }
  return 0;
}
