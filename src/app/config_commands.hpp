#pragma once

#include "app/config_loading.hpp"

namespace va::app {
// `voice-agent config validate`: exit 0 when valid (warnings allowed), 2 with every error listed otherwise.
int config_validate(const ConfigSource& source, bool json);
// `voice-agent config show`: the effective configuration (defaults filled in, secrets masked).
int config_show(const ConfigSource& source);
}  // namespace va::app
