// The user agent (UAS dialogs, RFC 3261 §12-§15) in process over loopback: a raw UDP socket plays the caller
// byte for byte, the real transaction layer and UserAgent answer, and a recording call handler shows what
// the conversation side sees. Fast timers (T1 = 10 ms).
#include "sip/ua/user_agent.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "integration/sip_calls/loopback_user_agent.hpp"
#include "integration/sip_transaction/sip_harness.hpp"
#include "media/rtp_packet.hpp"
#include "media/srtp_session.hpp"
#include "sip/response.hpp"
#include "sip/ua/diagnostic_flows.hpp"
#include "sip/ua/dialog.hpp"
#include "support/free_port.hpp"

namespace va::sip::test {
namespace {

// A route by match and flow, the other fields at their defaults.
config::InboundRoute route_to(std::string match, std::string flow) {
  config::InboundRoute r;
  r.match = std::move(match);
  r.flow = std::move(flow);
  return r;
}

using ::testing::HasSubstr;

// What the conversation side saw, shared between the call's thread and the test.
struct CallRecord {
  std::mutex mutex;
  std::vector<std::string> events;
  void add(std::string e) {
    std::lock_guard lock(mutex);
    events.push_back(std::move(e));
  }
  bool has(const std::string& e) {
    std::lock_guard lock(mutex);
    return std::find(events.begin(), events.end(), e) != events.end();
  }
  std::size_t count_prefix(const std::string& prefix) {
    std::lock_guard lock(mutex);
    return static_cast<std::size_t>(std::count_if(
        events.begin(), events.end(), [&](const std::string& e) { return e.starts_with(prefix); }));
  }
  std::string all() {
    std::lock_guard lock(mutex);
    std::string out;
    for (const auto& e : events) out += e + "; ";
    return out;
  }
};

// Answers at once (unless `answer` is false), records everything, and hangs up on DTMF '#'.
class RecordingHandler : public CallHandler {
 public:
  RecordingHandler(std::shared_ptr<CallRecord> record, bool answer)
      : record_(std::move(record)), answer_(answer) {}
  void start(media::CallLeg& leg, const InboundCallInfo& info) override {
    leg_ = &leg;
    record_->add("start " + info.dialed);
    if (answer_) leg.answer();
  }
  void on_answered() override { record_->add("answered"); }
  void on_audio(const media::AudioFrame&) override { record_->add("audio"); }
  void on_dtmf(const media::DtmfEvent& e) override {
    record_->add(std::string("dtmf ") + e.digit +
                 (e.source == media::DtmfSource::sip_info ? " info" : " rtp"));
    if (e.digit == '#' && leg_) leg_->hangup();
    // Call control from the test, on the call's thread: 'A' holds, 'B' resumes, 'C' transfers.
    if (e.digit == 'A' && leg_) leg_->hold(true);
    if (e.digit == 'B' && leg_) leg_->hold(false);
    if (e.digit == 'C' && leg_) leg_->transfer("+4930555");
  }
  void on_hold_changed(bool held) override { record_->add(held ? "held" : "resumed"); }
  void on_transfer_progress(int status, bool final) override {
    record_->add("transfer " + std::to_string(status) + (final ? " final" : ""));
  }
  void on_ended(const media::CallEnded& e) override {
    record_->add("ended " + std::string(media::to_string(e.reason)));
    leg_ = nullptr;
  }

 private:
  std::shared_ptr<CallRecord> record_;
  bool answer_;
  media::CallLeg* leg_ = nullptr;
};

std::string offer_sdp(std::uint16_t port, std::string_view codecs = "8 101",
                      std::string_view direction = "sendrecv") {
  return "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio " +
         std::to_string(port) + " RTP/AVP " + std::string(codecs) +
         "\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 "
         "telephone-event/8000\r\na=fmtp:101 0-15\r\na=" +
         std::string(direction) + "\r\n";
}

class UserAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ports_ = va::test::reserve_rtp_ports(8);
    register_diagnostic_flows(handlers_);  // first: the test's own "ring" handler replaces the built-in one
    handlers_.add("record", [this] { return std::make_unique<RecordingHandler>(record_, true); });
    handlers_.add("ring", [this] { return std::make_unique<RecordingHandler>(record_, false); });
    auto options = loopback_user_agent_options(ports_);
    options.routing.inbound = {route_to("ring", "ring"), route_to("dtmf", std::string(kDtmfEchoFlow)),
                               route_to("*", "record")};
    options.media_threads = 2;
    options.srtp = srtp_mode_;
    options.media_timeout = media_timeout_;
    options.session_timer = session_timer_;
    ua_ = std::make_unique<UserAgent>(runner_.io(), options, handlers_, &metrics_);
    ASSERT_EQ(ua_->start(), std::nullopt);
    sip_ = ua_->listening_points().front().local;
  }
  void TearDown() override { ua_.reset(); }

  RequestText request(std::string method, std::uint32_t cseq, std::string branch) {
    RequestText r;
    r.method = std::move(method);
    r.request_uri = "sip:+4930123@127.0.0.1:" + std::to_string(sip_.port);
    r.sent_by = "127.0.0.1:" + std::to_string(caller_.local().port);
    r.branch = "z9hG4bK" + branch;
    r.call_id = call_id_;
    r.cseq = cseq;
    r.to_tag = to_tag_;
    r.extra_headers = {"Contact: <sip:caller@127.0.0.1:" + std::to_string(caller_.local().port) + ">"};
    return r;
  }

  // Sends the request and returns the first final response to it.
  std::optional<Message> send(const RequestText& r) {
    caller_.send_to(r.to_string(), sip_);
    auto d = caller_.receive_matching(
        [&](const Message& m) {
          auto cseq = m.cseq();
          return m.is_response() && m.status() >= 200 && cseq && cseq->method_name == r.method;
        },
        3s);
    if (!d) return std::nullopt;
    return d->message();
  }

  void ack(std::string body = {}) {
    auto a = request("ACK", 1, "ack" + std::to_string(++branch_));
    a.body = std::move(body);
    if (!a.body.empty()) a.extra_headers.push_back("Content-Type: application/sdp");
    caller_.send_to(a.to_string(), sip_);
  }

  // INVITE → 200 → ACK. Returns the 200.
  Message establish(std::string sdp) {
    auto invite = request("INVITE", 1, "inv" + std::to_string(++branch_));
    invite.body = std::move(sdp);
    if (!invite.body.empty()) invite.extra_headers.push_back("Content-Type: application/sdp");
    auto ok = send(invite);
    EXPECT_TRUE(ok);
    if (!ok) return Message::response(500);
    EXPECT_EQ(ok->status(), 200) << ok->to_string();
    to_tag_ = std::string(ok->to()->tag().value_or(""));
    EXPECT_FALSE(to_tag_.empty());
    return *ok;
  }

  // INVITE with our caller's offer → 200 → ACK, and the handler saw the answer.
  bool answered_call() {
    establish(offer_sdp(caller_media_.local().port));
    ack();
    return eventually([&] { return record_->has("answered"); });
  }

  static std::uint16_t media_port(const Message& m) {
    auto pos = m.body().find("m=audio ");
    return pos == std::string::npos ? 0 : static_cast<std::uint16_t>(std::stoi(m.body().substr(pos + 8)));
  }

  // Sends an INFO with a dtmf-relay digit: the recording handler's call-control trigger.
  void press(char digit, std::uint32_t cseq) {
    auto info = request("INFO", cseq, "press" + std::to_string(cseq));
    info.body = std::string("Signal=") + digit + "\r\n";
    info.extra_headers.push_back("Content-Type: application/dtmf-relay");
    caller_.send_to(info.to_string(), sip_);
  }
  // The next request of `method` from the user agent (skipping responses to ours).
  std::optional<Message> next_request(Method method) {
    auto d = caller_.receive_matching(
        [method](const Message& m) { return m.is_request() && m.method() == method; }, 3s);
    if (!d) return std::nullopt;
    reply_to_ = d->from;
    return d->message();
  }
  void reply(const Message& request, int status, std::string sdp = {}) {
    auto response = make_response(request, status);
    response.add_header("Contact", "<sip:caller@127.0.0.1:" + std::to_string(caller_.local().port) + ">");
    if (!sdp.empty()) response.set_body(std::move(sdp), "application/sdp");
    caller_.send_to(response.to_string(), reply_to_);
  }

  Endpoint reply_to_;
  SessionTimerSettings session_timer_;
  config::SrtpMode srtp_mode_ = config::SrtpMode::off;
  std::chrono::milliseconds media_timeout_{30000};
  IoRunner runner_;
  metrics::Registry metrics_;
  va::test::PortReservation ports_;
  std::shared_ptr<CallRecord> record_ = std::make_shared<CallRecord>();
  CallHandlerRegistry handlers_;
  std::unique_ptr<UserAgent> ua_;
  Endpoint sip_;
  RawUdp caller_;
  RawUdp caller_media_;
  std::string call_id_ = "ua-test-1@127.0.0.1";
  std::string to_tag_;
  int branch_ = 0;
};

TEST_F(UserAgentTest, InviteIsAnsweredWithSdpAndEndedByTheCallersBye) {
  auto ok = establish(offer_sdp(caller_media_.local().port));
  EXPECT_THAT(ok.body(), HasSubstr("a=rtpmap:8 PCMA/8000"));
  EXPECT_THAT(ok.header("Contact").value_or(""), HasSubstr("sip:voice-agent@127.0.0.1"));
  auto port = media_port(ok);
  EXPECT_GE(port, ports_.first());
  EXPECT_LE(port, ports_.last());
  EXPECT_EQ(port % 2, 0);
  ack();
  EXPECT_TRUE(eventually([&] { return record_->has("answered"); })) << record_->all();
  EXPECT_TRUE(record_->has("start +4930123"));

  auto bye = send(request("BYE", 2, "bye1"));
  ASSERT_TRUE(bye);
  EXPECT_EQ(bye->status(), 200);
  EXPECT_TRUE(eventually([&] { return record_->has("ended remote_hangup"); })) << record_->all();
  EXPECT_TRUE(eventually([&] { return ua_->active_calls() == 0; }));
}

TEST_F(UserAgentTest, OfferWithoutACommonCodecIsRefusedWith488AndAWarning) {
  auto invite = request("INVITE", 1, "inv488");
  invite.body = offer_sdp(caller_media_.local().port, "18");  // G.729 only
  invite.extra_headers.push_back("Content-Type: application/sdp");
  auto response = send(invite);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status(), 488);
  EXPECT_TRUE(response->header("Warning").has_value()) << response->to_string();
  EXPECT_TRUE(eventually([&] { return ua_->active_calls() == 0; }));
}

TEST_F(UserAgentTest, LateOfferPutsOurOfferInThe200AndTakesTheAnswerFromTheAck) {
  auto ok = establish("");
  EXPECT_THAT(ok.body(), HasSubstr("m=audio "));
  EXPECT_THAT(ok.body(), HasSubstr("PCMA/8000"));
  ack("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio " +
      std::to_string(caller_media_.local().port) + " RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n");
  EXPECT_TRUE(eventually([&] { return record_->has("answered"); })) << record_->all();
  EXPECT_FALSE(record_->has("ended error")) << record_->all();
}

TEST_F(UserAgentTest, ReInviteWithSendonlyHoldsAndSendrecvResumes) {
  ASSERT_TRUE(answered_call());

  auto hold = request("INVITE", 2, "reinv1");
  hold.body = offer_sdp(caller_media_.local().port, "8 101", "sendonly");
  hold.extra_headers.push_back("Content-Type: application/sdp");
  auto held = send(hold);
  ASSERT_TRUE(held);
  EXPECT_EQ(held->status(), 200);
  EXPECT_THAT(held->body(), HasSubstr("a=recvonly"));
  ack();
  EXPECT_TRUE(eventually([&] { return record_->has("held"); })) << record_->all();

  auto resume = request("INVITE", 3, "reinv2");
  resume.body = offer_sdp(caller_media_.local().port);
  resume.extra_headers.push_back("Content-Type: application/sdp");
  auto resumed = send(resume);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->status(), 200);
  EXPECT_THAT(resumed->body(), HasSubstr("a=sendrecv"));
  ack();
  EXPECT_TRUE(eventually([&] { return record_->has("resumed"); })) << record_->all();
}

TEST_F(UserAgentTest, InfoDtmfRelayReachesTheHandlerAndOldCSeqIsRefused) {
  establish(offer_sdp(caller_media_.local().port));
  ack();
  auto info = request("INFO", 5, "info1");
  info.body = "Signal=5\r\nDuration=160\r\n";
  info.extra_headers.push_back("Content-Type: application/dtmf-relay");
  auto ok = send(info);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status(), 200);
  EXPECT_TRUE(eventually([&] { return record_->has("dtmf 5 info"); })) << record_->all();

  auto stale = request("INFO", 4, "info0");  // §12.2.2: lower than the last CSeq
  auto refused = send(stale);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status(), 500);

  auto update = request("UPDATE", 6, "upd1");  // tolerated without SDP
  auto updated = send(update);
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->status(), 200);
}

TEST_F(UserAgentTest, Rfc4733DigitsAndAudioFromRtpReachTheHandler) {
  auto ok = establish(offer_sdp(caller_media_.local().port));
  ack();
  const Endpoint leg{boost::asio::ip::make_address("127.0.0.1"), media_port(ok)};
  std::array<std::uint8_t, 512> packet{};
  auto send_rtp = [&](std::uint8_t pt, bool marker, std::uint16_t seq, std::uint32_t ts,
                      std::span<const std::uint8_t> payload) {
    media::RtpHeader header;
    header.payload_type = pt;
    header.marker = marker;
    header.sequence = seq;
    header.timestamp = ts;
    header.ssrc = 0x1234;
    auto size = media::serialize_rtp(header, payload, packet);
    ASSERT_GT(size, 0u);
    caller_media_.send_to(std::string_view(reinterpret_cast<const char*>(packet.data()), size), leg);
  };
  std::vector<std::uint8_t> silence(160, 0xD5);  // A-law silence, 20 ms
  std::uint16_t seq = 1;
  for (std::uint32_t i = 0; i < 10; ++i) send_rtp(8, i == 0, seq++, 160 * i, silence);
  // Digit 7: start, update, three end packets (RFC 4733 §2.5.1).
  for (int i = 0; i < 5; ++i) {
    std::array<std::uint8_t, 4> event{7, static_cast<std::uint8_t>(i >= 2 ? 0x80 | 10 : 10), 0,
                                      static_cast<std::uint8_t>(i >= 2 ? 240 : 80 * (i + 1))};
    send_rtp(101, i == 0, seq++, 1600, event);
  }
  EXPECT_TRUE(eventually([&] { return record_->has("dtmf 7 rtp"); })) << record_->all();
  EXPECT_TRUE(eventually([&] { return record_->count_prefix("audio") >= 5; })) << record_->all();
  EXPECT_EQ(record_->count_prefix("dtmf 7"), 1u) << record_->all();
}

TEST_F(UserAgentTest, LocalHangupSendsByeAlongTheRouteSet) {
  auto invite = request("INVITE", 1, "invrr");
  invite.body = offer_sdp(caller_media_.local().port);
  invite.extra_headers.push_back("Content-Type: application/sdp");
  // A loose-routing proxy (played by the caller's socket) recorded the route.
  invite.extra_headers.push_back("Record-Route: <sip:127.0.0.1:" + std::to_string(caller_.local().port) +
                                 ";lr>");
  auto ok = send(invite);
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status(), 200);
  EXPECT_THAT(ok->header("Record-Route").value_or(""), HasSubstr(";lr"));
  to_tag_ = std::string(ok->to()->tag().value_or(""));
  ack();
  ASSERT_TRUE(eventually([&] { return record_->has("answered"); }));

  auto info = request("INFO", 2, "hash");
  info.body = "Signal=#\r\n";
  info.extra_headers.push_back("Content-Type: application/dtmf-relay");
  caller_.send_to(info.to_string(), sip_);
  auto bye = caller_.receive_matching(
      [](const Message& m) { return m.is_request() && m.method() == Method::bye; }, 3s);
  ASSERT_TRUE(bye);
  auto message = bye->message();
  // §12.2.1.1 loose routing: Request-URI is the remote target, the route set goes into Route.
  EXPECT_EQ(message.request_uri().user, "caller");
  EXPECT_THAT(message.header("Route").value_or(""), HasSubstr(";lr"));
  EXPECT_EQ(message.to()->tag().value_or(""), "caller1");
  EXPECT_EQ(message.from()->tag().value_or(""), to_tag_);
  EXPECT_TRUE(message.header("Reason").has_value());
  caller_.send_to(response_text(message, 200), bye->from);
  EXPECT_TRUE(eventually([&] { return record_->has("ended local_hangup"); })) << record_->all();
}

TEST_F(UserAgentTest, CancelBeforeAnswerGets200AndTheInvite487) {
  auto invite = request("INVITE", 1, "invc");
  invite.request_uri = "sip:ring@127.0.0.1:" + std::to_string(sip_.port);
  invite.body = offer_sdp(caller_media_.local().port);
  invite.extra_headers.push_back("Content-Type: application/sdp");
  caller_.send_to(invite.to_string(), sip_);
  ASSERT_TRUE(eventually([&] { return record_->has("start ring"); }));
  auto cancel = invite;
  cancel.method = "CANCEL";
  cancel.body.clear();
  cancel.extra_headers = {};
  caller_.send_to(cancel.to_string(), sip_);
  auto r487 =
      caller_.receive_matching([](const Message& m) { return m.is_response() && m.status() == 487; }, 3s);
  ASSERT_TRUE(r487);
  EXPECT_TRUE(eventually([&] { return record_->has("ended cancelled"); })) << record_->all();
}

TEST_F(UserAgentTest, OptionsAndUnknownDialogs) {
  auto options = request("OPTIONS", 1, "opt1");
  auto ok = send(options);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status(), 200);
  EXPECT_THAT(ok->header("Allow").value_or(""), HasSubstr("INVITE"));

  to_tag_ = "nosuchtag";
  auto bye = send(request("BYE", 2, "bye481"));
  ASSERT_TRUE(bye);
  EXPECT_EQ(bye->status(), 481);
}

TEST_F(UserAgentTest, ShutdownHangsUpCallsAndRefusesNewOnes) {
  ASSERT_TRUE(answered_call());
  std::atomic<bool> drained{false};
  ua_->shutdown([&] { drained = true; });
  auto bye = caller_.receive_matching(
      [](const Message& m) { return m.is_request() && m.method() == Method::bye; }, 3s);
  ASSERT_TRUE(bye);
  caller_.send_to(response_text(bye->message(), 200), bye->from);
  EXPECT_TRUE(eventually([&] { return drained.load(); }));
  EXPECT_TRUE(record_->has("ended shutdown")) << record_->all();

  call_id_ = "ua-test-2@127.0.0.1";
  to_tag_.clear();
  auto invite = request("INVITE", 1, "inv503");
  invite.body = offer_sdp(caller_media_.local().port);
  invite.extra_headers.push_back("Content-Type: application/sdp");
  auto refused = send(invite);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status(), 503);
  EXPECT_TRUE(refused->header("Retry-After").has_value());
}

TEST_F(UserAgentTest, ReInviteWhileOurOfferIsOutstandingGets491) {
  ASSERT_TRUE(answered_call());
  // A re-INVITE without SDP: our offer goes into the 200 and waits for the ACK's answer.
  auto first = send(request("INVITE", 2, "reinv-late"));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status(), 200);
  EXPECT_THAT(first->body(), HasSubstr("m=audio"));
  // Before that ACK, another offer crosses ours (RFC 3261 §14.2).
  auto second = request("INVITE", 3, "reinv-glare");
  second.body = offer_sdp(caller_media_.local().port);
  second.extra_headers.push_back("Content-Type: application/sdp");
  auto glare = send(second);
  ASSERT_TRUE(glare);
  EXPECT_EQ(glare->status(), 491);
}

TEST_F(UserAgentTest, ExhaustedRtpPortRangeIsRefusedWith503) {
  // The fixture's range holds four RTP/RTCP pairs: four calls fit, the fifth finds no port.
  for (int i = 0; i < 4; ++i) {
    call_id_ = "fill-" + std::to_string(i) + "@127.0.0.1";
    to_tag_.clear();
    establish(offer_sdp(caller_media_.local().port));
    ack();
  }
  call_id_ = "one-too-many@127.0.0.1";
  to_tag_.clear();
  auto invite = request("INVITE", 1, "inv-full");
  invite.body = offer_sdp(caller_media_.local().port);
  invite.extra_headers.push_back("Content-Type: application/sdp");
  auto refused = send(invite);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status(), 503);
  EXPECT_TRUE(refused->header("Retry-After").has_value());
  EXPECT_EQ(metrics_.counter("sip_calls_total", "", {"result"}).with({"overloaded"}).value(), 1.0);
}

class SrtpUserAgentTest : public UserAgentTest {
 protected:
  void SetUp() override {
    srtp_mode_ = config::SrtpMode::optional;
    UserAgentTest::SetUp();
  }
};

TEST_F(SrtpUserAgentTest, SdesOfferIsAnsweredWithOurKeyAndProtectedAudioIsDecoded) {
  const auto caller_key = media::generate_srtp_key(media::SrtpSuite::aes_cm_128_hmac_sha1_80);
  auto sdp = offer_sdp(caller_media_.local().port) + "a=crypto:1 AES_CM_128_HMAC_SHA1_80 " +
             media::format_sdes_inline_key(caller_key) + "\r\n";
  auto ok = establish(sdp);
  ack();
  auto crypto = ok.body().find("a=crypto:1 AES_CM_128_HMAC_SHA1_80 ");
  ASSERT_NE(crypto, std::string::npos) << ok.body();
  auto params = ok.body().substr(crypto + std::string("a=crypto:1 AES_CM_128_HMAC_SHA1_80 ").size());
  params = params.substr(0, params.find_first_of("\r\n"));
  auto our_key = media::parse_sdes_inline_key(media::SrtpSuite::aes_cm_128_hmac_sha1_80, params);
  ASSERT_TRUE(our_key) << params;
  auto srtp = media::SrtpSession::create(caller_key, *our_key);
  ASSERT_TRUE(srtp);

  const Endpoint leg{boost::asio::ip::make_address("127.0.0.1"), media_port(ok)};
  std::vector<std::uint8_t> silence(160, 0xD5);
  std::array<std::uint8_t, 512> packet{};
  for (std::uint16_t i = 0; i < 10; ++i) {
    media::RtpHeader header;
    header.payload_type = 8;
    header.sequence = static_cast<std::uint16_t>(100 + i);
    header.timestamp = 160u * i;
    header.ssrc = 0x5678;
    auto size = media::serialize_rtp(header, silence, packet);
    ASSERT_FALSE(srtp->protect_rtp(packet, size));
    caller_media_.send_to(std::string_view(reinterpret_cast<const char*>(packet.data()), size), leg);
  }
  EXPECT_TRUE(eventually([&] { return record_->count_prefix("audio") >= 5; })) << record_->all();
}

class MediaTimeoutUserAgentTest : public UserAgentTest {
 protected:
  void SetUp() override {
    media_timeout_ = std::chrono::milliseconds(300);
    UserAgentTest::SetUp();
  }
};

TEST_F(MediaTimeoutUserAgentTest, NoRtpForTheTimeoutHangsUpWithBye) {
  establish(offer_sdp(caller_media_.local().port));
  ack();
  auto bye = caller_.receive_matching(
      [](const Message& m) { return m.is_request() && m.method() == Method::bye; }, 3s);
  ASSERT_TRUE(bye);
  EXPECT_THAT(bye->message().header("Reason").value_or(""), HasSubstr("media_timeout"));
  caller_.send_to(response_text(bye->message(), 200), bye->from);
  EXPECT_TRUE(eventually([&] { return record_->has("ended media_timeout"); })) << record_->all();
}

TEST_F(UserAgentTest, AHandlerThatDoesNotAnswerAtOnceRings180WithOurTagAndContact) {
  auto invite = request("INVITE", 1, "inv180");
  invite.request_uri = "sip:ring@127.0.0.1:" + std::to_string(sip_.port);
  invite.body = offer_sdp(caller_media_.local().port);
  invite.extra_headers.push_back("Content-Type: application/sdp");
  caller_.send_to(invite.to_string(), sip_);
  auto ringing =
      caller_.receive_matching([](const Message& m) { return m.is_response() && m.status() == 180; }, 3s);
  ASSERT_TRUE(ringing);
  auto message = ringing->message();
  EXPECT_FALSE(message.to()->tag().value_or("").empty()) << message.to_string();
  EXPECT_THAT(message.header("Contact").value_or(""), HasSubstr("sip:voice-agent@127.0.0.1"));
  EXPECT_TRUE(message.body().empty());
  EXPECT_TRUE(record_->has("start ring")) << record_->all();
  EXPECT_FALSE(record_->has("answered"));
}

TEST_F(UserAgentTest, DtmfEchoEchoesHashAndThenHangsUpWithBye) {
  auto invite = request("INVITE", 1, "invdtmf");
  invite.request_uri = "sip:dtmf@127.0.0.1:" + std::to_string(sip_.port);
  invite.body = offer_sdp(caller_media_.local().port);
  invite.extra_headers.push_back("Content-Type: application/sdp");
  auto ok = send(invite);
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status(), 200);
  to_tag_ = std::string(ok->to()->tag().value_or(""));
  ack();

  auto info = request("INFO", 2, "hash-echo");
  info.body = "Signal=#\r\nDuration=100\r\n";
  info.extra_headers.push_back("Content-Type: application/dtmf-relay");
  auto answered = send(info);
  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->status(), 200);

  // The echo: RFC 4733 telephone-event packets (payload type 101) carrying event 11 ('#').
  bool echoed = false;
  auto deadline = Clock::now() + 3s;
  while (!echoed && Clock::now() < deadline) {
    auto packet = caller_media_.receive(500ms);
    if (!packet || packet->data.size() < 16) continue;
    auto pt = static_cast<std::uint8_t>(packet->data[1]) & 0x7F;
    echoed = pt == 101 && static_cast<std::uint8_t>(packet->data[12]) == 11;
  }
  EXPECT_TRUE(echoed) << "no RFC 4733 '#' came back";

  auto bye = caller_.receive_matching(
      [](const Message& m) { return m.is_request() && m.method() == Method::bye; }, 3s);
  ASSERT_TRUE(bye);
  EXPECT_THAT(bye->message().header("Reason").value_or(""), HasSubstr("local_hangup"));
  caller_.send_to(response_text(bye->message(), 200), bye->from);
  EXPECT_TRUE(eventually([&] { return ua_->active_calls() == 0; }));
}

TEST_F(UserAgentTest, OurHoldIsAReInviteWithSendonlyAndResumeOneWithSendrecv) {
  ASSERT_TRUE(answered_call());
  press('A', 2);
  auto hold = next_request(Method::invite);
  ASSERT_TRUE(hold);
  EXPECT_THAT(hold->body(), HasSubstr("a=sendonly"));
  EXPECT_EQ(hold->to()->tag().value_or(""), "caller1");
  EXPECT_EQ(hold->request_uri().user, "caller");  // the remote target from our Contact
  reply(*hold, 200, offer_sdp(caller_media_.local().port, "8 101", "recvonly"));
  auto ack_of_hold = next_request(Method::ack);
  ASSERT_TRUE(ack_of_hold);
  EXPECT_EQ(ack_of_hold->cseq()->number, hold->cseq()->number);

  press('B', 3);
  auto resume = next_request(Method::invite);
  ASSERT_TRUE(resume);
  EXPECT_THAT(resume->body(), HasSubstr("a=sendrecv"));
  EXPECT_GT(resume->cseq()->number, hold->cseq()->number);
  reply(*resume, 200, offer_sdp(caller_media_.local().port));
  EXPECT_TRUE(next_request(Method::ack));
}

TEST_F(UserAgentTest, AReInviteOfThePeerWhileOursIsPendingGets491) {
  ASSERT_TRUE(answered_call());
  press('A', 2);
  auto ours = next_request(Method::invite);
  ASSERT_TRUE(ours);
  // Our re-INVITE is unanswered; the peer's own crosses it (RFC 3261 §14.2).
  auto theirs = request("INVITE", 3, "glare-in");
  theirs.body = offer_sdp(caller_media_.local().port);
  theirs.extra_headers.push_back("Content-Type: application/sdp");
  auto refused = send(theirs);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status(), 491);
  reply(*ours, 200, offer_sdp(caller_media_.local().port, "8 101", "recvonly"));
  EXPECT_TRUE(next_request(Method::ack));
}

TEST_F(UserAgentTest, ReferTransferEndsWithByeOnAFinal200Notify) {
  ASSERT_TRUE(answered_call());
  press('C', 2);
  auto refer = next_request(Method::refer);
  ASSERT_TRUE(refer);
  EXPECT_EQ(refer->header("Refer-To").value_or(""),
            "<sip:+4930555@127.0.0.1:" + std::to_string(caller_.local().port) + ">");
  EXPECT_TRUE(refer->header("Referred-By").has_value());
  reply(*refer, 202);

  auto notify = [&](std::uint32_t cseq, std::string frag, std::string state) {
    auto n = request("NOTIFY", cseq, "notify" + std::to_string(cseq));
    n.body = std::move(frag);
    n.extra_headers.push_back("Event: refer");
    n.extra_headers.push_back("Subscription-State: " + state);
    n.extra_headers.push_back("Content-Type: message/sipfrag");
    return send(n);
  };
  auto trying = notify(3, "SIP/2.0 100 Trying\r\n", "active;expires=60");
  ASSERT_TRUE(trying);
  EXPECT_EQ(trying->status(), 200);
  EXPECT_TRUE(eventually([&] { return record_->has("transfer 100"); })) << record_->all();
  auto done = notify(4, "SIP/2.0 200 OK\r\n", "terminated;reason=noresource");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status(), 200);
  auto bye = next_request(Method::bye);
  ASSERT_TRUE(bye);
  caller_.send_to(response_text(*bye, 200), reply_to_);
  EXPECT_TRUE(eventually([&] { return record_->has("ended transferred"); })) << record_->all();
  EXPECT_TRUE(record_->has("transfer 200 final")) << record_->all();
}

TEST_F(UserAgentTest, AFailedTransferLeavesTheCallUp) {
  ASSERT_TRUE(answered_call());
  press('C', 2);
  auto refer = next_request(Method::refer);
  ASSERT_TRUE(refer);
  reply(*refer, 202);
  auto n = request("NOTIFY", 3, "notify-busy");
  n.body = "SIP/2.0 486 Busy Here\r\n";
  n.extra_headers = {"Event: refer", "Subscription-State: terminated;reason=noresource",
                     "Content-Type: message/sipfrag"};
  auto answered = send(n);
  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->status(), 200);
  EXPECT_TRUE(eventually([&] { return record_->has("transfer 486 final"); })) << record_->all();
  // Still in the call: an OPTIONS in the dialog is answered by it, and no BYE was sent.
  auto options = send(request("OPTIONS", 4, "still-up"));
  ASSERT_TRUE(options);
  EXPECT_EQ(options->status(), 200);
  EXPECT_FALSE(record_->has("ended transferred")) << record_->all();
  EXPECT_EQ(ua_->active_calls(), 1u);
}

TEST_F(UserAgentTest, ANotifyWithoutATransferGets481) {
  establish(offer_sdp(caller_media_.local().port));
  ack();
  auto n = request("NOTIFY", 2, "stray-notify");
  n.body = "SIP/2.0 200 OK\r\n";
  n.extra_headers = {"Event: refer", "Subscription-State: terminated", "Content-Type: message/sipfrag"};
  auto refused = send(n);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status(), 481);
}

TEST_F(UserAgentTest, SessionExpiresBelowOurMinSeIsRefusedWith422) {
  auto invite = request("INVITE", 1, "inv422");
  invite.body = offer_sdp(caller_media_.local().port);
  invite.extra_headers.push_back("Content-Type: application/sdp");
  invite.extra_headers.push_back("Supported: timer");
  invite.extra_headers.push_back("Session-Expires: 30");
  auto refused = send(invite);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status(), 422);
  EXPECT_EQ(refused->header("Min-SE").value_or(""), "90");
  EXPECT_TRUE(eventually([&] { return ua_->active_calls() == 0; }));
}

TEST_F(UserAgentTest, ASessionTimerIsEchoedWithTheRefresherAndRequireTimer) {
  auto invite = request("INVITE", 1, "inv-se");
  invite.body = offer_sdp(caller_media_.local().port);
  invite.extra_headers.push_back("Content-Type: application/sdp");
  invite.extra_headers.push_back("Supported: timer");
  invite.extra_headers.push_back("Require: timer");
  invite.extra_headers.push_back("Session-Expires: 1800");
  auto ok = send(invite);
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status(), 200) << ok->to_string();
  EXPECT_EQ(ok->header("Session-Expires").value_or(""), "1800;refresher=uac");
  EXPECT_EQ(ok->header("Require").value_or(""), "timer");
  EXPECT_THAT(ok->header("Supported").value_or(""), HasSubstr("timer"));
}

class ShortSessionTimerUserAgentTest : public UserAgentTest {
 protected:
  void SetUp() override {
    session_timer_.min_se = std::chrono::seconds(1);  // tests only: RFC 4028 wants at least 90 s
    UserAgentTest::SetUp();
  }
};

TEST_F(ShortSessionTimerUserAgentTest, WithoutTheCallersRefreshWeHangUpBeforeTheSessionExpires) {
  auto invite = request("INVITE", 1, "inv-se-short");
  invite.body = offer_sdp(caller_media_.local().port);
  invite.extra_headers.push_back("Content-Type: application/sdp");
  invite.extra_headers.push_back("Supported: timer");
  invite.extra_headers.push_back("Session-Expires: 3;refresher=uac");
  auto ok = send(invite);
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status(), 200);
  to_tag_ = std::string(ok->to()->tag().value_or(""));
  ack();
  // RFC 4028 §10: the BYE comes at 3 s - min(32 s, 1 s) = 2 s when no refresh arrived.
  auto bye = caller_.receive_matching(
      [](const Message& m) { return m.is_request() && m.method() == Method::bye; }, 5s);
  ASSERT_TRUE(bye);
  EXPECT_THAT(bye->message().header("Reason").value_or(""), HasSubstr("Session timer expired"));
  caller_.send_to(response_text(bye->message(), 200), bye->from);
  EXPECT_TRUE(eventually([&] { return record_->has("ended error"); })) << record_->all();
}

TEST_F(ShortSessionTimerUserAgentTest, TheCallersRefreshesKeepTheSessionUpPastItsInterval) {
  auto invite = request("INVITE", 1, "inv-se-refresh");
  invite.body = offer_sdp(caller_media_.local().port);
  invite.extra_headers.push_back("Content-Type: application/sdp");
  invite.extra_headers.push_back("Supported: timer");
  invite.extra_headers.push_back("Session-Expires: 6;refresher=uac");
  auto ok = send(invite);
  ASSERT_TRUE(ok);
  to_tag_ = std::string(ok->to()->tag().value_or(""));
  ack();
  // Without refreshes we would hang up at 6 s - 2 s = 4 s. Refreshes (UPDATE without SDP, RFC 4028 §9)
  // every second for 5 s each restart that: no BYE may come.
  for (std::uint32_t cseq = 2; cseq <= 6; ++cseq) {
    for (const auto& d : caller_.drain(1000ms)) EXPECT_EQ(d.data.find("BYE "), std::string::npos) << d.data;
    auto update = request("UPDATE", cseq, "refresh" + std::to_string(cseq));
    update.extra_headers.push_back("Supported: timer");
    update.extra_headers.push_back("Session-Expires: 6;refresher=uac");
    auto refreshed = send(update);
    ASSERT_TRUE(refreshed);
    EXPECT_EQ(refreshed->status(), 200);
    EXPECT_EQ(refreshed->header("Session-Expires").value_or(""), "6;refresher=uac");
  }
  EXPECT_FALSE(record_->has("ended error")) << record_->all();
  EXPECT_EQ(ua_->active_calls(), 1u);
}

}  // namespace
}  // namespace va::sip::test
