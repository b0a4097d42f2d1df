// The room leg on a real livekit-server with real WebRTC (liblivekit_ffi in this process): the agent's leg
// and a "caller" leg joined like LiveKit's SIP bridge joins a phone call (kind SIP, sip.* attributes) talk to
// each other: publish at once, audio both ways (energy of a tone), flush for barge-in, sip_dtmf both ways,
// hang-up from either side (participant gone from the server), and join/hang-up cycles that leave no FFI
// handle behind.
#include "livekit/room/room_leg.hpp"

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
#include "livekit/room_service.hpp"
#include "livekit/sip_service.hpp"
#include "livekit/twirp_client.hpp"
#include "media/media_clock.hpp"
#include "support/livekit_server.hpp"
#include "support/network_namespace.hpp"

// liblivekit_ffi keeps some of its global state (its Rust runtime, WebRTC's factories) allocated after
// livekit_ffi_dispose: not ours to free. FFI handles we fail to drop would not show up here anyway (the
// library's handle table still reaches them): the tests count them (FfiLibrary::live_handles). Every other
// leak still fails the test.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:liblivekit_ffi.so\n";
}

namespace va::livekit::room {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

// The library is initialised once per process and disposed when the tests are done.
class FfiEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { FfiLibrary::shutdown(); }
};
[[maybe_unused]] auto* const kFfiEnvironment = ::testing::AddGlobalTestEnvironment(new FfiEnvironment);

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
  std::shared_ptr<Call> start_call(const std::string& room, bool delete_room = false) {
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
      call->caller = RoomLeg::create(*library_, io_.get_executor(), *clock_, nullptr, caller_options);
      call->caller->set_observer(call->caller_heard.get());
      call->agent->start();
      call->caller->start();
      call->agent->answer();
      call->caller->answer();
      legs_.push_back(call->agent);
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

TEST_F(RoomLegTest, TheAgentPublishesAtOnceFindsTheSipCallerAndHearsIt) {
  auto call = start_call("call-hears");
  auto& agent = *call->agent_heard;
  ASSERT_TRUE(agent.wait(20s, [&](Recorder&) {
    return call->found.has_value() && call->first_frame.has_value();
  })) << server_->log();
  EXPECT_TRUE(call->found->sip);
  EXPECT_EQ(call->found->identity, "sip_+74951234567");
  auto info = call_info_from(*call->found);
  EXPECT_EQ(info.call_id, "SCL_call-hears");
  EXPECT_EQ(info.caller, "+74951234567");
  EXPECT_EQ(info.dialed, "+74997654321");
  std::printf("job start -> first published frame: %.1f ms\n",
              std::chrono::duration<double, std::milli>(*call->first_frame).count());
  EXPECT_TRUE(agent.wait(5s, [](Recorder& r) { return r.answered == 1; }));

  play_tone(*call->caller);
  EXPECT_TRUE(agent.wait(20s, [](Recorder& r) { return r.loud_frames >= 25; }))
      << "frames " << agent.frames << " loud " << agent.loud_frames;
  std::string id;
  on_io([&] { id = std::string(call->agent->id()); });
  EXPECT_EQ(id, "sip_+74951234567");
  auto stats = [&] {
    media::MediaStats s;
    on_io([&] { s = call->agent->stats(); });
    return s;
  }();
  EXPECT_EQ(stats.codec, "opus/48000");
  EXPECT_GT(stats.packets_sent, 0u);
  EXPECT_GT(stats.packets_received, 0u);
}

TEST_F(RoomLegTest, TheCallerHearsTheAgentAndFlushCutsItOff) {
  auto call = start_call("call-flush");
  auto& caller = *call->caller_heard;
  play_tone(*call->agent);
  ASSERT_TRUE(caller.wait(20s, [](Recorder& r) { return r.loud_frames >= 25; }))
      << "frames " << caller.frames << " loud " << caller.loud_frames;
  // Barge-in: stop producing and flush what is queued; the caller's audio goes quiet.
  play_tone(*call->agent, false);
  on_io([&] { call->agent->flush_audio(); });
  EXPECT_TRUE(caller.wait(5s, [](Recorder& r) { return r.quiet_frames_since_loud >= 10; }));
}

TEST_F(RoomLegTest, SipDtmfGoesBothWays) {
  auto call = start_call("call-dtmf");
  ASSERT_TRUE(call->agent_heard->wait(20s, [&](Recorder&) { return call->found.has_value(); }));
  ASSERT_TRUE(call->caller_heard->wait(20s, [&](Recorder& r) { return r.answered == 1; }));
  on_io([&] { call->caller->send_dtmf('5', 100ms); });
  ASSERT_TRUE(call->agent_heard->wait(10s, [](Recorder& r) { return !r.digits.empty(); }));
  EXPECT_EQ(call->agent_heard->digits[0].digit, '5');
  EXPECT_EQ(call->agent_heard->digits[0].source, media::DtmfSource::livekit_data);
  on_io([&] { call->agent->send_dtmf('#', 100ms); });
  ASSERT_TRUE(call->caller_heard->wait(10s, [](Recorder& r) { return !r.digits.empty(); }));
  EXPECT_EQ(call->caller_heard->digits[0].digit, '#');
}

TEST_F(RoomLegTest, TheAgentHangingUpRemovesTheCaller) {
  auto call = start_call("call-agent-hangs-up");
  ASSERT_TRUE(call->agent_heard->wait(20s, [&](Recorder&) { return call->found.has_value(); }));
  ASSERT_TRUE(call->caller_heard->wait(20s, [](Recorder& r) { return r.frames >= 5; }));
  on_io([&] { call->agent->hangup(); });
  ASSERT_TRUE(call->caller_heard->wait(15s, [](Recorder& r) { return r.ended.has_value(); }));
  EXPECT_EQ(call->caller_heard->ended->reason, media::EndReason::remote_hangup)
      << call->caller_heard->ended->detail;
  ASSERT_TRUE(call->agent_heard->wait(15s, [](Recorder& r) { return r.ended.has_value(); }));
  EXPECT_EQ(call->agent_heard->ended->reason, media::EndReason::local_hangup);
  EXPECT_EQ(call->agent_heard->ended_count, 1);
  auto left = participants(call->room);
  EXPECT_EQ(std::count(left.begin(), left.end(), "sip_+74951234567"), 0);
}

TEST_F(RoomLegTest, TheCallerHangingUpEndsTheAgentLeg) {
  auto call = start_call("call-caller-hangs-up");
  ASSERT_TRUE(call->agent_heard->wait(20s, [&](Recorder&) { return call->found.has_value(); }));
  ASSERT_TRUE(call->caller_heard->wait(20s, [](Recorder& r) { return r.frames >= 5; }));  // the call is up
  on_io([&] { call->caller->hangup(); });
  ASSERT_TRUE(call->agent_heard->wait(15s, [](Recorder& r) { return r.ended.has_value(); }));
  EXPECT_EQ(call->agent_heard->ended->reason, media::EndReason::remote_hangup)
      << call->agent_heard->ended->detail;
  ASSERT_TRUE(call->caller_heard->wait(15s, [](Recorder& r) { return r.ended.has_value(); }));
  EXPECT_EQ(call->caller_heard->ended->reason, media::EndReason::local_hangup);
}

TEST_F(RoomLegTest, DeletingTheRoomOnHangUp) {
  auto call = start_call("call-delete-room", true);
  ASSERT_TRUE(call->agent_heard->wait(20s, [&](Recorder&) { return call->found.has_value(); }));
  on_io([&] { call->agent->hangup(); });
  ASSERT_TRUE(call->agent_heard->wait(15s, [](Recorder& r) { return r.ended.has_value(); }));
  auto listed = rooms_->list_rooms({call->room});
  ASSERT_TRUE(listed.ok()) << listed.error().to_string();
  EXPECT_TRUE(listed.value().empty());
}

TEST_F(RoomLegTest, NoCallerEndsWithNoAnswer) {
  RoomLegOptions options;
  options.url = server_->ws_url();
  options.token = token("call-nobody", "voice-agent-nobody", "agent");
  options.room_name = "call-nobody";
  options.caller_timeout = 1500ms;
  auto heard = std::make_shared<Recorder>();
  on_io([&] {
    auto leg = RoomLeg::create(*library_, io_.get_executor(), *clock_, admin_.get(), options);
    leg->set_observer(heard.get());
    leg->start();
    legs_.push_back(leg);
  });
  recorders_.push_back(heard);
  ASSERT_TRUE(heard->wait(20s, [](Recorder& r) { return r.ended.has_value(); }));
  EXPECT_EQ(heard->ended->reason, media::EndReason::no_answer);
}

TEST_F(RoomLegTest, AWrongServerEndsWithAnError) {
  RoomLegOptions options;
  options.url = "ws://127.0.0.1:9";  // nothing listens there
  options.token = token("call-wrong", "voice-agent-wrong", "agent");
  options.room_name = "call-wrong";
  options.connect_timeout = 2s;
  auto heard = std::make_shared<Recorder>();
  on_io([&] {
    auto leg = RoomLeg::create(*library_, io_.get_executor(), *clock_, admin_.get(), options);
    leg->set_observer(heard.get());
    leg->start();
    legs_.push_back(leg);
  });
  recorders_.push_back(heard);
  ASSERT_TRUE(heard->wait(30s, [](Recorder& r) { return r.ended.has_value(); }));
  EXPECT_EQ(heard->ended->reason, media::EndReason::error);
  EXPECT_NE(heard->ended->detail.find("join"), std::string::npos) << heard->ended->detail;
}

TEST_F(RoomLegTest, RepeatedCallsLeaveNoHandleBehind) {
  int cycles = 20;
  if (const char* env = std::getenv("VA_ROOM_LEG_CYCLES")) cycles = std::max(1, std::atoi(env));
  std::vector<double> first_frame_ms;
  for (int i = 0; i < cycles; ++i) {
    auto call = start_call("cycle-" + std::to_string(i));
    ASSERT_TRUE(call->agent_heard->wait(20s, [&](Recorder&) { return call->found.has_value(); }))
        << "cycle " << i;
    ASSERT_TRUE(call->caller_heard->wait(20s, [](Recorder& r) { return r.frames >= 5; })) << "cycle " << i;
    if (call->first_frame)
      first_frame_ms.push_back(std::chrono::duration<double, std::milli>(*call->first_frame).count());
    on_io([&] { (i % 2 == 0 ? call->agent : call->caller)->hangup(); });
    ASSERT_TRUE(call->agent_heard->wait(15s, [](Recorder& r) { return r.ended.has_value(); }))
        << "cycle " << i;
    ASSERT_TRUE(call->caller_heard->wait(15s, [](Recorder& r) { return r.ended.has_value(); }))
        << "cycle " << i;
    on_io([&] { legs_.clear(); });
  }
  EXPECT_EQ(library_->live_handles(), baseline_handles_);
  std::sort(first_frame_ms.begin(), first_frame_ms.end());
  if (!first_frame_ms.empty()) {
    std::printf("%d calls: job start -> first published frame p50 %.1f ms, max %.1f ms\n", cycles,
                first_frame_ms[first_frame_ms.size() / 2], first_frame_ms.back());
  }
}

}  // namespace
}  // namespace va::livekit::room
