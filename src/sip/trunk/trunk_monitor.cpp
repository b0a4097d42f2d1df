#include "sip/trunk/trunk_monitor.hpp"

#include <atomic>
#include <boost/asio/post.hpp>
#include <cmath>
#include <mutex>
#include <optional>

#include "common/log.hpp"
#include "sip/trunk/registration_client.hpp"
#include "sip/trunk/trunk_prober.hpp"

namespace va::sip {
namespace {

std::string seconds_text(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

// What the monitor knows about one trunk; touched under State::mutex.
struct TrunkView {
  std::string name;
  std::string peer;  // registrar (register) or "static-IP"
  bool registers = false;
  std::optional<RegistrationStatus> registration;
  std::optional<RegistrationState> logged_registration;
  bool probed = false;
  std::string not_probed;  // why there is no probe
  std::optional<TrunkProbeResult> probe;
  std::optional<bool> logged_reachable;
  metrics::Gauge* registered = nullptr;
  metrics::Gauge* reachable = nullptr;
  metrics::Gauge* rtt = nullptr;
};

}  // namespace

struct TrunkMonitor::State : std::enable_shared_from_this<TrunkMonitor::State> {
  State(TransactionLayer& l, TrunkMonitorOptions o, HealthRegistry& h, metrics::Registry& m,
        std::shared_ptr<TrunkAdmission> a)
      : layer(l), options(std::move(o)), health(h), metrics(m), admission(std::move(a)) {}

  TransactionLayer& layer;
  TrunkMonitorOptions options;
  HealthRegistry& health;
  metrics::Registry& metrics;
  std::shared_ptr<TrunkAdmission> admission;

  std::mutex mutex;
  std::vector<std::unique_ptr<TrunkView>> views;
  std::vector<std::unique_ptr<RegistrationClient>> clients;
  std::vector<std::unique_ptr<TrunkProber>> probers;
  metrics::Family<metrics::Counter>* probes = nullptr;
  bool started = false;
  bool stopping = false;

  void on_registration(TrunkView& view, const RegistrationStatus& status);
  void on_probe(TrunkView& view, const TrunkProbeResult& result);
  void publish(const TrunkView& view);  // under mutex
};

void TrunkMonitor::State::on_registration(TrunkView& view, const RegistrationStatus& status) {
  std::lock_guard lock(mutex);
  view.registration = status;
  if (view.registered) view.registered->set(status.state == RegistrationState::registered ? 1.0 : 0.0);
  // Readiness first, then the log line: whoever reacts to the line finds /readyz already telling the same.
  publish(view);
  if (view.logged_registration != status.state) {
    view.logged_registration = status.state;
    log::Fields fields{{"trunk", view.name},
                       {"registrar", view.peer},
                       {"state", std::string(to_string(status.state))},
                       {"reason", status.reason}};
    if (status.state == RegistrationState::registered) {
      fields.emplace_back("expires_s", static_cast<std::int64_t>(status.expires.count()));
      log::info("sip trunk registered", fields);
    } else if (status.state == RegistrationState::failed) {
      fields.emplace_back("consecutive_failures", static_cast<std::int64_t>(status.consecutive_failures));
      fields.emplace_back("retry_every_ms", static_cast<std::int64_t>(status.retry_in.count()));
      log::error("sip trunk registration failed: retrying at the maximum backoff", fields);
    } else if (status.state == RegistrationState::registering && status.consecutive_failures > 0) {
      log::warn("sip trunk not registered: retrying with backoff", fields);
    } else {
      log::info("sip trunk registration state changed", fields);
    }
  }
}

void TrunkMonitor::State::on_probe(TrunkView& view, const TrunkProbeResult& result) {
  std::lock_guard lock(mutex);
  view.probe = result;
  if (probes) probes->with({view.name, result.reachable ? "reachable" : "unreachable"}).inc();
  if (view.reachable) view.reachable->set(result.reachable ? 1.0 : 0.0);
  if (view.rtt && result.reachable) view.rtt->set(result.round_trip.count());
  publish(view);
  if (view.logged_reachable != result.reachable) {
    view.logged_reachable = result.reachable;
    if (result.reachable) {
      log::info("sip trunk reachable", {{"trunk", view.name},
                                        {"response", result.reason},
                                        {"rtt_ms", std::round(result.round_trip.count() * 1e4) / 10}});
    } else {
      log::warn("sip trunk unreachable", {{"trunk", view.name}, {"reason", result.reason}});
    }
  }
}

void TrunkMonitor::State::publish(const TrunkView& view) {
  ComponentState state = ComponentState::ready;
  std::string detail;
  if (view.registers) {
    const auto& r = view.registration;
    if (!r || (r->state == RegistrationState::registering && r->consecutive_failures == 0)) {
      state = ComponentState::degraded;
      detail = "registering with " + view.peer;
    } else if (r->state == RegistrationState::registered) {
      detail = "registered with " + view.peer + " (expires " + std::to_string(r->expires.count()) + "s)";
    } else if (r->state == RegistrationState::unregistered) {
      state = stopping ? ComponentState::stopped : ComponentState::degraded;
      detail = r->reason.empty() ? "unregistered" : r->reason;
    } else {
      state = ComponentState::degraded;
      detail = "not registered (" + std::string(to_string(r->state)) + ", " +
               std::to_string(r->consecutive_failures) + " consecutive failure" +
               (r->consecutive_failures == 1 ? "" : "s") + "): " + r->reason + "; retry in " +
               seconds_text(r->retry_in);
    }
  } else {
    detail = "static-IP trunk";
  }
  if (!view.probed) {
    detail += "; " + view.not_probed;
  } else if (!view.probe) {
    detail += "; probe pending";
  } else if (view.probe->reachable) {
    detail += "; reachable (" + view.probe->reason + ", rtt " +
              std::to_string(static_cast<long long>(std::llround(view.probe->round_trip.count() * 1000))) +
              " ms)";
  } else {
    detail += "; unreachable: " + view.probe->reason;
    if (state == ComponentState::ready) state = ComponentState::degraded;
  }
  health.set("trunk:" + view.name, state, detail);
}

TrunkMonitor::TrunkMonitor(TransactionLayer& layer, TrunkMonitorOptions options, HealthRegistry& health,
                           metrics::Registry& metrics, std::shared_ptr<TrunkAdmission> admission)
    : state_(std::make_shared<State>(layer, std::move(options), health, metrics, std::move(admission))) {}

TrunkMonitor::~TrunkMonitor() {
  stop();
}

void TrunkMonitor::start() {
  auto& s = *state_;
  std::lock_guard lock(s.mutex);
  if (s.started) return;
  s.started = true;
  auto& registered = s.metrics.gauge(
      "sip_trunk_registered", "1 while the register-mode trunk holds a registration, else 0", {"trunk"});
  auto& reachable = s.metrics.gauge("sip_trunk_reachable",
                                    "1 when the trunk's last OPTIONS probe was answered, else 0", {"trunk"});
  auto& rtt = s.metrics.gauge("sip_trunk_options_rtt_seconds",
                              "Round-trip time of the trunk's last answered OPTIONS probe", {"trunk"});
  s.probes = &s.metrics.counter("sip_trunk_probes_total", "OPTIONS probes of trunks by outcome",
                                {"trunk", "result"});
  const auto& m = s.options.monitoring;
  std::weak_ptr<State> weak = state_;
  for (const auto& trunk : s.options.trunks) {
    auto view = std::make_unique<TrunkView>();
    auto* v = view.get();
    v->name = trunk.name;
    v->registers = trunk.mode == config::TrunkMode::register_;
    v->peer = v->registers ? trunk.registrar + ":" + std::to_string(trunk.port) : "static-IP";
    auto target = trunk_probe_target(trunk, &v->not_probed);
    v->probed = target.has_value();
    if (v->registers) {
      v->registered = &registered.with({trunk.name});
      v->registered->set(0);
    }
    if (v->probed) {
      v->reachable = &reachable.with({trunk.name});
      v->reachable->set(0);
      v->rtt = &rtt.with({trunk.name});
    }
    s.views.push_back(std::move(view));
    s.publish(*v);

    if (v->registers) {
      RegistrationOptions r;
      r.trunk = trunk.name;
      r.registrar = trunk.registrar;
      r.port = trunk.port > 0 ? static_cast<std::uint16_t>(trunk.port) : default_port(trunk_transport(trunk));
      r.transport = trunk_transport(trunk);
      r.outbound_proxy = trunk.outbound_proxy;
      r.username = trunk.username;
      r.password = trunk.password;
      r.realm = trunk.realm;
      r.expires = std::chrono::duration_cast<std::chrono::seconds>(trunk.register_expires);
      if (r.expires.count() <= 0) r.expires = std::chrono::seconds(300);
      r.retry.initial = m.backoff_initial;
      r.retry.max = m.backoff_max;
      r.retry.attempts_before_failed =
          static_cast<std::uint32_t>(std::max<std::int64_t>(0, m.reconnect_attempts));
      r.advertised_host = s.options.advertised_host;
      r.allow = s.options.allow;
      r.unregister_timeout = s.options.unregister_timeout;
      std::string name = trunk.name;
      auto client = std::make_unique<RegistrationClient>(
          s.layer, std::move(r),
          [weak, v](const RegistrationStatus& status) {
            if (auto self = weak.lock()) self->on_registration(*v, status);
          },
          [weak, name](const boost::asio::ip::address& peer) {
            auto self = weak.lock();
            if (self && self->admission) self->admission->add_registrar_address(name, peer);
          },
          &s.metrics);
      client->start();
      s.clients.push_back(std::move(client));
    }
    if (target) {
      auto interval =
          std::max<std::chrono::milliseconds>(m.trunk_check_interval, std::chrono::milliseconds(1000));
      auto prober = std::make_unique<TrunkProber>(s.layer, trunk.name, *target, interval,
                                                  [weak, v](const TrunkProbeResult& result) {
                                                    if (auto self = weak.lock()) self->on_probe(*v, result);
                                                  });
      prober->start();
      s.probers.push_back(std::move(prober));
    }
    log::info("sip trunk monitored",
              {{"trunk", trunk.name},
               {"registers", v->registers},
               {"probe", target ? target->host + ":" + std::to_string(target->port) : v->not_probed}});
  }
}

void TrunkMonitor::shutdown(std::function<void()> done) {
  auto& s = *state_;
  std::vector<RegistrationClient*> clients;
  {
    std::lock_guard lock(s.mutex);
    s.stopping = true;
    for (auto& p : s.probers) p->stop();
    for (auto& c : s.clients) clients.push_back(c.get());
  }
  auto strand = s.layer.strand();
  if (clients.empty()) {
    boost::asio::post(strand, std::move(done));
    return;
  }
  auto pending = std::make_shared<std::atomic<std::size_t>>(clients.size());
  auto shared_done = std::make_shared<std::function<void()>>(std::move(done));
  for (auto* c : clients) {
    c->unregister([pending, shared_done] {
      if (--*pending == 0 && *shared_done) (*shared_done)();
    });
  }
}

void TrunkMonitor::stop() {
  auto& s = *state_;
  std::lock_guard lock(s.mutex);
  s.stopping = true;
  for (auto& p : s.probers) p->stop();
  for (auto& c : s.clients) c->stop();
}

}  // namespace va::sip
