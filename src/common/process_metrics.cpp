// The standard process_* metrics (as the official Prometheus clients export them on Linux) and the agent's
// uptime, read from /proc at scrape time. See proc(5) for the files and their field positions.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/metrics.hpp"

namespace va::metrics {
namespace {

std::optional<std::string> read_file(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct ProcStat {
  double cpu_seconds = 0;
  double start_ticks_after_boot = 0;
};

// /proc/self/stat: "pid (comm) state ppid ...". comm may contain spaces and ')' so fields are counted from
// the last ')'; utime and stime are fields 14 and 15, starttime field 22 (1-based, in clock ticks).
std::optional<ProcStat> read_proc_stat(double ticks_per_second) {
  const auto text = read_file("/proc/self/stat");
  if (!text) return std::nullopt;
  const auto comm_end = text->rfind(')');
  if (comm_end == std::string::npos) return std::nullopt;
  std::istringstream fields(text->substr(comm_end + 1));
  std::vector<std::string> values;  // values[0] is field 3 (state)
  for (std::string value; values.size() < 20 && fields >> value;) values.push_back(value);
  if (values.size() < 20) return std::nullopt;
  try {
    ProcStat stat;
    stat.cpu_seconds = (std::stod(values[11]) + std::stod(values[12])) / ticks_per_second;
    stat.start_ticks_after_boot = std::stod(values[19]);
    return stat;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// "btime <seconds since the epoch>" in /proc/stat: when the system booted.
std::optional<double> read_boot_time() {
  const auto text = read_file("/proc/stat");
  if (!text) return std::nullopt;
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("btime ", 0) == 0) {
      try {
        return std::stod(line.substr(6));
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

struct ProcStatm {
  double virtual_bytes = 0;
  double resident_bytes = 0;
};

// /proc/self/statm: "size resident shared text lib data dt", in pages.
std::optional<ProcStatm> read_proc_statm(double page_size) {
  const auto text = read_file("/proc/self/statm");
  if (!text) return std::nullopt;
  std::istringstream fields(*text);
  double size_pages = 0;
  double resident_pages = 0;
  if (!(fields >> size_pages >> resident_pages)) return std::nullopt;
  return ProcStatm{size_pages * page_size, resident_pages * page_size};
}

std::optional<double> count_open_fds() {
  std::error_code error;
  std::filesystem::directory_iterator it("/proc/self/fd", error);
  if (error) return std::nullopt;
  double count = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(error)) {
    if (error) return std::nullopt;
    ++count;
  }
  return count;
}

std::optional<double> max_fds() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::nullopt;
  return static_cast<double>(limit.rlim_cur);
}

// Values are computed per scrape and rendered through a scratch registry so the formatting is the registry's.
void collect(std::string& out, std::chrono::steady_clock::time_point registered_at) {
  Registry scratch;
  const double ticks_per_second = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page_size = static_cast<double>(::sysconf(_SC_PAGESIZE));

  if (const auto stat = read_proc_stat(ticks_per_second)) {
    scratch.counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.")
        .get()
        .inc(stat->cpu_seconds);
    if (const auto boot = read_boot_time()) {
      scratch.gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.")
          .get()
          .set(*boot + stat->start_ticks_after_boot / ticks_per_second);
    }
  }
  if (const auto statm = read_proc_statm(page_size)) {
    scratch.gauge("process_resident_memory_bytes", "Resident memory size in bytes.")
        .get()
        .set(statm->resident_bytes);
    scratch.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.")
        .get()
        .set(statm->virtual_bytes);
  }
  if (const auto open = count_open_fds()) {
    scratch.gauge("process_open_fds", "Number of open file descriptors.").get().set(*open);
  }
  if (const auto limit = max_fds()) {
    scratch.gauge("process_max_fds", "Maximum number of open file descriptors.").get().set(*limit);
  }
  const std::chrono::duration<double> uptime = std::chrono::steady_clock::now() - registered_at;
  scratch.gauge("voice_agent_uptime_seconds", "Seconds since the voice agent started.")
      .get()
      .set(uptime.count());

  out += scratch.expose();
}

}  // namespace

void register_process_metrics(Registry& registry) {
  const auto registered_at = std::chrono::steady_clock::now();
  registry.add_collector([registered_at](std::string& out) { collect(out, registered_at); });
}

}  // namespace va::metrics
