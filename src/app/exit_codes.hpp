#pragma once

namespace va::app {
// The CLI's exit codes (documented in README and `voice-agent --help`).
inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntimeFailure = 1;
inline constexpr int kExitUsageOrConfig = 2;
}  // namespace va::app
