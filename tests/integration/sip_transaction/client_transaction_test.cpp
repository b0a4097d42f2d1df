// Client transactions (RFC 3261 §17.1) against a raw socket that plays the server byte for byte: the
// retransmission schedules of Timers A and E, Timers B/D/F/K/M, the ACK of a non-2xx, the 2xx ACK kept by
// the Accepted state, and CANCEL (§9.1).
//
// Interval checks use kernel receive timestamps and only assert what the RFC makes certain: a timer never
// fires early, so each gap is at least the scheduled interval (with 10 % slack for timestamp granularity).
#include <gtest/gtest.h>

#include <cmath>

#include "sip_harness.hpp"

namespace va::sip::test {
namespace {

struct ClientFixture {
  explicit ClientFixture(TimerSettings timers = fast_timers(),
                         std::vector<std::string> listen = {"udp://127.0.0.1:0"}) {
    layer =
        std::make_unique<TransactionLayer>(io.io(), layer_options(std::move(listen), timers), user, &metrics);
    auto error = layer->start();
    EXPECT_FALSE(error) << *error;
  }
  ~ClientFixture() { layer->stop(); }

  std::string peer_uri() const { return "sip:service@127.0.0.1:" + std::to_string(peer.local().port); }

  IoRunner io;  // first in, last out: handles the TU keeps hold the io_context's strand
  RecordingUser user;
  metrics::Registry metrics;
  RawUdp peer;
  std::unique_ptr<TransactionLayer> layer;
};

bool is_method(const Message& m, Method method) {
  return m.is_request() && m.method() == method;
}

// Collects copies of the request until the transaction reports its final response.
std::vector<Datagram> collect_until_final(RawUdp& peer, ResponseLog& log, Method method) {
  std::vector<Datagram> copies;
  auto deadline = Clock::now() + 5s;
  while (Clock::now() < deadline && !log.wait_for_final(0ms)) {
    auto d = peer.receive(20ms);
    if (d && is_method(d->message(), method)) copies.push_back(std::move(*d));
  }
  return copies;
}

void expect_gaps_at_least(const std::vector<Datagram>& copies,
                          const std::function<double(std::size_t)>& scheduled) {
  for (std::size_t i = 1; i < copies.size(); ++i) {
    double gap = copies[i].arrival_seconds - copies[i - 1].arrival_seconds;
    EXPECT_GE(gap, 0.9 * scheduled(i - 1)) << "gap " << i;
  }
}

TEST(SipClientTransaction, InviteRetransmitsWithDoublingIntervalsUntilTimerB408) {
  TimerSettings timers = fast_timers();
  timers.t1 = 20ms;  // Timer B = 1.28 s
  ClientFixture f(timers);
  ResponseLog log;
  f.layer->send_request(make_request("INVITE", f.peer_uri()), log.handler());
  auto copies = collect_until_final(f.peer, log, Method::invite);
  auto timeout = log.wait_for_final(0ms);
  ASSERT_TRUE(timeout);
  EXPECT_EQ(timeout->message.status(), 408);
  EXPECT_EQ(timeout->source, ResponseSource::timeout);
  // Timer A: T1, 2T1, 4T1, ... within Timer B = 64 T1 allows at most 7 transmissions.
  ASSERT_GE(copies.size(), 2u);
  EXPECT_LE(copies.size(), 7u);
  for (const auto& c : copies) EXPECT_EQ(c.data, copies.front().data);
  expect_gaps_at_least(copies, [&](std::size_t i) { return 0.020 * std::pow(2.0, static_cast<double>(i)); });
  // Timer B ended the transaction: nothing more is sent.
  EXPECT_TRUE(f.peer.drain(150ms).empty());
  EXPECT_EQ(log.responses().size(), 1u);
}

TEST(SipClientTransaction, NonInviteRetransmitsCappedAtT2UntilTimerF408) {
  ClientFixture f;  // T1 = 10 ms, T2 = 40 ms
  ResponseLog log;
  f.layer->send_request(make_request("OPTIONS", f.peer_uri()), log.handler());
  auto copies = collect_until_final(f.peer, log, Method::options);
  auto timeout = log.wait_for_final(0ms);
  ASSERT_TRUE(timeout);
  EXPECT_EQ(timeout->message.status(), 408);
  expect_gaps_at_least(
      copies, [](std::size_t i) { return std::min(0.010 * std::pow(2.0, static_cast<double>(i)), 0.040); });
  // Uncapped doubling would allow at most 7 transmissions in 64 T1; the T2 cap allows about 19.
  EXPECT_GT(copies.size(), 7u);
}

TEST(SipClientTransaction, NonInviteRetransmitsEveryT2AfterAProvisional) {
  ClientFixture f;
  ResponseLog log;
  f.layer->send_request(make_request("OPTIONS", f.peer_uri()), log.handler());
  auto first = f.peer.receive();
  ASSERT_TRUE(first);
  f.peer.send_to(response_text(first->message(), 100), first->from);
  ASSERT_TRUE(log.wait_for_status(100));
  // Copies after the 100 arrive at least T2 apart (§17.1.2.2).
  std::vector<Datagram> copies;
  while (copies.size() < 4) {
    auto d = f.peer.receive(1s);
    ASSERT_TRUE(d);
    copies.push_back(std::move(*d));
  }
  expect_gaps_at_least(copies, [](std::size_t) { return 0.040; });
  f.peer.send_to(response_text(first->message(), 200, "t"), first->from);
  EXPECT_TRUE(log.wait_for_status(200));
}

TEST(SipClientTransaction, FinalResponseStopsRetransmissionsAndTimerKAbsorbsCopies) {
  ClientFixture f;
  ResponseLog log;
  f.layer->send_request(make_request("OPTIONS", f.peer_uri()), log.handler());
  auto request = f.peer.receive();
  ASSERT_TRUE(request);
  std::string ok = response_text(request->message(), 200, "srv");
  f.peer.send_to(ok, request->from);
  ASSERT_TRUE(log.wait_for_status(200));
  f.peer.send_to(ok, request->from);  // a retransmitted 200 inside Timer K: absorbed
  std::this_thread::sleep_for(30ms);
  f.peer.drain(50ms);  // a copy of the request may have crossed the 200
  EXPECT_TRUE(f.peer.drain(100ms).empty());
  EXPECT_EQ(log.count(200), 1u);
  EXPECT_EQ(dropped_count(f.metrics, "udp", "no_transaction"), 0.0);
  // After Timer K (T4 = 50 ms) the transaction is gone: the copy matches nothing and is dropped.
  std::this_thread::sleep_for(200ms);
  f.peer.send_to(ok, request->from);
  EXPECT_TRUE(eventually([&] { return dropped_count(f.metrics, "udp", "no_transaction") == 1.0; }));
  EXPECT_EQ(log.count(200), 1u);
}

TEST(SipClientTransaction, ReliableTransportNeitherRetransmitsNorWaitsTimerK) {
  ClientFixture f(fast_timers(), {"udp://127.0.0.1:0", "tcp://127.0.0.1:0"});
  RawTcpServer server;
  ResponseLog log;
  f.layer->send_request(
      make_request("OPTIONS", "sip:s@127.0.0.1:" + std::to_string(server.local().port) + ";transport=tcp"),
      log.handler());
  auto connection = server.accept();
  ASSERT_TRUE(connection);
  auto request = connection->read_message();
  ASSERT_TRUE(request);
  EXPECT_EQ(request->top_via()->transport, "TCP");
  // No Timer E over TCP: with T1 = 10 ms a UDP transaction would have retransmitted several times by now.
  EXPECT_FALSE(connection->read_message(150ms));
  // Two copies of the 200 in one segment: K = 0 on TCP, so the second finds no transaction.
  std::string ok = response_text(*request, 200, "srv");
  connection->send(ok + ok);
  ASSERT_TRUE(log.wait_for_status(200));
  EXPECT_TRUE(eventually([&] { return dropped_count(f.metrics, "tcp", "no_transaction") == 1.0; }));
  EXPECT_EQ(log.count(200), 1u);
}

TEST(SipClientTransaction, AckFor486CarriesBranchToTagAndRouteAndTimerDAbsorbsCopies) {
  ClientFixture f;
  ResponseLog log;
  Message invite = make_request("INVITE", "sip:callee@example.invalid");
  invite.add_header("Route", "<sip:127.0.0.1:" + std::to_string(f.peer.local().port) + ";lr>");
  invite.add_header("Route", "<sip:proxy2.example.invalid;lr>");
  f.layer->send_request(invite, log.handler());
  auto request = f.peer.receive();
  ASSERT_TRUE(request);
  Message sent = request->message();
  ASSERT_EQ(sent.method(), Method::invite);
  std::string busy = response_text(sent, 486, "busy-tag");
  f.peer.send_to(busy, request->from);

  auto ack = f.peer.receive_matching([](const Message& m) { return is_method(m, Method::ack); });
  ASSERT_TRUE(ack);
  Message a = ack->message();
  EXPECT_EQ(a.request_uri().to_string(), sent.request_uri().to_string());
  ASSERT_EQ(a.count(HeaderId::via), 1u);
  EXPECT_EQ(a.top_via()->branch(), sent.top_via()->branch());
  EXPECT_EQ(a.to()->tag(), "busy-tag");
  EXPECT_EQ(a.from()->tag(), sent.from()->tag());
  EXPECT_EQ(*a.call_id(), *sent.call_id());
  EXPECT_EQ(a.cseq()->number, sent.cseq()->number);
  EXPECT_EQ(a.cseq()->method, Method::ack);
  EXPECT_EQ(a.header_values(HeaderId::route), sent.header_values(HeaderId::route));
  ASSERT_TRUE(log.wait_for_status(486));

  // A retransmitted 486 inside Timer D is answered with the same ACK and not passed up again.
  f.peer.send_to(busy, request->from);
  auto again = f.peer.receive_matching([](const Message& m) { return is_method(m, Method::ack); });
  ASSERT_TRUE(again);
  EXPECT_EQ(again->data, ack->data);
  EXPECT_EQ(log.count(486), 1u);

  // After Timer D (100 ms here) the transaction is gone: no ACK, no second 486 to the TU.
  std::this_thread::sleep_for(400ms);
  f.peer.send_to(busy, request->from);
  EXPECT_TRUE(f.peer.drain(150ms).empty());
  EXPECT_EQ(log.count(486), 1u);
}

TEST(SipClientTransaction, TwoHundredIsPassedUpAndItsRetransmissionsReAckedUntilTimerM) {
  ClientFixture f;
  ResponseLog log;
  auto tx = f.layer->send_request(make_request("INVITE", f.peer_uri()), log.handler());
  auto request = f.peer.receive();
  ASSERT_TRUE(request);
  std::string ok = response_text(request->message(), 200, "dlg-tag", {"Contact: <sip:service@127.0.0.1>"});
  f.peer.send_to(ok, request->from);
  auto accepted = log.wait_for_status(200);
  ASSERT_TRUE(accepted);

  // §17.1.1.3: the transaction does not ACK a 2xx; the TU does, with a branch of its own.
  f.peer.drain(60ms);  // INVITE copies that crossed the 200
  Message ack = make_request("ACK", f.peer_uri());
  ack.set_header("To", std::string(*accepted->message.header("To")));
  tx.send_ack(ack);
  auto first_ack = f.peer.receive_matching([](const Message& m) { return is_method(m, Method::ack); });
  ASSERT_TRUE(first_ack);
  EXPECT_NE(first_ack->message().top_via()->branch(), request->message().top_via()->branch());

  // RFC 6026 Accepted: the retransmitted 2xx is re-ACKed with the TU's ACK, and not passed up again.
  f.peer.send_to(ok, request->from);
  auto second_ack = f.peer.receive_matching([](const Message& m) { return is_method(m, Method::ack); });
  ASSERT_TRUE(second_ack);
  EXPECT_EQ(second_ack->data, first_ack->data);
  EXPECT_EQ(log.count(200), 1u);

  // After Timer M (640 ms) the 2xx goes to the TU core as a stray response (it must re-ACK it, §13.2.2.4).
  std::this_thread::sleep_for(900ms);
  f.peer.send_to(ok, request->from);
  auto stray = f.user.wait_for(RecordingUser::Kind::stray_response);
  ASSERT_TRUE(stray);
  EXPECT_EQ(stray->message.status(), 200);
}

TEST(SipClientTransaction, CancelWaitsForAProvisionalAndUsesTheInviteBranch) {
  ClientFixture f;
  ResponseLog log, cancel_log;
  auto tx = f.layer->send_request(make_request("INVITE", f.peer_uri()), log.handler());
  auto request = f.peer.receive();
  ASSERT_TRUE(request);
  Message invite = request->message();
  tx.cancel(cancel_log.handler());
  // §9.1: no CANCEL before a provisional response; only INVITE retransmissions arrive meanwhile.
  for (const auto& d : f.peer.drain(100ms)) EXPECT_EQ(d.message().method(), Method::invite);

  f.peer.send_to(response_text(invite, 180, "ring"), request->from);
  auto cancel = f.peer.receive_matching([](const Message& m) { return is_method(m, Method::cancel); });
  ASSERT_TRUE(cancel);
  Message c = cancel->message();
  EXPECT_EQ(c.request_uri().to_string(), invite.request_uri().to_string());
  EXPECT_EQ(c.top_via()->branch(), invite.top_via()->branch());
  EXPECT_EQ(c.count(HeaderId::via), 1u);
  EXPECT_EQ(c.cseq()->number, invite.cseq()->number);
  EXPECT_EQ(c.cseq()->method, Method::cancel);
  EXPECT_FALSE(c.to()->tag());  // the INVITE's To, not the provisional's
  EXPECT_EQ(*c.call_id(), *invite.call_id());

  f.peer.send_to(response_text(c, 200, "ring"), cancel->from);
  ASSERT_TRUE(cancel_log.wait_for_status(200));
  f.peer.send_to(response_text(invite, 487, "ring"), request->from);
  auto terminated = log.wait_for_status(487);
  ASSERT_TRUE(terminated);
  EXPECT_EQ(terminated->source, ResponseSource::network);
  EXPECT_TRUE(f.peer.receive_matching([](const Message& m) { return is_method(m, Method::ack); }));
}

TEST(SipClientTransaction, CancelAfterTheFinalResponseSendsNothing) {
  ClientFixture f;
  ResponseLog log;
  auto tx = f.layer->send_request(make_request("INVITE", f.peer_uri()), log.handler());
  auto request = f.peer.receive();
  ASSERT_TRUE(request);
  f.peer.send_to(response_text(request->message(), 486, "b"), request->from);
  ASSERT_TRUE(log.wait_for_status(486));
  tx.cancel();
  for (const auto& d : f.peer.drain(150ms)) EXPECT_NE(d.message().method(), Method::cancel);
}

TEST(SipClientTransaction, ResponsesWithAForeignViaAreDropped) {
  ClientFixture f;
  ResponseLog log;
  f.layer->send_request(make_request("OPTIONS", f.peer_uri()), log.handler());
  auto request = f.peer.receive();
  ASSERT_TRUE(request);
  Message forged = request->message();
  forged.set_header("Via", "SIP/2.0/UDP 192.0.2.7:5060;branch=" + std::string(*forged.top_via()->branch()));
  f.peer.send_to(response_text(forged, 200, "x"), request->from);
  EXPECT_TRUE(eventually([&] { return dropped_count(f.metrics, "udp", "foreign_via") == 1.0; }));
  EXPECT_EQ(log.count(200), 0u);
}

}  // namespace
}  // namespace va::sip::test
