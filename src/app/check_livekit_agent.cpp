#include "app/check_livekit_agent.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include "common/metrics.hpp"
#include "common/version.hpp"
#include "livekit/agent_worker.hpp"
#include "livekit/room/ffi_library.hpp"

namespace va::app {
namespace {

using namespace std::chrono_literals;

std::optional<CheckResult> skipped_unless_worker_enabled(const config::Config& config, std::string name) {
  if (!config.livekit.configured()) {
    return CheckResult{std::move(name), CheckOutcome::skip, "LiveKit is not configured",
                       "LiveKit calls need livekit.url, api_key and api_secret; direct SIP calls do not"};
  }
  if (!config.livekit.agent.enabled) {
    return CheckResult{std::move(name), CheckOutcome::skip,
                       "the LiveKit agent worker is disabled (livekit.agent.enabled: false)",
                       "serve takes no LiveKit calls as an agent; set livekit.agent.enabled: true to do so"};
  }
  return std::nullopt;
}

std::string milliseconds_since(std::chrono::steady_clock::time_point begin) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - begin);
  return std::to_string(ms.count()) + " ms";
}

}  // namespace

CheckResult check_livekit_media_library(const config::Config& config) {
  const std::string name = "LiveKit media library";
  if (auto skip = skipped_unless_worker_enabled(config, name)) return *skip;
  namespace room = livekit::room;

  const auto& configured = config.livekit.agent.library;
  auto path = configured.empty() ? room::default_ffi_library_path() : std::filesystem::path(configured);
  std::string source = configured.empty() ? "the default path" : "livekit.agent.library";
  auto loaded = room::FfiLibrary::load(path);
  if (!loaded.ok()) {
    return {name, CheckOutcome::fail, loaded.error().message,
            "LiveKit calls cannot join rooms (serve hands their jobs back failed); direct SIP calls are "
            "unaffected. Run scripts/setup to install liblivekit_ffi of PyPI livekit " +
                std::string(room::ffi_protocol_version()) + " at " +
                room::default_ffi_library_path().string() + ", or set livekit.agent.library to that file"};
  }
  // As ffi_library.hpp asks of every process that loaded it: dispose before exit (the probe's audio source is
  // dropped already). Not needed for a clean exit (measured: exit 0 under ASan without it), but it stops the
  // library's runtime threads before the other checks run.
  room::FfiLibrary::shutdown();
  return {name, CheckOutcome::pass,
          path.string() + " (" + source + "): liblivekit_ffi of PyPI livekit " +
              std::string(room::ffi_protocol_version()) + " loaded and answered the protocol probe",
          ""};
}

CheckResult check_livekit_agent_worker(const config::Config& config, std::chrono::milliseconds timeout) {
  const std::string name = "LiveKit agent worker";
  if (auto skip = skipped_unless_worker_enabled(config, name)) return *skip;

  auto options = livekit::agent_worker_options(config, kVersion);
  options.connect_timeout = std::min<std::chrono::milliseconds>(options.connect_timeout, timeout);
  options.register_timeout = std::min<std::chrono::milliseconds>(options.register_timeout, timeout);
  options.health_component = "livekit_agent_check";
  // Should the server assign a job anyway (it only does after an accepted offer, which draining refuses),
  // it is handed back failed at once: check never takes a real call.
  livekit::AgentWorker* worker_ptr = nullptr;
  livekit::AgentWorkerCallbacks callbacks;
  callbacks.on_job = [&worker_ptr](const livekit::AgentJob& job) {
    worker_ptr->job_finished(job.id, "voice-agent check's worker takes no calls");
  };

  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  metrics::Registry metrics;
  livekit::AgentWorker worker(io.get_executor(), options, std::move(callbacks), metrics);
  worker_ptr = &worker;
  // Draining before the connection exists: the registration is followed at once by WS_FULL, and every
  // offer is refused (both are posted to the worker's strand in this order).
  worker.drain(0ms, [](std::uint32_t) {});
  worker.start();
  std::thread loop([&io] { io.run(); });

  auto begin = std::chrono::steady_clock::now();
  auto status = worker.status();
  // The first failed attempt is the answer: the worker would retry, but check reports what it sees.
  while (status.state != livekit::AgentWorkerState::registered && status.last_error.empty() &&
         std::chrono::steady_clock::now() - begin < timeout) {
    std::this_thread::sleep_for(20ms);
    status = worker.status();
  }
  auto took = milliseconds_since(begin);

  // Stop, then let the close frame go out before the loop is cut.
  worker.stop();
  work.reset();
  auto deadline = std::chrono::steady_clock::now() + 3s;
  while (!io.stopped() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  io.stop();
  loop.join();

  if (status.state == livekit::AgentWorkerState::registered) {
    return {name, CheckOutcome::pass,
            "registered with " + config.livekit.url + " as agent \"" + options.agent_name + "\" (worker " +
                status.worker_id + ") in " + took + ", then unregistered without taking a job",
            ""};
  }
  std::string why = status.last_error.empty()
                        ? "not registered within " + std::to_string(timeout.count()) + " ms"
                        : status.last_error;
  return {name, CheckOutcome::fail,
          "agent \"" + options.agent_name + "\" could not register with " + config.livekit.url + ": " + why,
          "LiveKit dispatches no calls to this agent (callers ring until they give up); direct SIP calls are "
          "unaffected. Check livekit.url and livekit.api_key/api_secret (see the LiveKit API check) and that "
          "the server's /agent endpoint is reachable"};
}

}  // namespace va::app
