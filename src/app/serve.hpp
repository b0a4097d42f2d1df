#pragma once

#include "app/config_loading.hpp"

namespace va::app {
// `voice-agent serve`: runs the service until SIGTERM/SIGINT, then drains within http.shutdown_timeout.
int serve(const ConfigSource& source);
}  // namespace va::app
