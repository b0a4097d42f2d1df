// What the room leg's integration tests share: a real livekit-server in the program's private network, the
// legs' thread with its MediaClock, the server API for hang-up, a recorder of what a leg's observer saw, a
// tone source, and tokens for the agent and for a caller joined as LiveKit's SIP bridge joins.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <future>
#include <mutex>
#include <numbers>
#include <thread>
#include <vector>

#include "livekit/access_token.hpp"
#include "livekit/room/ffi_library.hpp"
#include "livekit/room/room_administration.hpp"
#include "livekit/room/room_leg.hpp"
#include "livekit/room_service.hpp"
#include "livekit/sip_service.hpp"
#include "livekit/twirp_client.hpp"
#include "media/media_clock.hpp"
#include "support/livekit_server.hpp"
#include "support/network_namespace.hpp"

namespace va::livekit::room::room_tests {

using namespace std::chrono_literals;
namespace asio = boost::asio;

// Polls `done` (under the recorder's lock) until it holds or `timeout` passes.
template <class Predicate>
bool eventually(std::mutex& mutex, std::condition_variable& cv, std::chrono::milliseconds timeout,
                Predicate done) {
  std::unique_lock lock(mutex);
  return cv.wait_for(lock, timeout, done);
}

// What a leg's observer saw, readable from the test thread.
class Recorder : public media::CallLegObserver {
 public:
  void on_answered() override {
    update([&] { ++answered; });
  }
  void on_audio(const media::AudioFrame& frame) override {
    update([&] {
      ++frames;
      if (media::level_dbfs(frame.pcm()) > -30.0) ++loud_frames;
      last_loud = media::level_dbfs(frame.pcm()) > -30.0;
      if (!last_loud) ++quiet_frames_since_loud;
      if (last_loud) quiet_frames_since_loud = 0;
    });
  }
  void on_dtmf(const media::DtmfEvent& event) override {
    update([&] { digits.push_back(event); });
  }
  void on_hold_changed(bool) override {}
  void on_transfer_progress(int, bool) override {}
  void on_ended(const media::CallEnded& e) override {
    update([&] {
      ended = e;
      ++ended_count;
    });
  }

  template <class Predicate>
  bool wait(std::chrono::milliseconds timeout, Predicate done) {
    return eventually(mutex, cv, timeout, [&] { return done(*this); });
  }

  std::mutex mutex;
  std::condition_variable cv;
  int answered = 0;
  std::uint64_t frames = 0;
  std::uint64_t loud_frames = 0;
  std::uint64_t quiet_frames_since_loud = 0;
  bool last_loud = false;
  std::vector<media::DtmfEvent> digits;
  std::optional<media::CallEnded> ended;
  int ended_count = 0;

 private:
  template <class F>
  void update(F change) {
    {
      std::lock_guard lock(mutex);
      change();
    }
    cv.notify_all();
  }
};

// A 440 Hz tone at -10 dBFS fed into a leg, one frame per media tick while `playing`.
class ToneSource {
 public:
  ToneSource(media::MediaClock& clock, RoomLeg& leg) {
    tick_ = clock.subscribe([this, &leg](const media::MediaTick&) {
      if (!playing) return;
      while (leg.queued_audio_frames() < 3) {
        media::AudioFrame frame;
        for (auto& sample : frame.samples) {
          sample =
              static_cast<std::int16_t>(10362.0 * std::sin(2 * std::numbers::pi * 440.0 * phase_ / 16000.0));
          ++phase_;
        }
        if (!leg.send_audio(frame)) break;
      }
    });
  }
  bool playing = true;

 private:
  media::MediaClock::Subscription tick_;
  std::uint64_t phase_ = 0;
};

class RoomLegTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VA_REQUIRE_PRIVATE_NETWORK();
    VA_REQUIRE_LIVEKIT();
    auto loaded = FfiLibrary::load();
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    library_ = *loaded;
    test::LiveKitServerOptions options;
    options.node_ip = test::private_network()->address;
    server_ = std::make_unique<test::LiveKitServer>(options);
    twirp_ = std::make_unique<TwirpClient>(
        ServerEndpoint{server_->url(), server_->api_key(), server_->api_secret()});
    rooms_ = std::make_unique<RoomService>(*twirp_);
    sip_ = std::make_unique<SipService>(*twirp_);
    admin_ = std::make_unique<TwirpRoomAdministration>(*rooms_, *sip_, blocking_.get_executor());
    clock_ = std::make_unique<media::MediaClock>(io_);
    io_thread_ = std::thread([this] { io_.run(); });
    on_io([this] { clock_->start(); });
    baseline_handles_ = library_->live_handles();
  }

  void TearDown() override {
    if (io_thread_.joinable()) {
      on_io([this] {
        for (auto& leg : legs_) {
          if (!leg->ended()) leg->hangup(media::EndReason::shutdown);
        }
      });
      // Let hang-ups finish before the legs go (bounded: each step has its own timeout).
      for (int i = 0; i < 100 && !all_ended(); ++i) std::this_thread::sleep_for(50ms);
      on_io([this] {
        tones_.clear();
        legs_.clear();
        clock_->stop();
      });
      work_.reset();
      io_.stop();
      io_thread_.join();
    }
    blocking_.join();
  }

  bool all_ended() {
    bool ended = true;
    on_io([&] {
      for (auto& leg : legs_) ended = ended && leg->ended();
    });
    return ended;
  }

  // Runs `fn` on the legs' thread and waits for it.
  void on_io(std::function<void()> fn) {
    std::promise<void> done;
    asio::post(io_, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

  std::string token(const std::string& room, const std::string& identity, const std::string& kind,
                    std::map<std::string, std::string> attributes = {}) {
    AccessTokenClaims claims;
    claims.api_key = server_->api_key();
    claims.identity = identity;
    claims.name = identity;
    claims.kind = kind;
    claims.attributes = std::move(attributes);
    VideoGrant grant;
    grant.room_join = true;
    grant.room = room;
    grant.can_publish = true;
    grant.can_subscribe = true;
    grant.can_publish_data = true;
    if (kind == "agent") grant.agent = true;
    claims.video = grant;
    auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    claims.not_before = now.count() - 10;
    claims.expires_at = now.count() + 600;
    return mint_access_token(claims, server_->api_secret());
  }

  struct Call {
    std::shared_ptr<RoomLeg> agent;
    std::shared_ptr<RoomLeg> caller;
    std::shared_ptr<Recorder> agent_heard = std::make_shared<Recorder>();
    std::shared_ptr<Recorder> caller_heard = std::make_shared<Recorder>();
    std::optional<RoomParticipant> found;
    std::optional<std::chrono::nanoseconds> first_frame;
    std::string room;
  };

  // The agent joins `room`, then the caller (as the SIP bridge: kind SIP, sip.* attributes); both started.
  // The agent's leg in `room`, and, with `with_caller`, a second leg joined as the SIP bridge joins a caller
  // (kind SIP, sip.* attributes); both started.
  std::shared_ptr<Call> start_call(const std::string& room, bool delete_room = false,
                                   bool with_caller = true) {
    auto call = std::make_shared<Call>();
    call->room = room;
    RoomLegOptions agent_options;
    agent_options.url = server_->ws_url();
    agent_options.token = token(room, "voice-agent-" + room, "agent");
    agent_options.room_name = room;
    agent_options.delete_room_on_hangup = delete_room;
    RoomLegHooks hooks;
    std::weak_ptr<Call> weak = call;
    hooks.caller_found = [weak](const RoomParticipant& caller) {
      auto live = weak.lock();
      if (!live) return;
      {
        std::lock_guard lock(live->agent_heard->mutex);
        live->found = caller;
      }
      live->agent_heard->cv.notify_all();
    };
    hooks.first_frame_published = [weak](std::chrono::nanoseconds elapsed) {
      auto live = weak.lock();
      if (!live) return;
      {
        std::lock_guard lock(live->agent_heard->mutex);
        live->first_frame = elapsed;
      }
      live->agent_heard->cv.notify_all();
    };
    RoomLegOptions caller_options;
    caller_options.url = server_->ws_url();
    caller_options.token = token(room, "sip_+74951234567", "sip",
                                 {{"sip.callID", "SCL_" + room},
                                  {"sip.phoneNumber", "+74951234567"},
                                  {"sip.trunkPhoneNumber", "+74997654321"},
                                  {"sip.callStatus", "active"}});
    caller_options.room_name = room;
    caller_options.caller_selection =
        CallerSelection::sip_or_first_audio_publisher;  // its "caller": the agent
    on_io([&] {
      call->agent =
          RoomLeg::create(*library_, io_.get_executor(), *clock_, admin_.get(), agent_options, hooks);
      call->agent->set_observer(call->agent_heard.get());
      call->agent->start();
      call->agent->answer();
      legs_.push_back(call->agent);
      if (!with_caller) return;
      call->caller = RoomLeg::create(*library_, io_.get_executor(), *clock_, nullptr, caller_options);
      call->caller->set_observer(call->caller_heard.get());
      call->caller->start();
      call->caller->answer();
      legs_.push_back(call->caller);
    });
    recorders_.push_back(call->agent_heard);
    recorders_.push_back(call->caller_heard);
    return call;
  }

  void play_tone(RoomLeg& leg, bool playing = true) {
    on_io([&] {
      if (playing) {
        tones_.push_back(std::make_unique<ToneSource>(*clock_, leg));
      } else {
        tones_.clear();
      }
    });
  }

  std::vector<std::string> participants(const std::string& room) {
    std::vector<std::string> out;
    auto listed = rooms_->list_participants(room);
    if (listed.ok()) {
      for (const auto& p : listed.value()) out.push_back(p.identity);
    }
    return out;
  }

  FfiLibrary* library_ = nullptr;
  std::int64_t baseline_handles_ = 0;
  std::unique_ptr<test::LiveKitServer> server_;
  std::unique_ptr<TwirpClient> twirp_;
  std::unique_ptr<RoomService> rooms_;
  std::unique_ptr<SipService> sip_;
  asio::thread_pool blocking_{2};
  std::unique_ptr<TwirpRoomAdministration> admin_;
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::unique_ptr<media::MediaClock> clock_;
  std::thread io_thread_;
  std::vector<std::shared_ptr<RoomLeg>> legs_;
  std::vector<std::shared_ptr<Recorder>> recorders_;
  std::vector<std::unique_ptr<ToneSource>> tones_;
};

}  // namespace va::livekit::room::room_tests
