// The composition root of the running service: configuration → logging, metrics, health, HTTP server,
// signal handling and graceful shutdown. Modules do the work; this file only wires them.
#include "app/serve.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "app/call_records.hpp"
#include "app/config_validate_route.hpp"
#include "app/conversation_flows.hpp"
#include "app/exit_codes.hpp"
#include "app/livekit_calls.hpp"
#include "calls/admin_api.hpp"
#include "common/health.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/version.hpp"
#include "engines/engine_registry.hpp"
#include "http/ops_routes.hpp"
#include "http/server.hpp"
#include "livekit/agent_worker.hpp"
#include "livekit/api_health_monitor.hpp"
#include "livekit/bridge_dialer.hpp"
#include "livekit/webhook_log_sink.hpp"
#include "livekit/webhook_receiver.hpp"
#include "livekit/webhook_sink_chain.hpp"
#include "sip/trunk/trunk_admission.hpp"
#include "sip/trunk/trunk_monitor.hpp"
#include "sip/ua/diagnostic_flows.hpp"
#include "sip/ua/user_agent.hpp"
#include "sip/ua/user_agent_config.hpp"

namespace va::app {
namespace {

http::ServerOptions http_options(const config::Config& c) {
  http::ServerOptions o;
  o.listen = {c.http.listen};
  o.body_limit = c.http.body_limit.bytes;
  o.rate_limit.enabled = c.security.rate_limit.enabled;
  o.rate_limit.requests_per_second = c.security.rate_limit.requests_per_second;
  o.rate_limit.burst = c.security.rate_limit.burst;
  o.cors.allowed_origins = c.security.cors.allowed_origins;
  return o;
}

}  // namespace

int serve(const ConfigSource& source) {
  auto loaded = load_config(source);
  configure_logging(loaded);
  print_diagnostics(loaded, source);
  if (!loaded.ok()) return kExitUsageOrConfig;
  const auto& cfg = loaded.config;
  log::info("voice-agent starting", {{"version", kVersion}, {"config", describe(source)}});
  for (const auto& trunk : cfg.sip.trunks) {
    std::string numbers;
    for (const auto& n : trunk.numbers) numbers += (numbers.empty() ? "" : ",") + n;
    bool registering = trunk.mode == config::TrunkMode::register_;
    log::info("sip trunk configured",
              {{"trunk", trunk.name},
               {"mode", registering ? "register" : "static_ip"},
               {registering ? "registrar" : "allowed_addresses",
                registering ? trunk.registrar : std::to_string(trunk.allowed_addresses.size())},
               {"numbers", numbers}});
  }

  metrics::Registry metrics;
  metrics::register_process_metrics(metrics);
  metrics::register_build_info(metrics, kVersion);
  HealthRegistry health;
  health.set("config", ComponentState::ready, describe(source));
  health.set("http", ComponentState::starting);

  // Without a livekit section the agent runs in direct SIP mode only. /readyz still lists the component, as
  // ready with the detail "not configured": that is the intended state, so a load balancer keeps the
  // instance in rotation and an operator sees at a glance that LiveKit is off rather than missing.
  const bool livekit_configured = cfg.livekit.configured();
  if (livekit_configured) {
    log::info("livekit configured", {{"url", cfg.livekit.url}, {"api_key", cfg.livekit.api_key}});
  } else {
    log::info(
        "livekit not configured: direct SIP mode only (no LiveKit API monitor, webhook receiver or "
        "provisioning); set livekit.url, api_key and api_secret to use LiveKit");
    health.set("livekit", ComponentState::ready, "not configured");
  }

  // The conversation (issue 10), the `main` flow: engines and models load before anything listens. A broken
  // voice degrades it (the fallback voice) rather than stopping the service; a missing VAD or recogniser
  // (model) and a broken flow file are configuration errors.
  engines::EngineRegistry engine_registry;
  engines::register_builtin_engines(engine_registry);
  auto conversation = make_conversation_service(cfg, engine_registry, metrics);
  if (!conversation.service) {
    log::error("cannot set up the conversation", {{"error", conversation.error}});
    std::cerr << "voice-agent: " << conversation.error << "\n";
    return kExitUsageOrConfig;
  }
  if (conversation.service->problems.empty()) {
    health.set("voice", ComponentState::ready);
  } else {
    std::string detail;
    for (const auto& p : conversation.service->problems) detail += (detail.empty() ? "" : "; ") + p;
    health.set("voice", ComponentState::degraded, detail);
  }

  http::Router router;
  http::add_ops_routes(router, health, metrics);
  add_config_validate_route(router);
  // LiveKit webhooks (webhooks.path): verified, de-duplicated, queued and processed on the receiver's own
  // thread. Until the orchestrator takes them, each event is logged. Verifying needs the API key and secret,
  // and without LiveKit nobody sends them: the route is not served then.
  livekit::WebhookLogSink webhook_log;
  // The calls' handlers (flows), by name: the same for SIP dialogs and LiveKit rooms.
  sip::CallHandlerRegistry call_handlers;
  sip::register_diagnostic_flows(call_handlers);
  register_conversation_flows(call_handlers, conversation.service);
  // Every call's record (storage.url): opened before any call can arrive, closed after the last one ended.
  auto opened_records = open_call_records(cfg, metrics);
  if (!opened_records.ok()) {
    log::error("cannot open the call records", {{"error", opened_records.error()}});
    std::cerr << "voice-agent: " << opened_records.error() << "\n";
    return kExitUsageOrConfig;
  }
  CallRecords records = std::move(opened_records.value());
  conversation.service->finished = [orchestrator = records.orchestrator.get()](const std::string& record_id,
                                                                               const voice::Conversation& c) {
    attach_conversation(*orchestrator, record_id, c);
  };
  // Recorded calls' audio (routes' `record`): the writer outlives every call (declared before the endpoints).
  auto opened_recordings = open_call_recordings(cfg, metrics);
  if (!opened_recordings.ok()) {
    log::error("cannot record calls", {{"error", opened_recordings.error()}});
    std::cerr << "voice-agent: " << opened_recordings.error() << "\n";
    return kExitUsageOrConfig;
  }
  CallRecordings recordings = std::move(opened_recordings.value());
  LiveCallControl call_control(cfg);
  record_calls(call_handlers, *records.orchestrator, recordings.writer.get(), &call_control);
  if (!cfg.http.admin_token.empty()) {
    calls::add_admin_routes(router, *records.store, *records.orchestrator, cfg.http.admin_token,
                            &call_control);
  } else {
    log::info("admin API off: set http.admin_token (or VOICE_AGENT_ADMIN_TOKEN) to serve /v1/calls");
  }
  // LiveKit mode's calls (the agent worker is started below). They are a webhook sink too: the events of a
  // room with a call in progress are joined to that call.
  std::optional<livekit::AgentWorker> agent_worker;
  std::optional<LiveKitCalls> livekit_calls;
  if (cfg.livekit.agent_worker_enabled()) {
    livekit::room::RoomCallsReports reports;
    reports.job_running = [&agent_worker](const std::string& job_id) { agent_worker->job_running(job_id); };
    reports.job_finished = [&agent_worker](const std::string& job_id, const std::string& error) {
      agent_worker->job_finished(job_id, error);
    };
    livekit_calls.emplace(cfg, call_handlers, metrics, std::move(reports));
  }
  // Bridge mode (routing.inbound[].livekit: bridge): a caller joining such a route's room makes LiveKit dial
  // our SIP endpoint into it.
  std::optional<livekit::BridgeDialer> bridge_dialer;
  std::vector<livekit::WebhookEventSink*> webhook_sinks{&webhook_log};
  if (livekit_calls) webhook_sinks.push_back(&livekit_calls->calls());
  bool bridge_routes = std::any_of(cfg.routing.inbound.begin(), cfg.routing.inbound.end(), [](const auto& r) {
    return r.livekit == config::RouteLiveKitMode::bridge;
  });
  if (livekit_configured && bridge_routes) {
    bridge_dialer.emplace(cfg, metrics);
    webhook_sinks.push_back(&*bridge_dialer);
  }
  livekit::WebhookSinkChain webhook_sink(std::move(webhook_sinks));
  std::optional<livekit::WebhookReceiver> webhooks;
  if (livekit_configured) {
    webhooks.emplace(livekit::webhook_receiver_options(cfg), webhook_sink, metrics);
    webhooks->add_route(router);
    if (!cfg.webhooks.verify)
      log::warn(
          "webhook signatures are NOT verified (webhooks.verify: false): anyone can forge LiveKit events");
  } else {
    log::info("livekit webhook receiver disabled: livekit is not configured", {{"path", cfg.webhooks.path}});
  }

  boost::asio::io_context io;
  // Installed before anything is announced, so a SIGTERM that follows "listening" at once is handled.
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  http::Server server(io, http_options(cfg), std::move(router), metrics);
  try {
    server.start();
  } catch (const std::exception& e) {
    log::error("cannot start the HTTP server", {{"error", e.what()}, {"listen", cfg.http.listen}});
    return kExitRuntimeFailure;
  }
  health.set("http", ComponentState::ready);
  if (webhooks) webhooks->start();

  // The SIP endpoint (issue 3): calls are routed to flows registered here by name.
  auto media_threads = std::max(1u, std::thread::hardware_concurrency());
  std::optional<sip::UserAgent> sip_endpoint;
  // Trunks (sip.trunks): who may call (static-IP sources, registrars, inbound digest), registrations and
  // OPTIONS probes. Declared after the endpoint: it goes first, while the transaction layer still exists.
  sip::TrunkAdmissionOptions admission_options;
  if (!cfg.sip.public_address.empty()) admission_options.realm = cfg.sip.public_address;
  auto admission = std::make_shared<sip::TrunkAdmission>(cfg.sip.trunks, admission_options);
  std::optional<sip::TrunkMonitor> trunks;
  bool sip_failed = false;
  if (cfg.sip.listen.empty()) {
    log::info("sip endpoint disabled: sip.listen is empty");
  } else {
    health.set("sip", ComponentState::starting);
    auto ua_options = sip::user_agent_options(cfg, media_threads);
    ua_options.admission = admission;
    sip_endpoint.emplace(io, std::move(ua_options), call_handlers, &metrics);
    if (auto error = sip_endpoint->start()) {
      // Not fatal, and "degraded" rather than "failed": LiveKit mode works without our own SIP endpoint,
      // and HTTP (health, admin) stays up. The endpoint object lives on unstarted until the loop has
      // stopped, because stopping it needs a running (or stopped) io_context.
      log::error("cannot start the SIP endpoint", {{"error", *error}});
      health.set("sip", ComponentState::degraded, "not listening: " + *error);
      sip_failed = true;
    } else {
      health.set("sip", ComponentState::ready);
      call_control.set_sip(&*sip_endpoint);
      if (!cfg.sip.trunks.empty()) {
        sip::TrunkMonitorOptions trunk_options;
        trunk_options.trunks = cfg.sip.trunks;
        trunk_options.monitoring = cfg.monitoring;
        trunk_options.advertised_host = cfg.sip.public_address;
        trunk_options.allow = std::string(sip::kAllowedMethods);
        // Unregistering must leave the calls' BYEs time within http.shutdown_timeout.
        trunk_options.unregister_timeout = std::min<std::chrono::milliseconds>(
            std::chrono::seconds(3),
            std::chrono::duration_cast<std::chrono::milliseconds>(cfg.http.shutdown_timeout) / 2);
        trunks.emplace(sip_endpoint->transactions(), std::move(trunk_options), health, metrics, admission);
        trunks->start();
      }
    }
  }

  // The LiveKit server API monitor (component "livekit" in /readyz) on its own thread: the Twirp client is
  // synchronous. Not `required`: a LiveKit outage is shared by every instance and our SIP endpoint works
  // without it, so it shows as degraded (see api_health_monitor.hpp).
  std::optional<livekit::ApiHealthMonitor> livekit_monitor;
  if (livekit_configured) {
    livekit::ApiHealthMonitorOptions monitor_options;
    monitor_options.interval = cfg.monitoring.trunk_check_interval;
    monitor_options.retry = {
        cfg.monitoring.backoff_initial, cfg.monitoring.backoff_max,
        static_cast<std::uint32_t>(std::max<std::int64_t>(0, cfg.monitoring.reconnect_attempts))};
    monitor_options.required = false;
    livekit::TwirpClientOptions client_options;
    client_options.connect_timeout = std::chrono::seconds(3);
    client_options.request_timeout = std::chrono::seconds(5);
    livekit_monitor.emplace(
        livekit::ServerEndpoint{cfg.livekit.url, cfg.livekit.api_key, cfg.livekit.api_secret}, client_options,
        monitor_options, health, metrics);
    livekit_monitor->start();
  }

  // The LiveKit agent worker (livekit.agent): LiveKit dispatches rooms naming livekit.agent.name to it, and
  // each assigned job becomes a call in that room (LiveKitCalls: the room leg through liblivekit_ffi, driven
  // by the same handlers as SIP calls). Without the library the worker still registers, and jobs are handed
  // back failed with the reason at once, so no dispatch waits for an agent that cannot join.
  if (cfg.livekit.agent_worker_enabled()) {
    livekit::AgentWorkerCallbacks callbacks;
    callbacks.on_job = [&livekit_calls](const livekit::AgentJob& job) {
      log::info(
          "livekit job assigned",
          {{"job_id", job.id}, {"room", job.room_name}, {"dispatch_id", job.dispatch_id}, {"url", job.url}});
      livekit_calls->calls().run(job, std::chrono::steady_clock::now());
    };
    callbacks.on_termination = [&livekit_calls](const std::string& job_id) {
      log::info("livekit job terminated by the server", {{"job_id", job_id}});
      livekit_calls->calls().terminate(job_id);
    };
    agent_worker.emplace(io.get_executor(), livekit::agent_worker_options(cfg, kVersion),
                         std::move(callbacks), metrics, &health);
    agent_worker->start();
  } else if (livekit_configured) {
    log::info("livekit agent worker disabled (livekit.agent.enabled: false)");
  }

  // Shutdown: stop accepting and report not-ready at once, let in-flight requests finish, stop the loop when
  // every connection is gone or the deadline passes (then the rest are cut).
  boost::asio::steady_timer deadline(io);
  bool shutting_down = false;
  bool deadline_hit = false;
  auto shutdown_deadline = std::chrono::steady_clock::time_point::max();
  auto begin_shutdown = [&](int signal_number) {
    if (shutting_down) {
      log::warn("second signal: stopping now", {{"signal", signal_number}});
      server.abort_connections();
      io.stop();
      return;
    }
    shutting_down = true;
    // Drain: calls in progress may go on — SIP calls up to sip.drain_timeout (then BYE, which gets another
    // http.shutdown_timeout to complete), LiveKit calls up to livekit.agent.drain_timeout.
    auto shutdown_timeout = cfg.http.shutdown_timeout;
    if (sip_endpoint && !sip_failed && sip_endpoint->active_calls() > 0)
      shutdown_timeout = std::max(shutdown_timeout, cfg.sip.drain_timeout + cfg.http.shutdown_timeout);
    if (agent_worker) {
      auto held = agent_worker->status();
      if (held.running_jobs + held.reserved_jobs > 0)
        shutdown_timeout = std::max(shutdown_timeout, cfg.livekit.agent.drain_timeout);
    }
    shutdown_deadline = std::chrono::steady_clock::now() + shutdown_timeout;
    log::info("shutting down",
              {{"signal", signal_number},
               {"in_flight_connections", static_cast<std::int64_t>(server.active_connections())},
               {"deadline_ms", static_cast<std::int64_t>(shutdown_timeout.count())}});
    health.set_draining(true);
    call_control.set_draining();
    deadline.expires_after(shutdown_timeout);
    deadline.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      deadline_hit = true;
      log::warn("shutdown deadline reached: closing remaining connections",
                {{"connections", static_cast<std::int64_t>(server.active_connections())}});
      server.abort_connections();
      io.stop();
    });
    // First the calls drain (SIP: new INVITEs get 503, calls finish within sip.drain_timeout; LiveKit: no new
    // jobs, running calls finish within livekit.agent.drain_timeout) while HTTP stays up — /readyz says 503,
    // /metrics and the admin API still answer; then HTTP drains its connections and the loop stops.
    bool sip_running = sip_endpoint && !sip_failed;
    auto pending = std::make_shared<std::atomic<int>>(
        1 + (sip_running ? 1 : 0) + (sip_running && trunks ? 1 : 0) + (agent_worker ? 1 : 0));
    auto drained = [&, pending] {
      if (--*pending > 0) return;
      log::info("calls drained: closing HTTP");
      server.shutdown([&] {
        deadline.cancel();
        io.stop();
      });
    };
    if (sip_running) {
      health.set("sip", ComponentState::stopped, "draining");
      // New INVITEs get 503 + Retry-After at once (the carrier tries its next route) while the registrations
      // are removed (Expires: 0), so it stops sending calls; the calls in progress go on meanwhile.
      sip_endpoint->shutdown(drained,
                             std::chrono::duration_cast<std::chrono::milliseconds>(cfg.sip.drain_timeout));
      if (trunks) trunks->shutdown(drained);
    }
    if (agent_worker) {
      agent_worker->drain(
          std::chrono::duration_cast<std::chrono::milliseconds>(cfg.livekit.agent.drain_timeout),
          [&, drained](std::uint32_t jobs_left) {
            if (jobs_left > 0) {
              log::warn("livekit calls still running at the drain timeout: hanging up",
                        {{"jobs", static_cast<std::int64_t>(jobs_left)}});
              if (livekit_calls) livekit_calls->calls().hang_up_all();
            }
            agent_worker->stop();
            drained();
          });
    }
    drained();  // the share of this function: the calls' own shares follow as they drain
  };
  std::function<void()> wait_signal = [&] {
    signals.async_wait([&](const boost::system::error_code& ec, int signal_number) {
      if (ec) return;
      begin_shutdown(signal_number);
      wait_signal();
    });
  };
  wait_signal();

  auto thread_count = cfg.http.threads > 0 ? static_cast<unsigned>(cfg.http.threads)
                                           : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < thread_count; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  // Queued webhook events are processed within what is left of the shutdown deadline.
  if (webhooks)
    webhooks->stop(std::min(shutdown_deadline, std::chrono::steady_clock::now() + cfg.http.shutdown_timeout));
  if (livekit_monitor) livekit_monitor->stop();
  if (agent_worker) agent_worker->stop();
  // Engine jobs post their results to their calls' threads: they finish before those threads go.
  conversation.service->stop_workers();
  livekit_calls.reset();  // hangs up what is left; its last reports still reach the (stopped) worker
  agent_worker.reset();   // declared before the io_context it runs on: it must go first
  if (trunks) trunks->stop();
  call_control.set_sip(nullptr);
  if (sip_endpoint) sip_endpoint->stop();

  health.set("http", ComponentState::stopped);
  log::info("voice-agent stopped", {{"clean", !deadline_hit}});
  return kExitOk;
}

}  // namespace va::app
