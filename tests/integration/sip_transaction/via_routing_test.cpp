// The pure rules under the transport: listen URIs, the next hop of a request (RFC 3263 without DNS), the
// Via stamping of §18.2.1 / RFC 3581 and the response next hop of §18.2.2, and transaction keys (§17.1.3,
// §17.2.3, §8.2.2.2). No sockets.
#include "sip/via_routing.hpp"

#include <gtest/gtest.h>

#include "sip/flow.hpp"
#include "sip/parser.hpp"
#include "sip/transaction_key.hpp"

namespace va::sip::test {
namespace {

Message parse(std::string_view text) {
  auto m = parse_message(text);
  EXPECT_TRUE(m.ok()) << (m.ok() ? std::string() : m.error().to_string());
  return std::move(m).value();
}

Endpoint source(std::string_view ip, std::uint16_t port) {
  return Endpoint{boost::asio::ip::make_address(std::string(ip)), port};
}

constexpr std::string_view kRequest =
    "OPTIONS sip:a@192.0.2.10 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKabc;rport, SIP/2.0/UDP "
    "proxy.example.com;branch=z9hG4bKp\r\n"
    "Via: SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bKq\r\n"
    "From: <sip:b@example.com>;tag=f1\r\n"
    "To: <sip:a@example.com>\r\n"
    "Call-ID: c1\r\n"
    "CSeq: 7 OPTIONS\r\n"
    "Content-Length: 0\r\n\r\n";

TEST(SipListenUri, ParsesTransportsHostsAndPorts) {
  auto v4 = parse_listen_uri("udp://127.0.0.1:5060");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->transport, TransportKind::udp);
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 5060);
  auto v6 = parse_listen_uri("TLS://[::1]:0");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->transport, TransportKind::tls);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);
  EXPECT_EQ(v6->to_string(), "tls://[::1]:0");
  std::string error;
  EXPECT_FALSE(parse_listen_uri("sctp://127.0.0.1:5060", &error));
  EXPECT_NE(error.find("udp, tcp or tls"), std::string::npos);
  EXPECT_FALSE(parse_listen_uri("udp://127.0.0.1", &error));
  EXPECT_FALSE(parse_listen_uri("udp://127.0.0.1:70000", &error));
  EXPECT_FALSE(parse_listen_uri("udp://[::1:5060", &error));
}

TEST(SipNextHop, FollowsTheUriWithoutDns) {
  auto hop = [](std::string_view text) {
    auto uri = parse_uri(text);
    EXPECT_TRUE(uri.ok());
    return next_hop_for_uri(*uri);
  };
  auto plain = hop("sip:a@192.0.2.1");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->transport, TransportKind::udp);
  EXPECT_EQ(plain->port, 5060);
  auto tcp = hop("sip:a@[2001:db8::2]:5080;transport=TCP");
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->transport, TransportKind::tcp);
  EXPECT_EQ(tcp->host_kind, HostKind::ipv6);
  EXPECT_EQ(tcp->port, 5080);
  auto sips = hop("sips:a@trunk.example.com");
  ASSERT_TRUE(sips);
  EXPECT_EQ(sips->transport, TransportKind::tls);
  EXPECT_EQ(sips->port, 5061);
  EXPECT_EQ(sips->server_name, "trunk.example.com");
  auto maddr = hop("sip:a@example.com;maddr=192.0.2.9");
  ASSERT_TRUE(maddr);
  EXPECT_EQ(maddr->host, "192.0.2.9");
  EXPECT_FALSE(hop("sip:a@example.com;transport=sctp"));
  EXPECT_FALSE(hop("tel:+74951234567"));
}

TEST(SipNextHop, LooseRouteWinsOverTheRequestUri) {
  Message m = parse(
      std::string(kRequest).insert(std::string(kRequest).find("From:"), "Route: <sip:10.1.1.1:5090;lr>\r\n"));
  EXPECT_EQ(request_target_uri(m).host, "10.1.1.1");
  Message strict =
      parse(std::string(kRequest).insert(std::string(kRequest).find("From:"), "Route: <sip:10.1.1.1>\r\n"));
  EXPECT_EQ(request_target_uri(strict).host, "192.0.2.10");
}

TEST(SipViaStamping, RportAndReceivedOnTheTopViaParmOnly) {
  Message m = parse(kRequest);
  ASSERT_TRUE(stamp_received(m, source("203.0.113.7", 40000)));
  auto vias = m.vias();
  ASSERT_TRUE(vias.ok());
  ASSERT_EQ(vias->size(), 3u);
  EXPECT_EQ((*vias)[0].received(), "203.0.113.7");
  EXPECT_EQ((*vias)[0].rport(), 40000);
  EXPECT_EQ((*vias)[0].branch(), "z9hG4bKabc");
  EXPECT_FALSE((*vias)[1].received());  // the other via-parm of the same header is untouched
  EXPECT_EQ((*vias)[1].sent_by.host, "proxy.example.com");
  EXPECT_EQ(m.count(HeaderId::via), 2u);
}

TEST(SipViaStamping, NoReceivedWhenSentByIsTheSourceAddress) {
  std::string text(kRequest);
  text.replace(text.find(";rport"), 6, "");
  Message m = parse(text);
  ASSERT_TRUE(stamp_received(m, source("10.0.0.5", 6000)));
  EXPECT_FALSE(m.top_via()->received());
  EXPECT_FALSE(m.top_via()->has_rport());
  ASSERT_TRUE(stamp_received(m, source("10.0.0.6", 6000)));
  EXPECT_EQ(m.top_via()->received(), "10.0.0.6");
}

TEST(SipResponseRouting, FollowsReceivedRportAndSentBy) {
  auto via = [](std::string_view text) { return *parse_via(text); };
  auto udp = response_next_hop(
      via("SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKa;received=203.0.113.7;rport=40000"), TransportKind::udp);
  EXPECT_EQ(udp.host, "203.0.113.7");
  EXPECT_EQ(udp.port, 40000);
  // Reliable: received with the sent-by port (rport only concerns UDP).
  auto tcp = response_next_hop(
      via("SIP/2.0/TCP 10.0.0.5:5062;branch=z9hG4bKa;received=203.0.113.7;rport=40000"), TransportKind::tcp);
  EXPECT_EQ(tcp.host, "203.0.113.7");
  EXPECT_EQ(tcp.port, 5062);
  auto plain = response_next_hop(via("SIP/2.0/UDP 10.0.0.5;branch=z9hG4bKa"), TransportKind::udp);
  EXPECT_EQ(plain.host, "10.0.0.5");
  EXPECT_EQ(plain.port, 5060);
  auto v6 = response_next_hop(via("SIP/2.0/UDP [2001:db8::1];branch=z9hG4bKa;received=2001:db8::9;rport=7"),
                              TransportKind::udp);
  EXPECT_EQ(v6.host, "2001:db8::9");
  EXPECT_EQ(v6.host_kind, HostKind::ipv6);
  EXPECT_EQ(v6.port, 7);
}

TEST(SipTransactionKeys, AckMatchesItsInviteAndCancelHasItsOwnKey) {
  std::string invite_text(kRequest);
  invite_text.replace(0, 7, "INVITE");
  invite_text.replace(invite_text.find("7 OPTIONS"), 9, "7 INVITE");
  Message invite = parse(invite_text);
  std::string ack_text = invite_text;
  ack_text.replace(0, 6, "ACK");
  ack_text.replace(ack_text.find("7 INVITE"), 8, "7 ACK");
  std::string cancel_text = invite_text;
  cancel_text.replace(0, 6, "CANCEL");
  cancel_text.replace(cancel_text.find("7 INVITE"), 8, "7 CANCEL");
  Message ack = parse(ack_text), cancel = parse(cancel_text);
  EXPECT_EQ(server_key(ack), server_key(invite));
  EXPECT_NE(server_key(cancel), server_key(invite));
  EXPECT_EQ(server_key(cancel, "INVITE"), server_key(invite));
  // Same branch from another sent-by is another transaction (§17.2.3).
  std::string other = invite_text;
  other.replace(other.find("10.0.0.5:5062"), 13, "10.0.0.6:5062");
  EXPECT_NE(server_key(parse(other)), server_key(invite));
  // Merged-request key: From tag, Call-ID, CSeq; only while To has no tag.
  EXPECT_EQ(merged_request_key(invite), merged_request_key(parse(other)));
  std::string tagged = invite_text;
  tagged.replace(tagged.find("<sip:a@example.com>"), 19, "<sip:a@example.com>;tag=t");
  EXPECT_FALSE(merged_request_key(parse(tagged)));
}

TEST(SipTransactionKeys, ResponseMatchesByBranchAndCSeqMethod) {
  Message response = parse(
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKabc\r\nFrom: <sip:b@x>;tag=f\r\n"
      "To: <sip:a@x>;tag=t\r\nCall-ID: c\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(client_key_of_response(response), client_key("z9hG4bKabc", "CANCEL"));
  EXPECT_NE(client_key_of_response(response), client_key("z9hG4bKabc", "INVITE"));
}

}  // namespace
}  // namespace va::sip::test
