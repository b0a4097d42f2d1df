#pragma once

#include <string>

namespace va::app {
// `voice-agent flow validate FILE`: exit 0 when the flow loads (warnings allowed), 2 with every error listed.
int flow_validate(const std::string& path, bool json);
}  // namespace va::app
