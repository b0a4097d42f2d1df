// Routes requests to handlers by path and method: exact paths, or patterns whose "{name}" segments match any
// one segment ("/v1/calls/{id}"; the handler reads it from the request's path). Routes are tried in
// registration order, so an exact "/v1/calls/counts" registered first wins over "/v1/calls/{id}".
// Unknown path → 404, known path with another method → 405 with an Allow header, body of a media type the
// route does not accept → 415. HEAD is served by GET routes.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace va::http {

using Handler = std::function<Response(const Request&)>;

struct RouteOptions {
  // Media types accepted for the request body (lower-case, no parameters). Empty: any (or none).
  std::vector<std::string> accepted_media_types;
  // Label used in metrics; defaults to the path. Unmatched requests are labelled "unmatched".
  std::string metrics_label;
};

class Router {
 public:
  void add(Method method, std::string path, Handler handler, RouteOptions options = {});

  // Index of a route in registration order; `no_route` for an unknown path.
  static constexpr std::size_t no_route = static_cast<std::size_t>(-1);

  struct Match {
    const Handler* handler = nullptr;    // null when status != 0
    unsigned status = 0;                 // 404, 405 or 415 when no handler applies
    std::string allow;                   // for 405
    std::string route_label;             // for metrics
    std::size_t route_index = no_route;  // the matched route, or the first route of a known path (405/415)
  };
  Match match(const Request& request) const;
  // Methods registered for a path (for CORS preflight); empty when the path is unknown. GET implies HEAD.
  std::vector<Method> methods_for(std::string_view path) const;

  // Lets the server resolve per-route metrics once, before serving.
  std::size_t route_count() const { return routes_.size(); }
  const std::string& route_label(std::size_t index) const;

 private:
  struct Route {
    Method method;
    std::string path;
    Handler handler;
    RouteOptions options;
  };
  std::vector<Route> routes_;
};

}  // namespace va::http
