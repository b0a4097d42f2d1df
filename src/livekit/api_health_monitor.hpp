// Watches the LiveKit server API: is it reachable, do our credentials work, and is SIP available on it.
//
// One round is two cheap authorised reads: ListRooms (grant roomList) proves reachability and credentials;
// ListSIPInboundTrunk (grant sip.admin) proves the server's SIP service is up — without Redis every SIP call
// answers "sip not connected (redis required)", which is reported as degraded, not as a failure: rooms still
// work. Rounds run every monitoring.trunk_check_interval on a dedicated thread (the Twirp client is
// synchronous, so it must not run on the io_context threads that serve HTTP and SIP); a failed round is
// retried per RetrySchedule (backoff_initial doubling up to backoff_max), and after reconnect_attempts
// consecutive failures the state is failed while retries continue at backoff_max.
//
// Reports:
// - health component "livekit" (GET /readyz): ready; degraded when SIP is unavailable on the server or
//   while failures are being retried; once the attempts are exhausted: failed if `required`, otherwise
//   degraded with "failed: ..." in the detail. voice-agent's serve uses required = false: every instance
//   talks to the same LiveKit server, so failing readiness on a LiveKit outage would take every instance out
//   of the load balancer at once and route calls nowhere better — and our own SIP endpoint keeps answering
//   calls without LiveKit. Alert on livekit_api_up == 0 instead. Before the first round the component is
//   starting (required) or degraded "first check pending" (optional, so a restart is not held back by a
//   slow LiveKit).
// - metrics: livekit_api_up (0/1), livekit_api_sip_available (0/1), livekit_api_check_duration_seconds
//   (histogram of a whole round), livekit_api_checks_total{result} (ok, sip_unavailable, unauthenticated,
//   permission_denied, unreachable, error).
// - one log line per state change (not one per round).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/health.hpp"
#include "common/metrics.hpp"
#include "common/retry_schedule.hpp"
#include "livekit/twirp_client.hpp"

namespace va::livekit {

enum class ApiHealth { starting, ready, degraded, failed };
std::string_view to_string(ApiHealth health);

// What one round found.
struct ApiProbe {
  bool reachable = false;      // ListRooms answered 200
  bool sip_available = false;  // ListSIPInboundTrunk answered 200
  std::string result;          // the metrics label: ok, sip_unavailable, unauthenticated, ...
  std::string detail;          // for /readyz and logs: "3 rooms; sip available" or the error
  std::string hint;            // what the operator should do (empty when all is well)
  std::chrono::duration<double> duration{};
};

// The metrics label for a failed ListRooms: unauthenticated, permission_denied, unreachable or error.
std::string api_failure_result(const ApiError& error);
// One round against `client`: ListRooms, then (if that worked) ListSIPInboundTrunk. Never throws.
ApiProbe probe_livekit_api(TwirpClient& client);

struct ApiHealthMonitorOptions {
  std::chrono::milliseconds interval{60000};  // monitoring.trunk_check_interval
  RetrySchedule retry;                        // monitoring.backoff_initial, backoff_max, reconnect_attempts
  bool required = false;                      // see the header comment: failed vs degraded in /readyz
  std::string component = "livekit";
};

// What the monitor reports right now.
struct ApiHealthStatus {
  ApiHealth state = ApiHealth::starting;
  std::string detail;
  std::uint32_t consecutive_failures = 0;
  std::uint64_t rounds = 0;
  std::chrono::milliseconds next_in{0};
};

class ApiHealthMonitor {
 public:
  // `health` and `metrics` must outlive the monitor. The client is made from `endpoint` and
  // `client_options`; its read retries are turned off (the monitor has its own schedule).
  ApiHealthMonitor(ServerEndpoint endpoint, TwirpClientOptions client_options,
                   ApiHealthMonitorOptions options, HealthRegistry& health, metrics::Registry& metrics);
  ~ApiHealthMonitor();  // stop()
  ApiHealthMonitor(const ApiHealthMonitor&) = delete;
  ApiHealthMonitor& operator=(const ApiHealthMonitor&) = delete;

  // Starts the background thread; the first round runs at once.
  void start();
  // Wakes the thread and joins it (an in-flight request finishes within the client's timeouts). The
  // component is reported stopped. Idempotent.
  void stop();

  // Runs one round on the calling thread and publishes it (state, metrics, log). For `voice-agent check`
  // and tests; do not mix with start().
  ApiHealthStatus run_round();

  ApiHealthStatus status() const;

 private:
  void loop();
  void publish(const ApiProbe& probe);  // updates status_, health, metrics; logs changes

  TwirpClient client_;
  ApiHealthMonitorOptions options_;
  HealthRegistry& health_;
  metrics::Gauge& up_;
  metrics::Gauge& sip_available_;
  metrics::Histogram& duration_;
  metrics::Family<metrics::Counter>& checks_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  ApiHealthStatus status_;
  std::string logged_;  // the last state + detail class that was logged
  std::thread thread_;
};

}  // namespace va::livekit
