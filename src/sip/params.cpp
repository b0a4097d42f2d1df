#include "sip/params.hpp"

#include "sip/syntax.hpp"

namespace va::sip {

const Param* Params::find(std::string_view name) const {
  for (const auto& p : items_)
    if (iequals(p.name, name)) return &p;
  return nullptr;
}

std::optional<std::string_view> Params::get(std::string_view name) const {
  const Param* p = find(name);
  if (p == nullptr || !p->value) return std::nullopt;
  return std::string_view(*p->value);
}

void Params::set(std::string_view name, std::optional<std::string> value) {
  for (auto& p : items_) {
    if (iequals(p.name, name)) {
      p.value = std::move(value);
      return;
    }
  }
  items_.push_back({std::string(name), std::move(value)});
}

bool Params::remove(std::string_view name) {
  for (auto it = items_.begin(); it != items_.end(); ++it) {
    if (iequals(it->name, name)) {
      items_.erase(it);
      return true;
    }
  }
  return false;
}

void Params::append_to(std::string& out) const {
  for (const auto& p : items_) {
    out.push_back(';');
    out += p.name;
    if (p.value) {
      out.push_back('=');
      out += *p.value;
    }
  }
}

std::string Params::to_string() const {
  std::string out;
  append_to(out);
  return out;
}

bool is_uri_param_char(char c) {
  switch (c) {
    case '[':
    case ']':
    case '/':
    case ':':
    case '&':
    case '+':
    case '$':
      return true;
    default:
      return is_unreserved(c);
  }
}

namespace {

// gen-value = token / host / quoted-string; host adds ':' and brackets (IPv6 references) to token characters.
bool is_header_param_value_char(char c) {
  return is_token_char(c) || c == ':' || c == '[' || c == ']';
}

std::size_t skip_ws(std::string_view s, std::size_t i) {
  while (i < s.size() && is_ws(s[i])) ++i;
  return i;
}

Result<Params> parse_uri_params(std::string_view text) {
  Params params;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] != ';') return parse_error(ParseErrorCode::bad_params, "expected ';' before a URI parameter");
    ++i;
    std::size_t end = text.find(';', i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view item = text.substr(i, end - i);
    std::size_t eq = item.find('=');
    std::string_view name = item.substr(0, eq);
    if (name.empty() || !all_allowed_or_escaped(name, is_uri_param_char))
      return parse_error(ParseErrorCode::bad_params, "malformed URI parameter name");
    std::optional<std::string> value;
    if (eq != std::string_view::npos) {
      std::string_view v = item.substr(eq + 1);
      if (v.empty() || !all_allowed_or_escaped(v, is_uri_param_char))
        return parse_error(ParseErrorCode::bad_params, "malformed value of URI parameter");
      value = std::string(v);
    }
    params.append(std::string(name), std::move(value));
    i = end;
  }
  return params;
}

Result<Params> parse_header_params(std::string_view text) {
  Params params;
  std::size_t i = skip_ws(text, 0);
  while (i < text.size()) {
    if (text[i] != ';') return parse_error(ParseErrorCode::bad_params, "expected ';' before a parameter");
    i = skip_ws(text, i + 1);
    std::size_t name_start = i;
    while (i < text.size() && is_token_char(text[i])) ++i;
    if (i == name_start) return parse_error(ParseErrorCode::bad_params, "missing parameter name");
    std::string name(text.substr(name_start, i - name_start));
    i = skip_ws(text, i);
    std::optional<std::string> value;
    if (i < text.size() && text[i] == '=') {
      i = skip_ws(text, i + 1);
      std::size_t value_start = i;
      if (i < text.size() && text[i] == '"') {
        std::size_t end = quoted_string_end(text, i);
        if (end == std::string_view::npos)
          return parse_error(ParseErrorCode::bad_quoted_string, "unterminated quoted parameter value");
        i = end;
      } else {
        while (i < text.size() && is_header_param_value_char(text[i])) ++i;
      }
      if (i == value_start)
        return parse_error(ParseErrorCode::bad_params, "empty value of parameter " + name);
      value = std::string(text.substr(value_start, i - value_start));
      i = skip_ws(text, i);
    }
    params.append(std::move(name), std::move(value));
  }
  return params;
}

}  // namespace

Result<Params> parse_params(std::string_view text, ParamSyntax syntax) {
  return syntax == ParamSyntax::uri ? parse_uri_params(text) : parse_header_params(text);
}

}  // namespace va::sip
