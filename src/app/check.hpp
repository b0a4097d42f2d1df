#pragma once

#include "app/config_loading.hpp"

namespace va::app {
// `voice-agent check`: the operator's pre-flight suite. Each check reports PASS, WARN, FAIL or SKIP with a
// reason and a hint; exit code 1 if any check fails (2 for usage errors), WARN does not fail.
int check(const ConfigSource& source, bool json);
}  // namespace va::app
