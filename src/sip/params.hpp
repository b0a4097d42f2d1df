// Parameter lists: ";name[=value]" after URIs (uri-parameter, RFC 3261 §19.1.1) and after header values
// (generic-param, §7.3.1). Names compare case-insensitively; values are kept exactly as received (URI
// parameters keep their %HH escapes, header parameters keep their quotes) so output reproduces input.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/parse_error.hpp"

namespace va::sip {

struct Param {
  std::string name;
  std::optional<std::string> value;  // nullopt for a valueless parameter such as ";lr"
};

class Params {
 public:
  const Param* find(std::string_view name) const;
  bool has(std::string_view name) const { return find(name) != nullptr; }
  // The raw value; nullopt when the parameter is absent or has no value.
  std::optional<std::string_view> get(std::string_view name) const;
  // Replaces the first parameter of that name (keeping its position) or appends.
  void set(std::string_view name, std::optional<std::string> value = std::nullopt);
  // Appends without looking for an existing one (the parsers keep duplicates as received).
  void append(std::string name, std::optional<std::string> value) {
    items_.push_back({std::move(name), std::move(value)});
  }
  bool remove(std::string_view name);

  const std::vector<Param>& items() const { return items_; }
  bool empty() const { return items_.empty(); }
  std::size_t size() const { return items_.size(); }

  // ";name=value;flag" (empty when there are none).
  void append_to(std::string& out) const;
  std::string to_string() const;

 private:
  std::vector<Param> items_;
};

enum class ParamSyntax {
  uri,     // pname/pvalue of paramchar (escapes allowed, no white space, no quotes)
  header,  // token [ EQUAL (token / host / quoted-string) ] with optional white space around ';' and '='
};

// Parses zero or more parameters; `text` is empty or starts with ';' (white space allowed before it for
// ParamSyntax::header).
Result<Params> parse_params(std::string_view text, ParamSyntax syntax);

// paramchar of RFC 3261 §25.1 without the escape: param-unreserved / unreserved.
bool is_uri_param_char(char c);

}  // namespace va::sip
