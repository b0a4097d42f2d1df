#include "app/config_loading.hpp"

#include <iostream>

#include "common/embedded_config.hpp"
#include "common/log.hpp"

namespace va::app {

config::LoadResult load_config(const ConfigSource& source) {
  config::LoadOptions options;
  options.overrides = source.overrides;
  if (source.path.empty()) return config::load_string(std::string(config::embedded_example()), options);
  return config::load_file(source.path, options);
}

std::string describe(const ConfigSource& source) {
  return source.path.empty() ? std::string("the embedded example configuration") : source.path;
}

std::string masked_text(const config::Diagnostic& diagnostic) {
  auto masked = diagnostic;
  masked.message = log::mask(diagnostic.message);
  return masked.to_string();
}

void print_diagnostics(const config::LoadResult& result, const ConfigSource& source) {
  for (const auto& e : result.errors) std::cerr << "error: " << masked_text(e) << "\n";
  for (const auto& w : result.warnings) std::cerr << "warning: " << masked_text(w) << "\n";
  if (!result.ok()) {
    std::cerr << describe(source) << ": " << result.errors.size() << " error"
              << (result.errors.size() == 1 ? "" : "s") << "\n";
  }
}

void configure_logging(const config::LoadResult& result) {
  for (const auto& s : result.secrets) log::add_secret(s);
  const auto& c = result.config.logging;
  log::Options options;
  switch (c.level) {
    case config::LogLevel::trace:
      options.level = log::Level::trace;
      break;
    case config::LogLevel::debug:
      options.level = log::Level::debug;
      break;
    case config::LogLevel::info:
      options.level = log::Level::info;
      break;
    case config::LogLevel::warn:
      options.level = log::Level::warn;
      break;
    case config::LogLevel::error:
      options.level = log::Level::error;
      break;
  }
  switch (c.format) {
    case config::LogFormat::automatic:
      options.format = log::Format::automatic;
      break;
    case config::LogFormat::json:
      options.format = log::Format::json;
      break;
    case config::LogFormat::console:
      options.format = log::Format::console;
      break;
  }
  options.mask_phone_numbers = c.mask_phone_numbers;
  log::init(options);
}

}  // namespace va::app
