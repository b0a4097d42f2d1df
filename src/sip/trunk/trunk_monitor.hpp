// Runs the trunks of sip.trunks next to the user agent: a RegistrationClient per register-mode trunk and a
// TrunkProber per trunk with something to probe, and reports what they see:
//
// - health component "trunk:<name>" (GET /readyz): ready when the trunk is registered (register mode) and
//   its probe, if any, answers; otherwise degraded — never failed, so one bad trunk does not take the
//   process out of a load balancer — with the reason as its detail, e.g.
//   "not registered (registering, 3 consecutive failures): cannot resolve sip.exolve.ru: Host not found;
//   retry in 4s; probe: unreachable: transport error: ...".
// - metrics: sip_trunk_registered{trunk} (0/1), sip_trunk_reachable{trunk} (0/1),
//   sip_trunk_options_rtt_seconds{trunk} (the last probe's round trip), sip_trunk_probes_total{trunk,
//   result}, and sip_register_requests_total{trunk,result} (counted by the registration client).
// - one log line per change of a trunk's registration state or reachability (every failed attempt is
//   logged by the registration client itself, with its backoff).
//
// Lifetime: construct after the user agent started (its listening points are read), start(), and on
// graceful shutdown call shutdown() *before* the user agent drains: probes stop and every registration is
// removed (Expires: 0, bounded by unregister_timeout), then `done` runs. Registration addresses learned on
// the way are passed to the TrunkAdmission, if given.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "common/health.hpp"
#include "common/metrics.hpp"
#include "sip/transaction_layer.hpp"
#include "sip/trunk/trunk_admission.hpp"

namespace va::sip {

struct TrunkMonitorOptions {
  std::vector<config::Trunk> trunks;
  config::Monitoring monitoring;
  std::string advertised_host;  // sip.public_address (the Contact host of registrations)
  std::string allow;            // the Allow header of REGISTERs: the user agent's methods
  // Graceful shutdown: how long to wait for the registrar to confirm each unregistration. Not in the
  // configuration schema yet (would be monitoring.unregister_timeout).
  std::chrono::milliseconds unregister_timeout{3000};
};

class TrunkMonitor {
 public:
  // `layer`, `health` and `metrics` must outlive the monitor; `admission` may be null.
  TrunkMonitor(TransactionLayer& layer, TrunkMonitorOptions options, HealthRegistry& health,
               metrics::Registry& metrics, std::shared_ptr<TrunkAdmission> admission = nullptr);
  ~TrunkMonitor();  // stop()
  TrunkMonitor(const TrunkMonitor&) = delete;
  TrunkMonitor& operator=(const TrunkMonitor&) = delete;

  void start();
  // Stops probing, unregisters every trunk; `done` runs (on the SIP strand) when all have answered or
  // timed out. Any thread.
  void shutdown(std::function<void()> done);
  // Stops everything at once, without unregistering. Idempotent.
  void stop();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace va::sip
