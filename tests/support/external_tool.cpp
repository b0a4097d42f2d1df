#include "support/external_tool.hpp"

#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

#include "support/temp_directory.hpp"

namespace va::test {

std::optional<std::filesystem::path> find_program(std::string_view name) {
  if (name.empty()) return std::nullopt;
  const auto executable = [](const std::filesystem::path& candidate) {
    return ::access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate);
  };
  if (name.find('/') != std::string_view::npos) {
    const std::filesystem::path candidate(name);
    return executable(candidate) ? std::optional(candidate) : std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
  while (!dirs.empty()) {
    const auto colon = dirs.find(':');
    const auto dir = dirs.substr(0, colon);
    if (!dir.empty()) {
      const auto candidate = std::filesystem::path(dir) / name;
      if (executable(candidate)) return candidate;
    }
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return std::nullopt;
}

std::string command_line(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& arg : argv) {
    if (!line.empty()) line += ' ';
    const bool plain = !arg.empty() && arg.find_first_of(" \t'\"\\$|&;<>()*?") == std::string::npos;
    line += plain ? arg : "'" + arg + "'";
  }
  return line;
}

std::string ToolRun::describe(const std::vector<std::string>& argv) const {
  std::string text = command_line(argv) + ": " + status.describe();
  if (!err.empty()) text += "\n--- stderr ---\n" + tail(err, 3000);
  if (!out.empty()) text += "\n--- stdout ---\n" + tail(out, 3000);
  return text;
}

ToolRun run_tool(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                 const std::filesystem::path& working_directory) {
  Process process(ProcessOptions{argv, {}, {}, working_directory.string()});
  ToolRun run;
  run.status = process.wait_for_exit(timeout);
  // The drain thread may still be appending the last bytes; end-of-stream follows the exit promptly.
  process.wait_for_output([](const std::string&, const std::string&) { return false; },
                          std::chrono::milliseconds(200));
  run.out = process.stdout_text();
  run.err = process.stderr_text();
  return run;
}

std::string run_tool_or_throw(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                              const std::filesystem::path& working_directory) {
  auto run = run_tool(argv, timeout, working_directory);
  if (!run.ok()) throw std::runtime_error(run.describe(argv));
  return std::move(run.out);
}

}  // namespace va::test
