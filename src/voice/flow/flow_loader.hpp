// YAML → Flow, with validation in the manner of the configuration (common/config.hpp): every mistake is
// reported with its YAML path and line, unknown keys and states get a "did you mean", and a flow with any
// error does not load. See config/flows/reception.yaml for the format and docs/flows.md for its reference.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "common/env_substitution.hpp"
#include "voice/flow/flow_model.hpp"

namespace va::voice::flow {

struct FlowLoadResult {
  std::shared_ptr<const Flow> flow;  // null when there are errors
  std::vector<config::Diagnostic> errors;
  std::vector<config::Diagnostic> warnings;  // e.g. unreachable states

  bool ok() const { return errors.empty(); }
};

struct FlowLoadOptions {
  // Supplies ${VAR} and ${VAR:-default} in `vars` (operator settings: endpoint URLs, transfer targets).
  EnvLookup env = process_environment();
};

FlowLoadResult load_flow_file(const std::string& path, const FlowLoadOptions& options = {});
FlowLoadResult load_flow_string(const std::string& yaml_text, const FlowLoadOptions& options = {});

// Longest regex a flow may contain: std::regex backtracks, and a short pattern keeps its worst case small.
inline constexpr std::size_t kMaxPatternLength = 200;

}  // namespace va::voice::flow
