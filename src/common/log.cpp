// Rendering of log lines (JSON and console) and their output to stderr. The masking rules live in
// masking.cpp.
//
// Each line is written with a single write(2) under a mutex, so lines from different threads never
// interleave (and, below PIPE_BUF, not even with other processes sharing the pipe).
#include "common/log.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

namespace va::log {
namespace {

Format resolve(Format format) {
  if (format != Format::automatic) return format;
  return ::isatty(STDERR_FILENO) == 1 ? Format::console : Format::json;
}

struct LoggerState {
  std::atomic<Level> level{Level::info};
  std::atomic<Format> format{resolve(Format::automatic)};
  std::atomic<bool> mask_phone_numbers{true};
  std::mutex output_mutex;
  std::function<void(std::string_view)> test_sink;  // guarded by output_mutex
};

LoggerState& state() {
  static LoggerState instance;
  return instance;
}

bool equals_icase(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char c = (a[i] >= 'A' && a[i] <= 'Z') ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (c != lower[i]) return false;
  }
  return true;
}

// UTC with millisecond precision: "2026-11-26T13:51:34.123Z" for JSON, "2026-11-26 13:51:34.123" for the
// console (UTC there too, so console and JSON lines from different hosts line up).
void append_timestamp(std::string& out, std::chrono::system_clock::time_point now, bool iso) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(now);
  const auto day = floor<days>(ms);
  const year_month_day date{day};
  const hh_mm_ss time{ms - day};
  std::array<char, 64> buf{};
  const int n = std::snprintf(
      buf.data(), buf.size(), "%04d-%02u-%02u%c%02d:%02d:%02d.%03d%s", static_cast<int>(date.year()),
      static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()), iso ? 'T' : ' ',
      static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
      static_cast<int>(time.seconds().count()), static_cast<int>(time.subseconds().count()), iso ? "Z" : "");
  out.append(buf.data(), static_cast<std::size_t>(n));
}

void append_json_string(std::string& out, std::string_view text) {
  // Invalid UTF-8 (it arrives from the network) becomes U+FFFD instead of throwing.
  out += nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void append_double(std::string& out, double value) {
  std::array<char, 32> buf{};
  const auto result = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  out.append(buf.data(), result.ptr);
}

// Control characters would break the one-event-per-line contract of the console format.
void append_console_text(std::string& out, std::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      std::array<char, 8> buf{};
      std::snprintf(buf.data(), buf.size(), "\\x%02x", u);
      out += buf.data();
    } else {
      out += c;
    }
  }
}

bool needs_console_quotes(std::string_view value) {
  if (value.empty()) return true;
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '"' || c == '=' || c == '\\') return true;
  }
  return false;
}

// Context fields first, then the line's own; a repeated key keeps its last value at its first position.
std::vector<const Field*> merge_fields(const Fields& context, const Fields& fields) {
  std::vector<const Field*> merged;
  merged.reserve(context.size() + fields.size());
  const auto add = [&](const Field& field) {
    for (const Field*& existing : merged) {
      if (existing->key == field.key) {
        existing = &field;
        return;
      }
    }
    merged.push_back(&field);
  };
  for (const Field& field : context) add(field);
  for (const Field& field : fields) add(field);
  return merged;
}

std::string_view console_tag(Level level) {
  switch (level) {
    case Level::trace:
      return "TRACE";
    case Level::debug:
      return "DEBUG";
    case Level::info:
      return "INFO ";
    case Level::warn:
      return "WARN ";
    case Level::error:
      return "ERROR";
    case Level::critical:
      return "CRIT ";
    case Level::off:
      break;
  }
  return "OFF  ";
}

// Returns the unmasked prefix (the timestamp) and the body that is masked.
std::pair<std::string, std::string> render_json(Level level, std::string_view message,
                                                const std::vector<const Field*>& fields,
                                                std::chrono::system_clock::time_point now) {
  std::string prefix = "{\"ts\":\"";
  append_timestamp(prefix, now, true);
  prefix += "\",";

  std::string body = "\"level\":\"";
  body += to_string(level);
  body += "\",\"msg\":";
  append_json_string(body, message);
  for (const Field* field : fields) {
    body += ',';
    const bool reserved = field->key == "ts" || field->key == "level" || field->key == "msg";
    append_json_string(body, reserved ? "_" + field->key : field->key);
    body += ':';
    std::visit(
        [&](const auto& value) {
          using T = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<T, std::string>) {
            append_json_string(body, value);
          } else {
            body += nlohmann::json(value).dump();  // NaN and infinities become null
          }
        },
        field->value);
  }
  body += '}';
  return {std::move(prefix), std::move(body)};
}

std::pair<std::string, std::string> render_console(Level level, std::string_view message,
                                                   const std::vector<const Field*>& fields,
                                                   std::chrono::system_clock::time_point now) {
  std::string prefix;
  append_timestamp(prefix, now, false);
  prefix += ' ';

  std::string body(console_tag(level));
  body += ' ';
  append_console_text(body, message);
  for (const Field* field : fields) {
    body += ' ';
    append_console_text(body, field->key);
    body += '=';
    std::visit(
        [&](const auto& value) {
          using T = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<T, std::string>) {
            if (needs_console_quotes(value)) {
              append_json_string(body, value);
            } else {
              body += value;
            }
          } else if constexpr (std::is_same_v<T, bool>) {
            body += value ? "true" : "false";
          } else if constexpr (std::is_same_v<T, double>) {
            append_double(body, value);
          } else {
            body += std::to_string(value);
          }
        },
        field->value);
  }
  return {std::move(prefix), std::move(body)};
}

void write_all_to_stderr(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere left to report that stderr is gone
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

void output(std::string line) {
  LoggerState& s = state();
  std::lock_guard lock(s.output_mutex);
  if (s.test_sink) {
    s.test_sink(line);
    return;
  }
  line += '\n';
  write_all_to_stderr(line);
}

void write_line(Level level, std::string_view message, const Fields& context, const Fields& fields) {
  if (!enabled(level)) return;
  LoggerState& s = state();
  const auto merged = merge_fields(context, fields);
  const auto now = std::chrono::system_clock::now();
  auto [prefix, body] = s.format.load(std::memory_order_relaxed) == Format::console
                            ? render_console(level, message, merged, now)
                            : render_json(level, message, merged, now);
  prefix += mask(body, s.mask_phone_numbers.load(std::memory_order_relaxed));
  output(std::move(prefix));
}

}  // namespace

bool parse_level(std::string_view text, Level& out) {
  static constexpr std::pair<std::string_view, Level> kLevels[] = {
      {"trace", Level::trace},  {"debug", Level::debug}, {"info", Level::info},         {"warn", Level::warn},
      {"warning", Level::warn}, {"error", Level::error}, {"critical", Level::critical}, {"off", Level::off}};
  for (const auto& [name, level] : kLevels) {
    if (equals_icase(text, name)) {
      out = level;
      return true;
    }
  }
  return false;
}

bool parse_format(std::string_view text, Format& out) {
  static constexpr std::pair<std::string_view, Format> kFormats[] = {
      {"auto", Format::automatic}, {"json", Format::json}, {"console", Format::console}};
  for (const auto& [name, format] : kFormats) {
    if (equals_icase(text, name)) {
      out = format;
      return true;
    }
  }
  return false;
}

std::string_view to_string(Level level) {
  switch (level) {
    case Level::trace:
      return "trace";
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
    case Level::critical:
      return "critical";
    case Level::off:
      return "off";
  }
  return "off";
}

void init(const Options& options) {
  LoggerState& s = state();
  s.level.store(options.level, std::memory_order_relaxed);
  s.format.store(resolve(options.format), std::memory_order_relaxed);
  s.mask_phone_numbers.store(options.mask_phone_numbers, std::memory_order_relaxed);
}

std::string mask(std::string_view text) {
  return mask(text, state().mask_phone_numbers.load(std::memory_order_relaxed));
}

bool enabled(Level level) {
  return level != Level::off && level >= state().level.load(std::memory_order_relaxed);
}

void write(Level level, std::string_view message, const Fields& fields) {
  write_line(level, message, Fields{}, fields);
}

void set_output_for_testing(std::function<void(std::string_view line)> sink) {
  LoggerState& s = state();
  std::lock_guard lock(s.output_mutex);
  s.test_sink = std::move(sink);
}

Logger Logger::with(Fields more) const {
  Fields merged = context_;
  merged.insert(merged.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  return Logger(std::move(merged));
}

void Logger::emit(Level level, std::string_view msg, Fields fields) const {
  write_line(level, msg, context_, fields);
}

}  // namespace va::log
