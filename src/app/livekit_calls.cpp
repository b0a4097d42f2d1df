#include "app/livekit_calls.hpp"

#include <boost/asio/thread_pool.hpp>
#include <thread>

#include "common/log.hpp"
#include "livekit/room/ffi_library.hpp"
#include "livekit/room_service.hpp"
#include "livekit/sip_service.hpp"
#include "livekit/twirp_client.hpp"
#include "media/media_threads.hpp"
#include "sip/ua/inbound_route.hpp"

namespace va::app {
namespace {

std::string language_code(config::Language language) {
  return language == config::Language::en ? "en" : "ru";
}

livekit::room::RoomCallRoute room_call_route(const config::InboundRoute& route, std::string how) {
  livekit::room::RoomCallRoute r{route.flow, language_code(route.language), std::move(how)};
  r.record = sip::recording_mode(route.record);
  return r;
}

}  // namespace

livekit::room::RoomCallRoute livekit_call_route(const config::Config& cfg, const livekit::AgentJob& job,
                                                const livekit::room::RoomParticipant& caller) {
  auto dialled = caller.attribute("sip.trunkPhoneNumber");
  if (!dialled.empty()) {
    if (const auto* route = sip::find_inbound_route(cfg.routing, dialled))
      return room_call_route(*route, "dialled " + dialled);
  }
  for (const auto& route : cfg.routing.inbound) {
    if (!route.room_prefix.empty() && job.room_name.starts_with(route.room_prefix))
      return room_call_route(route, "room prefix " + route.room_prefix);
  }
  return {"main", language_code(cfg.agent.language), "default", media::RecordingMode::off};
}

struct LiveKitCalls::Parts {
  livekit::TwirpClient client;
  livekit::RoomService rooms{client};
  livekit::SipService sip{client};
  // The server API blocks on HTTP: hang-ups and transfers run here, never on a call thread.
  boost::asio::thread_pool blocking{2};
  livekit::room::TwirpRoomAdministration admin{rooms, sip, blocking.get_executor()};
  media::MediaThreads threads;
  std::unique_ptr<livekit::room::RoomCalls> calls;
  bool loaded = false;

  Parts(const config::Config& cfg, std::size_t thread_count)
      : client(livekit::ServerEndpoint{cfg.livekit.url, cfg.livekit.api_key, cfg.livekit.api_secret},
               twirp_options()),
        threads(thread_count) {}

  static livekit::TwirpClientOptions twirp_options() {
    livekit::TwirpClientOptions options;
    options.connect_timeout = std::chrono::seconds(3);
    options.request_timeout = std::chrono::seconds(10);
    return options;
  }
};

LiveKitCalls::LiveKitCalls(const config::Config& cfg, const media::CallHandlerRegistry& handlers,
                           metrics::Registry& metrics, livekit::room::RoomCallsReports reports)
    : parts_(std::make_unique<Parts>(cfg, std::max(1u, std::thread::hardware_concurrency()))) {
  const auto& agent = cfg.livekit.agent;
  livekit::room::FfiLibrary* library = nullptr;
  std::string error;
  auto path = agent.library.empty() ? livekit::room::default_ffi_library_path()
                                    : std::filesystem::path(agent.library);
  auto loaded = livekit::room::FfiLibrary::load(path);
  if (loaded.ok()) {
    library = loaded.value();
    parts_->loaded = true;
    log::info("livekit rust core loaded", {{"library", path.string()}});
  } else {
    error = loaded.error().message;
    log::error(
        "LiveKit calls cannot join rooms: the LiveKit Rust core did not load (direct SIP is unaffected)",
        {{"library", path.string()}, {"error", error}});
  }
  livekit::room::RoomCallsOptions options;
  options.caller_selection = agent.caller == config::CallerChoice::sip
                                 ? livekit::room::CallerSelection::sip_participant
                                 : livekit::room::CallerSelection::sip_or_first_audio_publisher;
  options.delete_room_on_hangup = agent.hangup == config::RoomHangup::delete_room;
  options.track_name = agent.participant_name.empty() ? "voice-agent" : agent.participant_name;
  options.caller_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(agent.caller_timeout);
  options.route = [&cfg](const livekit::AgentJob& job, const livekit::room::RoomParticipant& caller) {
    return livekit_call_route(cfg, job, caller);
  };
  parts_->threads.start();
  parts_->calls =
      std::make_unique<livekit::room::RoomCalls>(library, error, parts_->threads, &parts_->admin, handlers,
                                                 std::move(options), std::move(reports), metrics);
}

LiveKitCalls::~LiveKitCalls() {
  // Hang-ups take a server API call and the room's disconnect: give them a moment before the threads stop.
  parts_->calls->hang_up_all();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (parts_->calls->active() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  parts_->threads.stop();
  parts_->blocking.join();
  parts_->calls.reset();
}

livekit::room::RoomCalls& LiveKitCalls::calls() {
  return *parts_->calls;
}

bool LiveKitCalls::library_loaded() const {
  return parts_->loaded;
}

}  // namespace va::app
