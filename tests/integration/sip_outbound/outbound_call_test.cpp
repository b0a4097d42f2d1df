// Outbound calls (RFC 3261 UAC), hold by re-INVITE, blind transfer by REFER (RFC 3515) and session timers
// (RFC 4028) against real SIPp callees on 127.0.0.1. The user agent runs in process with its real
// transaction layer and RFC timer values; a recording call handler shows what the conversation side sees
// and lets the test drive the leg (hold, transfer) on the call's own thread. Every wait is bounded; what
// passes or fails is what SIPp and the handler saw, never how long it took.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "integration/sip_calls/loopback_user_agent.hpp"
#include "integration/sip_transaction/sip_harness.hpp"
#include "sip/digest.hpp"
#include "sip/digest_challenge.hpp"
#include "sip/ua/user_agent.hpp"
#include "support/free_port.hpp"
#include "support/sipp.hpp"

namespace va::sip::test {
namespace {

using ::testing::HasSubstr;
using va::test::Sipp;
using va::test::SippOptions;

std::filesystem::path scenario(const std::string& name) {
  return std::filesystem::path(VA_SIP_OUTBOUND_SCENARIO_DIR) / name;
}

// What the conversation side saw, and a way to act on the leg from the test thread.
struct CallRecord {
  std::mutex mutex;
  std::vector<std::string> events;
  media::CallLeg* leg = nullptr;
  boost::asio::any_io_executor executor;

  void add(std::string e) {
    std::lock_guard lock(mutex);
    events.push_back(std::move(e));
  }
  bool has(const std::string& e) {
    std::lock_guard lock(mutex);
    return std::find(events.begin(), events.end(), e) != events.end();
  }
  // Index of the first event starting with `prefix`, or -1.
  int first(const std::string& prefix) {
    std::lock_guard lock(mutex);
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (events[i].starts_with(prefix)) return static_cast<int>(i);
    }
    return -1;
  }
  std::string all() {
    std::lock_guard lock(mutex);
    std::string out;
    for (const auto& e : events) out += e + "; ";
    return out;
  }
  // Runs `action` on the call's thread (where the leg lives).
  void act(std::function<void(media::CallLeg&)> action) {
    boost::asio::any_io_executor ex;
    {
      std::lock_guard lock(mutex);
      ex = executor;
    }
    ASSERT_TRUE(ex) << "the call has not started";
    boost::asio::post(ex, [this, action] {
      media::CallLeg* l = nullptr;
      {
        std::lock_guard lock(mutex);
        l = leg;
      }
      if (l) action(*l);
    });
  }
};

class RecordingHandler : public CallHandler {
 public:
  explicit RecordingHandler(std::shared_ptr<CallRecord> record) : record_(std::move(record)) {}
  void start(media::CallLeg& leg, const CallInfo& info) override {
    {
      std::lock_guard lock(record_->mutex);
      record_->leg = &leg;
      record_->executor = info.executor;
    }
    record_->add(std::string("start ") + (info.outbound ? "outbound" : "inbound"));
  }
  void on_answered() override { record_->add("answered"); }
  void on_audio(const media::AudioFrame&) override {
    if (!audio_) record_->add("audio");
    audio_ = true;
  }
  void on_dtmf(const media::DtmfEvent& e) override { record_->add(std::string("dtmf ") + e.digit); }
  void on_hold_changed(bool held) override { record_->add(held ? "held" : "resumed"); }
  void on_transfer_progress(int status, bool final) override {
    record_->add("transfer " + std::to_string(status) + (final ? " final" : ""));
  }
  void on_ended(const media::CallEnded& e) override {
    {
      std::lock_guard lock(record_->mutex);
      record_->leg = nullptr;
    }
    record_->add("ended " + std::string(media::to_string(e.reason)) + " " + std::to_string(e.sip_status));
  }

 private:
  std::shared_ptr<CallRecord> record_;
  bool audio_ = false;
};

class OutboundCallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Sipp::available()) GTEST_SKIP() << "sipp (Debian package sip-tester) is not installed";
    ports_ = va::test::reserve_rtp_ports(8);
    // RFC 3261 timer values: SIPp answers in real time.
    auto options = loopback_user_agent_options(ports_, TimerSettings{});
    options.media_threads = 1;
    options.session_timer = session_timer_;
    ua_ = std::make_unique<UserAgent>(runner_.io(), options, handlers_, &metrics_);
    ASSERT_EQ(ua_->start(), std::nullopt);
  }
  void TearDown() override { ua_.reset(); }

  // One call, a 500 ms <pause/> unless the scenario needs longer.
  static SippOptions callee(const std::string& file,
                            std::vector<std::pair<std::string, std::string>> keys = {},
                            std::chrono::milliseconds pause = std::chrono::milliseconds(500)) {
    return va::test::sipp_callee({.scenario_file = scenario(file),
                                  .keys = std::move(keys),
                                  .pause = pause,
                                  .lifetime = std::chrono::seconds(40)});
  }

  PlacedCall place(const std::string& target, std::optional<UacCredentials> credentials = std::nullopt,
                   std::chrono::milliseconds ring_timeout = std::chrono::seconds(30),
                   std::string outbound_proxy = {}) {
    OutboundCallRequest request;
    request.target = target;
    request.outbound_proxy = std::move(outbound_proxy);
    request.from = "\"Voice Agent\" <sip:+4930999@127.0.0.1>";
    request.credentials = std::move(credentials);
    request.flow = "record";
    request.handler = std::make_unique<RecordingHandler>(record_);
    request.ring_timeout = ring_timeout;
    auto placed = ua_->place_call(std::move(request));
    EXPECT_TRUE(placed.ok()) << placed.error;
    return placed;
  }

  bool wait_for(const std::string& event, std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    return eventually([&] { return record_->has(event); }, timeout);
  }
  bool wait_ended(std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    return eventually([&] { return record_->first("ended") >= 0; }, timeout) &&
           eventually([&] { return ua_->active_calls() == 0; }, timeout);
  }

  double outbound_calls(const std::string& result) {
    return metrics_.counter("sip_outbound_calls_total", "", {"result"}).with({result}).value();
  }

  SessionTimerSettings session_timer_;
  metrics::Registry metrics_;
  IoRunner runner_;
  va::test::PortReservation ports_;
  std::shared_ptr<CallRecord> record_ = std::make_shared<CallRecord>();
  CallHandlerRegistry handlers_;
  std::unique_ptr<UserAgent> ua_;
};

// The value of the first `name:` header line in a SIPp message trace.
std::string header_in_trace(const std::string& trace, const std::string& name) {
  auto pos = trace.find("\n" + name + ":");
  if (pos == std::string::npos) return {};
  auto start = pos + name.size() + 2;
  auto end = trace.find_first_of("\r\n", start);
  auto value = trace.substr(start, end - start);
  while (!value.empty() && value.front() == ' ') value.erase(value.begin());
  return value;
}

TEST_F(OutboundCallTest, A401ChallengeIsAnsweredWithMd5CredentialsThatSippVerifies) {
  Sipp uas(callee("uas_digest.xml", {{"user", "alice"}, {"password", "secret"}}));
  auto placed = place(uas.uri("+4930123"), UacCredentials{"alice", "secret"});
  EXPECT_TRUE(wait_for("answered")) << record_->all();
  ASSERT_TRUE(wait_ended()) << record_->all();
  EXPECT_TRUE(record_->has("ended remote_hangup 0")) << record_->all();
  auto result = uas.wait(std::chrono::seconds(10));
  EXPECT_TRUE(result.all_successful()) << result.describe();

  auto authorization = header_in_trace(result.message_trace, "Authorization");
  EXPECT_THAT(authorization, HasSubstr("username=\"alice\"")) << result.message_trace;
  EXPECT_THAT(authorization, HasSubstr("qop=auth"));
  EXPECT_THAT(authorization, HasSubstr("nc=00000001"));
  EXPECT_THAT(authorization, HasSubstr("opaque=\"op4que\""));
  // §22.2: the retry is a new transaction of the same call: CSeq 2, same Call-ID.
  EXPECT_THAT(result.message_trace, HasSubstr("CSeq: 2 INVITE"));
  EXPECT_THAT(result.message_trace, HasSubstr(placed.call_id));
  EXPECT_EQ(outbound_calls("answered"), 1);
}

TEST_F(OutboundCallTest, WrongCredentialsEndTheCallRejectedWithTheCalleesStatus) {
  Sipp uas(callee("uas_digest.xml", {{"user", "alice"}, {"password", "secret"}}));
  place(uas.uri("+4930123"), UacCredentials{"alice", "wrong"});
  ASSERT_TRUE(wait_ended()) << record_->all();
  EXPECT_TRUE(record_->has("ended rejected 403")) << record_->all();
  EXPECT_FALSE(record_->has("answered"));
}

TEST_F(OutboundCallTest, A407ChallengeWithSha256IsAnsweredWithProxyAuthorization) {
  Sipp uas(callee("uas_proxy_digest_sha256.xml"));
  place(uas.uri("+4930123"), UacCredentials{"bob", "sha-secret"});
  EXPECT_TRUE(wait_for("answered")) << record_->all();
  ASSERT_TRUE(wait_ended()) << record_->all();
  auto result = uas.wait(std::chrono::seconds(10));
  EXPECT_TRUE(result.all_successful()) << result.describe();

  auto value = header_in_trace(result.message_trace, "Proxy-Authorization");
  ASSERT_FALSE(value.empty()) << result.message_trace;
  auto credentials = parse_digest_credentials(value);
  ASSERT_TRUE(credentials.ok()) << value;
  EXPECT_EQ(credentials->algorithm, "SHA-256");
  EXPECT_EQ(credentials->qop, "auth");
  EXPECT_EQ(credentials->nc, 1u);
  EXPECT_EQ(credentials->realm, "sipp.test");
  EXPECT_EQ(credentials->response.size(), 64u);  // SHA-256 in hex
  EXPECT_TRUE(digest_credentials_valid(*credentials, "sha-secret", "INVITE")) << value;
  EXPECT_FALSE(digest_credentials_valid(*credentials, "other", "INVITE"));
}

TEST_F(OutboundCallTest, A302IsFollowedToTheHighestQContactThatAnswers) {
  Sipp second(callee("uas_answer.xml"));
  // The unreachable target has the lower q: it must not be tried before the second callee answers.
  Sipp first(callee("uas_redirect.xml", {{"redirect_contacts", "<sip:nobody@127.0.0.1:9>;q=0.1, <" +
                                                                   second.uri("moved") + ">;q=0.9"}}));
  place(first.uri("+4930123"));
  bool was_answered = wait_for("answered");
  bool ended = wait_ended();
  auto redirected = first.wait(std::chrono::seconds(10));
  auto answered = second.wait(std::chrono::seconds(10));
  EXPECT_TRUE(was_answered) << record_->all() << redirected.describe() << answered.describe();
  ASSERT_TRUE(ended) << record_->all();
  EXPECT_TRUE(record_->has("ended remote_hangup 0")) << record_->all();
  EXPECT_TRUE(redirected.all_successful()) << redirected.describe();
  EXPECT_TRUE(answered.all_successful()) << answered.describe();
  EXPECT_THAT(answered.message_trace, HasSubstr("INVITE " + second.uri("moved") + " SIP/2.0"));
}

TEST_F(OutboundCallTest, ARedirectBackToTheSameTargetIsNotFollowed) {
  auto port = va::test::reserve_port(va::test::PortProtocol::udp);
  auto target = "sip:+4930123@127.0.0.1:" + std::to_string(port.port());
  auto options = callee("uas_redirect.xml", {{"redirect_contacts", "<" + target + ">"}});
  options.local_port = port.port();
  Sipp uas(options);
  place(target);
  ASSERT_TRUE(wait_ended()) << record_->all();
  // Loop protection: a target already tried is not tried again, so the 3xx is final.
  EXPECT_TRUE(record_->has("ended rejected 302")) << record_->all();
  auto result = uas.wait(std::chrono::seconds(10));
  EXPECT_TRUE(result.all_successful()) << result.describe();
  std::size_t invites = 0;
  for (auto pos = result.message_trace.find("INVITE sip:"); pos != std::string::npos;
       pos = result.message_trace.find("INVITE sip:", pos + 1))
    ++invites;
  EXPECT_EQ(invites, 1u) << result.message_trace;
}

TEST_F(OutboundCallTest, AnOutboundProxyGetsTheInviteWithAPreloadedLooseRoute) {
  Sipp proxy(callee("uas_answer.xml"));
  // The target is a TEST-NET address nobody answers at: only the proxy can have answered.
  place("sip:+4930777@192.0.2.1", std::nullopt, std::chrono::seconds(30), "sip:" + proxy.address());
  bool was_answered = wait_for("answered");
  bool ended = wait_ended();
  auto result = proxy.wait(std::chrono::seconds(10));
  EXPECT_TRUE(was_answered) << record_->all() << result.describe();
  ASSERT_TRUE(ended) << record_->all();
  EXPECT_TRUE(result.all_successful()) << result.describe();
  EXPECT_THAT(result.message_trace, HasSubstr("INVITE sip:+4930777@192.0.2.1 SIP/2.0"));
  EXPECT_EQ(header_in_trace(result.message_trace, "Route"), "<sip:" + proxy.address() + ";lr>");
}

TEST_F(OutboundCallTest, EarlyMediaFrom183IsHeardBeforeTheAnswer) {
  Sipp uas(callee("uas_early_media.xml", {}, std::chrono::milliseconds(2000)));
  place(uas.uri("+4930123"));
  EXPECT_TRUE(wait_for("answered")) << record_->all();
  ASSERT_TRUE(wait_ended()) << record_->all();
  auto audio = record_->first("audio");
  ASSERT_GE(audio, 0) << record_->all();
  EXPECT_LT(audio, record_->first("answered")) << record_->all();
  auto result = uas.wait(std::chrono::seconds(10));
  EXPECT_TRUE(result.all_successful()) << result.describe();
}

TEST_F(OutboundCallTest, A486EndsTheCallRejectedWith486) {
  Sipp uas(callee("uas_busy.xml"));
  place(uas.uri("+4930123"));
  ASSERT_TRUE(wait_ended()) << record_->all();
  EXPECT_TRUE(record_->has("ended rejected 486")) << record_->all();
  EXPECT_EQ(outbound_calls("rejected"), 1);
  EXPECT_EQ(outbound_calls("answered"), 0);
  auto result = uas.wait(std::chrono::seconds(10));
  EXPECT_TRUE(result.all_successful()) << result.describe();
}

TEST_F(OutboundCallTest, RingTimeoutCancelsTheInviteAndEndsWithNoAnswer) {
  Sipp uas(callee("uas_no_answer.xml"));
  place(uas.uri("+4930123"), std::nullopt, std::chrono::seconds(1));
  ASSERT_TRUE(wait_ended()) << record_->all();
  EXPECT_TRUE(record_->has("ended no_answer 487")) << record_->all();
  auto result = uas.wait(std::chrono::seconds(10));
  EXPECT_TRUE(result.all_successful()) << result.describe();
  EXPECT_THAT(result.message_trace, HasSubstr("CANCEL sip:"));
}

TEST_F(OutboundCallTest, ReferTransferReportsTheNotifiesAndEndsTransferredWithBye) {
  Sipp uas(callee("uas_refer.xml"));
  place(uas.uri("+4930123"));
  ASSERT_TRUE(wait_for("answered")) << record_->all();
  record_->act([](media::CallLeg& leg) { leg.transfer("+49 30 555"); });
  bool ended = wait_ended();
  auto result = uas.wait(std::chrono::seconds(10));
  ASSERT_TRUE(ended) << record_->all() << result.describe();
  EXPECT_TRUE(record_->has("transfer 100")) << record_->all();
  EXPECT_TRUE(record_->has("transfer 200 final")) << record_->all();
  EXPECT_TRUE(record_->has("ended transferred 200")) << record_->all();
  EXPECT_TRUE(result.all_successful()) << result.describe();
  // A phone number becomes a SIP URI at the peer's host (spaces are visual separators).
  EXPECT_THAT(header_in_trace(result.message_trace, "Refer-To"), HasSubstr("<sip:+4930555@127.0.0.1:"));
}

TEST_F(OutboundCallTest, TheCalleesInDialogRequestsReachTheOutboundCall) {
  Sipp uas(callee("uas_in_dialog_requests.xml"));
  place(uas.uri("+4930123"));
  bool ended = wait_ended();
  auto result = uas.wait(std::chrono::seconds(10));
  ASSERT_TRUE(ended) << record_->all() << result.describe();
  // SIPp got 200 for INFO, OPTIONS, re-INVITE (checked a=recvonly), UPDATE and BYE, or the call failed.
  EXPECT_TRUE(result.all_successful()) << result.describe();
  EXPECT_TRUE(record_->has("dtmf 7")) << record_->all();
  EXPECT_TRUE(record_->has("held")) << record_->all();
  EXPECT_TRUE(record_->has("ended remote_hangup 0")) << record_->all();
}

TEST_F(OutboundCallTest, HoldAndUnholdAreReInvitesWithSendonlyThenSendrecv) {
  Sipp uas(callee("uas_hold.xml", {}, std::chrono::milliseconds(1000)));
  place(uas.uri("+4930123"));
  ASSERT_TRUE(wait_for("answered")) << record_->all();
  record_->act([](media::CallLeg& leg) {
    leg.hold(true);
    leg.hold(false);  // waits for the first re-INVITE to complete (one offer at a time, RFC 3264 §4)
  });
  ASSERT_TRUE(wait_ended()) << record_->all();
  EXPECT_TRUE(record_->has("ended remote_hangup 0")) << record_->all();
  // SIPp checked the offers (a=sendonly, then a=sendrecv): the call fails there otherwise.
  auto result = uas.wait(std::chrono::seconds(10));
  EXPECT_TRUE(result.all_successful()) << result.describe();
}

TEST_F(OutboundCallTest, AChallengedHoldReInviteIsRetriedWithCredentialsSippVerifies) {
  Sipp uas(callee("uas_reinvite_challenge.xml", {{"user", "alice"}, {"password", "secret"}},
                  std::chrono::milliseconds(500)));
  place(uas.uri("+4930123"), UacCredentials{"alice", "secret"});
  ASSERT_TRUE(wait_for("answered")) << record_->all();
  record_->act([](media::CallLeg& leg) { leg.hold(true); });
  bool ended = wait_ended();
  auto result = uas.wait(std::chrono::seconds(10));
  ASSERT_TRUE(ended) << record_->all() << result.describe();
  // SIPp's verifyauth accepted the retry (a refused one fails the call) and its ACK carried credentials.
  EXPECT_TRUE(result.all_successful()) << result.describe();
  EXPECT_TRUE(record_->has("ended remote_hangup 0")) << record_->all();
}

TEST_F(OutboundCallTest, A491ToOurReInviteIsRetriedAfterTheGlareDelay) {
  Sipp uas(callee("uas_glare.xml", {}, std::chrono::milliseconds(500)));
  place(uas.uri("+4930123"));
  ASSERT_TRUE(wait_for("answered")) << record_->all();
  record_->act([](media::CallLeg& leg) { leg.hold(true); });
  // §14.1: we own the Call-ID, so the retry comes 2.1-4 s later.
  ASSERT_TRUE(wait_ended(std::chrono::seconds(20))) << record_->all();
  EXPECT_TRUE(record_->has("ended remote_hangup 0")) << record_->all();
  auto result = uas.wait(std::chrono::seconds(10));
  EXPECT_TRUE(result.all_successful()) << result.describe();
}

class SessionTimerTest : public OutboundCallTest {
 protected:
  void SetUp() override {
    // RFC 4028 forbids a Min-SE below 90 s on the wire; the option allows it so this test takes seconds.
    session_timer_.min_se = std::chrono::seconds(2);
    session_timer_.expires = std::chrono::seconds(1800);
    OutboundCallTest::SetUp();
  }
};

TEST_F(SessionTimerTest, AsRefresherWeReInviteAtHalfTheInterval) {
  Sipp uas(callee("uas_session_timer.xml", {{"session_expires", "4"}}, std::chrono::milliseconds(500)));
  place(uas.uri("+4930123"));
  ASSERT_TRUE(wait_for("answered")) << record_->all();
  ASSERT_TRUE(wait_ended(std::chrono::seconds(20))) << record_->all();
  EXPECT_TRUE(record_->has("ended remote_hangup 0")) << record_->all();
  auto result = uas.wait(std::chrono::seconds(10));
  EXPECT_TRUE(result.all_successful()) << result.describe();
  // Our INVITE asked for our interval; the refresh keeps the callee's 4 s with us as refresher.
  EXPECT_THAT(result.message_trace, HasSubstr("Session-Expires: 1800"));
  EXPECT_THAT(result.message_trace, HasSubstr("Session-Expires: 4;refresher=uac"));
  EXPECT_THAT(result.message_trace, HasSubstr("Min-SE: 2"));
}

}  // namespace
}  // namespace va::sip::test
