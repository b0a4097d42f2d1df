// CORS (Fetch standard, "CORS protocol") for the configured origins: exact origin strings, or "*".
//
// Simple requests from an allowed origin get Access-Control-Allow-Origin; when origins are listed exactly,
// every response to a request with an Origin header also carries "Vary: Origin", because whether the
// allow header is present depends on it (shared caches must not mix them up). A preflight (OPTIONS with
// Origin and Access-Control-Request-Method) is answered here, never by a route: 204 with the route's
// methods when the origin is allowed and the path has the requested method, otherwise 403.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"
#include "http/router.hpp"
#include "http/server.hpp"

namespace va::http {

class CorsPolicy {
 public:
  explicit CorsPolicy(const CorsOptions& options);

  static bool is_preflight(const Request& request);

  // The Access-Control-Allow-Origin value for this Origin, or empty when it is not allowed.
  std::string_view allow_origin_for(std::string_view origin) const;

  Response preflight(const Request& request, const Router& router) const;
  // Adds the CORS headers of a simple (non-preflight) request's response.
  void apply(const Request& request, Response& response) const;

 private:
  std::vector<std::string> origins_;
  bool any_origin_ = false;
  std::string allowed_headers_;  // joined with ", "
  std::string max_age_;
};

}  // namespace va::http
