// Loading the configuration for a CLI command: from a file or the embedded example, with --set overrides;
// diagnostics printed for the operator; logging configured from the result.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/config.hpp"

namespace va::app {

struct ConfigSource {
  std::string path;  // empty: the embedded example configuration
  std::vector<std::string> overrides;
};

config::LoadResult load_config(const ConfigSource& source);
std::string describe(const ConfigSource& source);

// The diagnostic as printed ("livekit.api_secret: is required ... (line 3)") with its message masked. The
// path is left alone: "api_secret: is required" would otherwise read as an assignment and lose its "is".
std::string masked_text(const config::Diagnostic& diagnostic);

// Prints errors and warnings to stderr, one per line ("error: livekit.url: ... (line 3)").
void print_diagnostics(const config::LoadResult& result, const ConfigSource& source);

// Applies logging.* and registers every secret of the configuration with the log masker.
void configure_logging(const config::LoadResult& result);

}  // namespace va::app
