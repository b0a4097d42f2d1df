// ${VAR} and ${VAR:-default} substitution in configuration values, with shell semantics for ":-" (the
// default applies when the variable is unset or empty). "$$" is a literal "$".
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace va {

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Reads the process environment.
EnvLookup process_environment();

struct Substitution {
  std::string value;
  std::vector<std::string> errors;  // e.g. "environment variable FOO is not set"
  std::vector<std::string> used;    // names of variables that supplied text (secrets may come from them)
};

Substitution substitute_env(std::string_view text, const EnvLookup& env);

}  // namespace va
