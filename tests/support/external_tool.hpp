// Running the command-line tools the peer harness relies on (sox, tshark, sipp, kamailio -c, ...): finding
// them in PATH, and running one to completion with a time bound, keeping its output for error messages.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/process.hpp"

namespace va::test {

// The program's full path when `name` is found in PATH (or is itself an executable path), else nullopt.
std::optional<std::filesystem::path> find_program(std::string_view name);

struct ToolRun {
  ExitStatus status;
  std::string out;
  std::string err;
  bool ok() const { return status.exited_with(0); }
  std::string describe(const std::vector<std::string>& argv) const;  // command line, status, output tails
};

// Runs argv to completion; killed (and reported as timed out) after `timeout`.
ToolRun run_tool(const std::vector<std::string>& argv,
                 std::chrono::milliseconds timeout = std::chrono::seconds(30),
                 const std::filesystem::path& working_directory = {});

// As run_tool, but throws std::runtime_error with describe() unless the tool exited with 0. Returns stdout.
std::string run_tool_or_throw(const std::vector<std::string>& argv,
                              std::chrono::milliseconds timeout = std::chrono::seconds(30),
                              const std::filesystem::path& working_directory = {});

// "a b 'c d'": argv as a shell would show it, for messages.
std::string command_line(const std::vector<std::string>& argv);

}  // namespace va::test
