// The example configuration (config/livekit-sip.example.yaml) compiled into the binary, so that
// `voice-agent serve` runs with no file at all (scripts/demo) and `config show` can print a starting point.
#pragma once

#include <string_view>

namespace va::config {
std::string_view embedded_example();
}
