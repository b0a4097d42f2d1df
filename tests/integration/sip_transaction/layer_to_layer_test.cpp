// Two transaction layers talking to each other over real loopback sockets: UDP, TCP (with connection reuse
// and requests back over the same flow), TLS, IPv6, the UDP→TCP size rule, and the synthetic 408/503.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "sip/identifiers.hpp"
#include "sip/response.hpp"
#include "sip_harness.hpp"

namespace va::sip::test {
namespace {

Endpoint point_of(const TransactionLayer& layer, TransportKind transport) {
  for (const auto& p : layer.listening_points())
    if (p.transport == transport) return p.local;
  ADD_FAILURE() << "no " << to_string(transport) << " listener";
  return {};
}

std::string uri_of(const TransactionLayer& layer, TransportKind transport, std::string_view user = "b") {
  Endpoint e = point_of(layer, transport);
  std::string host = e.address.is_v6() ? "[" + e.address.to_string() + "]" : e.address.to_string();
  std::string uri = std::string(transport == TransportKind::tls ? "sips:" : "sip:") + std::string(user) +
                    "@" + host + ":" + std::to_string(e.port);
  if (transport == TransportKind::tcp) uri += ";transport=tcp";
  return uri;
}

void answer_everything(RecordingUser& user, int status) {
  user.on_request_hook = [status](const ServerTransactionHandle& t, const IncomingMessage&) {
    t.respond(status);
  };
}

struct Peers {
  explicit Peers(std::vector<std::string> listen_a = {"udp://127.0.0.1:0", "tcp://127.0.0.1:0"},
                 std::vector<std::string> listen_b = {"udp://127.0.0.1:0", "tcp://127.0.0.1:0"},
                 std::function<void(TransactionLayerOptions&)> tweak = {}) {
    auto options_a = layer_options(std::move(listen_a));
    auto options_b = layer_options(std::move(listen_b));
    if (tweak) {
      tweak(options_a);
      tweak(options_b);
    }
    a = std::make_unique<TransactionLayer>(io.io(), options_a, user_a, &metrics_a);
    b = std::make_unique<TransactionLayer>(io.io(), options_b, user_b, &metrics_b);
    auto error_a = a->start();
    auto error_b = b->start();
    EXPECT_FALSE(error_a) << *error_a;
    EXPECT_FALSE(error_b) << *error_b;
  }
  ~Peers() {
    a->stop();
    b->stop();
  }

  IoRunner io;  // first in, last out: handles the TUs keep hold the io_context's strand
  RecordingUser user_a, user_b;
  metrics::Registry metrics_a, metrics_b;
  std::unique_ptr<TransactionLayer> a, b;
};

TEST(SipLayerToLayer, OptionsOverUdpIsAnswered200) {
  Peers peers;
  answer_everything(peers.user_b, 200);
  ResponseLog log;
  peers.a->send_request(make_request("OPTIONS", uri_of(*peers.b, TransportKind::udp)), log.handler());
  auto ok = log.wait_for_status(200);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->source, ResponseSource::network);
  EXPECT_EQ(ok->flow.transport, TransportKind::udp);
  auto request = peers.user_b.wait_for(RecordingUser::Kind::request);
  ASSERT_TRUE(request);
  auto via = request->message.top_via();
  ASSERT_TRUE(via.ok());
  EXPECT_EQ(via->transport, "UDP");
  EXPECT_TRUE(via->has_rfc3261_branch());
  EXPECT_TRUE(via->has_rport());
  EXPECT_EQ(request->message.header("Max-Forwards"), "70");
}

TEST(SipLayerToLayer, OptionsOverTcpIsAnsweredOverTheSameConnection) {
  Peers peers;
  answer_everything(peers.user_b, 200);
  ResponseLog log;
  peers.a->send_request(make_request("OPTIONS", uri_of(*peers.b, TransportKind::tcp)), log.handler());
  auto ok = log.wait_for_status(200);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->flow.transport, TransportKind::tcp);
  EXPECT_NE(ok->flow.connection_id, 0u);
  auto request = peers.user_b.wait_for(RecordingUser::Kind::request);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->message.top_via()->transport, "TCP");
  EXPECT_EQ(request->flow.transport, TransportKind::tcp);
}

TEST(SipLayerToLayer, SecondRequestReusesTheTcpConnection) {
  Peers peers;
  answer_everything(peers.user_b, 200);
  ResponseLog first, second;
  peers.a->send_request(make_request("OPTIONS", uri_of(*peers.b, TransportKind::tcp), "c1"), first.handler());
  ASSERT_TRUE(first.wait_for_status(200));
  peers.a->send_request(make_request("OPTIONS", uri_of(*peers.b, TransportKind::tcp), "c2"),
                        second.handler());
  ASSERT_TRUE(second.wait_for_status(200));
  auto r1 = peers.user_b.wait_for(RecordingUser::Kind::request, 1);
  auto r2 = peers.user_b.wait_for(RecordingUser::Kind::request, 2);
  ASSERT_TRUE(r1 && r2);
  EXPECT_EQ(r1->flow.connection_id, r2->flow.connection_id);
  EXPECT_EQ(r1->flow.remote, r2->flow.remote);  // same source port: one connection
  EXPECT_EQ(first.responses().front().flow.connection_id, second.responses().front().flow.connection_id);
}

TEST(SipLayerToLayer, RequestBackOverTheFlowThePeerOpened) {
  // A UA registered over TCP receives its calls over the connection it opened (RFC 5626 flows).
  Peers peers;
  answer_everything(peers.user_a, 200);
  answer_everything(peers.user_b, 200);
  ResponseLog log;
  peers.a->send_request(make_request("REGISTER", uri_of(*peers.b, TransportKind::tcp)), log.handler());
  ASSERT_TRUE(log.wait_for_status(200));
  auto registered = peers.user_b.wait_for(RecordingUser::Kind::request);
  ASSERT_TRUE(registered);

  ResponseLog back;
  SendOptions options;
  options.flow = registered->flow;
  peers.b->send_request(make_request("OPTIONS", "sip:a@192.0.2.99:5060", "back"), back.handler(), options);
  auto ok = back.wait_for_status(200);
  ASSERT_TRUE(ok);
  auto incoming = peers.user_a.wait_for(RecordingUser::Kind::request);
  ASSERT_TRUE(incoming);
  EXPECT_EQ(incoming->flow.transport, TransportKind::tcp);
  EXPECT_EQ(incoming->flow.remote, point_of(*peers.b, TransportKind::tcp));  // the connection a opened to b
}

TEST(SipLayerToLayer, InviteAnsweredAckedByTheTuAndRetransmissionsStop) {
  Peers peers;
  peers.user_b.on_request_hook = [](const ServerTransactionHandle& t, const IncomingMessage& in) {
    t.respond(make_response(in.message, 180, {}, "btag"));
    t.respond(make_response(in.message, 200, {}, "btag"));
  };
  ResponseLog log;
  auto tx =
      peers.a->send_request(make_request("INVITE", uri_of(*peers.b, TransportKind::udp)), log.handler());
  auto ok = log.wait_for_status(200);
  ASSERT_TRUE(ok);
  EXPECT_TRUE(log.wait_for_status(180));

  Message ack = make_request("ACK", uri_of(*peers.b, TransportKind::udp));
  ack.set_header("To", std::string(*ok->message.header("To")));
  tx.send_ack(ack);
  auto stray = peers.user_b.wait_for(RecordingUser::Kind::stray_request);
  ASSERT_TRUE(stray);
  EXPECT_EQ(stray->message.method(), Method::ack);
  // The ACK stopped b's 2xx retransmissions: Timer L (640 ms) ends the transaction without a failure.
  std::this_thread::sleep_for(900ms);
  EXPECT_EQ(peers.user_b.count(RecordingUser::Kind::failure), 0u);
}

TEST(SipLayerToLayer, UnacknowledgedTwoHundredIsReportedToTheServerTu) {
  Peers peers;
  answer_everything(peers.user_b, 200);
  ResponseLog log;
  peers.a->send_request(make_request("INVITE", uri_of(*peers.b, TransportKind::udp)), log.handler());
  ASSERT_TRUE(log.wait_for_status(200));
  auto failure = peers.user_b.wait_for(RecordingUser::Kind::failure, 1, 3s);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->failure, ServerTransactionFailure::no_ack_for_2xx);
  // Without the ACK, b retransmitted its 2xx, and a passed each one up (RFC 6026 Accepted).
  EXPECT_GE(log.count(200), 2u);
}

TEST(SipLayerToLayer, UnansweredRequestEndsWithTimerF408AndOneServerTransaction) {
  Peers peers;  // b's TU never answers
  ResponseLog log;
  peers.a->send_request(make_request("OPTIONS", uri_of(*peers.b, TransportKind::udp)), log.handler());
  auto timeout = log.wait_for_final(3s);
  ASSERT_TRUE(timeout);
  EXPECT_EQ(timeout->message.status(), 408);
  EXPECT_EQ(timeout->source, ResponseSource::timeout);
  // a retransmitted (Timer E) but b's server transaction absorbed the copies.
  EXPECT_EQ(peers.user_b.count(RecordingUser::Kind::request), 1u);
}

TEST(SipLayerToLayer, ConnectionRefusedEndsWith503) {
  Peers peers;
  std::uint16_t closed_port = 0;
  {
    RawTcpServer probe;
    closed_port = probe.local().port;
  }
  ResponseLog log;
  peers.a->send_request(
      make_request("OPTIONS", "sip:x@127.0.0.1:" + std::to_string(closed_port) + ";transport=tcp"),
      log.handler());
  auto failed = log.wait_for_final(3s);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->message.status(), 503);
  EXPECT_EQ(failed->source, ResponseSource::transport_error);
}

TEST(SipLayerToLayer, NoListenerForTheTransportEndsWith503) {
  Peers peers({"udp://127.0.0.1:0"}, {"udp://127.0.0.1:0"});
  ResponseLog log;
  peers.a->send_request(make_request("OPTIONS", "sip:x@127.0.0.1:5999;transport=tls"), log.handler());
  auto failed = log.wait_for_final(3s);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->message.status(), 503);
}

TEST(SipLayerToLayer, LargeRequestSwitchesFromUdpToTcp) {
  Peers peers({"udp://127.0.0.1:0", "tcp://127.0.0.1:0"}, {"udp://127.0.0.1:0", "tcp://127.0.0.1:0"},
              [](TransactionLayerOptions& o) { o.transport.udp_to_tcp_threshold = 1300; });
  answer_everything(peers.user_b, 200);
  // b listens on different UDP and TCP ports; point the URI's port at b's TCP port for the switched request.
  Message big = make_request(
      "MESSAGE", "sip:b@127.0.0.1:" + std::to_string(point_of(*peers.b, TransportKind::tcp).port));
  big.set_body(std::string(2000, 'x'), "text/plain");
  ResponseLog log;
  peers.a->send_request(big, log.handler());
  ASSERT_TRUE(log.wait_for_status(200));
  auto request = peers.user_b.wait_for(RecordingUser::Kind::request);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->flow.transport, TransportKind::tcp);
  EXPECT_EQ(request->message.top_via()->transport, "TCP");
}

TEST(SipLayerToLayer, LargeRequestFallsBackToUdpWhenTcpIsRefused) {
  Peers peers({"udp://127.0.0.1:0", "tcp://127.0.0.1:0"}, {"udp://127.0.0.1:0"},
              [](TransactionLayerOptions& o) { o.transport.udp_to_tcp_threshold = 1300; });
  answer_everything(peers.user_b, 200);
  Message big = make_request("MESSAGE", uri_of(*peers.b, TransportKind::udp));
  big.set_body(std::string(2000, 'x'), "text/plain");
  ResponseLog log;
  peers.a->send_request(big, log.handler());
  ASSERT_TRUE(log.wait_for_status(200));
  auto request = peers.user_b.wait_for(RecordingUser::Kind::request);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->flow.transport, TransportKind::udp);
  EXPECT_EQ(request->message.top_via()->transport, "UDP");
}

TEST(SipLayerToLayer, OptionsOverIpv6Udp) {
  {
    RawUdp probe("127.0.0.1");
    (void)probe;
  }
  try {
    RawUdp v6("::1");
  } catch (const std::exception&) {
    GTEST_SKIP() << "no IPv6 loopback";
  }
  Peers peers({"udp://[::1]:0"}, {"udp://[::1]:0"});
  answer_everything(peers.user_b, 200);
  ResponseLog log;
  peers.a->send_request(make_request("OPTIONS", uri_of(*peers.b, TransportKind::udp)), log.handler());
  ASSERT_TRUE(log.wait_for_status(200));
  auto request = peers.user_b.wait_for(RecordingUser::Kind::request);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->message.top_via()->sent_by.kind, HostKind::ipv6);
}

// A self-signed certificate for 127.0.0.1, made with the openssl command line tool.
std::optional<std::filesystem::path> make_certificate() {
  auto dir = std::filesystem::temp_directory_path() / ("va-sip-tls-" + random_hex(6));
  std::filesystem::create_directories(dir);
  std::string command =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "
      "/CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
      (dir / "key.pem").string() + " -out " + (dir / "cert.pem").string() + " 2>/dev/null";
  if (std::system(command.c_str()) != 0) return std::nullopt;
  return dir;
}

TEST(SipLayerToLayer, OptionsOverTlsWithAVerifiedCertificate) {
  auto dir = make_certificate();
  if (!dir) GTEST_SKIP() << "openssl command not available";
  auto tls = [&](TransactionLayerOptions& o) {
    o.transport.tls.certificate_file = (*dir / "cert.pem").string();
    o.transport.tls.private_key_file = (*dir / "key.pem").string();
    o.transport.tls.ca_file = (*dir / "cert.pem").string();
    o.transport.tls.verify_peer = true;
  };
  {
    Peers peers({"tls://127.0.0.1:0"}, {"tls://127.0.0.1:0"}, tls);
    answer_everything(peers.user_b, 200);
    ResponseLog log;
    peers.a->send_request(make_request("OPTIONS", uri_of(*peers.b, TransportKind::tls)), log.handler());
    auto ok = log.wait_for_final(3s);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->message.status(), 200);
    EXPECT_EQ(ok->flow.transport, TransportKind::tls);
    auto request = peers.user_b.wait_for(RecordingUser::Kind::request);
    ASSERT_TRUE(request);
    EXPECT_EQ(request->message.top_via()->transport, "TLS");
  }
  std::filesystem::remove_all(*dir);
}

TEST(SipLayerToLayer, TlsToAnUntrustedCertificateFailsWith503) {
  auto dir = make_certificate();
  auto other = make_certificate();
  if (!dir || !other) GTEST_SKIP() << "openssl command not available";
  auto tls = [&](TransactionLayerOptions& o) {
    o.transport.tls.certificate_file = (*dir / "cert.pem").string();
    o.transport.tls.private_key_file = (*dir / "key.pem").string();
    o.transport.tls.ca_file = (*other / "cert.pem").string();  // trusts a different certificate
  };
  {
    Peers peers({"tls://127.0.0.1:0"}, {"tls://127.0.0.1:0"}, tls);
    answer_everything(peers.user_b, 200);
    ResponseLog log;
    peers.a->send_request(make_request("OPTIONS", uri_of(*peers.b, TransportKind::tls)), log.handler());
    auto failed = log.wait_for_final(3s);
    ASSERT_TRUE(failed);
    EXPECT_EQ(failed->message.status(), 503);
    EXPECT_EQ(peers.user_b.count(RecordingUser::Kind::request), 0u);
  }
  std::filesystem::remove_all(*dir);
  std::filesystem::remove_all(*other);
}

TEST(SipLayerToLayer, ListenOnPortZeroReportsTheBoundPort) {
  IoRunner io;
  RecordingUser user;
  TransactionLayer layer(io.io(), layer_options({"udp://127.0.0.1:0", "tcp://localhost:0"}), user);
  ASSERT_FALSE(layer.start());
  ASSERT_EQ(layer.listening_points().size(), 2u);
  for (const auto& p : layer.listening_points()) EXPECT_NE(p.local.port, 0);
  layer.stop();
}

TEST(SipLayerToLayer, BadListenUriIsReportedAtStart) {
  IoRunner io;
  RecordingUser user;
  TransactionLayer layer(io.io(), layer_options({"sctp://127.0.0.1:5060"}), user);
  auto error = layer.start();
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("sctp"), std::string::npos);
}

}  // namespace
}  // namespace va::sip::test
