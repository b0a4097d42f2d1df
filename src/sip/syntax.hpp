// Lexical rules shared by every SIP header grammar (RFC 3261 §25.1): tokens, linear white space, quoted
// strings, %HH escapes and comma-separated lists. All functions work on string_views of the input and do not
// allocate unless they return a string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ascii.hpp"
#include "sip/parse_error.hpp"

namespace va::sip {

inline bool is_ws(char c) {
  return c == ' ' || c == '\t';
}
inline bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
inline bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
inline bool is_alnum(char c) {
  return is_digit(c) || is_alpha(c);
}
// A set of ASCII characters as a 128-bit mask, built at compile time from its members:
//   constexpr CharSet kMark("-_.!~*'()");  kMark.contains(c)
class CharSet {
 public:
  constexpr explicit CharSet(std::string_view members) {
    for (char c : members) bits_[index(c) / 64] |= std::uint64_t{1} << (index(c) % 64);
  }
  constexpr bool contains(char c) const {
    return static_cast<unsigned char>(c) < 128 && (bits_[index(c) / 64] >> (index(c) % 64) & 1U) != 0;
  }

 private:
  static constexpr unsigned index(char c) { return static_cast<unsigned char>(c) & 0x7fU; }
  std::uint64_t bits_[2] = {0, 0};
};

using ascii::iequals;
using ascii::to_lower;
inline constexpr char ascii_lower(char c) {
  return ascii::to_lower(c);
}

// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
bool is_token_char(char c);
bool is_token(std::string_view s);  // non-empty and all token characters

// callid = word [ "@" word ] (RFC 3261 §25.1).
bool is_call_id(std::string_view s);

// unreserved = alphanum / mark (RFC 3261 §25.1)
bool is_unreserved(char c);

// Strips SP and HT on both ends (folding has already been replaced by SP when headers are read).
std::string_view trim(std::string_view s);

// Index one past the closing quote of the quoted-string starting at `open` (s[open] == '"'), honouring
// backslash escapes; npos when the string is not terminated.
std::size_t quoted_string_end(std::string_view s, std::size_t open);

// Index of the first `c` at or after `from` that is outside quoted strings and <...>; npos if none.
std::size_t find_unquoted(std::string_view s, char c, std::size_t from = 0);

// Splits a header value at commas outside quoted strings and <...> (RFC 3261 §7.3.1), trimming each element
// and skipping empty ones. Returns false for an unterminated quoted string or angle bracket.
bool split_list(std::string_view value, std::vector<std::string_view>& out);

// quoted-string → its content with quoted-pairs resolved. `quoted` must be exactly one quoted string.
Result<std::string> unquote(std::string_view quoted);
// The value as a quoted-string, escaping '"' and '\'.
std::string quote(std::string_view text);
// If `s` is a quoted string, its unquoted content (best effort); else `s` itself.
std::string unquote_if_quoted(std::string_view s);

// 1*DIGIT not exceeding `max`; nullopt for anything else (sign, space, empty, overflow).
std::optional<std::uint64_t> parse_decimal(std::string_view digits, std::uint64_t max);

// %HH → byte. nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view s);
// Appends `s`, escaping every byte for which `allowed` is false as %HH.
void percent_encode(std::string_view s, bool (*allowed)(char), std::string& out);
// True when every character is allowed or part of a well-formed %HH escape.
bool all_allowed_or_escaped(std::string_view s, bool (*allowed)(char));

}  // namespace va::sip
