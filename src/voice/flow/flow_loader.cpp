#include "voice/flow/flow_loader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "common/duration.hpp"
#include "voice/flow/intent_matcher.hpp"
#include "voice/flow/template.hpp"

namespace va::voice::flow {
namespace {

constexpr const char* kBuiltinNames[] = {"caller", "dialed", "call_id", "language"};
constexpr const char* kHangupReasons[] = {"completed", "caller_request", "no_input", "no_match", "error"};
constexpr const char* kMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
constexpr const char* kActionNames[] = {"say",       "goto", "transfer",     "hangup",
                                        "send_dtmf", "set",  "set_language", "http"};

int line_of(const YAML::Node& node) {
  if (!node.IsDefined()) return 0;
  auto mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// " (did you mean 'operator'?)" when one candidate is plausibly a typo of `word`.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    auto d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = &c;
    }
  }
  return best ? " (did you mean '" + *best + "'?)" : "";
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

template <std::size_t N>
std::vector<std::string> names(const char* const (&list)[N]) {
  return {std::begin(list), std::end(list)};
}

// A reference to something defined elsewhere in the flow, checked once everything is read.
struct Reference {
  std::string path;
  int line = 0;
  std::string name;
};

class Loader {
 public:
  explicit Loader(const FlowLoadOptions& options) : options_(options) {}

  FlowLoadResult load(const YAML::Node& root);

 private:
  // --- diagnostics -------------------------------------------------------------------------------------
  void error(const std::string& path, const YAML::Node& node, std::string message) {
    result_.errors.push_back({path, std::move(message), line_of(node)});
  }
  void warning(const std::string& path, const YAML::Node& node, std::string message) {
    result_.warnings.push_back({path, std::move(message), line_of(node)});
  }

  // A mapping whose keys are checked against the ones the loader asked for.
  class Map {
   public:
    Map(Loader& loader, const YAML::Node& node, std::string path)
        : l_(loader), node_(node), path_(std::move(path)) {
      if (!node_.IsMap()) {
        l_.error(path_, node_, "expected a mapping, got " + kind(node_));
        return;
      }
      std::map<std::string, int> seen;
      for (auto it = node_.begin(); it != node_.end(); ++it) {
        auto key = it->first.Scalar();
        if (auto [pos, inserted] = seen.emplace(key, line_of(it->first)); !inserted)
          l_.error(at(key), it->first,
                   "duplicate key (first defined on line " + std::to_string(pos->second) + ")");
      }
    }
    bool valid() const { return node_.IsMap(); }
    bool has(std::string_view key) const {
      if (!node_.IsMap()) return false;
      for (auto it = node_.begin(); it != node_.end(); ++it)
        if (it->first.Scalar() == key && !it->second.IsNull()) return true;
      return false;
    }
    const YAML::Node& node() const { return node_; }
    const std::string& path() const { return path_; }
    std::string at(std::string_view key) const {
      return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
    }
    // The value of `key` when present and not null; marks the key as known.
    std::optional<YAML::Node> get(std::string_view key) {
      known_.emplace_back(key);
      if (!node_.IsMap()) return std::nullopt;
      for (auto it = node_.begin(); it != node_.end(); ++it)
        if (it->first.Scalar() == key && !it->second.IsNull()) return it->second;
      return std::nullopt;
    }
    void finish() {
      if (!node_.IsMap()) return;
      for (auto it = node_.begin(); it != node_.end(); ++it) {
        auto key = it->first.Scalar();
        if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
        auto hint = did_you_mean(key, known_);
        l_.error(at(key), it->first,
                 "unknown key" + (hint.empty() ? " (known keys here: " + join(known_) + ")" : hint));
      }
    }

   private:
    Loader& l_;
    YAML::Node node_;
    std::string path_;
    std::vector<std::string> known_;
  };

  static std::string kind(const YAML::Node& node) {
    if (node.IsSequence()) return "a list";
    if (node.IsMap()) return "a mapping";
    if (node.IsScalar()) return "'" + node.Scalar() + "'";
    return "nothing";
  }

  // --- values ------------------------------------------------------------------------------------------
  std::optional<std::string> text(const YAML::Node& node, const std::string& path,
                                  std::string_view expected) {
    if (!node.IsScalar()) {
      error(path, node, "expected " + std::string(expected) + ", got " + kind(node));
      return std::nullopt;
    }
    return node.Scalar();
  }
  std::optional<std::string> name(const YAML::Node& node, const std::string& path) {
    auto t = text(node, path, "a name");
    if (!t) return t;
    bool valid = !t->empty();
    for (char c : *t)
      valid = valid && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '_' || c == '-');
    if (!valid) {
      error(path, node, "'" + *t + "' is not a name: use letters, digits, '_' or '-'");
      return std::nullopt;
    }
    return t;
  }
  std::optional<int> integer(const YAML::Node& node, const std::string& path, int min, int max) {
    auto t = text(node, path, "an integer");
    if (!t) return std::nullopt;
    int v = 0;
    try {
      std::size_t used = 0;
      v = std::stoi(*t, &used);
      if (used != t->size()) throw std::invalid_argument("trailing text");
    } catch (const std::exception&) {
      error(path, node, "expected an integer, got '" + *t + "'");
      return std::nullopt;
    }
    if (v < min || v > max) {
      error(path, node,
            std::to_string(v) + " is out of range (" + std::to_string(min) + "-" + std::to_string(max) + ")");
      return std::nullopt;
    }
    return v;
  }
  std::optional<bool> boolean(const YAML::Node& node, const std::string& path) {
    auto t = text(node, path, "true or false");
    if (!t) return std::nullopt;
    if (*t == "true" || *t == "yes") return true;
    if (*t == "false" || *t == "no") return false;
    error(path, node, "expected true or false, got '" + *t + "'");
    return std::nullopt;
  }
  std::optional<std::chrono::milliseconds> duration(const YAML::Node& node, const std::string& path) {
    auto t = text(node, path, "a duration such as 3s or 500ms");
    if (!t) return std::nullopt;
    auto d = parse_duration(*t);
    if (!d || d->count() <= 0) {
      std::string hint;
      if (!t->empty() && t->find_first_not_of("0123456789") == std::string::npos)
        hint = " (add a unit: " + *t + "s or " + *t + "ms)";
      error(path, node, "expected a duration such as 3s or 500ms, got '" + *t + "'" + hint);
      return std::nullopt;
    }
    if (*d > std::chrono::minutes(5)) {
      error(path, node, "'" + *t + "' is too long (at most 5m)");
      return std::nullopt;
    }
    return *d;
  }
  std::optional<std::string> one_of(const YAML::Node& node, const std::string& path,
                                    const std::vector<std::string>& allowed) {
    auto t = text(node, path, "one of " + join(allowed));
    if (!t) return std::nullopt;
    if (std::find(allowed.begin(), allowed.end(), *t) != allowed.end()) return t;
    error(path, node, "'" + *t + "' is not one of " + join(allowed) + did_you_mean(*t, allowed));
    return std::nullopt;
  }
  std::optional<Template> templ(const YAML::Node& node, const std::string& path) {
    auto t = text(node, path, "text");
    if (!t) return std::nullopt;
    return templ_text(*t, node, path);
  }
  std::optional<Template> templ_text(const std::string& t, const YAML::Node& node, const std::string& path) {
    auto parsed = parse_template(t);
    if (parsed.error) {
      error(path, node, *parsed.error);
      return std::nullopt;
    }
    for (const auto& part : parsed.value.parts)
      if (part.placeholder) placeholders_.push_back({path, line_of(node), part.text});
    return std::move(parsed.value);
  }
  void state_ref(const YAML::Node& node, const std::string& path, std::string& out) {
    if (auto n = name(node, path)) {
      out = *n;
      state_refs_.push_back({path, line_of(node), *n});
    }
  }
  void check_language(const std::string& lang, const YAML::Node& node, const std::string& path) {
    if (std::find(flow_.languages.begin(), flow_.languages.end(), lang) == flow_.languages.end())
      error(path, node,
            "'" + lang + "' is not a language of this flow (languages: " + join(flow_.languages) + ")" +
                did_you_mean(lang, flow_.languages));
  }

  // A value given once for every language, or per language ({ru: ..., en: ...}); calls `each` for each
  // (language, node, path). Returns false when the node is per language (so callers can check coverage).
  template <class F>
  void per_language(const YAML::Node& node, const std::string& path, F&& each) {
    if (!node.IsMap()) {
      for (const auto& lang : flow_.languages) each(lang, node, path);
      return;
    }
    Map map(*this, node, path);
    for (auto it = node.begin(); it != node.end(); ++it) {
      auto lang = it->first.Scalar();
      map.get(lang);
      check_language(lang, it->first, map.at(lang));
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      auto lang = it->first.Scalar();
      if (std::find(flow_.languages.begin(), flow_.languages.end(), lang) != flow_.languages.end())
        each(lang, it->second, map.at(lang));
    }
  }

  std::optional<Prompt> prompt(const YAML::Node& node, const std::string& path) {
    Prompt p;
    if (!node.IsMap() && flow_.languages.size() > 1) {
      error(path, node,
            "give the prompt in each language of the flow (" + join(flow_.languages) + "), e.g. " +
                flow_.languages.front() + ": \"...\"");
      return std::nullopt;
    }
    bool ok = true;
    per_language(node, path, [&](const std::string& lang, const YAML::Node& n, const std::string& p_path) {
      auto t = templ(n, p_path);
      if (t) {
        p.by_language[lang] = std::move(*t);
      } else {
        ok = false;
      }
    });
    if (node.IsMap()) {
      for (const auto& lang : flow_.languages)
        if (!node[lang].IsDefined()) {
          error(path, node,
                "no '" + lang + "' prompt (the flow's languages are " + join(flow_.languages) + ")");
          ok = false;
        }
    }
    if (!ok) return std::nullopt;
    return p;
  }

  std::optional<Pattern> pattern(const YAML::Node& node, const std::string& path) {
    auto t = text(node, path, "a regular expression");
    if (!t) return std::nullopt;
    if (t->size() > kMaxPatternLength) {
      error(path, node,
            "regular expression is too long (" + std::to_string(t->size()) + " characters, at most " +
                std::to_string(kMaxPatternLength) + ")");
      return std::nullopt;
    }
    // A quantified group that itself contains a quantifier ("(a+)+", "(\\d*)*") backtracks exponentially on
    // a near-miss; std::regex has no guard against it.
    static const std::regex nested(R"(\([^()]*[+*}][^()]*\)[+*{])");
    if (std::regex_search(*t, nested)) {
      error(path, node,
            "nested quantifiers ('" + *t +
                "') can take exponential time on some input; quantify the group or its content, not both");
      return std::nullopt;
    }
    try {
      return Pattern{*t, std::make_shared<const std::regex>(*t, std::regex::ECMAScript | std::regex::icase)};
    } catch (const std::regex_error& e) {
      error(path, node, "invalid regular expression '" + *t + "': " + e.what());
      return std::nullopt;
    }
  }

  std::optional<std::string> dtmf_digits(const YAML::Node& node, const std::string& path) {
    auto t = text(node, path, "DTMF digits");
    if (!t) return std::nullopt;
    if (t->empty() || t->find_first_not_of("0123456789*#ABCD") != std::string::npos) {
      error(path, node, "'" + *t + "' is not DTMF: use 0-9, *, # (and A-D)");
      return std::nullopt;
    }
    return t;
  }

  // --- structure ---------------------------------------------------------------------------------------
  std::vector<Action> actions(const YAML::Node& node, const std::string& path);
  std::optional<Action> action(const YAML::Node& node, const std::string& path);
  std::shared_ptr<const HttpCall> http(const YAML::Node& node, const std::string& path);
  std::optional<nlohmann::json> json_body(const YAML::Node& node, const std::string& path);
  void outcome(Map& map, Outcome& out, bool must_leave, const char* what);
  RetryPolicy retry(const YAML::Node* node, const std::string& path, const RetryPolicy& defaults,
                    const char* what);
  std::optional<Intent> intent(const YAML::Node& node, const std::string& path);
  std::vector<Intent> intents(const YAML::Node& node, const std::string& path);
  void listen(const YAML::Node& node, const std::string& path, State& state);
  void slot(const YAML::Node& node, const std::string& path, State& state);
  void state(const YAML::Node& node, const std::string& path, State& state);
  void check_references();
  void check_reachability(const YAML::Node& states_node);

  const FlowLoadOptions& options_;
  FlowLoadResult result_;
  Flow flow_;
  RetryPolicy default_no_input_;
  RetryPolicy default_no_match_;
  std::vector<Reference> state_refs_;
  std::vector<Reference> placeholders_;
  std::set<std::string> slot_names_;
  std::map<std::string, int> state_lines_;
};

bool ends_state(const std::vector<Action>& list) {
  if (list.empty()) return false;
  const auto& last = list.back();
  return std::holds_alternative<GotoAction>(last) || std::holds_alternative<TransferAction>(last) ||
         std::holds_alternative<HangupAction>(last) || std::holds_alternative<HttpAction>(last);
}

std::string action_name(const Action& a) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, GotoAction>) return "goto";
        if constexpr (std::is_same_v<T, TransferAction>) return "transfer";
        if constexpr (std::is_same_v<T, HangupAction>) return "hangup";
        if constexpr (std::is_same_v<T, HttpAction>) return "http";
        return "an action";
      },
      a);
}

std::vector<Action> Loader::actions(const YAML::Node& node, const std::string& path) {
  std::vector<Action> out;
  if (!node.IsSequence()) {
    error(path, node, "expected a list of actions (- say: ..., - goto: ...), got " + kind(node));
    return out;
  }
  for (std::size_t i = 0; i < node.size(); ++i) {
    auto item_path = path + "[" + std::to_string(i) + "]";
    if (ends_state(out)) {
      error(item_path, node[i],
            "never runs: the action before it (" + action_name(out.back()) + ") ends the state");
      continue;
    }
    if (auto a = action(node[i], item_path)) out.push_back(std::move(*a));
  }
  return out;
}

std::optional<Action> Loader::action(const YAML::Node& node, const std::string& path) {
  if (!node.IsMap() || node.size() != 1) {
    error(path, node, "an action is one of " + join(names(kActionNames)) + ", written as '- goto: menu'");
    return std::nullopt;
  }
  auto key = node.begin()->first.Scalar();
  YAML::Node value = node.begin()->second;
  auto at = path + "." + key;
  if (key == "say") {
    if (auto p = prompt(value, at)) return SayAction{std::move(*p)};
  } else if (key == "goto") {
    GotoAction a;
    state_ref(value, at, a.state);
    if (!a.state.empty()) return a;
  } else if (key == "transfer") {
    if (auto t = templ(value, at)) {
      if (t->parts.empty()) {
        error(at, value, "a transfer needs a target (a number or a SIP URI)");
        return std::nullopt;
      }
      return TransferAction{std::move(*t)};
    }
  } else if (key == "hangup") {
    if (auto r = one_of(value, at, names(kHangupReasons))) {
      HangupAction a;
      for (auto reason : {HangupReason::completed, HangupReason::caller_request, HangupReason::no_input,
                          HangupReason::no_match, HangupReason::error})
        if (to_string(reason) == *r) a.reason = reason;
      return a;
    }
  } else if (key == "send_dtmf") {
    if (auto d = dtmf_digits(value, at)) return SendDtmfAction{Template{{{false, *d}}}};
  } else if (key == "set") {
    SetMetadataAction a;
    if (!value.IsMap()) {
      error(at, value,
            "expected a mapping of metadata keys to values (set: {department: sales}), got " + kind(value));
      return std::nullopt;
    }
    for (auto it = value.begin(); it != value.end(); ++it) {
      auto k = it->first.Scalar();
      if (auto t = templ(it->second, at + "." + k)) a.values.emplace_back(k, std::move(*t));
    }
    return a;
  } else if (key == "set_language") {
    if (auto t = text(value, at, "a language")) {
      check_language(*t, value, at);
      return SetLanguageAction{*t};
    }
  } else if (key == "http") {
    if (auto h = http(value, at)) return HttpAction{std::move(h)};
  } else {
    error(at, node.begin()->first,
          "unknown action" + did_you_mean(key, names(kActionNames)) +
              " (actions: " + join(names(kActionNames)) + ")");
  }
  return std::nullopt;
}

std::optional<nlohmann::json> Loader::json_body(const YAML::Node& node, const std::string& path) {
  if (node.IsMap()) {
    auto obj = nlohmann::json::object();
    for (auto it = node.begin(); it != node.end(); ++it) {
      auto k = it->first.Scalar();
      auto v = json_body(it->second, path + "." + k);
      if (!v) return std::nullopt;
      obj[k] = std::move(*v);
    }
    return obj;
  }
  if (node.IsSequence()) {
    auto arr = nlohmann::json::array();
    for (std::size_t i = 0; i < node.size(); ++i) {
      auto v = json_body(node[i], path + "[" + std::to_string(i) + "]");
      if (!v) return std::nullopt;
      arr.push_back(std::move(*v));
    }
    return arr;
  }
  if (node.IsNull()) return nlohmann::json();
  const auto& s = node.Scalar();
  // Plain (unquoted) numbers and booleans stay numbers and booleans; everything else is a text template.
  if (node.Tag() == "?") {
    if (s == "true" || s == "false") return nlohmann::json(s == "true");
    if (!s.empty() && s.find_first_not_of("-0123456789.eE+") == std::string::npos) {
      auto parsed = nlohmann::json::parse(s, nullptr, false);
      if (!parsed.is_discarded() && parsed.is_number()) return parsed;
    }
  }
  if (!templ_text(s, node, path)) return std::nullopt;
  return nlohmann::json(s);
}

std::shared_ptr<const HttpCall> Loader::http(const YAML::Node& node, const std::string& path) {
  Map m(*this, node, path);
  if (!m.valid()) return nullptr;
  auto call = std::make_shared<HttpCall>();
  bool ok = true;
  if (auto v = m.get("method")) {
    if (auto method = one_of(*v, m.at("method"), names(kMethods))) {
      call->method = *method;
    } else {
      ok = false;
    }
  }
  if (auto v = m.get("url")) {
    auto t = templ(*v, m.at("url"));
    ok = ok && t.has_value();
    if (t) call->url = std::move(*t);
  } else {
    error(m.at("url"), node, "is required");
    ok = false;
  }
  if (auto v = m.get("headers")) {
    if (v->IsMap()) {
      for (auto it = v->begin(); it != v->end(); ++it)
        if (auto t = templ(it->second, m.at("headers") + "." + it->first.Scalar()))
          call->headers.emplace_back(it->first.Scalar(), std::move(*t));
    } else {
      error(m.at("headers"), *v, "expected a mapping of header names to values, got " + kind(*v));
    }
  }
  if (auto v = m.get("body")) {
    call->body = json_body(*v, m.at("body"));
    ok = ok && call->body.has_value();
  }
  if (auto v = m.get("timeout")) {
    if (auto d = duration(*v, m.at("timeout"))) call->timeout = *d;
  }
  if (auto v = m.get("save")) {
    if (v->IsMap()) {
      for (auto it = v->begin(); it != v->end(); ++it) {
        auto slot_path = m.at("save") + "." + it->first.Scalar();
        auto slot = name(it->first, slot_path);
        auto field = text(it->second, slot_path, "a JSON field of the answer (data.balance)");
        if (slot && field) {
          call->save.emplace_back(*slot, *field);
          slot_names_.insert(*slot);
        }
      }
    } else {
      error(m.at("save"), *v,
            "expected a mapping of slot names to JSON fields (balance: data.balance), got " + kind(*v));
    }
  }
  if (auto v = m.get("when")) {
    if (v->IsSequence()) {
      for (std::size_t i = 0; i < v->size(); ++i) {
        Map c(*this, (*v)[i], m.at("when") + "[" + std::to_string(i) + "]");
        if (!c.valid()) continue;
        HttpCondition cond;
        auto field = c.get("field");
        auto equals = c.get("equals");
        auto next = c.get("next");
        if (field) cond.field = text(*field, c.at("field"), "a JSON field").value_or("");
        if (equals) cond.equals = text(*equals, c.at("equals"), "a value").value_or("");
        if (next) state_ref(*next, c.at("next"), cond.next);
        for (auto [key, present] :
             {std::pair{"field", field.has_value()}, std::pair{"equals", equals.has_value()},
              std::pair{"next", next.has_value()}})
          if (!present) error(c.at(key), c.node(), "is required");
        c.finish();
        call->when.push_back(std::move(cond));
      }
    } else {
      error(
          m.at("when"), *v,
          "expected a list of conditions (- field: status, equals: blocked, next: blocked), got " + kind(*v));
    }
  }
  if (auto v = m.get("on")) {
    Map on(*this, *v, m.at("on"));
    if (on.valid()) {
      for (auto it = v->begin(); it != v->end(); ++it) {
        auto key = it->first.Scalar();
        bool status = key.size() == 3 && key.find_first_not_of("0123456789") == std::string::npos &&
                      key[0] >= '1' && key[0] <= '5';
        if (key == "ok" || key == "error" || key == "timeout" || key == "invalid" || status) {
          on.get(key);
          state_ref(it->second, on.at(key), call->on[key]);
        }
      }
      for (const char* key : {"ok", "error"})
        if (!v->operator[](key).IsDefined()) error(on.at(key), *v, "is required (the state to go to)");
      on.get("ok");
      on.get("error");
      on.get("timeout");
      on.get("invalid");
      on.finish();
    }
  } else {
    error(m.at("on"), node,
          "is required: where to go on ok and on error (on: {ok: state_a, error: state_b})");
  }
  m.finish();
  if (!ok) return nullptr;
  return call;
}

void Loader::outcome(Map& map, Outcome& out, bool must_leave, const char* what) {
  auto errors_before = result_.errors.size();
  if (auto v = map.get("actions")) out.actions = actions(*v, map.at("actions"));
  // An action with a mistake is already reported; "goes nowhere" would only repeat it.
  if (result_.errors.size() != errors_before) must_leave = false;
  if (auto v = map.get("next")) {
    if (ends_state(out.actions)) {
      error(map.at("next"), *v, "is never used: the actions end with " + action_name(out.actions.back()));
    } else {
      state_ref(*v, map.at("next"), out.next);
    }
  }
  if (must_leave && out.next.empty() && !ends_state(out.actions) && map.valid())
    error(map.path(), map.node(),
          std::string(what) +
              " goes nowhere: add next, or end its actions with goto, transfer, hangup or http");
}

RetryPolicy Loader::retry(const YAML::Node* node, const std::string& path, const RetryPolicy& defaults,
                          const char* what) {
  RetryPolicy policy = defaults;
  if (node == nullptr) return policy;
  Map m(*this, *node, path);
  if (!m.valid()) return policy;
  if (auto v = m.get("retries"))
    policy.retries = integer(*v, m.at("retries"), 0, 10).value_or(defaults.retries);
  if (auto v = m.get("say")) policy.say = prompt(*v, m.at("say"));
  bool has_then = m.has("actions") || m.has("next");
  if (has_then) {
    policy.then = {};
    outcome(m, policy.then, true, what);
  } else {
    m.get("actions");
    m.get("next");
  }
  m.finish();
  return policy;
}

std::optional<Intent> Loader::intent(const YAML::Node& node, const std::string& path) {
  Map m(*this, node, path);
  if (!m.valid()) return std::nullopt;
  Intent in;
  auto errors_before = result_.errors.size();
  if (auto v = m.get("name")) {
    in.name = name(*v, m.at("name")).value_or("");
  } else {
    error(m.at("name"), node, "is required");
  }
  auto strings = [&](const YAML::Node& n, const std::string& p, auto&& each) {
    if (n.IsSequence()) {
      for (std::size_t i = 0; i < n.size(); ++i) each(n[i], p + "[" + std::to_string(i) + "]");
    } else {
      each(n, p);
    }
  };
  if (auto v = m.get("keywords")) {
    per_language(*v, m.at("keywords"),
                 [&](const std::string& lang, const YAML::Node& n, const std::string& p) {
                   strings(n, p, [&](const YAML::Node& item, const std::string& item_path) {
                     auto t = text(item, item_path, "a keyword phrase");
                     if (!t) return;
                     auto k = parse_keyword(*t);
                     if (k.words.empty()) {
                       error(item_path, item, "'" + *t + "' has no letters or digits to match");
                       return;
                     }
                     in.keywords[lang].push_back(std::move(k));
                   });
                 });
  }
  if (auto v = m.get("regex")) {
    per_language(*v, m.at("regex"), [&](const std::string& lang, const YAML::Node& n, const std::string& p) {
      strings(n, p, [&](const YAML::Node& item, const std::string& item_path) {
        if (auto pat = pattern(item, item_path)) in.patterns[lang].push_back(std::move(*pat));
      });
    });
  }
  if (auto v = m.get("dtmf")) {
    strings(*v, m.at("dtmf"), [&](const YAML::Node& item, const std::string& item_path) {
      if (auto d = dtmf_digits(item, item_path)) in.dtmf.push_back(*d);
    });
  }
  bool speech = m.has("keywords") || m.has("regex");
  if (!speech && !m.has("dtmf"))
    error(path, node, "intent '" + in.name + "' has nothing to match: add keywords, regex or dtmf");
  if (speech && result_.errors.size() == errors_before) {
    for (const auto& lang : flow_.languages)
      if (!in.keywords.contains(lang) && !in.patterns.contains(lang))
        warning(path, node,
                "intent '" + in.name + "' has no '" + lang +
                    "' keywords or regex: callers in that language reach it only by DTMF");
  }
  outcome(m, in.outcome, false, "the intent");
  if (in.outcome.next.empty() && in.outcome.actions.empty() && m.valid())
    error(path, node, "intent '" + in.name + "' does nothing: add next or actions");
  m.finish();
  return in;
}

std::vector<Intent> Loader::intents(const YAML::Node& node, const std::string& path) {
  std::vector<Intent> out;
  if (!node.IsSequence()) {
    error(path, node, "expected a list of intents (- name: ...), got " + kind(node));
    return out;
  }
  std::map<std::string, std::string> dtmf_owner;
  for (std::size_t i = 0; i < node.size(); ++i) {
    auto item_path = path + "[" + std::to_string(i) + "]";
    if (auto in = intent(node[i], item_path)) {
      for (const auto& d : in->dtmf) {
        if (auto [pos, inserted] = dtmf_owner.emplace(d, in->name); !inserted)
          error(item_path + ".dtmf", node[i]["dtmf"],
                "'" + d + "' is already the key of intent '" + pos->second + "'");
      }
      out.push_back(std::move(*in));
    }
  }
  return out;
}

void Loader::listen(const YAML::Node& node, const std::string& path, State& state) {
  Map m(*this, node, path);
  if (!m.valid()) return;
  Listen l;
  if (auto v = m.get("intents")) {
    l.intents = intents(*v, m.at("intents"));
  } else if (flow_.global_intents.empty()) {
    error(m.at("intents"), node, "is required: what the caller may say or key here");
  }
  auto no_input = m.get("no_input");
  auto no_match = m.get("no_match");
  l.no_input = retry(no_input ? &*no_input : nullptr, m.at("no_input"), default_no_input_, "no_input");
  l.no_match = retry(no_match ? &*no_match : nullptr, m.at("no_match"), default_no_match_, "no_match");
  m.finish();
  state.listen = std::move(l);
}

void Loader::slot(const YAML::Node& node, const std::string& path, State& state) {
  Map m(*this, node, path);
  if (!m.valid()) return;
  Slot s;
  if (auto v = m.get("name")) {
    s.name = name(*v, m.at("name")).value_or("");
    if (!s.name.empty()) slot_names_.insert(s.name);
  } else {
    error(m.at("name"), node, "is required: the slot's name, used as {name} in prompts");
  }
  if (auto v = m.get("digits")) {
    Map d(*this, *v, m.at("digits"));
    DigitRule rule;
    if (auto x = d.get("min")) rule.min_length = integer(*x, d.at("min"), 1, 64).value_or(rule.min_length);
    if (auto x = d.get("max")) rule.max_length = integer(*x, d.at("max"), 1, 64).value_or(rule.max_length);
    if (auto x = d.get("terminator")) {
      auto t = text(*x, d.at("terminator"), "'#', '*' or none");
      if (t && *t != "#" && *t != "*" && *t != "none")
        error(d.at("terminator"), *x, "'" + *t + "' is not a terminator: use '#', '*' or none");
      else if (t)
        rule.terminator = *t == "none" ? "" : *t;
    }
    if (auto x = d.get("timeout"))
      rule.inter_digit_timeout = duration(*x, d.at("timeout")).value_or(rule.inter_digit_timeout);
    if (rule.min_length > rule.max_length)
      error(d.at("min"), d.node(),
            "min (" + std::to_string(rule.min_length) + ") is greater than max (" +
                std::to_string(rule.max_length) + ")");
    d.finish();
    s.digits = rule;
  }
  if (auto v = m.get("pattern")) {
    per_language(*v, m.at("pattern"),
                 [&](const std::string& lang, const YAML::Node& n, const std::string& p) {
                   if (auto pat = pattern(n, p)) s.pattern[lang] = std::move(*pat);
                 });
  }
  if (!m.has("digits") && !m.has("pattern"))
    error(path, node, "slot '" + s.name + "' has no way to be filled: add digits or pattern");
  auto no_input = m.get("no_input");
  auto invalid = m.get("invalid");
  s.no_input = retry(no_input ? &*no_input : nullptr, m.at("no_input"), default_no_input_, "no_input");
  s.invalid = retry(invalid ? &*invalid : nullptr, m.at("invalid"), default_no_match_, "invalid");
  outcome(m, s.filled, true, "the filled slot");
  m.finish();
  state.slot = std::move(s);
}

void Loader::state(const YAML::Node& node, const std::string& path, State& st) {
  Map m(*this, node, path);
  if (!m.valid()) return;
  if (auto v = m.get("say")) st.say = prompt(*v, m.at("say"));
  if (auto v = m.get("interruptible")) st.interruptible = boolean(*v, m.at("interruptible")).value_or(true);
  auto errors_before = result_.errors.size();
  if (auto v = m.get("actions")) st.actions = actions(*v, m.at("actions"));
  bool actions_ok = result_.errors.size() == errors_before;
  auto l = m.get("listen");
  auto s = m.get("slot");
  if (l) listen(*l, m.at("listen"), st);
  if (s) slot(*s, m.at("slot"), st);
  if (l && s)
    error(m.at("slot"), *s, "a state either listens for intents or fills a slot, not both: split it in two");
  if (auto v = m.get("llm")) {
    if (l || s) {
      error(m.at("llm"), *v, "a state that hands the call to the LLM neither listens nor fills a slot");
    } else {
      Map h(*this, *v, m.at("llm"));
      if (h.valid()) {
        LlmHandover handover;
        if (auto t = h.get("instructions"))
          handover.instructions = text(*t, h.at("instructions"), "text").value_or("");
        if (auto r = h.get("return_to")) state_ref(*r, h.at("return_to"), handover.return_to);
        h.finish();
        st.llm = std::move(handover);
      }
    }
    l = v;  // like listening: the state waits for the caller (through the model)
  }
  bool ends = ends_state(st.actions);
  if (auto v = m.get("next")) {
    if (l || s) {
      error(m.at("next"), *v,
            "is not used in a state that " + std::string(l ? "listens" : "fills a slot") +
                ": put next in the " + (l ? "intents" : "slot"));
    } else if (ends) {
      error(m.at("next"), *v, "is never used: the actions end with " + action_name(st.actions.back()));
    } else {
      state_ref(*v, m.at("next"), st.next);
    }
  } else if (ends && (l || s)) {
    error(m.at("actions"), node["actions"],
          "end with " + action_name(st.actions.back()) + ", so the state never " +
              (l ? "listens" : "fills its slot"));
  } else if (!l && !s && !ends && actions_ok) {
    error(path, node,
          "state '" + st.name +
              "' has no way out: add listen, slot or next, or end its actions with goto, transfer, hangup or "
              "http");
  }
  m.finish();
}

void Loader::check_references() {
  std::vector<std::string> states;
  for (const auto& [n, _] : flow_.states) states.push_back(n);
  for (const auto& r : state_refs_) {
    if (flow_.states.contains(r.name)) continue;
    result_.errors.push_back(
        {r.path, "unknown state '" + r.name + "'" + did_you_mean(r.name, states), r.line});
  }
  std::vector<std::string> known(std::begin(kBuiltinNames), std::end(kBuiltinNames));
  for (const auto& [n, _] : flow_.vars) known.push_back(n);
  known.insert(known.end(), slot_names_.begin(), slot_names_.end());
  for (const auto& r : placeholders_) {
    if (r.name.starts_with("attr.")) continue;  // call attributes (sip.* of LiveKit, chosen SIP headers)
    if (std::find(known.begin(), known.end(), r.name) != known.end()) continue;
    result_.errors.push_back(
        {r.path,
         "unknown placeholder '{" + r.name + "}'" + did_you_mean(r.name, known) +
             " (placeholders: slots, vars, caller, dialed, call_id, language, attr.NAME)",
         r.line});
  }
}

void visit_outcome(const Outcome& o, std::vector<std::string>& to) {
  for (const auto& a : o.actions) {
    if (const auto* g = std::get_if<GotoAction>(&a)) to.push_back(g->state);
    if (const auto* h = std::get_if<HttpAction>(&a); h && h->call) {
      for (const auto& [_, s] : h->call->on) to.push_back(s);
      for (const auto& c : h->call->when) to.push_back(c.next);
    }
  }
  if (!o.next.empty()) to.push_back(o.next);
}

void Loader::check_reachability(const YAML::Node& states_node) {
  if (!flow_.states.contains(flow_.start)) return;
  std::vector<std::string> from_global;
  for (const auto& in : flow_.global_intents) visit_outcome(in.outcome, from_global);
  std::set<std::string> seen{flow_.start};
  std::vector<std::string> todo{flow_.start};
  while (!todo.empty()) {
    auto it = flow_.states.find(todo.back());
    todo.pop_back();
    if (it == flow_.states.end()) continue;
    const auto& st = it->second;
    std::vector<std::string> to;
    visit_outcome(Outcome{st.actions, st.next}, to);
    auto retry_targets = [&](const RetryPolicy& r) { visit_outcome(r.then, to); };
    if (st.listen) {
      for (const auto& in : st.listen->intents) visit_outcome(in.outcome, to);
      retry_targets(st.listen->no_input);
      retry_targets(st.listen->no_match);
    }
    if (st.slot) {
      visit_outcome(st.slot->filled, to);
      retry_targets(st.slot->no_input);
      retry_targets(st.slot->invalid);
    }
    if (st.listen || st.slot) to.insert(to.end(), from_global.begin(), from_global.end());
    for (const auto& t : to)
      if (seen.insert(t).second) todo.push_back(t);
  }
  for (const auto& [n, _] : flow_.states) {
    if (seen.contains(n)) continue;
    warning("states." + n, states_node[n],
            "state '" + n + "' is unreachable from the start state '" + flow_.start + "'");
  }
  // A warning's line is the state's key line when the mapping has no mark of its own.
  for (auto& w : result_.warnings)
    if (w.line == 0 && w.path.starts_with("states."))
      if (auto l = state_lines_.find(w.path.substr(7)); l != state_lines_.end()) w.line = l->second;
}

FlowLoadResult Loader::load(const YAML::Node& root) {
  Map m(*this, root, "");
  if (!m.valid()) return std::move(result_);
  if (auto v = m.get("flow")) flow_.name = name(*v, "flow").value_or("");
  if (auto v = m.get("language")) {
    flow_.language = text(*v, "language", "a language (ru or en)").value_or("");
  } else {
    error("language", root, "is required: the flow's default language (ru or en)");
  }
  if (auto v = m.get("languages")) {
    if (v->IsSequence()) {
      for (std::size_t i = 0; i < v->size(); ++i)
        if (auto t = one_of((*v)[i], "languages[" + std::to_string(i) + "]", {"ru", "en"}))
          flow_.languages.push_back(*t);
      if (!flow_.language.empty() &&
          std::find(flow_.languages.begin(), flow_.languages.end(), flow_.language) == flow_.languages.end())
        error("language", root["language"],
              "'" + flow_.language + "' is not in languages (" + join(flow_.languages) + ")");
    } else {
      error("languages", *v, "expected a list of languages ([ru, en]), got " + kind(*v));
    }
  } else if (!flow_.language.empty()) {
    if (auto v2 = m.get("language")) one_of(*v2, "language", {"ru", "en"});
    flow_.languages = {flow_.language};
  }
  if (flow_.languages.empty()) flow_.languages = {"ru"};  // keeps checking prompts after a language error
  flow_.start = "start";
  if (auto v = m.get("start")) flow_.start = name(*v, "start").value_or("start");
  if (auto v = m.get("vars")) {
    if (v->IsMap()) {
      for (auto it = v->begin(); it != v->end(); ++it) {
        auto var_path = "vars." + it->first.Scalar();
        auto n = name(it->first, var_path);
        auto t = text(it->second, var_path, "text");
        if (!n || !t) continue;
        auto sub = substitute_env(*t, options_.env);
        for (auto& e : sub.errors) error(var_path, it->second, e);
        flow_.vars[*n] = sub.value;
      }
    } else {
      error("vars", *v, "expected a mapping of names to values, got " + kind(*v));
    }
  }
  if (auto v = m.get("dtmf_timeout"))
    flow_.dtmf_timeout = duration(*v, "dtmf_timeout").value_or(flow_.dtmf_timeout);
  // Built in: one re-prompt, then end the call with the matching reason.
  default_no_input_.then.actions = {HangupAction{HangupReason::no_input}};
  default_no_match_.then.actions = {HangupAction{HangupReason::no_match}};
  if (auto v = m.get("defaults")) {
    Map d(*this, *v, "defaults");
    auto ni = d.get("no_input");
    auto nm = d.get("no_match");
    default_no_input_ = retry(ni ? &*ni : nullptr, "defaults.no_input", default_no_input_, "no_input");
    default_no_match_ = retry(nm ? &*nm : nullptr, "defaults.no_match", default_no_match_, "no_match");
    d.finish();
  }
  if (auto v = m.get("intents")) flow_.global_intents = intents(*v, "intents");
  auto states = m.get("states");
  if (!states) {
    error("states", root, "is required: the flow's states, one of them '" + flow_.start + "'");
  } else if (!states->IsMap()) {
    error("states", *states, "expected a mapping of state names to states, got " + kind(*states));
  } else {
    Map sm(*this, *states, "states");
    for (auto it = states->begin(); it != states->end(); ++it) {
      auto key = it->first.Scalar();
      sm.get(key);
      auto n = name(it->first, "states." + key);
      if (!n) continue;
      state_lines_[*n] = line_of(it->first);
      State st;
      st.name = *n;
      state(it->second.IsNull() ? YAML::Node(YAML::NodeType::Map) : it->second, "states." + *n, st);
      flow_.states.emplace(*n, std::move(st));
    }
    if (!flow_.states.contains(flow_.start)) {
      std::vector<std::string> all;
      for (const auto& [n, _] : flow_.states) all.push_back(n);
      YAML::Node where = m.has("start") ? root["start"] : *states;
      error(m.has("start") ? "start" : "states", where,
            "no start state '" + flow_.start + "'" + did_you_mean(flow_.start, all) +
                (m.has("start") ? "" : "; name one 'start' or set start: to the first state"));
    }
  }
  m.finish();
  check_references();
  if (states && states->IsMap()) check_reachability(*states);
  auto by_line = [](const config::Diagnostic& a, const config::Diagnostic& b) { return a.line < b.line; };
  std::stable_sort(result_.errors.begin(), result_.errors.end(), by_line);
  std::stable_sort(result_.warnings.begin(), result_.warnings.end(), by_line);
  if (result_.ok()) result_.flow = std::make_shared<const Flow>(std::move(flow_));
  return std::move(result_);
}

}  // namespace

FlowLoadResult load_flow_string(const std::string& yaml_text, const FlowLoadOptions& options) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    FlowLoadResult r;
    r.errors.push_back({"", "not valid YAML: " + e.msg, e.mark.is_null() ? 0 : e.mark.line + 1});
    return r;
  }
  Loader loader(options);
  return loader.load(root);
}

FlowLoadResult load_flow_file(const std::string& path, const FlowLoadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    FlowLoadResult r;
    r.errors.push_back({"", "cannot read flow file '" + path + "'", 0});
    return r;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return load_flow_string(text.str(), options);
}

}  // namespace va::voice::flow
