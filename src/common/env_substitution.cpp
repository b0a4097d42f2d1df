#include "common/env_substitution.hpp"

#include <cctype>
#include <cstdlib>

namespace va {

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

namespace {
bool valid_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}
}  // namespace

Substitution substitute_env(std::string_view text, const EnvLookup& env) {
  Substitution out;
  out.value.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c != '$') {
      out.value += c;
      ++i;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '$') {
      out.value += '$';
      i += 2;
      continue;
    }
    if (i + 1 >= text.size() || text[i + 1] != '{') {
      out.value += c;  // a lone '$' is literal (common in passwords)
      ++i;
      continue;
    }
    auto close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      out.errors.push_back("unterminated '${' (write '$$' for a literal '$')");
      out.value.append(text.substr(i));
      break;
    }
    std::string_view inner = text.substr(i + 2, close - i - 2);
    std::string_view name = inner;
    std::optional<std::string_view> fallback;
    if (auto sep = inner.find(":-"); sep != std::string_view::npos) {
      name = inner.substr(0, sep);
      fallback = inner.substr(sep + 2);
    }
    if (!valid_name(name)) {
      out.errors.push_back("'${" + std::string(inner) + "}' is not a valid variable reference");
    } else {
      auto value = env(std::string(name));
      if (value && !value->empty()) {
        out.value += *value;
        out.used.emplace_back(name);
      } else if (fallback) {
        out.value.append(*fallback);
      } else if (value) {
        out.used.emplace_back(name);  // set but empty, no default: empty string, as a shell would
      } else {
        out.errors.push_back("environment variable " + std::string(name) + " is not set (write ${" +
                             std::string(name) + ":-default} to give a default)");
      }
    }
    i = close + 1;
  }
  return out;
}

}  // namespace va
