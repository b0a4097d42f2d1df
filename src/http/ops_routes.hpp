// Operational endpoints every deployment has: liveness, readiness and Prometheus metrics.
#pragma once

#include "common/health.hpp"
#include "common/metrics.hpp"
#include "http/router.hpp"

namespace va::http {

// GET /healthz  → 200 {"status":"ok"} while the process serves HTTP at all (liveness).
// GET /readyz   → 200 when HealthRegistry::ready(), else 503; body HealthRegistry::to_json().
// GET /metrics  → Prometheus text exposition 0.0.4 of `metrics`.
// The registries must outlive the router (and the server it is given to).
void add_ops_routes(Router& router, HealthRegistry& health, metrics::Registry& metrics);

}  // namespace va::http
