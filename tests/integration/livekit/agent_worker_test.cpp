// voice-agent's LiveKit agent worker against the real livekit-server (+ Redis) on loopback: registration,
// dispatch by room_config.agents and by AgentDispatchService, the tokens the server hands over, sharing
// jobs between workers, capacity (WS_FULL), drain, a server restart, and a server that sends garbage (a
// tiny WebSocket server in this file: no real LiveKit server sends garbage on purpose).
//
// No WebRTC is involved: a worker receives its assignments over the /agent WebSocket; joining the room
// with the token is the room leg's business, so these tests read the token's claims instead.
#include "livekit/agent_worker.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/websocket.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "livekit/access_token.hpp"
#include "livekit/agent_dispatch_service.hpp"
#include "livekit/agent_worker_protocol.hpp"
#include "livekit/room_service.hpp"
#include "support/livekit_server.hpp"

namespace va::livekit {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using test::LiveKitServer;
using test::ok;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Polls `condition` every 20 ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 15s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

// The value of one series in the Prometheus text of `registry`, e.g.
// `livekit_worker_bad_messages_total{reason="unparsable"}`; 0 when absent.
double metric(const metrics::Registry& registry, const std::string& series) {
  auto text = registry.expose();
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return 0;
  return std::stod(text.substr(at + series.size() + 2));
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One voice-agent worker with its own I/O thread, metrics and health, recording the jobs it is given.
class Worker {
 public:
  Worker(const std::string& url, const std::string& key, const std::string& secret, std::string agent_name,
         std::uint32_t max_calls, const std::function<void(AgentWorkerOptions&)>& tweak = {})
      : work_(asio::make_work_guard(io_)) {
    AgentWorkerOptions options;
    options.endpoint = {url, key, secret};
    options.agent_name = std::move(agent_name);
    options.version = "test";
    options.max_calls = max_calls;
    options.participant_name = "voice-agent";
    options.participant_attributes = {{"voice_agent.version", "test"}};
    options.retry = RetrySchedule{100ms, 500ms, 5};
    if (tweak) tweak(options);
    AgentWorkerCallbacks callbacks;
    callbacks.on_job = [this](const AgentJob& job) {
      std::lock_guard lock(mutex_);
      jobs_.push_back(job);
    };
    callbacks.on_termination = [this](const std::string& job_id) {
      std::lock_guard lock(mutex_);
      terminations_.push_back(job_id);
    };
    worker_.emplace(io_.get_executor(), options, callbacks, metrics_, &health_);
    thread_ = std::thread([this] { io_.run(); });
    worker_->start();
  }
  Worker(const LiveKitServer& server, std::string agent_name, std::uint32_t max_calls,
         const std::function<void(AgentWorkerOptions&)>& tweak = {})
      : Worker(server.ws_url(), server.api_key(), server.api_secret(), std::move(agent_name), max_calls,
               tweak) {}

  ~Worker() {
    // Stop, then let the close frame go out before the loop is cut — unless the test cuts the loop first.
    worker_->stop();
    work_.reset();
    auto deadline = std::chrono::steady_clock::now() + (abrupt_ ? 0s : 3s);
    while (!io_.stopped() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
    io_.stop();
    thread_.join();
  }
  // The I/O loop stops before the worker's shutdown can run (serve stops its loop once everything drained).
  void stop_loop_abruptly() { abrupt_ = true; }

  AgentWorker& worker() { return *worker_; }
  AgentWorkerStatus status() const { return worker_->status(); }
  const metrics::Registry& metrics() const { return metrics_; }
  const HealthRegistry& health() const { return health_; }

  bool wait_registered(std::chrono::milliseconds timeout = 15s) {
    return eventually([this] { return status().state == AgentWorkerState::registered; }, timeout);
  }
  std::vector<AgentJob> jobs() const {
    std::lock_guard lock(mutex_);
    return jobs_;
  }
  std::vector<std::string> terminations() const {
    std::lock_guard lock(mutex_);
    return terminations_;
  }
  // The job for `room`, once it arrives.
  std::optional<AgentJob> wait_job(const std::string& room, std::chrono::milliseconds timeout = 15s) {
    std::optional<AgentJob> found;
    eventually(
        [&] {
          for (const auto& job : jobs())
            if (job.room_name == room) found = job;
          return found.has_value();
        },
        timeout);
    return found;
  }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  metrics::Registry metrics_;
  HealthRegistry health_;
  std::optional<AgentWorker> worker_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<AgentJob> jobs_;
  std::vector<std::string> terminations_;
  bool abrupt_ = false;
};

class LiveKitAgentWorker : public ::testing::Test {
 protected:
  void SetUp() override {
    VA_REQUIRE_LIVEKIT();
    server_.emplace();
    client_.emplace(ServerEndpoint{server_->url(), server_->api_key(), server_->api_secret()});
    rooms_.emplace(*client_);
    dispatches_.emplace(*client_);
  }

  // A room created the way a SIP dispatch rule with room_config.agents creates it.
  void create_room_with_agent(const std::string& room, const std::string& agent_name,
                              const std::string& metadata = {}) {
    CreateRoomRequest request;
    request.name = room;
    request.agents = {{agent_name, metadata}};
    ok(rooms_->create_room(request));
  }

  AccessTokenClaims claims_of(const std::string& token) {
    auto verified = verify_access_token(token, {{server_->api_key(), server_->api_secret()}}, now_seconds());
    if (auto* rejection = std::get_if<TokenRejection>(&verified)) {
      ADD_FAILURE() << "the job's token does not verify: " << rejection->message;
      return {};
    }
    return std::get<AccessTokenClaims>(verified);
  }

  std::optional<LiveKitServer> server_;
  std::optional<TwirpClient> client_;
  std::optional<RoomService> rooms_;
  std::optional<AgentDispatchService> dispatches_;
};

TEST_F(LiveKitAgentWorker, RegistersAndReportsItself) {
  Worker a(*server_, "voice-agent", 4);
  ASSERT_TRUE(a.wait_registered()) << a.status().last_error << "\n" << server_->log();
  EXPECT_THAT(a.status().worker_id, StartsWith("AW_"));
  EXPECT_EQ(a.status().registrations, 1u);
  EXPECT_EQ(metric(a.metrics(), "livekit_worker_registered"), 1);
  EXPECT_EQ(metric(a.metrics(), R"(livekit_worker_state{state="registered"})"), 1);
  EXPECT_EQ(metric(a.metrics(), R"(livekit_worker_connections_total{result="registered"})"), 1);
  EXPECT_EQ(metric(a.metrics(), "livekit_worker_capacity"), 4);
  EXPECT_TRUE(eventually([&] {
    return a.health().to_json().find(R"("livekit_agent":{"state":"ready")") != std::string::npos;
  })) << a.health().to_json();
  EXPECT_TRUE(eventually([&] { return server_->log().find("worker registered") != std::string::npos; }));
}

TEST_F(LiveKitAgentWorker, ARoomNamingTheAgentGetsAJobWithATokenForThatRoom) {
  Worker a(*server_, "voice-agent", 4);
  ASSERT_TRUE(a.wait_registered()) << a.status().last_error;
  create_room_with_agent("call-room-config", "voice-agent", R"({"flow":"main"})");
  auto job = a.wait_job("call-room-config");
  ASSERT_TRUE(job.has_value()) << server_->log();
  EXPECT_THAT(job->id, StartsWith("AJ_"));
  EXPECT_THAT(job->room_sid, StartsWith("RM_"));
  EXPECT_EQ(job->agent_name, "voice-agent");
  EXPECT_EQ(job->metadata, R"({"flow":"main"})");
  EXPECT_EQ(job->url, server_->ws_url());
  EXPECT_EQ(job->agent_identity, "agent-" + job->id);

  // The token lets exactly this agent participant join exactly this room (WebRTC is the room leg's part:
  // the claims are what the server checks on join).
  auto claims = claims_of(job->token);
  EXPECT_EQ(claims.api_key, server_->api_key());
  EXPECT_EQ(claims.identity, job->agent_identity);
  EXPECT_EQ(claims.name, "voice-agent");
  EXPECT_EQ(claims.kind, "agent");
  EXPECT_EQ(claims.attributes["lk.agent_name"], "voice-agent");
  EXPECT_EQ(claims.attributes["voice_agent.version"], "test");
  ASSERT_TRUE(claims.video.has_value());
  EXPECT_EQ(claims.video->room, "call-room-config");
  EXPECT_EQ(claims.video->room_join, true);
  EXPECT_EQ(claims.video->agent, true);
  EXPECT_EQ(claims.video->can_publish, true);
  EXPECT_EQ(claims.video->can_subscribe, true);
  EXPECT_EQ(claims.video->can_publish_data, true);
  EXPECT_GT(claims.expires_at, now_seconds());

  EXPECT_EQ(a.status().running_jobs, 1u);
  EXPECT_EQ(metric(a.metrics(), R"(livekit_worker_jobs_total{event="assigned"})"), 1);
  a.worker().job_running(job->id);
  a.worker().job_finished(job->id);
  EXPECT_TRUE(eventually([&] { return a.status().running_jobs == 0; }));
  EXPECT_EQ(metric(a.metrics(), R"(livekit_worker_jobs_total{event="succeeded"})"), 1);
}

TEST_F(LiveKitAgentWorker, AnExplicitDispatchGetsAJobCarryingItsIdAndMetadata) {
  Worker a(*server_, "exolve-agent", 4);
  ASSERT_TRUE(a.wait_registered()) << a.status().last_error;
  ok(rooms_->create_room({.name = "call-explicit"}));
  auto dispatch = ok(dispatches_->create_dispatch("call-explicit", "exolve-agent", "caller=+79991234567"));
  ASSERT_THAT(dispatch.id, StartsWith("AD_"));
  auto job = a.wait_job("call-explicit");
  ASSERT_TRUE(job.has_value()) << server_->log();
  EXPECT_EQ(job->dispatch_id, dispatch.id);
  EXPECT_EQ(job->metadata, "caller=+79991234567");
  EXPECT_EQ(job->agent_name, "exolve-agent");
  auto claims = claims_of(job->token);
  ASSERT_TRUE(claims.video.has_value());
  EXPECT_EQ(claims.video->room, "call-explicit");
  EXPECT_EQ(claims.video->agent, true);
  // A dispatch for another agent name never reaches this worker.
  ok(rooms_->create_room({.name = "call-other"}));
  ok(dispatches_->create_dispatch("call-other", "someone-else"));
  EXPECT_FALSE(a.wait_job("call-other", 2s).has_value());
}

TEST_F(LiveKitAgentWorker, DeletingTheDispatchTerminatesTheJob) {
  Worker a(*server_, "voice-agent", 4);
  ASSERT_TRUE(a.wait_registered()) << a.status().last_error;
  ok(rooms_->create_room({.name = "call-terminated"}));
  auto dispatch = ok(dispatches_->create_dispatch("call-terminated", "voice-agent"));
  auto job = a.wait_job("call-terminated");
  ASSERT_TRUE(job.has_value()) << server_->log();
  ok(dispatches_->delete_dispatch(dispatch.id, "call-terminated"));
  ASSERT_TRUE(eventually([&] { return a.terminations() == std::vector<std::string>{job->id}; }))
      << server_->log();
  EXPECT_EQ(metric(a.metrics(), R"(livekit_worker_jobs_total{event="terminated"})"), 1);
  // The owner hangs up and reports; the slot is free again.
  a.worker().job_finished(job->id);
  EXPECT_TRUE(eventually([&] { return a.status().running_jobs == 0; }));
}

TEST_F(LiveKitAgentWorker, TwoWorkersOfOneNameShareTheRooms) {
  Worker a(*server_, "voice-agent", 4);
  Worker b(*server_, "voice-agent", 4);
  ASSERT_TRUE(a.wait_registered() && b.wait_registered());
  // Six calls for eight slots: whatever the server's weighting, neither worker can take more than four.
  for (int i = 0; i < 6; ++i) create_room_with_agent("shared-" + std::to_string(i), "voice-agent");
  ASSERT_TRUE(eventually([&] { return a.jobs().size() + b.jobs().size() == 6; })) << server_->log();
  EXPECT_GE(a.jobs().size(), 2u);
  EXPECT_GE(b.jobs().size(), 2u);
  std::set<std::string> rooms;
  for (const auto& job : a.jobs()) rooms.insert(job.room_name);
  for (const auto& job : b.jobs()) rooms.insert(job.room_name);
  EXPECT_EQ(rooms.size(), 6u) << "every room has exactly one agent";
}

TEST_F(LiveKitAgentWorker, AWorkerAtCapacityIsFullAndTheOtherTakesTheJob) {
  Worker a(*server_, "voice-agent", 1);
  Worker b(*server_, "voice-agent", 1);
  ASSERT_TRUE(a.wait_registered() && b.wait_registered());
  create_room_with_agent("first", "voice-agent");
  ASSERT_TRUE(eventually([&] { return a.jobs().size() + b.jobs().size() == 1; })) << server_->log();
  Worker& busy = a.jobs().empty() ? b : a;
  Worker& idle = a.jobs().empty() ? a : b;
  EXPECT_TRUE(eventually([&] { return busy.health().to_json().find("1/1 calls") != std::string::npos; }))
      << busy.health().to_json();

  create_room_with_agent("second", "voice-agent");
  ASSERT_TRUE(idle.wait_job("second").has_value()) << server_->log();
  // Both full now: a third call finds no agent, and nobody was overbooked.
  create_room_with_agent("third", "voice-agent");
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(busy.jobs().size(), 1u);
  EXPECT_EQ(idle.jobs().size(), 1u);
}

TEST_F(LiveKitAgentWorker, ADrainingWorkerTakesNoNewJobsAndReportsWhenItsLastCallEnds) {
  auto a = std::make_unique<Worker>(*server_, "voice-agent", 4);
  ASSERT_TRUE(a->wait_registered());
  create_room_with_agent("before-drain", "voice-agent");
  auto running = a->wait_job("before-drain");
  ASSERT_TRUE(running.has_value()) << server_->log();
  Worker b(*server_, "voice-agent", 4);
  ASSERT_TRUE(b.wait_registered());

  std::atomic<int> drained{-1};
  a->worker().drain(30s, [&](std::uint32_t jobs_left) { drained = static_cast<int>(jobs_left); });
  ASSERT_TRUE(eventually([&] { return a->status().draining; }));
  for (int i = 0; i < 3; ++i) create_room_with_agent("after-drain-" + std::to_string(i), "voice-agent");
  ASSERT_TRUE(eventually([&] { return b.jobs().size() == 3; })) << server_->log();
  EXPECT_EQ(a->jobs().size(), 1u);
  EXPECT_EQ(drained.load(), -1) << "a call is still running";

  a->worker().job_finished(running->id);
  EXPECT_TRUE(eventually([&] { return drained.load() == 0; }));

  // The drain timeout: a job that does not finish in time is reported as left over.
  std::atomic<int> timed_out{-1};
  b.worker().drain(300ms, [&](std::uint32_t jobs_left) { timed_out = static_cast<int>(jobs_left); });
  EXPECT_TRUE(eventually([&] { return timed_out.load() == 3; }));
}

TEST_F(LiveKitAgentWorker, AfterAServerRestartTheWorkerRegistersAgainAndKeepsItsCalls) {
  Worker a(*server_, "voice-agent", 4, [](AgentWorkerOptions& o) { o.ping_interval = 500ms; });
  ASSERT_TRUE(a.wait_registered());
  create_room_with_agent("during-restart", "voice-agent");
  ASSERT_TRUE(a.wait_job("during-restart").has_value()) << server_->log();
  auto first_id = a.status().worker_id;

  server_->stop();
  ASSERT_TRUE(eventually([&] { return a.status().state == AgentWorkerState::connecting; }));
  EXPECT_THAT(a.health().to_json(), HasSubstr(R"("livekit_agent":{"state":"degraded")"));
  EXPECT_EQ(a.status().running_jobs, 1u) << "the call goes on without the worker connection";
  std::this_thread::sleep_for(1s);  // a few failed attempts against the stopped server
  EXPECT_GE(metric(a.metrics(), R"(livekit_worker_connections_total{result="connect_failed"})"), 1);

  server_->start();
  ASSERT_TRUE(eventually([&] { return a.status().registrations == 2; }, 20s)) << a.status().last_error;
  EXPECT_NE(a.status().worker_id, first_id);
  EXPECT_EQ(a.status().running_jobs, 1u);
  EXPECT_EQ(metric(a.metrics(), R"(livekit_worker_disconnects_total{reason="closed"})") +
                metric(a.metrics(), R"(livekit_worker_disconnects_total{reason="ping_timeout"})"),
            1);
  // And it takes new jobs again.
  create_room_with_agent("after-restart", "voice-agent");
  EXPECT_TRUE(a.wait_job("after-restart").has_value()) << server_->log();
}

TEST_F(LiveKitAgentWorker, ALoopStoppedUnderAConnectedWorkerLeaksNothing) {
  // LeakSanitizer checks this at exit: the session and its socket must not keep each other alive.
  Worker a(*server_, "voice-agent", 4);
  ASSERT_TRUE(a.wait_registered());
  a.stop_loop_abruptly();
}

TEST(LiveKitAgentWorkerUnreachable, KeepsRetryingAndReportsDegraded) {
  auto port = test::reserve_port(test::PortProtocol::tcp);  // reserved: nobody listens there
  Worker a("ws://127.0.0.1:" + std::to_string(port.port()), "APIvoiceagentTest1",
           "voice-agent-test-secret-0123456789abcdef", "voice-agent", 4);
  EXPECT_TRUE(eventually([&] {
    return metric(a.metrics(), R"(livekit_worker_connections_total{result="connect_failed"})") >= 3;
  }));
  EXPECT_EQ(a.status().state, AgentWorkerState::connecting);
  EXPECT_THAT(a.status().last_error, HasSubstr("connect 127.0.0.1"));
  EXPECT_THAT(a.health().to_json(), HasSubstr(R"("livekit_agent":{"state":"degraded")"));
  EXPECT_TRUE(a.health().ready()) << "a LiveKit outage does not take the instance out of rotation";
}

// --- a server that sends garbage
// ----------------------------------------------------------------------------

// Accepts one worker connection on loopback, checks its upgrade request, and plays `script` against it.
class ScriptedAgentServer {
 public:
  using WebSocket = boost::beast::websocket::stream<asio::ip::tcp::socket>;
  explicit ScriptedAgentServer(std::function<void(WebSocket&)> script)
      : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}), script_(std::move(script)) {
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedAgentServer() {
    stop_ = true;
    boost::system::error_code ec;
    acceptor_.close(ec);
    if (auto* socket = socket_.load()) socket->shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    thread_.join();
  }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
  std::string target() const {
    std::lock_guard lock(mutex_);
    return target_;
  }
  std::string authorization() const {
    std::lock_guard lock(mutex_);
    return authorization_;
  }

 private:
  void serve() {
    try {
      asio::ip::tcp::socket socket(io_);
      acceptor_.accept(socket);
      socket_ = &socket;
      boost::beast::flat_buffer buffer;
      boost::beast::http::request<boost::beast::http::string_body> request;
      boost::beast::http::read(socket, buffer, request);
      {
        std::lock_guard lock(mutex_);
        target_ = std::string(request.target());
        authorization_ = std::string(request[boost::beast::http::field::authorization]);
      }
      WebSocket ws(std::move(socket));
      socket_ = &ws.next_layer();
      ws.accept(request);
      script_(ws);
      // Keep the connection open until the test ends, answering nothing more.
      while (!stop_) {
        boost::beast::flat_buffer rest;
        ws.read(rest);
      }
    } catch (const std::exception&) {
      // The test tears the connection down.
    }
    socket_ = nullptr;
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::function<void(WebSocket&)> script_;
  std::atomic<asio::ip::tcp::socket*> socket_{nullptr};
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::string target_;
  std::string authorization_;
  std::thread thread_;
};

TEST(LiveKitAgentWorkerBadServer, GarbageIsLoggedAndCountedAndTheConnectionGoesOn) {
  std::atomic<bool> answered_offer{false};
  ScriptedAgentServer server([&](ScriptedAgentServer::WebSocket& ws) {
    boost::beast::flat_buffer in;
    ws.read(in);  // RegisterWorkerRequest
    agent_proto::WorkerMessage hello;
    if (!hello.ParseFromString(boost::beast::buffers_to_string(in.data())) || !hello.has_register_()) return;
    ws.binary(true);
    ws.write(asio::buffer(std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11)));  // not protobuf
    ws.write(asio::buffer(std::string("\x9a\x06\x02hi", 5)));  // field 99: a newer protocol's message
    ws.text(true);
    ws.write(asio::buffer(std::string(R"({"register":{"workerId":"AW_json"}})")));  // JSON in a text frame
    ws.binary(true);
    agent_proto::ServerMessage registered;
    registered.mutable_register_()->set_worker_id("AW_scripted");
    ws.write(asio::buffer(registered.SerializeAsString()));
    // The connection still works after the garbage: an offer is answered.
    agent_proto::ServerMessage offer;
    offer.mutable_availability()->mutable_job()->set_id("AJ_scripted");
    offer.mutable_availability()->mutable_job()->mutable_room()->set_name("scripted-room");
    ws.write(asio::buffer(offer.SerializeAsString()));
    for (int i = 0; i < 5; ++i) {
      boost::beast::flat_buffer reply;
      ws.read(reply);
      agent_proto::WorkerMessage message;
      if (message.ParseFromString(boost::beast::buffers_to_string(reply.data())) &&
          message.has_availability()) {
        answered_offer = message.availability().available() &&
                         message.availability().participant_identity() == "agent-AJ_scripted";
        return;
      }
    }
  });
  Worker a(server.url(), "APIvoiceagentTest1", "voice-agent-test-secret-0123456789abcdef", "voice-agent", 4);
  ASSERT_TRUE(a.wait_registered()) << a.status().last_error;
  EXPECT_EQ(a.status().worker_id, "AW_scripted");
  EXPECT_TRUE(eventually([&] { return answered_offer.load(); }));
  EXPECT_EQ(metric(a.metrics(), R"(livekit_worker_bad_messages_total{reason="unparsable"})"), 1);
  EXPECT_EQ(metric(a.metrics(), R"(livekit_worker_bad_messages_total{reason="unknown_message"})"), 1);
  EXPECT_EQ(metric(a.metrics(), R"(livekit_worker_bad_messages_total{reason="text_frame"})"), 1);
  EXPECT_EQ(a.status().registrations, 1u) << "garbage does not cost the connection";

  // What the worker sent to open the connection: the /agent endpoint, a token with the agent grant.
  EXPECT_EQ(server.target(), "/agent");
  ASSERT_THAT(server.authorization(), StartsWith("Bearer "));
  auto verified = verify_access_token(server.authorization().substr(7),
                                      {{"APIvoiceagentTest1", "voice-agent-test-secret-0123456789abcdef"}},
                                      now_seconds());
  ASSERT_TRUE(std::holds_alternative<AccessTokenClaims>(verified));
  const auto& claims = std::get<AccessTokenClaims>(verified);
  ASSERT_TRUE(claims.video.has_value());
  EXPECT_EQ(claims.video->agent, true);
}

}  // namespace
}  // namespace va::livekit
