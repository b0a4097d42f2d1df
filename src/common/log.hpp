// Structured logging with masking of secrets and (optionally) phone numbers.
//
// Every line is one event: a message plus typed fields. Output goes to stderr as JSON lines (one object per
// line; the default when stderr is not a terminal) or as human-readable text (default on a terminal).
// Masking is applied to the whole rendered line, so a secret cannot leak through any field, message or
// nested string: registered secret values, Authorization/Proxy-Authorization header values, bearer tokens,
// JWT-shaped strings, URL passwords (scheme://user:***@host) and `password=`/`secret=`-style assignments are
// replaced by "***".
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace va::log {

enum class Level { trace, debug, info, warn, error, critical, off };
enum class Format { automatic, json, console };

// Parses "trace|debug|info|warn|warning|error|critical|off" (case-insensitive).
bool parse_level(std::string_view text, Level& out);
// Parses "auto|json|console".
bool parse_format(std::string_view text, Format& out);
std::string_view to_string(Level level);

using FieldValue = std::variant<std::string, std::int64_t, double, bool>;

struct Field {
  std::string key;
  FieldValue value;

  Field(std::string k, std::string v) : key(std::move(k)), value(std::move(v)) {}
  Field(std::string k, std::string_view v) : key(std::move(k)), value(std::string(v)) {}
  Field(std::string k, const char* v) : key(std::move(k)), value(std::string(v)) {}
  Field(std::string k, bool v) : key(std::move(k)), value(v) {}
  Field(std::string k, double v) : key(std::move(k)), value(v) {}
  template <typename I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool>) Field(std::string k, I v)
      : key(std::move(k)), value(static_cast<std::int64_t>(v)) {}
};

using Fields = std::vector<Field>;

struct Options {
  Level level = Level::info;
  Format format = Format::automatic;
  // Phone numbers (E.164-like digit runs of 7+ digits) keep their first 2 and last 2 digits.
  bool mask_phone_numbers = true;
};

// Configures the process-wide logger. Safe to call again (e.g. after the configuration is loaded).
void init(const Options& options);

// Registers a value that must never appear in output (API secrets, passwords). Values shorter than 4
// characters are ignored (masking them would destroy unrelated text). Thread-safe.
void add_secret(std::string_view secret);

// Applies all masking rules to `text` (exposed for tests and for anything that prints config or errors).
// Phone numbers are masked when the configured Options::mask_phone_numbers says so.
std::string mask(std::string_view text);
// The same with phone masking chosen explicitly (the logger's configuration is not consulted).
std::string mask(std::string_view text, bool mask_phone_numbers);

bool enabled(Level level);
// Fields are written in order; a key given twice keeps its last value (at its first position), and the
// reserved keys "ts", "level" and "msg" are written as "_ts", "_level" and "_msg".
void write(Level level, std::string_view message, const Fields& fields = {});

// Test hook: while set, every rendered (and masked) line is passed to `sink`, without its trailing newline,
// instead of being written to stderr. Calls are serialised. Pass nullptr to restore stderr output.
void set_output_for_testing(std::function<void(std::string_view line)> sink);

// A logger carrying context fields (call_id, trunk, room, ...) added to every line it writes.
class Logger {
 public:
  Logger() = default;
  explicit Logger(Fields context) : context_(std::move(context)) {}

  Logger with(Fields more) const;

  void trace(std::string_view msg, Fields fields = {}) const { emit(Level::trace, msg, std::move(fields)); }
  void debug(std::string_view msg, Fields fields = {}) const { emit(Level::debug, msg, std::move(fields)); }
  void info(std::string_view msg, Fields fields = {}) const { emit(Level::info, msg, std::move(fields)); }
  void warn(std::string_view msg, Fields fields = {}) const { emit(Level::warn, msg, std::move(fields)); }
  void error(std::string_view msg, Fields fields = {}) const { emit(Level::error, msg, std::move(fields)); }

 private:
  void emit(Level level, std::string_view msg, Fields fields) const;
  Fields context_;
};

inline void trace(std::string_view msg, Fields fields = {}) {
  write(Level::trace, msg, fields);
}
inline void debug(std::string_view msg, Fields fields = {}) {
  write(Level::debug, msg, fields);
}
inline void info(std::string_view msg, Fields fields = {}) {
  write(Level::info, msg, fields);
}
inline void warn(std::string_view msg, Fields fields = {}) {
  write(Level::warn, msg, fields);
}
inline void error(std::string_view msg, Fields fields = {}) {
  write(Level::error, msg, fields);
}

}  // namespace va::log
