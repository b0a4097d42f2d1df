#include "voice/flow/template.hpp"

namespace va::voice::flow {
namespace {
bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '-';
}
}  // namespace

TemplateParse parse_template(std::string_view text) {
  TemplateParse out;
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) out.value.parts.push_back({false, std::move(literal)});
    literal.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
      literal += c;
      ++i;
      continue;
    }
    if (c == '}') {
      out.error = "unmatched '}' (write '}}' for a literal brace)";
      return out;
    }
    if (c != '{') {
      literal += c;
      continue;
    }
    auto close = text.find('}', i + 1);
    if (close == std::string_view::npos) {
      out.error = "unclosed '{' (write '{{' for a literal brace)";
      return out;
    }
    auto name = text.substr(i + 1, close - i - 1);
    bool valid = !name.empty();
    for (char n : name) valid = valid && name_char(n);
    if (!valid) {
      out.error = "'{" + std::string(name) + "}' is not a placeholder: use letters, digits, '_' or '.'";
      return out;
    }
    flush();
    out.value.parts.push_back({true, std::string(name)});
    i = close;
  }
  flush();
  return out;
}

std::string render(const Template& t,
                   const std::function<std::optional<std::string>(const std::string&)>& lookup) {
  std::string out;
  for (const auto& part : t.parts) {
    if (!part.placeholder) {
      out += part.text;
    } else if (auto value = lookup(part.text)) {
      out += *value;
    }
  }
  return out;
}

}  // namespace va::voice::flow
