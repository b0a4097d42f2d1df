// Masking of secrets and phone numbers in rendered log lines (the rules are listed in log.hpp).
//
// mask() runs on every log line, so the rules are a hand-written linear scanner instead of regular
// expressions. The input is usually a rendered JSON line, a console line or raw protocol text (a SIP message,
// an HTTP header block); the scanner understands JSON string escapes so that a secret inside an escaped
// string ("Authorization: Basic ...\r\nHost: ..." or {\"password\":\"...\"}) is found, and it keeps a JSON
// line valid JSON (a masked bare number becomes a string).
#include <algorithm>
#include <mutex>
#include <nlohmann/json.hpp>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/ascii.hpp"
#include "common/log.hpp"

namespace va::log {
namespace {

constexpr std::string_view kMasked = "***";

// Secret values shorter than this are ignored: masking "abc" everywhere would destroy unrelated text.
constexpr std::size_t kMinSecretLength = 4;

// E.164 allows at most 15 digits; fewer than 7 are ports, counters and short codes.
constexpr std::size_t kMinPhoneDigits = 7;
constexpr std::size_t kMaxPhoneDigits = 15;

// Assignment keys whose value is masked when the key contains one of these (lower-case) words. "secret"
// covers api_secret and client_secret; "authorization" covers a header written as a JSON or YAML key.
// API keys are not listed: a LiveKit API key is a public identifier (the `iss` of every token), and masking
// it would garble diagnostics such as "livekit.api_key: ... too short".
constexpr std::string_view kSensitiveKeyWords[] = {"password", "passwd", "secret", "token", "authorization"};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_alnum(char c) {
  return is_digit(c) || is_alpha(c);
}
bool is_word_char(char c) {
  return is_alnum(c) || c == '_';
}
bool is_key_char(char c) {
  return is_word_char(c) || c == '-' || c == '.';
}
bool is_base64url_char(char c) {
  return is_alnum(c) || c == '-' || c == '_';
}
// RFC 6750 b64token: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" followed by "="s.
bool is_b64token_char(char c) {
  return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
}
bool is_blank(char c) {
  return c == ' ' || c == '\t';
}
using ascii::to_lower;

// `word` must be lower-case.
bool matches_icase(std::string_view text, std::size_t pos, std::string_view word) {
  if (text.size() - pos < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (to_lower(text[pos + i]) != word[i]) return false;
  }
  return true;
}

bool contains_icase(std::string_view text, std::string_view word) {
  for (std::size_t i = 0; i + word.size() <= text.size(); ++i) {
    if (matches_icase(text, i, word)) return true;
  }
  return false;
}

// True when the character before `pos` does not continue a token made of `continues` characters. The letter
// of a JSON escape ("\n", "\t", ...) does not count: in "...\n+79991234567" the number starts a new token.
template <typename Pred>
bool starts_token(std::string_view text, std::size_t pos, Pred continues) {
  if (pos == 0) return true;
  const char prev = text[pos - 1];
  if (!continues(prev)) return true;
  const bool escape_letter = prev == 'n' || prev == 'r' || prev == 't' || prev == 'b' || prev == 'f';
  return escape_letter && pos >= 2 && text[pos - 2] == '\\';
}

// One left-to-right pass applying the header, bearer, JWT and key/value rules.
class SecretScanner {
 public:
  explicit SecretScanner(std::string_view in) : in_(in) { out_.reserve(in.size() + 16); }

  std::string run() && {
    while (pos_ < in_.size()) {
      if (try_rule_starting_here()) continue;
      out_ += in_[pos_++];
    }
    return std::move(out_);
  }

 private:
  // Only the rules that can start at this character are tried: most characters of a line start none, which
  // keeps the scan at a few nanoseconds per byte.
  bool try_rule_starting_here() {
    switch (to_lower(in_[pos_])) {
      case ':':
        return try_url_password();
      case 'a':  // "authorization"
        return try_authorization_header() || try_sensitive_assignment();
      case 'b':
        return try_bearer();
      case 'e':
        return try_jwt();
      case 'p':  // "password", "passwd"
      case 's':  // "secret"
      case 't':  // "token"
        return try_sensitive_assignment();
      default:
        return false;
    }
  }

  // The password of a URL's userinfo: "postgresql://va:***@db/va". The authority ends at the first '/', '?'
  // or '#' (RFC 3986 3.2); the last '@' in it ends the userinfo, as passwords with a raw '@' are common.
  bool try_url_password() {
    if (in_.compare(pos_, 3, "://") != 0) return false;
    const std::size_t user = pos_ + 3;
    std::size_t colon = std::string_view::npos;
    std::size_t at = std::string_view::npos;
    for (std::size_t i = user; i < in_.size(); ++i) {
      const char c = in_[i];
      if (c == '/' || c == '?' || c == '#' || c == '"' || c == '\'' || c == '\\' || c == '<' || c == '>' ||
          c <= ' ') {
        break;
      }
      if (c == ':' && colon == std::string_view::npos && at == std::string_view::npos) colon = i;
      if (c == '@') at = i;
    }
    if (colon == std::string_view::npos || at == std::string_view::npos || at < colon + 2) return false;
    emit_masked(colon + 1, at);
    return true;
  }

  // "Authorization: <value>" and "Proxy-Authorization: <value>": the value runs to the end of the line
  // (a raw CR/LF or an escaped "\r"/"\n") or, when the header sits inside a quoted string, to its closing
  // quote. Digest parameters contain quotes, so outside a quoted string quotes do not end the value.
  bool try_authorization_header() {
    constexpr std::string_view kName = "authorization";
    if (!matches_icase(in_, pos_, kName) || !starts_token(in_, pos_, is_word_char)) return false;
    std::size_t v = pos_ + kName.size();
    if (v >= in_.size() || in_[v] != ':') return false;
    ++v;
    while (v < in_.size() && is_blank(in_[v])) ++v;
    const bool quoted = inside_quotes(pos_);
    std::size_t end = v;
    while (end < in_.size()) {
      const char c = in_[end];
      if (c == '\r' || c == '\n') break;
      if (c == '\\' && end + 1 < in_.size()) {
        if (in_[end + 1] == 'r' || in_[end + 1] == 'n') break;
        end += 2;
        continue;
      }
      if (c == '"' && quoted) break;
      ++end;
    }
    if (end == v) return false;
    emit_masked(v, end);
    return true;
  }

  // "Bearer <b64token>". Prose such as "missing bearer token" is left alone: a credential has digits,
  // capitals or punctuation, or is long.
  bool try_bearer() {
    constexpr std::string_view kScheme = "bearer";
    if (!matches_icase(in_, pos_, kScheme) || !starts_token(in_, pos_, is_word_char)) return false;
    std::size_t v = pos_ + kScheme.size();
    if (v >= in_.size() || !is_blank(in_[v])) return false;
    while (v < in_.size() && is_blank(in_[v])) ++v;
    std::size_t end = v;
    bool only_lower_letters = true;
    while (end < in_.size() && is_b64token_char(in_[end])) {
      only_lower_letters = only_lower_letters && in_[end] >= 'a' && in_[end] <= 'z';
      ++end;
    }
    constexpr std::size_t kCertainlyACredential = 20;
    if (end == v || (only_lower_letters && end - v < kCertainlyACredential)) return false;
    emit_masked(v, end);
    return true;
  }

  // A compact JWS/JWE: base64url segments separated by dots, the first being a JSON header ("eyJ" is the
  // base64 of '{"'). JWS has three segments (the last may be empty when unsigned), JWE five.
  bool try_jwt() {
    if (in_.compare(pos_, 3, "eyJ") != 0 || !starts_token(in_, pos_, is_base64url_char)) return false;
    const auto segment_end = [&](std::size_t from) {
      while (from < in_.size() && is_base64url_char(in_[from])) ++from;
      return from;
    };
    std::size_t end = segment_end(pos_);
    for (int dots = 0; dots < 2; ++dots) {
      if (end >= in_.size() || in_[end] != '.') return false;
      const std::size_t next = segment_end(end + 1);
      if (dots == 0 && next == end + 1) return false;  // the payload is never empty
      end = next;
    }
    while (end + 1 < in_.size() && in_[end] == '.' && is_base64url_char(in_[end + 1]))
      end = segment_end(end + 1);
    out_ += kMasked;
    pos_ = end;
    return true;
  }

  enum class Quote { none, plain, escaped };

  // key=value, key: value, "key":"value" and \"key\":\"value\" where the key contains a sensitive word.
  bool try_sensitive_assignment() {
    std::size_t word_length = 0;
    for (const std::string_view word : kSensitiveKeyWords) {
      if (matches_icase(in_, pos_, word)) {
        word_length = word.size();
        break;
      }
    }
    if (word_length == 0) return false;

    std::size_t key_begin = pos_;
    while (key_begin > 0 && is_key_char(in_[key_begin - 1])) --key_begin;
    std::size_t key_end = pos_ + word_length;
    while (key_end < in_.size() && is_key_char(in_[key_end])) ++key_end;
    const std::string_view key = in_.substr(key_begin, key_end - key_begin);

    std::size_t i = key_end;
    const Quote key_quote = skip_quote(i);
    while (i < in_.size() && is_blank(in_[i])) ++i;
    if (i >= in_.size() || (in_[i] != '=' && in_[i] != ':')) return false;
    const bool colon = in_[i] == ':';
    ++i;
    while (i < in_.size() && is_blank(in_[i])) ++i;
    const std::size_t v = i;
    if (v >= in_.size()) return false;

    if (in_[v] == '"' || in_[v] == '\'' || (in_[v] == '\\' && v + 1 < in_.size() && in_[v + 1] == '"')) {
      return mask_quoted_value(v);
    }
    if (in_[v] == '{' || in_[v] == '[') return false;  // a nested object: its own keys are checked

    std::size_t end = v;
    while (end < in_.size() && !ends_unquoted_value(in_[end])) ++end;
    if (end == v) return false;
    const std::string_view value = in_.substr(v, end - v);

    // The quote after the key must close a string for this to be a JSON member ("key":value).
    const bool json_member =
        colon && (key_quote == Quote::escaped || (key_quote == Quote::plain && inside_quotes(key_end)));
    if ((json_member && (value == "true" || value == "false" || value == "null")) ||
        is_token_count(key, value)) {
      copy_through(end);
      return true;
    }
    // "Authorization=Basic dXNlcjpwYXNz": the credential is the word after the scheme.
    const auto is_scheme = [&](std::string_view scheme) {
      return value.size() == scheme.size() && matches_icase(value, 0, scheme);
    };
    if (is_scheme("basic") || is_scheme("bearer") || is_scheme("digest")) {
      std::size_t next = end;
      while (next < in_.size() && is_blank(in_[next])) ++next;
      if (next > end && next < in_.size() && !ends_unquoted_value(in_[next])) {
        end = next;
        while (end < in_.size() && !ends_unquoted_value(in_[end])) ++end;
      }
    }
    copy_through(v);
    // A bare JSON number or word becomes a string so the line stays valid JSON.
    if (json_member && key_quote == Quote::plain) {
      out_ += "\"***\"";
    } else if (json_member) {
      out_ += "\\\"***\\\"";
    } else {
      out_ += kMasked;
    }
    pos_ = end;
    return true;
  }

  // Token usage ("max_tokens=1024", "completion_tokens":87) is routine for an LLM agent and not a secret.
  static bool is_token_count(std::string_view key, std::string_view value) {
    if (!contains_icase(key, "tokens") && !contains_icase(key, "count")) return false;
    return std::all_of(value.begin(), value.end(), is_digit);
  }

  static bool ends_unquoted_value(char c) {
    switch (c) {
      case ' ':
      case '\t':
      case '\r':
      case '\n':
      case '"':
      case '\'':
      case '\\':
      case '&':
      case ',':
      case ';':
      case ')':
      case ']':
      case '}':
        return true;
      default:
        return false;
    }
  }

  // Skips a closing quote after a key: `"` or the escaped `\"` of JSON nested in a JSON string.
  Quote skip_quote(std::size_t& i) const {
    if (i < in_.size() && in_[i] == '"') {
      ++i;
      return Quote::plain;
    }
    if (i + 1 < in_.size() && in_[i] == '\\' && in_[i + 1] == '"') {
      i += 2;
      return Quote::escaped;
    }
    return Quote::none;
  }

  // `v` is at a quote (", ' or \") that may open the value. An empty value stays empty (it reveals nothing,
  // and "***" would suggest a value is set). Inside a JSON string the value never runs past the string's
  // closing quote, so the line stays valid JSON even when the inner quoting is unbalanced.
  bool mask_quoted_value(std::size_t v) {
    const bool in_string = inside_quotes(v);
    const char opening = in_[v];
    // Inside a string an unescaped '"' closes that string (e.g. a JSON key ending in "Authorization: ").
    if (opening == '"' && in_string) return false;
    const std::size_t content = opening == '\\' ? v + 2 : v + 1;
    std::size_t end = content;
    while (end < in_.size()) {
      const char c = in_[end];
      if (c == '\\' && (opening != '\'' || in_string)) {
        if (opening == '\\' && end + 1 < in_.size() && in_[end + 1] == '"') break;
        end += 2;
        continue;
      }
      if (c == '"' && (opening == '"' || in_string)) break;
      if (c == '\'' && opening == '\'') break;
      ++end;
    }
    end = std::min(end, in_.size());
    if (end == content) {
      copy_through(content);
      return true;
    }
    emit_masked(content, end);
    return true;
  }

  // Copies input up to `value_begin`, writes "***" for [value_begin, value_end) and continues after it.
  void emit_masked(std::size_t value_begin, std::size_t value_end) {
    copy_through(value_begin);
    out_ += kMasked;
    pos_ = value_end;
  }

  void copy_through(std::size_t end) {
    out_.append(in_, pos_, end - pos_);
    pos_ = end;
  }

  // Whether `pos` (not before the scan position) lies inside a double-quoted string, JSON escapes respected.
  // The state up to the scan position is kept, so the whole pass stays linear.
  bool inside_quotes(std::size_t pos) {
    const auto advance = [this](std::size_t from, std::size_t to, bool& in_quotes, bool& escaped) {
      for (std::size_t i = from; i < to; ++i) {
        const char c = in_[i];
        if (escaped) {
          escaped = false;
        } else if (c == '\\') {
          escaped = true;
        } else if (c == '"') {
          in_quotes = !in_quotes;
        }
      }
    };
    advance(quote_scan_, pos_, in_quotes_, escaped_);
    quote_scan_ = pos_;
    bool in_quotes = in_quotes_;
    bool escaped = escaped_;
    advance(pos_, pos, in_quotes, escaped);
    return in_quotes;
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  std::string out_;
  std::size_t quote_scan_ = 0;
  bool in_quotes_ = false;
  bool escaped_ = false;
};

// Runs of 7..15 digits, optionally after '+', that are not part of a longer token: not glued to letters,
// digits or '_' (identifiers, hex ids, "20261126T1351"), not the fraction or integer part of a decimal
// number (durations, fractional seconds of a timestamp). Keeps the '+', the first two and the last two
// digits.
std::string mask_phone_numbers_in(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  bool in_string = false;  // only a number outside strings can be a bare JSON number
  bool escaped = false;
  std::size_t i = 0;
  while (i < in.size()) {
    const char c = in[i];
    if (!is_digit(c)) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = !in_string;
      }
      out += in[i++];
      continue;
    }
    escaped = false;
    const std::size_t begin = i;
    std::size_t end = i;
    while (end < in.size() && is_digit(in[end])) ++end;
    i = end;
    const std::string_view digits = in.substr(begin, end - begin);

    const bool after_decimal_point = begin >= 2 && in[begin - 1] == '.' && is_digit(in[begin - 2]);
    const bool before_decimal_point = end + 1 < in.size() && in[end] == '.' && is_digit(in[end + 1]);
    const bool standalone = starts_token(in, begin, is_word_char) && !after_decimal_point &&
                            (end == in.size() || !is_word_char(in[end])) && !before_decimal_point;
    if (!standalone || digits.size() < kMinPhoneDigits || digits.size() > kMaxPhoneDigits) {
      out += digits;
      continue;
    }

    // A bare JSON number ("bytes":1048576, "epoch_s":1764166286) is a measurement: our code logs phone
    // numbers as strings, so numbers outside strings in a JSON line are left alone.
    const bool json_number =
        !in_string && ((begin >= 2 && in[begin - 1] == ':' && in[begin - 2] == '"') ||
                       (begin >= 3 && in[begin - 1] == '-' && in[begin - 2] == ':' && in[begin - 3] == '"'));
    if (json_number) {
      out += digits;
      continue;
    }
    out += digits.substr(0, 2);
    out.append(digits.size() - 4, '*');
    out += digits.substr(digits.size() - 2);
  }
  return out;
}

// Registered secrets, longest first so that a secret containing another one is replaced whole. Each value is
// stored raw and, when different, in its JSON-escaped form (how it appears inside a JSON or console string).
class SecretSet {
 public:
  void add(std::string_view secret) {
    if (secret.size() < kMinSecretLength) return;
    std::string escaped =
        nlohmann::json(std::string(secret)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    escaped = escaped.substr(1, escaped.size() - 2);

    std::unique_lock lock(mutex_);
    insert(std::string(secret));
    if (escaped != secret) insert(std::move(escaped));
  }

  std::string replace_in(std::string_view text) const {
    std::string out(text);
    std::shared_lock lock(mutex_);
    for (const std::string& secret : values_) {
      for (std::size_t at = out.find(secret); at != std::string::npos;
           at = out.find(secret, at + kMasked.size())) {
        out.replace(at, secret.size(), kMasked);
      }
    }
    return out;
  }

 private:
  void insert(std::string value) {
    if (std::find(values_.begin(), values_.end(), value) != values_.end()) return;
    const auto at = std::find_if(values_.begin(), values_.end(),
                                 [&](const std::string& other) { return other.size() < value.size(); });
    values_.insert(at, std::move(value));
  }

  mutable std::shared_mutex mutex_;
  std::vector<std::string> values_;
};

SecretSet& secrets() {
  static SecretSet set;
  return set;
}

}  // namespace

void add_secret(std::string_view secret) {
  secrets().add(secret);
}

std::string mask(std::string_view text, bool mask_phone_numbers) {
  const std::string without_secrets = secrets().replace_in(text);
  std::string masked = SecretScanner(without_secrets).run();
  if (mask_phone_numbers) masked = mask_phone_numbers_in(masked);
  return masked;
}

}  // namespace va::log
