// The `http` action of a flow: the request it sends to a business endpoint and what its answer means —
// which state comes next and which answer fields are kept as slots.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "voice/dialogue.hpp"
#include "voice/flow/flow_model.hpp"

namespace va::voice::flow {

using PlaceholderLookup = std::function<std::optional<std::string>(const std::string&)>;

// Method, URL and headers rendered; the body's string leaves rendered as templates (values are escaped by
// the JSON writer, so a slot can never change the body's structure); Content-Type set when there is a body.
FetchRequest build_request(const HttpCall& call, const PlaceholderLookup& lookup);

struct HttpAnswer {
  std::string outcome;  // ok, error, timeout, invalid, a status code ("404"), or "when[N]"
  std::string next;     // the state to enter
  std::vector<std::pair<std::string, std::string>> saved;  // slot → value
};
HttpAnswer interpret(const HttpCall& call, const FetchResponse& response);

// A dotted path into a JSON document ("data.balance", "items.0.name"); nullopt when absent. Scalars as text
// (numbers as written by the JSON writer, true/false), objects and arrays as JSON.
std::optional<std::string> json_field(const nlohmann::json& doc, const std::string& path);

}  // namespace va::voice::flow
