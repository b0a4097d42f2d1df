// The parameters of a request's query string (application/x-www-form-urlencoded, RFC 3986 §3.4): name=value
// pairs split at '&', '+' as space, %XX decoded. A malformed escape is an error naming it, not a guess.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace va::http {

struct QueryParameters {
  std::map<std::string, std::string> values;  // a repeated name keeps its last value
  std::string error;                          // non-empty: the query could not be read
};

QueryParameters parse_query(std::string_view query);

// %XX and '+' decoded; nullopt for a truncated or non-hex escape.
std::optional<std::string> decode_query_component(std::string_view text);

}  // namespace va::http
