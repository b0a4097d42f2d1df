#include <exception>
#include <iostream>

#include "app/cli.hpp"
#include "app/exit_codes.hpp"

int main(int argc, char** argv) {
  try {
    return va::app::run_cli(argc, argv);
  } catch (const std::exception& e) {
    // Last resort: every expected failure is reported where it happens with context.
    std::cerr << "voice-agent: fatal: " << e.what() << "\n";
    return va::app::kExitRuntimeFailure;
  }
}
