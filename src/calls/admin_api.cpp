#include "calls/admin_api.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>
#include <charconv>
#include <memory>
#include <nlohmann/json.hpp>

#include "calls/call_json.hpp"
#include "http/query.hpp"

namespace va::calls {
namespace {

using json = nlohmann::json;

std::array<unsigned char, SHA256_DIGEST_LENGTH> digest(std::string_view text) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> out{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data());
  return out;
}

http::Response unauthorized() {
  auto r =
      http::Response::error(401, "unauthorized", "this route needs Authorization: Bearer <http.admin_token>");
  r.header("WWW-Authenticate", "Bearer realm=\"voice-agent\"");
  return r;
}

http::Response store_failure(const StoreError& e) {
  if (e.kind == StoreError::Kind::invalid) return http::Response::error(400, "bad_request", e.message);
  return http::Response::error(503, "store_unavailable", e.message);
}

// The filter of GET /v1/calls, or the 400 that says which parameter is wrong.
std::variant<CallFilter, http::Response> filter_of(const http::Request& request) {
  auto query = http::parse_query(request.query);
  if (!query.error.empty()) return http::Response::error(400, "bad_request", query.error);
  CallFilter f;
  auto bad = [](const std::string& name, const std::string& value, const std::string& expected) {
    return http::Response::error(400, "bad_request", name + "=" + value + ": expected " + expected);
  };
  for (const auto& [name, value] : query.values) {
    if (name == "state") {
      f.state = parse_call_state(value);
      if (!f.state) return bad(name, value, "ringing, answered, active, on_hold, transferring or ended");
    } else if (name == "direction") {
      f.direction = parse_direction(value);
      if (!f.direction) return bad(name, value, "inbound or outbound");
    } else if (name == "source") {
      f.source = parse_source(value);
      if (!f.source) return bad(name, value, "sip or livekit");
    } else if (name == "number") {
      f.number = value;
    } else if (name == "instance") {
      f.instance = value;
    } else if (name == "from" || name == "to") {
      auto t = parse_time(value);
      if (!t) return bad(name, value, "an ISO 8601 UTC time (2026-12-05T10:00:00Z) or unix seconds");
      (name == "from" ? f.created_from : f.created_to) = t;
    } else if (name == "limit") {
      std::size_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size() || n < 1 || n > kMaxPageSize)
        return bad(name, value, "1 to " + std::to_string(kMaxPageSize));
      f.limit = n;
    } else if (name == "cursor") {
      f.cursor = value;
    } else {
      return http::Response::error(400, "bad_request", "unknown parameter '" + name + "'");
    }
  }
  return f;
}

http::Response control_failure(const ControlError& e) {
  switch (e.kind) {
    case ControlError::Kind::not_found:
      return http::Response::error(404, "not_found", e.message);
    case ControlError::Kind::conflict:
      return http::Response::error(409, "conflict", e.message);
    case ControlError::Kind::invalid:
      return http::Response::error(400, "bad_request", e.message);
    case ControlError::Kind::unavailable:
      break;
  }
  auto r = http::Response::error(503, "unavailable", e.message);
  r.header("Retry-After", "5");
  return r;
}

// The JSON object body of a POST, or the 400/415 that says why not.
std::variant<json, http::Response> object_body(const http::Request& request) {
  if (request.media_type() != "application/json")
    return http::Response::error(415, "unsupported_media_type", "send Content-Type: application/json");
  auto body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return http::Response::error(400, "bad_request", "the body is not a JSON object");
  return body;
}

// A string member of `body` ("" when absent), or the 400 naming it.
std::variant<std::string, http::Response> string_member(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string())
    return http::Response::error(400, "bad_request", std::string(name) + ": expected a string");
  return it->get<std::string>();
}

// The {id} of /v1/calls/{id}/<action>.
std::string call_id_segment(const std::string& path) {
  auto end = path.rfind('/');
  auto begin = path.rfind('/', end - 1);
  return path.substr(begin + 1, end - begin - 1);
}

// Why a call that is not live here cannot be steered: it ended, it runs on another instance, or there is
// no such call.
http::Response not_live(Store& store, const std::string& id, const ControlError& e) {
  if (e.kind != ControlError::Kind::not_found) return control_failure(e);
  auto found = store.find_call(id);
  if (!found.ok() || !*found) return control_failure(e);
  const auto& call = **found;
  if (call.state == CallState::ended)
    return http::Response::error(409, "conflict", "call " + id + " has ended");
  return http::Response::error(409, "conflict",
                               "call " + id + " runs on instance '" + call.instance + "': ask that instance");
}

}  // namespace

bool bearer_token_matches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view kScheme = "Bearer ";
  if (token.empty() || authorization.size() <= kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i)  // the scheme is case-insensitive (RFC 9110 §11.1)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i])))
      return false;
  // Digests of equal length: the comparison takes the same time whatever the tokens are.
  auto given = digest(authorization.substr(kScheme.size()));
  auto expected = digest(token);
  return CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

void add_admin_routes(http::Router& router, Store& store, const Orchestrator& orchestrator, std::string token,
                      CallControl* control) {
  auto shared_token = std::make_shared<const std::string>(std::move(token));
  auto guarded = [shared_token](http::Handler handler) -> http::Handler {
    return [shared_token, handler = std::move(handler)](const http::Request& request) {
      if (!bearer_token_matches(request.header("Authorization"), *shared_token)) return unauthorized();
      return handler(request);
    };
  };

  router.add(http::Method::get, "/v1/calls", guarded([&store](const http::Request& request) {
               auto filter = filter_of(request);
               if (auto* refused = std::get_if<http::Response>(&filter)) return *refused;
               auto page = store.list_calls(std::get<CallFilter>(filter));
               if (!page.ok()) return store_failure(page.error());
               json calls = json::array();
               for (const auto& c : page->calls) calls.push_back(call_json(c));
               json body = {
                   {"calls", std::move(calls)},
                   {"next_cursor", page->next_cursor.empty() ? json(nullptr) : json(page->next_cursor)}};
               return http::Response::json(200, body.dump());
             }),
             {{}, "/v1/calls"});

  router.add(http::Method::get, "/v1/calls/counts", guarded([&store, &orchestrator](const http::Request&) {
               auto stored = store.count_by_state();
               if (!stored.ok()) return store_failure(stored.error());
               json body = {{"stored", json::object()}, {"live", json::object()}};
               for (auto s : {CallState::ringing, CallState::answered, CallState::active, CallState::on_hold,
                              CallState::transferring, CallState::ended}) {
                 auto name = std::string(to_string(s));
                 body["stored"][name] = stored->count(s) ? stored->at(s) : 0;
                 if (s != CallState::ended) body["live"][name] = 0;
               }
               for (const auto& c : orchestrator.live_calls())
                 body["live"][std::string(to_string(c.state))] =
                     body["live"][std::string(to_string(c.state))].get<int>() + 1;
               return http::Response::json(200, body.dump());
             }),
             {{}, "/v1/calls/counts"});

  router.add(http::Method::get, "/v1/calls/{id}", guarded([&store](const http::Request& request) {
               auto id = request.path.substr(request.path.rfind('/') + 1);
               auto detail = store.call_detail(id);
               if (!detail.ok()) return store_failure(detail.error());
               if (!*detail) return http::Response::error(404, "not_found", "no call " + id);
               return http::Response::json(200, detail_json(**detail).dump());
             }),
             {{}, "/v1/calls/{id}"});

  auto no_control = [] {
    return http::Response::error(501, "not_implemented", "this instance cannot steer calls");
  };
  router.add(http::Method::post, "/v1/calls/{id}/hangup",
             guarded([&store, control, no_control](const http::Request& request) {
               if (!control) return no_control();
               auto id = call_id_segment(request.path);
               if (auto e = control->hang_up(id)) return not_live(store, id, *e);
               return http::Response::json(202, json{{"id", id}, {"action", "hangup"}}.dump());
             }),
             {{}, "/v1/calls/{id}/hangup"});

  router.add(
      http::Method::post, "/v1/calls/{id}/transfer",
      guarded([&store, control, no_control](const http::Request& request) {
        if (!control) return no_control();
        auto body = object_body(request);
        if (auto* refused = std::get_if<http::Response>(&body)) return *refused;
        auto target = string_member(std::get<json>(body), "target");
        if (auto* refused = std::get_if<http::Response>(&target)) return *refused;
        const auto& to = std::get<std::string>(target);
        if (to.empty()) return http::Response::error(400, "bad_request", "target: required");
        auto id = call_id_segment(request.path);
        if (auto e = control->transfer(id, to)) return not_live(store, id, *e);
        return http::Response::json(202, json{{"id", id}, {"action", "transfer"}, {"target", to}}.dump());
      }),
      {{}, "/v1/calls/{id}/transfer"});

  router.add(http::Method::post, "/v1/calls", guarded([control, no_control](const http::Request& request) {
               if (!control) return no_control();
               auto body = object_body(request);
               if (auto* refused = std::get_if<http::Response>(&body)) return *refused;
               OriginateRequest r;
               for (auto [name, field] : {std::pair{"to", &r.to}, std::pair{"flow", &r.flow},
                                          std::pair{"trunk", &r.trunk}, std::pair{"from", &r.from}}) {
                 auto value = string_member(std::get<json>(body), name);
                 if (auto* refused = std::get_if<http::Response>(&value)) return *refused;
                 *field = std::get<std::string>(value);
               }
               for (const auto& [key, value] : std::get<json>(body).items()) {
                 if (key != "to" && key != "flow" && key != "trunk" && key != "from")
                   return http::Response::error(400, "bad_request", "unknown member '" + key + "'");
               }
               if (r.to.empty()) return http::Response::error(400, "bad_request", "to: required");
               auto placed = control->originate(r);
               if (!placed.ok()) return control_failure(placed.error());
               auto response = http::Response::json(
                   202, json{{"id", placed->id}, {"sip_call_id", placed->sip_call_id}}.dump());
               response.header("Location", "/v1/calls/" + placed->id);
               return response;
             }),
             {{}, "/v1/calls"});

  router.add(http::Method::get, "/openapi.json",
             [](const http::Request&) { return http::Response::json(200, admin_openapi_document()); });
}

const std::string& admin_openapi_document() {
  static const std::string document = [] {
    json state_enum = {"ringing", "answered", "active", "on_hold", "transferring", "ended"};
    json reason_enum = {"caller_hangup", "agent_hangup", "transferred",   "media_timeout",
                        "rejected",      "failed",       "agent_restart", "drained"};
    json nullable_string = {{"type", "string"}, {"nullable", true}};
    json time = {{"type", "string"}, {"format", "date-time"}};
    json nullable_time = {{"type", "string"}, {"format", "date-time"}, {"nullable", true}};
    json call = {{"type", "object"},
                 {"required", {"id", "direction", "source", "state", "created_at"}},
                 {"properties",
                  {{"id", {{"type", "string"}}},
                   {"direction", {{"type", "string"}, {"enum", {"inbound", "outbound"}}}},
                   {"source", {{"type", "string"}, {"enum", {"sip", "livekit"}}}},
                   {"state", {{"type", "string"}, {"enum", state_enum}}},
                   {"caller", {{"type", "string"}}},
                   {"called", {{"type", "string"}}},
                   {"trunk", {{"type", "string"}}},
                   {"room", {{"type", "string"}}},
                   {"participant_identity", {{"type", "string"}}},
                   {"sip_call_id", {{"type", "string"}}},
                   {"flow", {{"type", "string"}}},
                   {"instance", {{"type", "string"}}},
                   {"attributes", {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}}},
                   {"recordings", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                   {"created_at", time},
                   {"answered_at", nullable_time},
                   {"ended_at", nullable_time},
                   {"end_reason", {{"type", "string"}, {"enum", reason_enum}, {"nullable", true}}},
                   {"sip_status", {{"type", "integer"}, {"nullable", true}}}}}};
    // One caller-stops → agent-speaks turn (calls::TurnMetrics, call_json.cpp): milliseconds, null where the
    // turn had no such stage.
    auto stage_ms = [](const std::string& description) {
      return json{{"type", "number"}, {"nullable", true}, {"description", description}};
    };
    json turn_metrics = {
        {"type", "object"},
        {"required", {"turn"}},
        {"properties",
         {{"turn", {{"type", "integer"}, {"description", "1 for the call's first turn"}}},
          {"total_ms", stage_ms("the caller stopped speaking → the agent started")},
          {"endpointing_ms", stage_ms("the trailing silence waited for (part of total)")},
          {"end_of_speech_to_final_ms",
           stage_ms("the endpoint (after the trailing silence) → the final transcript")},
          {"final_to_reply_ms", stage_ms("the final transcript → the dialogue's first prompt")},
          {"reply_to_first_audio_ms", stage_ms("that prompt → its first synthesised audio")},
          {"first_audio_to_first_frame_ms", stage_ms("that audio → its first frame handed to the call")},
          {"recognition_ms", stage_ms("engine time of the recognition")},
          {"llm_first_token_ms",
           stage_ms("the language model's request → its first text; null when no LLM answered the turn")}}}};
    json detail = {
        {"allOf",
         {{{"$ref", "#/components/schemas/Call"}},
          {{"type", "object"},
           {"properties",
            {{"transitions", {{"type", "array"}, {"items", {{"type", "object"}}}}},
             {"transcript", {{"type", "array"}, {"items", {{"type", "object"}}}}},
             {"metrics", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/TurnMetrics"}}}}},
             {"dtmf", {{"type", "array"}, {"items", {{"type", "object"}}}}},
             {"events", {{"type", "array"}, {"items", {{"type", "object"}}}}}}}}}}};
    json error = {{"type", "object"},
                  {"required", {"error"}},
                  {"properties",
                   {{"error",
                     {{"type", "object"},
                      {"properties",
                       {{"status", {{"type", "integer"}}},
                        {"code", {{"type", "string"}}},
                        {"message", {{"type", "string"}}}}}}}}}};
    auto error_response = [](const std::string& description) {
      return json{
          {"description", description},
          {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
    };
    auto query = [](const std::string& name, json schema, const std::string& description) {
      return json{{"name", name},
                  {"in", "query"},
                  {"required", false},
                  {"schema", std::move(schema)},
                  {"description", description}};
    };
    auto json_body = [](json schema) {
      return json{{"required", true}, {"content", {{"application/json", {{"schema", std::move(schema)}}}}}};
    };
    json id_parameter = {
        {"name", "id"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}};
    json accepted = {{"description", "asked of the call; its record shows the outcome"},
                     {"content",
                      {{"application/json",
                        {{"schema",
                          {{"type", "object"},
                           {"required", {"id", "action"}},
                           {"properties",
                            {{"id", {{"type", "string"}}},
                             {"action", {{"type", "string"}}},
                             {"target", {{"type", "string"}}}}}}}}}}}};
    auto steering = [&](const std::string& summary, const std::string& operation, std::optional<json> body) {
      json op = {{"summary", summary},
                 {"operationId", operation},
                 {"parameters", {id_parameter}},
                 {"responses",
                  {{"202", accepted},
                   {"400", error_response("the request is not valid")},
                   {"401", error_response("no or a wrong bearer token")},
                   {"404", error_response("no such call")},
                   {"409", error_response("the call has ended, or runs on another instance")},
                   {"501", error_response("this instance cannot steer calls")},
                   {"503", error_response("the instance is draining")}}}};
      if (body) op["requestBody"] = json_body(std::move(*body));
      return json{{"post", std::move(op)}};
    };
    json originate = {
        {"summary", "Place an outbound call (direct SIP)"},
        {"operationId", "originateCall"},
        {"requestBody",
         json_body(
             {{"type", "object"},
              {"required", {"to"}},
              {"additionalProperties", false},
              {"properties",
               {{"to", {{"type", "string"}, {"description", "a phone number or a sip:/sips: URI"}}},
                {"flow", {{"type", "string"}, {"description", "default: the first inbound route's"}}},
                {"trunk", {{"type", "string"}, {"description", "default: routing.outbound.trunk"}}},
                {"from", {{"type", "string"}, {"description", "default: routing.outbound.caller_id"}}}}}})},
        {"responses",
         {{"202",
           {{"description", "the call is being placed; its record is /v1/calls/{id}"},
            {"headers", {{"Location", {{"schema", {{"type", "string"}}}}}}},
            {"content",
             {{"application/json",
               {{"schema",
                 {{"type", "object"},
                  {"required", {"id", "sip_call_id"}},
                  {"properties",
                   {{"id", {{"type", "string"}}}, {"sip_call_id", {{"type", "string"}}}}}}}}}}}}},
          {"400", error_response("the request is not valid")},
          {"401", error_response("no or a wrong bearer token")},
          {"415", error_response("the body is not application/json")},
          {"501", error_response("this instance cannot place calls")},
          {"503", error_response("the instance is draining or has no SIP endpoint")}}}};
    json doc = {
        {"openapi", "3.0.3"},
        {"info",
         {{"title", "voice-agent admin API"},
          {"version", "1"},
          {"description", "Call records of voice-agent (docs/call-records.md)."}}},
        {"security", {{{"bearer", json::array()}}}},
        {"paths",
         {{"/v1/calls",
           {{"get",
             {{"summary", "List calls, newest first, filtered and paginated"},
              {"operationId", "listCalls"},
              {"parameters",
               {query("state", {{"type", "string"}, {"enum", state_enum}}, "the call's state"),
                query("direction", {{"type", "string"}, {"enum", {"inbound", "outbound"}}}, "who placed it"),
                query("source", {{"type", "string"}, {"enum", {"sip", "livekit"}}}, "how it reached us"),
                query("number", {{"type", "string"}}, "the caller or the called number"),
                query("instance", {{"type", "string"}}, "the instance that ran it"),
                query("from", {{"type", "string"}}, "created at or after (ISO 8601 UTC or unix seconds)"),
                query("to", {{"type", "string"}}, "created before (ISO 8601 UTC or unix seconds)"),
                query("limit",
                      {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxPageSize}, {"default", 50}},
                      "calls per page"),
                query("cursor", {{"type", "string"}}, "next_cursor of the previous page")}},
              {"responses",
               {{"200",
                 {{"description", "a page of calls"},
                  {"content",
                   {{"application/json",
                     {{"schema",
                       {{"type", "object"},
                        {"required", {"calls", "next_cursor"}},
                        {"properties",
                         {{"calls", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/Call"}}}}},
                          {"next_cursor", nullable_string}}}}}}}}}}},
                {"400", error_response("a parameter is not valid")},
                {"401", error_response("no or a wrong bearer token")},
                {"503", error_response("the store cannot be reached")}}}}},
            {"post", originate}}},
          {"/v1/calls/{id}/hangup",
           steering("Hang up a live call of this instance", "hangUpCall", std::nullopt)},
          {"/v1/calls/{id}/transfer",
           steering("Blind transfer (SIP REFER) of a live call to a number or SIP URI", "transferCall",
                    json{{"type", "object"},
                         {"required", {"target"}},
                         {"properties", {{"target", {{"type", "string"}}}}}})},
          {"/v1/calls/counts",
           {{"get",
             {{"summary", "Calls per state: stored (every instance) and live (this instance)"},
              {"operationId", "countCalls"},
              {"responses",
               {{"200",
                 {{"description", "counts per state"},
                  {"content",
                   {{"application/json",
                     {{"schema",
                       {{"type", "object"},
                        {"properties",
                         {{"stored", {{"type", "object"}, {"additionalProperties", {{"type", "integer"}}}}},
                          {"live",
                           {{"type", "object"}, {"additionalProperties", {{"type", "integer"}}}}}}}}}}}}}}},
                {"401", error_response("no or a wrong bearer token")},
                {"503", error_response("the store cannot be reached")}}}}}}},
          {"/v1/calls/{id}",
           {{"get",
             {{"summary", "One call with its transitions, transcript, turn metrics, DTMF and events"},
              {"operationId", "getCall"},
              {"parameters",
               {{{"name", "id"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}}}},
              {"responses",
               {{"200",
                 {{"description", "the call"},
                  {"content",
                   {{"application/json", {{"schema", {{"$ref", "#/components/schemas/CallDetail"}}}}}}}}},
                {"401", error_response("no or a wrong bearer token")},
                {"404", error_response("no such call")},
                {"503", error_response("the store cannot be reached")}}}}}}},
          // Served without the token (an empty security list overrides the document's bearer default).
          {"/openapi.json",
           {{"get",
             {{"summary", "This document"},
              {"operationId", "getOpenApiDocument"},
              {"security", json::array()},
              {"responses",
               {{"200",
                 {{"description", "the OpenAPI 3.0 document of the admin API"},
                  {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}}}}}}}}}}},
        {"components",
         {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}},
          {"schemas",
           {{"Call", call}, {"CallDetail", detail}, {"TurnMetrics", turn_metrics}, {"Error", error}}}}}};
    return doc.dump(2);
  }();
  return document;
}

}  // namespace va::calls
