// Server transactions (RFC 3261 §17.2) driven by a raw socket that plays the client byte for byte: 100
// Trying, absorption of retransmitted requests, Timers G/H/I/J and L, the 2xx retransmission until its ACK,
// CANCEL matching (§9.2), merged requests (§8.2.2.2) and the stateless 503 under overload.
#include <gtest/gtest.h>

#include <cmath>

#include "sip/response.hpp"
#include "sip_harness.hpp"

namespace va::sip::test {
namespace {

struct ServerFixture {
  explicit ServerFixture(std::function<void(TransactionLayerOptions&)> tweak = {}) {
    auto options = layer_options({"udp://127.0.0.1:0"});
    if (tweak) tweak(options);
    layer = std::make_unique<TransactionLayer>(io.io(), options, user, &metrics);
    auto error = layer->start();
    EXPECT_FALSE(error) << *error;
    server = layer->listening_points().front().local;
  }
  ~ServerFixture() { layer->stop(); }

  RequestText request(std::string method, std::string branch = "z9hG4bKclient1") const {
    RequestText r;
    r.method = std::move(method);
    r.request_uri = "sip:service@127.0.0.1:" + std::to_string(server.port);
    r.sent_by = client.local().to_string();
    r.branch = std::move(branch);
    return r;
  }
  void send(const RequestText& r) { client.send_to(r.to_string(), server); }
  void send(const std::string& text) { client.send_to(text, server); }

  std::optional<Datagram> response(int status, std::string_view cseq_method = {}) {
    return client.receive_matching([&](const Message& m) {
      return m.is_response() && m.status() == status &&
             (cseq_method.empty() || m.cseq()->method_name == cseq_method);
    });
  }

  IoRunner io;  // first in, last out: handles the TU keeps hold the io_context's strand
  RecordingUser user;
  metrics::Registry metrics;
  RawUdp client;
  std::unique_ptr<TransactionLayer> layer;
  Endpoint server;
};

// An ACK for a response to `invite` written by hand (branch: the INVITE's for a non-2xx, a new one for 2xx).
RequestText ack_for(const RequestText& invite, std::string to_tag, std::string branch) {
  RequestText ack = invite;
  ack.method = "ACK";
  ack.to_tag = std::move(to_tag);
  ack.branch = std::move(branch);
  return ack;
}

std::string to_tag_of(const Datagram& d) {
  return std::string(*d.message().to()->tag());
}

TEST(SipServerTransaction, InviteGets100TryingAtOnceAndAgainOnRetransmission) {
  ServerFixture f;  // the TU never answers
  auto invite = f.request("INVITE");
  f.send(invite);
  auto trying = f.response(100);
  ASSERT_TRUE(trying);
  EXPECT_FALSE(trying->message().to()->tag());  // a 100 carries no tag (§8.2.6.2)
  ASSERT_TRUE(f.user.wait_for(RecordingUser::Kind::request));
  f.send(invite);  // retransmission in Proceeding: the last provisional again, no new TU request
  EXPECT_TRUE(f.response(100));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(f.user.count(RecordingUser::Kind::request), 1u);
}

TEST(SipServerTransaction, FinalResponseRetransmittedUntilAckThenTimerIAbsorbsAcks) {
  ServerFixture f([](TransactionLayerOptions& o) { o.timers.t4 = 600ms; });  // Timer I = T4
  f.user.on_request_hook = [](const ServerTransactionHandle& t, const IncomingMessage&) { t.respond(486); };
  auto invite = f.request("INVITE");
  f.send(invite);
  std::vector<Datagram> copies;
  while (copies.size() < 4) {
    auto busy = f.response(486);
    ASSERT_TRUE(busy);
    copies.push_back(std::move(*busy));
  }
  // Timer G: T1, 2T1, 4T1 capped at T2 (10, 20, 40 ms); never earlier.
  for (std::size_t i = 1; i < copies.size(); ++i) {
    double scheduled = std::min(0.010 * std::pow(2.0, static_cast<double>(i - 1)), 0.040);
    EXPECT_GE(copies[i].arrival_seconds - copies[i - 1].arrival_seconds, 0.9 * scheduled);
    EXPECT_EQ(copies[i].data, copies[0].data);
  }
  auto ack = ack_for(invite, to_tag_of(copies[0]), invite.branch);
  auto acked_at = Clock::now();
  f.send(ack);
  f.send(ack);  // a retransmitted ACK inside Timer I: absorbed by the Confirmed transaction
  std::this_thread::sleep_for(60ms);  // a copy may have been in flight when the ACK arrived
  f.client.drain(10ms);
  EXPECT_TRUE(f.client.drain(150ms).empty());
  EXPECT_EQ(f.user.count(RecordingUser::Kind::stray_request), 0u);
  // After Timer I an ACK matches nothing and is handed to the TU as a stray request.
  std::this_thread::sleep_until(acked_at + 900ms);
  f.send(ack);
  EXPECT_TRUE(f.user.wait_for(RecordingUser::Kind::stray_request));
  EXPECT_EQ(f.user.count(RecordingUser::Kind::failure), 0u);
}

TEST(SipServerTransaction, TimerHReportsAMissingAckAndStopsRetransmitting) {
  ServerFixture f;
  f.user.on_request_hook = [](const ServerTransactionHandle& t, const IncomingMessage&) { t.respond(603); };
  f.send(f.request("INVITE"));
  ASSERT_TRUE(f.response(603));
  auto failure = f.user.wait_for(RecordingUser::Kind::failure, 1, 3s);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->failure, ServerTransactionFailure::no_ack);
  std::this_thread::sleep_for(60ms);
  f.client.drain(10ms);
  EXPECT_TRUE(f.client.drain(200ms).empty());
}

TEST(SipServerTransaction, RetransmittedRequestIsAbsorbedThenAnsweredAgainUntilTimerJ) {
  ServerFixture f;  // the TU answers later, through the handle it was given
  auto options = f.request("OPTIONS");
  f.send(options);
  auto pending = f.user.wait_for(RecordingUser::Kind::request);
  ASSERT_TRUE(pending);
  f.send(options);  // Trying: absorbed without an answer
  EXPECT_TRUE(f.client.drain(100ms).empty());
  pending->handle.respond(200);
  auto ok = f.response(200);
  ASSERT_TRUE(ok);
  f.send(options);  // Completed: the same 200 again
  auto again = f.response(200);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->data, ok->data);
  EXPECT_EQ(f.user.count(RecordingUser::Kind::request), 1u);
  // After Timer J (64 T1 = 640 ms) the same request starts a new transaction.
  std::this_thread::sleep_for(900ms);
  f.send(options);
  EXPECT_TRUE(f.user.wait_for(RecordingUser::Kind::request, 2));
}

TEST(SipServerTransaction, NonInviteLeftUnansweredByTheTuEndsAfter64T1) {
  ServerFixture f;  // the TU never answers
  auto options = f.request("OPTIONS");
  f.send(options);
  ASSERT_TRUE(f.user.wait_for(RecordingUser::Kind::request));
  // The client's Timer F has expired by 64 T1 (640 ms): the transaction is released, so the same request
  // afterwards is new to the layer.
  std::this_thread::sleep_for(900ms);
  f.send(options);
  EXPECT_TRUE(f.user.wait_for(RecordingUser::Kind::request, 2));
  EXPECT_TRUE(f.client.drain(50ms).empty());
}

TEST(SipServerTransaction, TwoHundredRetransmittedUntilItsAckArrives) {
  ServerFixture f;
  f.user.on_request_hook = [](const ServerTransactionHandle& t, const IncomingMessage& in) {
    t.respond(make_response(in.message, 200, {}, "uas-tag"));
  };
  auto invite = f.request("INVITE");
  f.send(invite);
  auto first = f.response(200);
  ASSERT_TRUE(first);
  auto second = f.response(200);  // §13.3.1.4: retransmitted while no ACK came
  ASSERT_TRUE(second);
  EXPECT_EQ(second->data, first->data);
  f.send(ack_for(invite, "uas-tag", "z9hG4bKack2xx"));  // the 2xx ACK has a branch of its own
  auto ack = f.user.wait_for(RecordingUser::Kind::stray_request);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->message.method(), Method::ack);
  std::this_thread::sleep_for(60ms);
  f.client.drain(10ms);
  EXPECT_TRUE(f.client.drain(200ms).empty());
  // A retransmitted INVITE while Accepted is absorbed (RFC 6026): no new TU request.
  f.send(invite);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(f.user.count(RecordingUser::Kind::request), 1u);
}

TEST(SipServerTransaction, CancelMatchesTheInviteAndTheTuAnswers200And487) {
  ServerFixture f;
  auto invite = f.request("INVITE");
  f.send(invite);
  ASSERT_TRUE(f.response(100));
  ASSERT_TRUE(f.user.wait_for(RecordingUser::Kind::request));
  auto cancel = invite;
  cancel.method = "CANCEL";
  f.send(cancel);
  auto event = f.user.wait_for(RecordingUser::Kind::cancel);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->invite.request().method(), Method::invite);
  EXPECT_TRUE(f.response(200, "CANCEL"));
  auto terminated = f.response(487, "INVITE");
  ASSERT_TRUE(terminated);
  f.send(ack_for(invite, to_tag_of(*terminated), invite.branch));
  std::this_thread::sleep_for(60ms);
  f.client.drain(10ms);
  EXPECT_TRUE(f.client.drain(150ms).empty());  // the ACK stopped the 487 retransmissions
}

TEST(SipServerTransaction, CancelWithoutTransactionGets481) {
  ServerFixture f;
  auto cancel = f.request("CANCEL", "z9hG4bKnothing");
  f.send(cancel);
  EXPECT_TRUE(f.response(481, "CANCEL"));
  EXPECT_EQ(f.user.count(RecordingUser::Kind::cancel), 0u);
}

TEST(SipServerTransaction, CancelAfterTheFinalResponseGets200WithoutEffect) {
  ServerFixture f;
  f.user.on_request_hook = [](const ServerTransactionHandle& t, const IncomingMessage&) { t.respond(486); };
  auto invite = f.request("INVITE");
  f.send(invite);
  ASSERT_TRUE(f.response(486));
  auto cancel = invite;
  cancel.method = "CANCEL";
  f.send(cancel);
  EXPECT_TRUE(f.response(200, "CANCEL"));
  EXPECT_EQ(f.user.count(RecordingUser::Kind::cancel), 0u);
}

TEST(SipServerTransaction, MergedRequestGets482) {
  ServerFixture f;
  auto first = f.request("INVITE", "z9hG4bKpath1");
  f.send(first);
  ASSERT_TRUE(f.user.wait_for(RecordingUser::Kind::request));
  auto second = f.request("INVITE", "z9hG4bKpath2");  // same From tag, Call-ID and CSeq; another branch
  f.send(second);
  auto loop =
      f.client.receive_matching([](const Message& m) { return m.is_response() && m.status() == 482; });
  ASSERT_TRUE(loop);
  EXPECT_EQ(loop->message().top_via()->branch(), "z9hG4bKpath2");
  EXPECT_EQ(f.user.count(RecordingUser::Kind::request), 1u);
}

TEST(SipServerTransaction, OverloadIsAnsweredStatelessly503) {
  ServerFixture f([](TransactionLayerOptions& o) { o.max_server_transactions = 1; });
  f.send(f.request("OPTIONS", "z9hG4bKfirst"));  // held: the TU never answers
  ASSERT_TRUE(f.user.wait_for(RecordingUser::Kind::request));
  f.send(f.request("OPTIONS", "z9hG4bKsecond"));
  auto busy = f.response(503);
  ASSERT_TRUE(busy);
  EXPECT_TRUE(busy->message().header("Retry-After"));
  EXPECT_EQ(f.user.count(RecordingUser::Kind::request), 1u);
}

TEST(SipServerTransaction, Rfc2543RequestWithoutMagicCookieStillMatches) {
  ServerFixture f;
  f.user.on_request_hook = [](const ServerTransactionHandle& t, const IncomingMessage&) { t.respond(486); };
  auto invite = f.request("INVITE", "oldstyle1");
  f.send(invite);
  auto busy = f.response(486);
  ASSERT_TRUE(busy);
  f.send(invite);  // retransmission: matched without the cookie, answered with the same 486
  EXPECT_TRUE(f.response(486));
  f.send(ack_for(invite, to_tag_of(*busy), "oldstyle1"));
  std::this_thread::sleep_for(60ms);
  f.client.drain(10ms);
  EXPECT_TRUE(f.client.drain(150ms).empty());
  EXPECT_EQ(f.user.count(RecordingUser::Kind::request), 1u);
  EXPECT_EQ(f.user.count(RecordingUser::Kind::stray_request), 0u);
}

}  // namespace
}  // namespace va::sip::test
