#pragma once

namespace va::app {
// Parses the command line and runs the chosen command; returns the process exit code (see exit_codes.hpp).
int run_cli(int argc, char** argv);
}  // namespace va::app
