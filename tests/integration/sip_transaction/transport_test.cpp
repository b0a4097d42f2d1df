// The transport layer (RFC 3261 §18, RFC 3581, RFC 5626 §4.4.1) seen from raw sockets: Via received/rport
// and where responses go, 400 for malformed requests, dropped garbage, TCP framing of split and pipelined
// messages, CRLF keep-alives both ways, idle connections, and lost framing.
#include <gtest/gtest.h>

#include "sip_harness.hpp"

namespace va::sip::test {
namespace {

struct TransportFixture {
  explicit TransportFixture(std::function<void(TransactionLayerOptions&)> tweak = {}) {
    auto options = layer_options({"udp://127.0.0.1:0", "tcp://127.0.0.1:0"});
    if (tweak) tweak(options);
    layer = std::make_unique<TransactionLayer>(io.io(), options, user, &metrics);
    auto error = layer->start();
    EXPECT_FALSE(error) << *error;
    udp = layer->listening_points()[0].local;
    tcp = layer->listening_points()[1].local;
  }
  ~TransportFixture() { layer->stop(); }

  void answer(int status) {
    user.on_request_hook = [status](const ServerTransactionHandle& t, const IncomingMessage&) {
      t.respond(status);
    };
  }

  IoRunner io;  // first in, last out: handles the TU keeps hold the io_context's strand
  RecordingUser user;
  metrics::Registry metrics;
  std::unique_ptr<TransactionLayer> layer;
  Endpoint udp, tcp;
};

RequestText options_from(std::string sent_by, std::string branch = "z9hG4bKt1",
                         std::string transport = "UDP") {
  RequestText r;
  r.sent_by = std::move(sent_by);
  r.branch = std::move(branch);
  r.transport = std::move(transport);
  return r;
}

TEST(SipTransport, RportIsFilledAndTheResponseGoesToTheSourcePort) {
  TransportFixture f;
  f.answer(200);
  RawUdp client;
  auto request = options_from("192.0.2.1:5999");  // behind a NAT: sent-by is not where the packet came from
  request.rport = true;
  client.send_to(request.to_string(), f.udp);
  auto response = client.receive();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->from, f.udp);  // from the socket the request arrived on (RFC 3581 §4)
  auto via = response->message().top_via();
  ASSERT_TRUE(via.ok());
  EXPECT_EQ(via->received(), "127.0.0.1");
  EXPECT_EQ(via->rport(), client.local().port);
  auto seen = f.user.wait_for(RecordingUser::Kind::request);
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->message.top_via()->rport(), client.local().port);
  EXPECT_EQ(seen->flow.remote, client.local());
}

TEST(SipTransport, WithoutRportTheResponseGoesToTheSentByPort) {
  TransportFixture f;
  f.answer(200);
  RawUdp sender, listener;
  sender.send_to(options_from(listener.local().to_string()).to_string(), f.udp);
  auto response = listener.receive();
  ASSERT_TRUE(response);
  auto via = response->message().top_via();
  EXPECT_FALSE(via->received());  // sent-by already names the source address (§18.2.1)
  EXPECT_FALSE(via->rport());
  EXPECT_FALSE(sender.receive(100ms));
}

TEST(SipTransport, ReceivedIsAddedWhenSentByIsAName) {
  TransportFixture f;
  f.answer(200);
  RawUdp client;
  client.send_to(options_from("client.example.invalid:" + std::to_string(client.local().port)).to_string(),
                 f.udp);
  // The response goes to received (the source address) and the sent-by port, which is this socket's.
  auto response = client.receive();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->message().top_via()->received(), "127.0.0.1");
}

TEST(SipTransport, MalformedRequestIsAnswered400WithTheReason) {
  TransportFixture f;
  RawUdp client;
  auto request = options_from(client.local().to_string());
  request.extra_headers.push_back("Contact: <sip:broken");
  client.send_to(request.to_string(), f.udp);
  auto response = client.receive();
  ASSERT_TRUE(response);
  Message m = response->message();
  EXPECT_EQ(m.status(), 400);
  EXPECT_NE(m.reason().find("Contact"), std::string_view::npos) << m.reason();
  EXPECT_TRUE(m.to()->tag());
  EXPECT_EQ(f.user.count(RecordingUser::Kind::request), 0u);
}

TEST(SipTransport, CSeqMethodMismatchIsAnswered400) {
  TransportFixture f;
  RawUdp client;
  auto request = options_from(client.local().to_string());
  request.cseq_method = "INFO";
  client.send_to(request.to_string(), f.udp);
  auto response = client.receive();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->message().status(), 400);
  EXPECT_EQ(dropped_count(f.metrics, "udp", "cseq_method_mismatch"), 1.0);
}

TEST(SipTransport, RequestWithoutCallIdCannotBeAnsweredAndIsCounted) {
  // A response needs the Call-ID (§8.2.6.2): without it the request is dropped.
  TransportFixture f;
  RawUdp client;
  std::string text = options_from(client.local().to_string()).to_string();
  auto at = text.find("Call-ID:");
  text.erase(at, text.find("\r\n", at) + 2 - at);
  client.send_to(text, f.udp);
  EXPECT_FALSE(client.receive(200ms));
  EXPECT_EQ(dropped_count(f.metrics, "udp", "missing_header"), 1.0);
}

TEST(SipTransport, GarbageDatagramIsDroppedAndCounted) {
  TransportFixture f;
  RawUdp client;
  client.send_to("\x16\x03\x01 this is not SIP at all\r\n\r\n", f.udp);
  client.send_to(std::string("\0\1\2\3", 4), f.udp);
  EXPECT_FALSE(client.receive(200ms));
  EXPECT_TRUE(eventually([&] {
    return dropped_count(f.metrics, "udp", "bad_start_line") + dropped_count(f.metrics, "udp", "bad_method") +
               dropped_count(f.metrics, "udp", "empty_message") >=
           2.0;
  }));
  // The layer still works.
  f.answer(200);
  client.send_to(options_from(client.local().to_string()).to_string(), f.udp);
  EXPECT_TRUE(client.receive());
}

TEST(SipTransport, TcpMessagesSplitAnywhereAndPipelinedAreFramed) {
  TransportFixture f;
  f.answer(200);
  auto connection = RawTcp::connect(f.tcp);
  std::string sent_by = connection.local().to_string();
  auto r1 = options_from(sent_by, "z9hG4bKs1", "TCP");
  r1.cseq = 1;
  std::string first = r1.to_string();
  connection.send(first.substr(0, 10));
  std::this_thread::sleep_for(20ms);
  connection.send(first.substr(10, first.size() / 2));
  std::this_thread::sleep_for(20ms);
  connection.send(first.substr(10 + first.size() / 2));
  auto r2 = options_from(sent_by, "z9hG4bKs2", "TCP");
  r2.cseq = 2;
  auto r3 = options_from(sent_by, "z9hG4bKs3", "TCP");
  r3.cseq = 3;
  r3.body = "hello";
  r3.extra_headers.push_back("Content-Type: text/plain");
  connection.send(r2.to_string() + r3.to_string());  // two messages in one segment
  for (std::uint32_t cseq = 1; cseq <= 3; ++cseq) {
    auto response = connection.read_message();
    ASSERT_TRUE(response) << cseq;
    EXPECT_EQ(response->status(), 200);
    EXPECT_EQ(response->cseq()->number, cseq);
  }
  auto third = f.user.wait_for(RecordingUser::Kind::request, 3);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->message.body(), "hello");
}

TEST(SipTransport, CrlfKeepAlivePingIsAnsweredWithAPong) {
  TransportFixture f;
  auto connection = RawTcp::connect(f.tcp);
  connection.send("\r\n\r\n");
  ASSERT_TRUE(connection.read_until("\r\n"));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(connection.buffered(), "\r\n");
}

TEST(SipTransport, CrlfOverUdpIsIgnoredSilently) {
  TransportFixture f;
  RawUdp client;
  client.send_to("\r\n\r\n", f.udp);
  EXPECT_FALSE(client.receive(100ms));
  EXPECT_EQ(dropped_count(f.metrics, "udp", "empty_message"), 0.0);
}

TEST(SipTransport, IdleInboundConnectionIsClosed) {
  TransportFixture f([](TransactionLayerOptions& o) { o.transport.connections.idle_timeout = 200ms; });
  auto connection = RawTcp::connect(f.tcp);
  EXPECT_TRUE(connection.closed_by_peer(3s));
}

TEST(SipTransport, LostFramingClosesTheConnectionAndIsCounted) {
  TransportFixture f;
  auto connection = RawTcp::connect(f.tcp);
  std::string text = options_from(connection.local().to_string(), "z9hG4bKnolen", "TCP").to_string();
  auto at = text.find("Content-Length:");
  text.erase(at, text.find("\r\n", at) + 2 - at);
  connection.send(text);
  EXPECT_TRUE(connection.closed_by_peer(2s));
  EXPECT_EQ(dropped_count(f.metrics, "tcp", "missing_content_length"), 1.0);
}

TEST(SipTransport, ResponseOpensANewConnectionWhenTheRequestsOneIsGone) {
  // §18.2.2: over TCP the response goes back over the request's connection, or else to received (here the
  // source address) and the sent-by port.
  TransportFixture f;  // the TU answers later, through the handle it was given
  RawTcpServer callback;
  std::optional<RecordingUser::Event> pending;
  {
    auto connection = RawTcp::connect(f.tcp);
    connection.send(
        options_from("127.0.0.1:" + std::to_string(callback.local().port), "z9hG4bKgone", "TCP").to_string());
    pending = f.user.wait_for(RecordingUser::Kind::request);
    ASSERT_TRUE(pending);
  }  // the client closes its connection before the answer
  std::this_thread::sleep_for(50ms);
  pending->handle.respond(200);
  auto back = callback.accept();
  ASSERT_TRUE(back);
  auto response = back->read_message();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status(), 200);
}

TEST(SipTransport, OutboundFlowIsPingedWhenIdleAndClosedWithoutPong) {
  TransportFixture f([](TransactionLayerOptions& o) {
    o.transport.connections.keepalive_interval = 100ms;
    o.transport.connections.keepalive_timeout = 200ms;
  });
  RawTcpServer server;
  ResponseLog log;
  f.layer->send_request(
      make_request("OPTIONS", "sip:s@127.0.0.1:" + std::to_string(server.local().port) + ";transport=tcp"),
      log.handler());
  auto connection = server.accept();
  ASSERT_TRUE(connection);
  auto request = connection->read_message();
  ASSERT_TRUE(request);
  connection->send(response_text(*request, 200, "t"));
  ASSERT_TRUE(log.wait_for_status(200));
  // RFC 5626 §4.4.1: a CRLFCRLF ping after the idle interval; answering it keeps the flow open.
  connection->buffered().clear();
  ASSERT_TRUE(connection->read_until("\r\n\r\n", 2s));
  connection->buffered().clear();
  connection->send("\r\n");
  ASSERT_TRUE(connection->read_until("\r\n\r\n", 2s));  // the next ping: still open
  connection->buffered().clear();
  // No pong this time: the flow is declared dead and closed.
  EXPECT_TRUE(connection->closed_by_peer(3s));
}

}  // namespace
}  // namespace va::sip::test
