#include "http/ops_routes.hpp"

namespace va::http {

void add_ops_routes(Router& router, HealthRegistry& health, metrics::Registry& metrics) {
  router.add(Method::get, "/healthz",
             [](const Request&) { return Response::json(200, R"({"status":"ok"})"); });
  router.add(Method::get, "/readyz", [&health](const Request&) {
    const bool ready = health.ready();
    return Response::json(ready ? 200 : 503, health.to_json());
  });
  router.add(Method::get, "/metrics", [&metrics](const Request&) {
    return Response::text(200, metrics.expose(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace va::http
