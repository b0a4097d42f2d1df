#include "livekit/api_health_monitor.hpp"

#include <algorithm>
#include <cmath>

#include "common/ascii.hpp"
#include "common/log.hpp"
#include "livekit/room_service.hpp"
#include "livekit/sip_service.hpp"

namespace va::livekit {
namespace {

std::string seconds_text(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

// Health uses "degraded" for a failing but optional LiveKit; see the header.
ComponentState component_state(ApiHealth health, bool required) {
  switch (health) {
    case ApiHealth::starting:
      return ComponentState::starting;
    case ApiHealth::ready:
      return ComponentState::ready;
    case ApiHealth::degraded:
      return ComponentState::degraded;
    case ApiHealth::failed:
      return required ? ComponentState::failed : ComponentState::degraded;
  }
  return ComponentState::failed;
}

}  // namespace

std::string_view to_string(ApiHealth health) {
  switch (health) {
    case ApiHealth::starting:
      return "starting";
    case ApiHealth::ready:
      return "ready";
    case ApiHealth::degraded:
      return "degraded";
    case ApiHealth::failed:
      return "failed";
  }
  return "failed";
}

std::string api_failure_result(const ApiError& error) {
  switch (error.code) {
    case ApiErrorCode::unauthenticated:
      return "unauthenticated";
    case ApiErrorCode::permission_denied:
      return "permission_denied";
    case ApiErrorCode::connection_failed:
    case ApiErrorCode::timeout:
    case ApiErrorCode::unavailable:
      return "unreachable";
    default:
      return "error";
  }
}

ApiProbe probe_livekit_api(TwirpClient& client) {
  ApiProbe probe;
  auto begin = std::chrono::steady_clock::now();
  auto rooms = RoomService(client).list_rooms();
  if (!rooms) {
    probe.result = api_failure_result(rooms.error());
    probe.detail = rooms.error().message.empty()
                       ? std::string(to_string(rooms.error().code))
                       : std::string(to_string(rooms.error().code)) + ": " + rooms.error().message;
    probe.hint = rooms.error().hint;
    probe.duration = std::chrono::steady_clock::now() - begin;
    return probe;
  }
  probe.reachable = true;
  const std::size_t room_count = rooms->size();

  auto trunks = SipService(client).list_inbound_trunks();
  probe.duration = std::chrono::steady_clock::now() - begin;
  std::string rooms_text = std::to_string(room_count) + (room_count == 1 ? " room" : " rooms");
  if (trunks) {
    probe.sip_available = true;
    probe.result = "ok";
    probe.detail = rooms_text + "; sip available";
    return probe;
  }
  if (is_sip_unavailable(trunks.error())) {
    probe.result = "sip_unavailable";
    probe.detail = rooms_text + "; sip unavailable (no Redis on the LiveKit server)";
  } else {
    probe.result = "sip_" + api_failure_result(trunks.error());
    probe.detail = rooms_text + "; sip check failed: " + std::string(to_string(trunks.error().code)) + ": " +
                   trunks.error().message;
  }
  probe.hint = trunks.error().hint;
  return probe;
}

ApiHealthMonitor::ApiHealthMonitor(ServerEndpoint endpoint, TwirpClientOptions client_options,
                                   ApiHealthMonitorOptions options, HealthRegistry& health,
                                   metrics::Registry& metrics)
    : client_(std::move(endpoint),
              [&client_options] {
                client_options.read_retries = 0;
                return client_options;
              }()),
      options_(std::move(options)),
      health_(health),
      up_(metrics.gauge("livekit_api_up", "1 when the last LiveKit server API check succeeded").get()),
      sip_available_(metrics
                         .gauge("livekit_api_sip_available",
                                "1 when the LiveKit server answered a SIP API call (it has Redis and SIP)")
                         .get()),
      duration_(metrics
                    .histogram("livekit_api_check_duration_seconds",
                               "Duration of one LiveKit server API check (ListRooms + ListSIPInboundTrunk)")
                    .get()),
      checks_(
          metrics.counter("livekit_api_checks_total", "LiveKit server API checks by result", {"result"})) {
  if (options_.required) {
    health_.set(options_.component, ComponentState::starting, "checking " + client_.endpoint().url);
  } else {
    health_.set(options_.component, ComponentState::degraded,
                "first check pending: " + client_.endpoint().url);
  }
}

ApiHealthMonitor::~ApiHealthMonitor() {
  stop();
}

void ApiHealthMonitor::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { loop(); });
}

void ApiHealthMonitor::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  health_.set(options_.component, ComponentState::stopped);
}

ApiHealthStatus ApiHealthMonitor::run_round() {
  auto probe = probe_livekit_api(client_);
  publish(probe);
  return status();
}

ApiHealthStatus ApiHealthMonitor::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

void ApiHealthMonitor::loop() {
  for (;;) {
    auto next = run_round().next_in;
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, next, [this] { return stopping_; })) return;
  }
}

void ApiHealthMonitor::publish(const ApiProbe& probe) {
  up_.set(probe.reachable ? 1.0 : 0.0);
  sip_available_.set(probe.sip_available ? 1.0 : 0.0);
  duration_.observe(probe.duration.count());
  checks_.with({probe.result}).inc();

  std::lock_guard lock(mutex_);
  ++status_.rounds;
  std::string log_key;
  if (probe.reachable) {
    status_.consecutive_failures = 0;
    status_.state = probe.sip_available ? ApiHealth::ready : ApiHealth::degraded;
    status_.next_in = options_.interval;
    status_.detail = probe.detail;
    log_key = std::string(to_string(status_.state)) + "/" + probe.result;
  } else {
    ++status_.consecutive_failures;
    bool failed = options_.retry.failed_after(status_.consecutive_failures);
    status_.state = failed ? ApiHealth::failed : ApiHealth::degraded;
    status_.next_in = options_.retry.delay_after(status_.consecutive_failures);
    auto n = status_.consecutive_failures;
    status_.detail = std::string(failed ? "failed: " : "") + probe.detail + " (" + std::to_string(n) +
                     " consecutive failure" + (n == 1 ? "" : "s") + "; retry in " +
                     seconds_text(status_.next_in) + ")";
    // A new failure count is not a new state; a change between degraded and failed or a new kind of error is.
    log_key = std::string(to_string(status_.state)) + "/" + probe.result;
  }
  // Readiness first, then the log line: whoever reacts to the line finds /readyz already telling the same.
  auto published = status_.detail;
  if (!probe.hint.empty() && status_.state != ApiHealth::ready) published += "; hint: " + probe.hint;
  health_.set(options_.component, component_state(status_.state, options_.required), published);
  if (log_key == logged_) return;
  logged_ = log_key;
  log::Fields fields{{"url", client_.endpoint().url},
                     {"state", std::string(to_string(status_.state))},
                     {"result", probe.result},
                     {"detail", status_.detail},
                     {"duration_ms", std::round(probe.duration.count() * 1e4) / 10}};
  if (!probe.hint.empty()) fields.emplace_back("hint", probe.hint);
  switch (status_.state) {
    case ApiHealth::ready:
      log::info("livekit api reachable", fields);
      break;
    case ApiHealth::degraded:
      if (probe.reachable) {
        log::warn("livekit api reachable but degraded", fields);
      } else {
        fields.emplace_back("consecutive_failures", static_cast<std::int64_t>(status_.consecutive_failures));
        log::warn("livekit api unreachable: retrying with backoff", fields);
      }
      break;
    case ApiHealth::failed:
      fields.emplace_back("consecutive_failures", static_cast<std::int64_t>(status_.consecutive_failures));
      fields.emplace_back("retry_every_ms", static_cast<std::int64_t>(status_.next_in.count()));
      log::error("livekit api failed after the reconnect attempts: retrying every backoff_max", fields);
      break;
    case ApiHealth::starting:
      break;
  }
}

}  // namespace va::livekit
