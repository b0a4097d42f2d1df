// The two directions of the configuration schema. config_schema.cpp describes each section once, as
// `template <class V> void visit(V&, Section&)`, and that description is run by:
//   - Reader: YAML → structs, with env substitution, defaults, type and value checks, unknown-key detection
//     ("did you mean"), and diagnostics carrying YAML paths and lines;
//   - Writer: structs → YAML (the effective configuration, secrets masked).
// Internal to the config loader; not used outside src/common.
#pragma once

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <functional>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/config.hpp"
#include "common/duration.hpp"
#include "common/env_substitution.hpp"

namespace va::config::detail {

template <typename T>
using Check = std::function<std::optional<std::string>(const T&)>;

struct FieldOptions {
  bool secret = false;        // masked in output, registered with the log masker
  const char* env = nullptr;  // environment variable that supplies the value when the key is absent
};

template <typename E>
struct EnumName {
  std::string_view name;
  E value;
};

// Enum tables: the first name of a value is its canonical spelling (used by the Writer).
std::span<const EnumName<Transport>> enum_names(Transport);
std::span<const EnumName<TrunkMode>> enum_names(TrunkMode);
std::span<const EnumName<Codec>> enum_names(Codec);
std::span<const EnumName<Language>> enum_names(Language);
std::span<const EnumName<SrtpMode>> enum_names(SrtpMode);
std::span<const EnumName<LogLevel>> enum_names(LogLevel);
std::span<const EnumName<LogFormat>> enum_names(LogFormat);
std::span<const EnumName<CallerChoice>> enum_names(CallerChoice);
std::span<const EnumName<RoomHangup>> enum_names(RoomHangup);
std::span<const EnumName<RouteLiveKitMode>> enum_names(RouteLiveKitMode);
std::span<const EnumName<RecordMode>> enum_names(RecordMode);

template <typename T>
concept Enum = std::is_enum_v<T>;

template <typename T>
struct is_vector : std::false_type {};
template <typename T>
struct is_vector<std::vector<T>> : std::true_type {};
template <typename T>
concept List = is_vector<T>::value;

// Whether `text` is a boolean to YAML 1.1 tools (PyYAML, Ansible) when unquoted: yes|no|true|false|on|off in
// any case. Such a tool reads `srtp: off` as a boolean and writes it back as `srtp: false`.
bool is_yaml11_boolean(std::string_view text);
bool is_yaml11_false(std::string_view text);
// The end of an error about a value that is a YAML 1.1 boolean: how to write it so no tool converts it.
// `key` may be empty (then the example is just the quoted value).
std::string yaml_boolean_hint(std::string_view key, std::string_view example);

// Levenshtein distance, for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b);
// The closest candidate if it is plausibly a typo of `word`.
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates);

struct LoadContext {
  EnvLookup env;
  std::string base_directory;
  bool check_files = true;
  std::vector<std::string> overridden_paths;  // from --set
  std::vector<Diagnostic> errors;
  std::vector<Diagnostic> warnings;
  std::vector<std::string> secrets;

  Diagnostic make(std::string path, std::string message, const YAML::Node* node) const;
};

// Lines in yaml-cpp marks are 0-based; nodes we built ourselves have no mark.
int line_of(const YAML::Node& node);

class Reader {
 public:
  static constexpr bool reading = true;

  Reader(LoadContext& ctx, YAML::Node node, std::string path);

  const std::string& path() const { return path_; }
  LoadContext& context() { return ctx_; }
  std::string child_path(std::string_view key) const;

  // An optional key with a default.
  template <typename T>
  void field(std::string_view key, T& out, T def, FieldOptions opts = {}, Check<T> check = {}) {
    read(key, out, std::optional<T>(std::move(def)), opts, check);
  }
  // A key that must be present (or supplied by opts.env).
  template <typename T>
  void required(std::string_view key, T& out, FieldOptions opts = {}, Check<T> check = {}) {
    read(key, out, std::optional<T>(), opts, check);
  }

  // A nested mapping; always decoded (an absent section still reports its required keys).
  template <typename T>
  void section(std::string_view key, T& out) {
    asked_.emplace_back(key);
    auto node = lookup(key);
    decode(node ? *node : YAML::Node(), child_path(key), out);
  }

  bool present(std::string_view key) const;
  // Marks `key` as part of the schema without reading it (so finish() does not call it unknown); returns
  // whether it is present.
  bool mark_known(std::string_view key) {
    asked_.emplace_back(key);
    return present(key);
  }
  // Diagnostics located at `key` (its value's line, else this mapping's line).
  void error(std::string_view key, std::string message);
  void warning(std::string_view key, std::string message);
  // Reports keys of this mapping that the schema never asked for.
  void finish();

  template <typename T>
  bool decode(const YAML::Node& node, const std::string& path, T& out);

 private:
  template <typename T>
  void read(std::string_view key, T& out, std::optional<T> def, const FieldOptions& opts,
            const Check<T>& check);
  std::optional<YAML::Node> lookup(std::string_view key) const;
  // Scalar text after ${VAR} substitution; nullopt (with an error) when the node is not a scalar.
  std::optional<std::string> scalar(const YAML::Node& node, const std::string& path,
                                    std::string_view expected);
  void type_error(const YAML::Node& node, const std::string& path, std::string_view expected,
                  std::string_view got);
  void collect_secret(const std::string& value);

  template <typename T>
  void collect_secret_value(const T& value) {
    if constexpr (std::is_same_v<T, std::string>) collect_secret(value);
  }

  LoadContext& ctx_;
  YAML::Node node_;
  std::string path_;
  std::vector<std::string> asked_;
};

// --- Reader: decoding of each value type -------------------------------------------------------------

template <typename T>
concept Section = std::is_class_v<T> && requires(Reader& r, T& t) {
  visit(r, t);
};

template <typename T>
bool Reader::decode(const YAML::Node& node, const std::string& path, T& out) {
  if constexpr (std::is_same_v<T, std::string>) {
    if (node.IsNull()) {
      out.clear();
      return true;
    }
    auto text = scalar(node, path, "a string");
    if (!text) return false;
    out = std::move(*text);
    return true;
  } else if constexpr (std::is_same_v<T, bool>) {
    auto text = scalar(node, path, "true or false");
    if (!text) return false;
    if (*text == "true" || *text == "yes" || *text == "on") {
      out = true;
    } else if (*text == "false" || *text == "no" || *text == "off") {
      out = false;
    } else {
      ctx_.errors.push_back(ctx_.make(path, "expected true or false, got '" + *text + "'", &node));
      return false;
    }
    return true;
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    auto text = scalar(node, path, "an integer");
    if (!text) return false;
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (ec != std::errc() || end != text->data() + text->size()) {
      ctx_.errors.push_back(ctx_.make(path, "expected an integer, got '" + *text + "'", &node));
      return false;
    }
    out = v;
    return true;
  } else if constexpr (std::is_same_v<T, double>) {
    auto text = scalar(node, path, "a number");
    if (!text) return false;
    double v = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (ec != std::errc() || end != text->data() + text->size()) {
      ctx_.errors.push_back(ctx_.make(path, "expected a number, got '" + *text + "'", &node));
      return false;
    }
    out = v;
    return true;
  } else if constexpr (std::is_same_v<T, Duration>) {
    auto text = scalar(node, path, "a duration such as 60s, 1m or 500ms");
    if (!text) return false;
    auto d = parse_duration(*text);
    if (!d) {
      std::string hint;
      if (!text->empty() && text->find_first_not_of("0123456789") == std::string::npos)
        hint = " (add a unit: " + *text + "s or " + *text + "ms)";
      ctx_.errors.push_back(
          ctx_.make(path, "expected a duration such as 60s, 1m or 500ms, got '" + *text + "'" + hint, &node));
      return false;
    }
    out = *d;
    return true;
  } else if constexpr (std::is_same_v<T, ByteSize>) {
    auto text = scalar(node, path, "a size such as 1MiB");
    if (!text) return false;
    auto s = parse_byte_size(*text);
    if (!s) {
      ctx_.errors.push_back(
          ctx_.make(path, "expected a size such as 1MiB, 512KiB or 65536, got '" + *text + "'", &node));
      return false;
    }
    out = *s;
    return true;
  } else if constexpr (Enum<T>) {
    std::vector<std::string> names;
    for (const auto& e : enum_names(T{})) names.emplace_back(e.name);
    std::string allowed;
    for (const auto& n : names) allowed += (allowed.empty() ? "" : ", ") + n;
    auto text = scalar(node, path, "one of " + allowed);
    if (!text) return false;
    const auto named = [&](std::string_view name) {
      return name.size() == text->size() &&
             std::equal(name.begin(), name.end(), text->begin(),
                        [](char a, char b) { return std::tolower(a) == std::tolower(b); });
    };
    for (const auto& e : enum_names(T{})) {
      if (named(e.name)) {
        out = e.value;
        return true;
      }
    }
    // A YAML 1.1 tool writes the value "off" back as `false` (or `no`): for a choice with an "off" value that
    // is what the operator wrote. `true` is not mapped: which of the other values it means is a decision
    // (for srtp: optional or required), so it gets the error below with the values to choose from.
    if (is_yaml11_false(*text)) {
      for (const auto& e : enum_names(T{})) {
        if (e.name == "off") {
          out = e.value;
          return true;
        }
      }
    }
    std::string message = "'" + *text + "' is not one of " + allowed;
    if (is_yaml11_boolean(*text)) {
      auto example =
          std::find_if(names.begin(), names.end(), [](const std::string& n) { return n != "off"; });
      // A list item's example is the bare value: "preference: X" would not be a list.
      auto key = path.ends_with(']') ? std::string_view()
                                     : std::string_view(path).substr(path.find_last_of('.') + 1);
      message += yaml_boolean_hint(key, example == names.end() ? names.front() : *example);
    } else if (auto guess = closest(*text, names)) {
      message += "; did you mean '" + *guess + "'?";
    }
    ctx_.errors.push_back(ctx_.make(path, message, &node));
    return false;
  } else if constexpr (List<T>) {
    if (node.IsNull()) {
      out.clear();
      return true;
    }
    if (!node.IsSequence()) {
      type_error(node, path, "a list", node.IsMap() ? "a mapping" : "a single value");
      return false;
    }
    out.clear();
    bool ok = true;
    for (std::size_t i = 0; i < node.size(); ++i) {
      typename T::value_type item{};
      if (decode(node[i], path + "[" + std::to_string(i) + "]", item)) {
        out.push_back(std::move(item));
      } else {
        ok = false;
      }
    }
    return ok;
  } else {
    static_assert(Section<T>, "no decoder for this configuration type");
    if (!node.IsNull() && !node.IsMap()) {
      type_error(node, path, "a mapping", node.IsSequence() ? "a list" : "a single value");
      return false;
    }
    Reader sub(ctx_, node, path);
    visit(sub, out);
    sub.finish();
    return true;
  }
}

template <typename T>
void Reader::read(std::string_view key, T& out, std::optional<T> def, const FieldOptions& opts,
                  const Check<T>& check) {
  asked_.emplace_back(key);
  std::string path = child_path(key);
  auto node = lookup(key);
  bool have = false;
  const YAML::Node* located = nullptr;
  if (node && !(node->IsNull() && !std::is_same_v<T, std::string> && def)) {
    have = decode(*node, path, out);
    located = &*node;
    if (!have) return;  // decode reported the problem
  } else if (opts.env != nullptr) {
    if (auto v = ctx_.env(opts.env); v && !v->empty()) {
      YAML::Node from_env(*v);
      std::size_t before = ctx_.errors.size();
      have = decode(from_env, path, out);
      for (std::size_t i = before; i < ctx_.errors.size(); ++i)
        ctx_.errors[i].message += " (from environment variable " + std::string(opts.env) + ")";
      if (!have) return;
    }
  }
  if (!have) {
    if (def) {
      out = std::move(*def);
      // Defaults are not checked: they are valid by construction (tests assert it).
      return;
    }
    std::string message = "is required";
    if (opts.env != nullptr) message += " (or set the environment variable " + std::string(opts.env) + ")";
    ctx_.errors.push_back(ctx_.make(path, message, node ? &*node : &node_));
    return;
  }
  if (opts.secret) collect_secret_value(out);
  if (check) {
    if (auto problem = check(out))
      ctx_.errors.push_back(ctx_.make(path, *problem, located ? located : &node_));
  }
}

// --- Writer: structs → YAML ----------------------------------------------------------------------------

class Writer {
 public:
  static constexpr bool reading = false;

  Writer(YAML::Node node, bool reveal_secrets) : node_(std::move(node)), reveal_(reveal_secrets) {}

  template <typename T>
  void field(std::string_view key, T& value, const T& /*def*/, FieldOptions opts = {}, const Check<T>& = {}) {
    node_[std::string(key)] = encode(value, opts.secret);
  }
  template <typename T>
  void required(std::string_view key, T& value, FieldOptions opts = {}, const Check<T>& = {}) {
    node_[std::string(key)] = encode(value, opts.secret);
  }
  template <typename T>
  void section(std::string_view key, T& value) {
    node_[std::string(key)] = encode(value, false);
  }
  bool present(std::string_view) const { return true; }
  void error(std::string_view, std::string) {}
  void warning(std::string_view, std::string) {}

  template <typename T>
  YAML::Node encode(T& value, bool secret) {
    if constexpr (std::is_same_v<T, std::string>) {
      if (secret && !reveal_ && !value.empty()) return YAML::Node("***");
      return YAML::Node(value);
    } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::int64_t> ||
                         std::is_same_v<T, double>) {
      return YAML::Node(value);
    } else if constexpr (std::is_same_v<T, Duration>) {
      return YAML::Node(format_duration(value));
    } else if constexpr (std::is_same_v<T, ByteSize>) {
      return YAML::Node(format_byte_size(value));
    } else if constexpr (Enum<T>) {
      for (const auto& e : enum_names(T{}))
        if (e.value == value) return YAML::Node(std::string(e.name));
      return YAML::Node();
    } else if constexpr (List<T>) {
      YAML::Node seq(YAML::NodeType::Sequence);
      for (auto& item : value) seq.push_back(encode(item, secret));
      return seq;
    } else {
      YAML::Node map(YAML::NodeType::Map);
      Writer sub(map, reveal_);
      visit(sub, value);
      return map;
    }
  }

 private:
  YAML::Node node_;
  bool reveal_;
};

}  // namespace va::config::detail
