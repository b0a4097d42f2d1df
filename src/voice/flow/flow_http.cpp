#include "voice/flow/flow_http.hpp"

#include "voice/flow/template.hpp"

namespace va::voice::flow {
namespace {

nlohmann::json render_body(const nlohmann::json& body, const PlaceholderLookup& lookup) {
  if (body.is_string()) {
    auto parsed = parse_template(body.get<std::string>());
    return parsed.error ? body : nlohmann::json(render(parsed.value, lookup));
  }
  if (body.is_object() || body.is_array()) {
    auto out = body;
    for (auto& item : out) item = render_body(item, lookup);
    return out;
  }
  return body;
}

bool is_2xx(int status) {
  return status >= 200 && status < 300;
}

}  // namespace

FetchRequest build_request(const HttpCall& call, const PlaceholderLookup& lookup) {
  FetchRequest request;
  request.method = call.method;
  request.url = render(call.url, lookup);
  request.timeout = call.timeout;
  request.headers["Accept"] = "application/json";
  if (call.body) {
    request.body = render_body(*call.body, lookup).dump();
    request.headers["Content-Type"] = "application/json";
  }
  for (const auto& [name, value] : call.headers) request.headers[name] = render(value, lookup);
  return request;
}

std::optional<std::string> json_field(const nlohmann::json& doc, const std::string& path) {
  const nlohmann::json* at = &doc;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto dot = path.find('.', start);
    auto key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (at->is_object()) {
      auto it = at->find(key);
      if (it == at->end()) return std::nullopt;
      at = &*it;
    } else if (at->is_array() && !key.empty() && key.find_first_not_of("0123456789") == std::string::npos &&
               key.size() < 9 && std::stoul(key) < at->size()) {
      at = &(*at)[std::stoul(key)];
    } else {
      return std::nullopt;
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (at->is_string()) return at->get<std::string>();
  if (at->is_null()) return std::nullopt;
  return at->dump();
}

HttpAnswer interpret(const HttpCall& call, const FetchResponse& response) {
  HttpAnswer answer;
  auto go = [&](const std::string& outcome) {
    answer.outcome = outcome;
    auto it = call.on.find(outcome);
    answer.next = it != call.on.end() ? it->second : call.on.at("error");
    return answer;
  };
  if (response.status == 0) return go("timeout");
  auto status = std::to_string(response.status);
  auto doc = nlohmann::json::parse(response.body, nullptr, false);
  bool json = !doc.is_discarded();
  // Fields are kept whenever the answer carries them, also for error statuses ("message" of a 404).
  bool all_saved = json;
  if (json) {
    for (const auto& [slot, field] : call.save) {
      if (auto value = json_field(doc, field)) {
        answer.saved.emplace_back(slot, *value);
      } else {
        all_saved = false;
      }
    }
  }
  if (call.on.contains(status)) return go(status);
  if (!is_2xx(response.status)) return go("error");
  if (!json) return go("invalid");
  // Conditions first: an answer such as {"status": "not_found"} need not carry the fields `ok` saves.
  for (std::size_t i = 0; i < call.when.size(); ++i) {
    auto value = json_field(doc, call.when[i].field);
    if (value && *value == call.when[i].equals) {
      answer.outcome = "when[" + std::to_string(i) + "]";
      answer.next = call.when[i].next;
      return answer;
    }
  }
  if (!all_saved) return go("invalid");
  return go("ok");
}

}  // namespace va::voice::flow
