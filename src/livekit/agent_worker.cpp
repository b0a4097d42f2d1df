#include "livekit/agent_worker.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <mutex>
#include <random>

#include "common/config.hpp"
#include "common/log.hpp"
#include "livekit/access_token.hpp"
#include "livekit/agent_job_slots.hpp"
#include "livekit/agent_worker_protocol.hpp"
#include "livekit/websocket_client.hpp"

namespace va::livekit {

namespace asio = boost::asio;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

std::string_view to_string(AgentWorkerState state) {
  switch (state) {
    case AgentWorkerState::connecting:
      return "connecting";
    case AgentWorkerState::registered:
      return "registered";
    case AgentWorkerState::stopped:
      return "stopped";
  }
  return "unknown";
}

AgentWorkerOptions agent_worker_options(const config::Config& config, std::string version) {
  AgentWorkerOptions o;
  o.endpoint = {config.livekit.url, config.livekit.api_key, config.livekit.api_secret};
  o.agent_name = config.livekit.agent.name;
  o.version = std::move(version);
  o.max_calls = static_cast<std::uint32_t>(std::max<std::int64_t>(1, config.livekit.agent.max_calls));
  o.participant_name = config.livekit.agent.participant_name;
  o.participant_attributes = {{"voice_agent.version", o.version}};
  o.retry.initial = std::chrono::duration_cast<std::chrono::milliseconds>(config.monitoring.backoff_initial);
  o.retry.max = std::chrono::duration_cast<std::chrono::milliseconds>(config.monitoring.backoff_max);
  o.retry.attempts_before_failed =
      static_cast<std::uint32_t>(std::max<std::int64_t>(0, config.monitoring.reconnect_attempts));
  return o;
}

namespace {

std::int64_t unix_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The worker's own credential for the /agent WebSocket: the `agent` grant is what the server checks.
std::string worker_token(const AgentWorkerOptions& o) {
  AccessTokenClaims claims;
  claims.api_key = o.endpoint.api_key;
  claims.identity = o.agent_name;
  VideoGrant video;
  video.agent = true;
  claims.video = video;
  auto now = unix_millis() / 1000;
  claims.not_before = now;
  claims.expires_at = now + 600;  // used once, for the upgrade request
  return mint_access_token(claims, o.endpoint.api_secret);
}

}  // namespace

// --- the session: everything below runs on `strand` -------------------------------------------------------

struct AgentWorker::Session : std::enable_shared_from_this<Session> {
  Session(asio::any_io_executor executor, AgentWorkerOptions o, AgentWorkerCallbacks cb,
          metrics::Registry& metrics, HealthRegistry* h)
      : strand(asio::make_strand(executor)),
        options(std::move(o)),
        callbacks(std::move(cb)),
        health(h),
        logger({{"component", "livekit_agent"}, {"agent_name", options.agent_name}}),
        reconnect_timer(strand),
        register_timer(strand),
        ping_timer(strand),
        expiry_timer(strand),
        drain_timer(strand),
        slots(options.max_calls),
        random(std::random_device{}()),
        registered_gauge(metrics
                             .gauge("livekit_worker_registered",
                                    "1 while the agent worker is registered with the LiveKit server")
                             .get()),
        state_gauge(metrics.gauge("livekit_worker_state", "The agent worker's state: 1 for the current one",
                                  {"state"})),
        jobs_gauge(metrics.gauge("livekit_worker_jobs",
                                 "Jobs held: running calls and offers accepted but not yet assigned",
                                 {"kind"})),
        capacity_gauge(metrics
                           .gauge("livekit_worker_capacity",
                                  "Calls the agent worker takes at once (livekit.agent.max_calls)")
                           .get()),
        draining_gauge(metrics.gauge("livekit_worker_draining", "1 once the agent worker is draining").get()),
        connections(metrics.counter("livekit_worker_connections_total",
                                    "Connection attempts to the LiveKit server's /agent endpoint by outcome",
                                    {"result"})),
        disconnects(metrics.counter("livekit_worker_disconnects_total",
                                    "Registered connections that ended, by reason", {"reason"})),
        availability(metrics.counter("livekit_worker_availability_total",
                                     "Job offers (AvailabilityRequest) by answer", {"answer"})),
        job_events(metrics.counter("livekit_worker_jobs_total",
                                   "Job events: assigned, refused, expired, terminated, succeeded, failed",
                                   {"event"})),
        bad_messages(metrics.counter("livekit_worker_bad_messages_total",
                                     "Messages from the server that were not understood, by reason",
                                     {"reason"})),
        ping_rtt(metrics.histogram("livekit_worker_ping_rtt_seconds", "Round trip of WorkerPing → WorkerPong")
                     .get()) {
    std::string error;
    target = WebSocketTarget::parse(options.endpoint.url, "/agent", error);
    target_error = error;
    capacity_gauge.set(slots.capacity());
  }

  // --- owner-facing, thread-safe ---

  template <class F>
  void with_callbacks(F&& f) {
    std::lock_guard lock(callback_mutex);
    if (!stopped) f(callbacks);
  }

  void request_stop() {
    {
      std::lock_guard lock(callback_mutex);
      if (stopped) return;
      stopped = true;
      callbacks = {};
    }
    set_snapshot_state(AgentWorkerState::stopped);
    if (health) health->set(options.health_component, ComponentState::stopped);
    asio::post(strand, [self = shared_from_this()] { self->shutdown(); });
  }

  // --- connection ---

  void connect() {
    if (shutting_down) return;
    set_state(AgentWorkerState::connecting);
    if (!target) {
      // A URL config validation let through but the client cannot use: retried like any failure, reported.
      return connection_failed(
          "the LiveKit URL '" + options.endpoint.url + "' is not usable: " + target_error, "bad_url");
    }
    auto epoch = ++connection_epoch;
    WebSocketOptions ws;
    ws.connect_timeout = options.connect_timeout;
    ws.ca_file = options.ca_file;
    ws.user_agent = "voice-agent/" + options.version;
    socket = WebSocketClient::create(strand, ws);
    logger.debug("connecting to the LiveKit server", {{"url", target->to_string()}});
    // The socket's handlers hold the session weakly: the session owns the socket, and a strong reference back
    // would keep both alive forever when the I/O loop stops before the socket is closed (serve's shutdown).
    socket->connect(*target, {{"Authorization", "Bearer " + worker_token(options)}},
                    [weak = weak_from_this(), epoch](std::optional<std::string> error) {
                      auto self = weak.lock();
                      if (!self || epoch != self->connection_epoch) return;
                      if (error) return self->connection_failed(*error, "connect_failed");
                      self->opened(epoch);
                    });
  }

  void opened(std::uint64_t epoch) {
    last_received = Clock::now();
    socket->start_reading(
        [weak = weak_from_this(), epoch](std::string payload, bool binary) {
          auto self = weak.lock();
          if (self && epoch == self->connection_epoch) self->received(payload, binary);
        },
        [weak = weak_from_this(), epoch](std::string reason) {
          auto self = weak.lock();
          if (!self || epoch != self->connection_epoch) return;
          if (self->state == AgentWorkerState::registered) {
            self->connection_lost(reason, "closed");
          } else {
            self->connection_failed("the server ended the connection before registering: " + reason,
                                    "closed_before_register");
          }
        });
    send(register_request({options.agent_name, options.version}));
    register_timer.expires_after(options.register_timeout);
    register_timer.async_wait([self = shared_from_this(), epoch](const error_code& ec) {
      if (ec || epoch != self->connection_epoch || self->state == AgentWorkerState::registered) return;
      self->connection_failed("no RegisterWorkerResponse within " +
                                  std::to_string(self->options.register_timeout.count()) + " ms",
                              "register_timeout");
    });
  }

  // Closes the current connection (if any) so that no handler of it runs again.
  void drop_socket() {
    ++connection_epoch;
    if (socket) socket->close();
    socket.reset();
    register_timer.cancel();
    ping_timer.cancel();
    expiry_timer.cancel();
    worker_id.clear();
    last_sent_load.reset();
    if (auto dropped = slots.reserved(); dropped > 0) {
      slots.drop_reservations();
      if (!shutting_down)
        logger.info("offers not yet assigned are forgotten with the connection", {{"jobs", dropped}});
      check_drain();
    }
  }

  // Connecting or registering failed.
  void connection_failed(const std::string& reason, std::string_view result) {
    connections.with({std::string(result)}).inc();
    ++consecutive_failures;
    last_error = reason;
    drop_socket();
    set_state(AgentWorkerState::connecting);
    schedule_reconnect(reason, false);
  }

  // A registered connection ended.
  void connection_lost(const std::string& reason, std::string_view why) {
    disconnects.with({std::string(why)}).inc();
    consecutive_failures = 1;
    last_error = reason;
    drop_socket();
    set_state(AgentWorkerState::connecting);
    schedule_reconnect(reason, true);
  }

  void schedule_reconnect(const std::string& reason, bool was_registered) {
    if (shutting_down) return;
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    auto delay =
        with_jitter(options.retry.delay_after(consecutive_failures), options.retry_jitter, unit(random));
    log::Fields fields{{"reason", reason},
                       {"retry_in_ms", static_cast<std::int64_t>(delay.count())},
                       {"consecutive_failures", consecutive_failures},
                       {"url", target ? target->to_string() : options.endpoint.url}};
    // Calls in progress go on: their rooms do not depend on this connection. After registering again the
    // worker reports them in its job count.
    if (slots.running() > 0) fields.emplace_back("running_jobs_kept", slots.running());
    if (was_registered) {
      logger.warn("LiveKit agent worker lost its connection; registering again", fields);
    } else if (options.retry.failed_after(consecutive_failures)) {
      logger.error("LiveKit agent worker cannot register; retrying", fields);
    } else {
      logger.warn("LiveKit agent worker not registered; retrying", fields);
    }
    publish();
    reconnect_timer.expires_after(delay);
    reconnect_timer.async_wait([self = shared_from_this()](const error_code& ec) {
      if (!ec) self->connect();
    });
  }

  void shutdown() {
    shutting_down = true;
    drop_socket();
    reconnect_timer.cancel();
    drain_timer.cancel();
    drain_done = nullptr;
    set_state(AgentWorkerState::stopped);
    logger.info("LiveKit agent worker stopped", {{"running_jobs", slots.running()}});
  }

  // --- input ---

  void received(const std::string& payload, bool binary) {
    last_received = Clock::now();
    if (!binary) {
      // The server answers in the encoding the worker speaks: protobuf, binary frames. A text frame would
      // be the JSON encoding, which this worker does not use.
      return bad_message("text_frame", "a text frame (JSON?) from the LiveKit server; expected protobuf",
                         payload);
    }
    auto message = parse_server_message(payload);
    if (!message) return bad_message("unparsable", "an unparsable message from the LiveKit server", payload);
    switch (message->message_case()) {
      case agent_proto::ServerMessage::kRegister:
        return registered(message->register_());
      case agent_proto::ServerMessage::kAvailability:
        return offered(message->availability());
      case agent_proto::ServerMessage::kAssignment:
        return assigned(message->assignment());
      case agent_proto::ServerMessage::kTermination:
        return terminated(message->termination().job_id());
      case agent_proto::ServerMessage::kPong:
        return ponged(message->pong());
      case agent_proto::ServerMessage::kGoAway:
        // Sent to agents serving HTTP endpoints (not registered here); the connection itself stays usable.
        return bad_message("unexpected", "a GoAway from the LiveKit server, which this worker does not use",
                           {});
      case agent_proto::ServerMessage::MESSAGE_NOT_SET:
        break;
    }
    bad_message("unknown_message",
                "a message of a newer agent protocol (unknown to this voice-agent) from the LiveKit server",
                payload);
  }

  void bad_message(std::string_view reason, std::string_view what, const std::string& payload) {
    bad_messages.with({std::string(reason)}).inc();
    // A prefix of the bytes in hex: enough to recognise what arrived, never the whole (possibly large) frame.
    static constexpr char kHex[] = "0123456789abcdef";
    std::string head;
    for (std::size_t i = 0; i < payload.size() && i < 32; ++i) {
      auto byte = static_cast<unsigned char>(payload[i]);
      head += kHex[byte >> 4];
      head += kHex[byte & 15];
    }
    logger.warn(what, {{"reason", std::string(reason)},
                       {"bytes", static_cast<std::int64_t>(payload.size())},
                       {"head_hex", head},
                       {"worker_id", worker_id}});
  }

  void registered(const agent_proto::RegisterWorkerResponse& response) {
    if (state == AgentWorkerState::registered) {
      return bad_message("unexpected", "a second RegisterWorkerResponse from the LiveKit server", {});
    }
    register_timer.cancel();
    worker_id = response.worker_id();
    consecutive_failures = 0;
    last_error.clear();
    ++registrations;
    connections.with({"registered"}).inc();
    set_state(AgentWorkerState::registered);
    log::Fields fields{{"worker_id", worker_id},
                       {"url", target->to_string()},
                       {"max_calls", slots.capacity()},
                       {"server_version", response.server_info().version()}};
    if (registrations > 1) fields.emplace_back("registration", static_cast<std::int64_t>(registrations));
    if (slots.running() > 0) fields.emplace_back("running_jobs_kept", slots.running());
    logger.info("LiveKit agent worker registered", fields);
    send_load(/*always=*/true);
    arm_ping();
  }

  void offered(const agent_proto::AvailabilityRequest& request) {
    const auto& job_id = request.job().id();
    auto answer = slots.offer(job_id, Clock::now() + options.assignment_timeout);
    availability.with({std::string(to_string(answer))}).inc();
    bool accepted = answer == Availability::accepted;
    send(availability_response(job_id, accepted, participant_for(job_id)));
    logger.info(accepted ? "job offer accepted" : "job offer refused",
                {{"job_id", job_id},
                 {"room", request.job().room().name()},
                 {"answer", std::string(to_string(answer))},
                 {"held", slots.held()},
                 {"max_calls", slots.capacity()}});
    if (accepted) arm_expiry();
    send_load();
  }

  AgentParticipant participant_for(const std::string& job_id) const {
    return {options.identity_prefix + job_id, options.participant_name, options.participant_attributes};
  }

  void assigned(const agent_proto::JobAssignment& assignment) {
    const auto& job_id = assignment.job().id();
    auto outcome = slots.assign(job_id);
    log::Fields fields{{"job_id", job_id},
                       {"room", assignment.job().room().name()},
                       {"dispatch_id", assignment.job().dispatch_id()},
                       {"assignment", std::string(to_string(outcome))}};
    if (outcome == Assignment::duplicate) {
      return bad_message("unexpected", "a second JobAssignment for a running job from the LiveKit server",
                         {});
    }
    if (outcome == Assignment::refused) {
      job_events.with({"refused"}).inc();
      send(job_status(job_id, agent_proto::JS_FAILED,
                      "voice-agent is at capacity (" + std::to_string(slots.capacity()) + " calls)"));
      logger.warn("job assignment refused: at capacity (the offer had expired)", fields);
      return;
    }
    job_events.with({"assigned"}).inc();
    logger.info("job assigned", fields);
    send_load();
    arm_expiry();
    auto job = agent_job(assignment, options.endpoint.url, participant_for(job_id).identity);
    bool handled = false;
    with_callbacks([&](AgentWorkerCallbacks& cb) {
      if (!cb.on_job) return;
      handled = true;
      cb.on_job(job);
    });
    if (!handled && !stopped_flag()) finish(job_id, "voice-agent has no handler for LiveKit jobs");
  }

  void terminated(const std::string& job_id) {
    if (!slots.holds(job_id)) {
      logger.info("termination of a job this worker does not hold", {{"job_id", job_id}});
      return;
    }
    job_events.with({"terminated"}).inc();
    logger.info("job terminated by the LiveKit server", {{"job_id", job_id}});
    with_callbacks([&](AgentWorkerCallbacks& cb) {
      if (cb.on_termination) cb.on_termination(job_id);
    });
  }

  void ponged(const agent_proto::WorkerPong& pong) {
    auto rtt = unix_millis() - pong.last_timestamp();
    if (pong.last_timestamp() > 0 && rtt >= 0 && rtt < 600'000)
      ping_rtt.observe(static_cast<double>(rtt) / 1000.0);
  }

  // --- output ---

  void send(const agent_proto::WorkerMessage& message) {
    if (socket && socket->is_open()) socket->send_binary(serialize(message));
  }

  // UpdateWorkerStatus when what it says changed (or `always`, after registering).
  void send_load(bool always = false) {
    auto load = slots.load();
    jobs_gauge.with({"running"}).set(slots.running());
    jobs_gauge.with({"reserved"}).set(slots.reserved());
    draining_gauge.set(slots.draining() ? 1 : 0);
    publish();
    if (state != AgentWorkerState::registered) return;
    if (!always && last_sent_load == load) return;
    last_sent_load = load;
    send(worker_status(load));
  }

  // --- timers ---

  void arm_ping() {
    ping_timer.expires_after(options.ping_interval);
    ping_timer.async_wait([self = shared_from_this(), epoch = connection_epoch](const error_code& ec) {
      if (!ec && epoch == self->connection_epoch) self->ping_tick();
    });
  }

  void ping_tick() {
    auto silence = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - last_received);
    if (silence > options.ping_interval * options.missed_pings) {
      return connection_lost("nothing from the LiveKit server for " + std::to_string(silence.count()) + " ms",
                             "ping_timeout");
    }
    send(worker_ping(unix_millis()));
    arm_ping();
  }

  void arm_expiry() {
    auto next = slots.next_expiry();
    if (!next) return;
    expiry_timer.expires_at(*next);
    expiry_timer.async_wait([self = shared_from_this()](const error_code& ec) {
      if (!ec) self->expire_offers();
    });
  }

  void expire_offers() {
    auto expired = slots.expire(Clock::now());
    for (const auto& job_id : expired) {
      job_events.with({"expired"}).inc();
      logger.info("accepted offer expired without an assignment: slot freed",
                  {{"job_id", job_id},
                   {"timeout_ms", static_cast<std::int64_t>(options.assignment_timeout.count())}});
    }
    if (!expired.empty()) {
      send_load();
      check_drain();
    }
    arm_expiry();
  }

  // --- the owner's reports ---

  void running(const std::string& job_id) {
    if (!slots.is_running(job_id)) {
      logger.debug("job_running for a job this worker does not hold", {{"job_id", job_id}});
      return;
    }
    send(job_status(job_id, agent_proto::JS_RUNNING));
  }

  void finish(const std::string& job_id, const std::string& error) {
    if (!slots.finish(job_id)) {
      logger.debug("job_finished for a job this worker does not hold", {{"job_id", job_id}});
      return;
    }
    job_events.with({error.empty() ? "succeeded" : "failed"}).inc();
    // After a reconnect the server no longer knows jobs of the old registration; it ignores the update.
    send(job_status(job_id, error.empty() ? agent_proto::JS_SUCCESS : agent_proto::JS_FAILED, error));
    log::Fields fields{{"job_id", job_id}, {"held", slots.held()}};
    if (!error.empty()) fields.emplace_back("error", error);
    logger.info(error.empty() ? "job finished" : "job failed", fields);
    send_load();
    check_drain();
  }

  // --- drain ---

  void begin_drain(std::chrono::milliseconds timeout, std::function<void(std::uint32_t)> done) {
    slots.set_draining(true);
    drain_done = std::move(done);
    logger.info(
        "LiveKit agent worker draining: no new jobs",
        {{"running_jobs", slots.running()}, {"timeout_ms", static_cast<std::int64_t>(timeout.count())}});
    send_load();
    if (slots.idle()) return complete_drain();
    drain_timer.expires_after(timeout);
    drain_timer.async_wait([self = shared_from_this()](const error_code& ec) {
      if (!ec) self->complete_drain();
    });
  }

  void check_drain() {
    if (slots.draining() && drain_done && slots.idle()) complete_drain();
  }

  void complete_drain() {
    if (!drain_done) return;
    auto done = std::move(drain_done);
    drain_done = nullptr;
    drain_timer.cancel();
    auto left = slots.held();
    if (left == 0) {
      logger.info("LiveKit agent worker drained");
    } else {
      logger.warn("LiveKit agent worker drain timed out", {{"jobs_left", left}});
    }
    with_callbacks([&](AgentWorkerCallbacks&) { done(left); });
  }

  // --- state and reports ---

  bool stopped_flag() {
    std::lock_guard lock(callback_mutex);
    return stopped;
  }

  void set_state(AgentWorkerState s) {
    state = s;
    publish();
  }

  void set_snapshot_state(AgentWorkerState s) {
    std::lock_guard lock(status_mutex);
    snapshot.state = s;
  }

  void publish() {
    for (auto s : {AgentWorkerState::connecting, AgentWorkerState::registered, AgentWorkerState::stopped})
      state_gauge.with({std::string(to_string(s))}).set(s == state ? 1 : 0);
    registered_gauge.set(state == AgentWorkerState::registered ? 1 : 0);
    {
      std::lock_guard lock(status_mutex);
      if (snapshot.state != AgentWorkerState::stopped) snapshot.state = state;
      snapshot.worker_id = worker_id;
      snapshot.running_jobs = slots.running();
      snapshot.reserved_jobs = slots.reserved();
      snapshot.draining = slots.draining();
      snapshot.registrations = registrations;
      snapshot.last_error = last_error;
    }
    if (!health) return;
    // Under the callback lock: a concurrent stop() reports "stopped", and that must stay the last word.
    std::lock_guard lock(callback_mutex);
    if (stopped) return;
    switch (state) {
      case AgentWorkerState::registered:
        health->set(options.health_component, ComponentState::ready,
                    "worker " + worker_id + " ('" + options.agent_name + "'), " +
                        std::to_string(slots.held()) + "/" + std::to_string(slots.capacity()) + " calls" +
                        (slots.draining() ? ", draining" : ""));
        break;
      case AgentWorkerState::connecting:
        // Degraded, not failed: see the header comment.
        health->set(options.health_component, ComponentState::degraded,
                    "registering with " + (target ? target->to_string() : options.endpoint.url) +
                        (last_error.empty() ? "" : ": " + last_error));
        break;
      case AgentWorkerState::stopped:
        health->set(options.health_component, ComponentState::stopped);
        break;
    }
  }

  asio::strand<asio::any_io_executor> strand;
  AgentWorkerOptions options;
  std::optional<WebSocketTarget> target;
  std::string target_error;

  std::recursive_mutex callback_mutex;  // held while an owner callback runs; stop() waits for it
  AgentWorkerCallbacks callbacks;
  bool stopped = false;

  HealthRegistry* health;
  log::Logger logger;

  std::shared_ptr<WebSocketClient> socket;
  std::uint64_t connection_epoch = 0;  // handlers of older connections compare and return
  asio::steady_timer reconnect_timer;
  asio::steady_timer register_timer;
  asio::steady_timer ping_timer;
  asio::steady_timer expiry_timer;
  asio::steady_timer drain_timer;
  JobSlots slots;
  AgentWorkerState state = AgentWorkerState::connecting;
  bool shutting_down = false;
  std::string worker_id;
  std::string last_error;
  std::uint32_t consecutive_failures = 0;
  std::uint64_t registrations = 0;
  Clock::time_point last_received{};
  std::optional<WorkerLoad> last_sent_load;
  std::function<void(std::uint32_t)> drain_done;
  std::mt19937 random;

  mutable std::mutex status_mutex;
  AgentWorkerStatus snapshot;

  metrics::Gauge& registered_gauge;
  metrics::Family<metrics::Gauge>& state_gauge;
  metrics::Family<metrics::Gauge>& jobs_gauge;
  metrics::Gauge& capacity_gauge;
  metrics::Gauge& draining_gauge;
  metrics::Family<metrics::Counter>& connections;
  metrics::Family<metrics::Counter>& disconnects;
  metrics::Family<metrics::Counter>& availability;
  metrics::Family<metrics::Counter>& job_events;
  metrics::Family<metrics::Counter>& bad_messages;
  metrics::Histogram& ping_rtt;
};

// --- the public face
// ----------------------------------------------------------------------------------------

AgentWorker::AgentWorker(asio::any_io_executor executor, AgentWorkerOptions options,
                         AgentWorkerCallbacks callbacks, metrics::Registry& metrics, HealthRegistry* health)
    : session_(std::make_shared<Session>(std::move(executor), std::move(options), std::move(callbacks),
                                         metrics, health)) {}

AgentWorker::~AgentWorker() {
  stop();
}

void AgentWorker::start() {
  asio::post(session_->strand, [s = session_] { s->connect(); });
}

void AgentWorker::stop() {
  session_->request_stop();
}

void AgentWorker::job_running(const std::string& job_id) {
  asio::post(session_->strand, [s = session_, job_id] { s->running(job_id); });
}

void AgentWorker::job_finished(const std::string& job_id, const std::string& error) {
  asio::post(session_->strand, [s = session_, job_id, error] { s->finish(job_id, error); });
}

void AgentWorker::drain(std::chrono::milliseconds timeout, std::function<void(std::uint32_t)> done) {
  asio::post(session_->strand, [s = session_, timeout, done = std::move(done)]() mutable {
    s->begin_drain(timeout, std::move(done));
  });
}

AgentWorkerStatus AgentWorker::status() const {
  std::lock_guard lock(session_->status_mutex);
  return session_->snapshot;
}

}  // namespace va::livekit
