// The pieces under the user agent, without sockets: the UAS dialog (RFC 3261 §12), the RTP port range and
// the inbound route match.
#include "sip/ua/dialog.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "sip/parser.hpp"
#include "sip/ua/inbound_route.hpp"
#include "sip/ua/rtp_port_allocator.hpp"

namespace va::sip {
namespace {

// A route by match and flow, the other fields at their defaults.
config::InboundRoute route_to(std::string match, std::string flow) {
  config::InboundRoute r;
  r.match = std::move(match);
  r.flow = std::move(flow);
  return r;
}

using ::testing::HasSubstr;

Message parse(const std::string& text) {
  auto parsed = parse_message(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return std::move(parsed).value();
}

std::string invite_text(const std::string& record_routes) {
  return "INVITE sip:+4930123@192.0.2.10 SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n"
         "Max-Forwards: 70\r\n"
         "From: \"Caller\" <sip:alice@192.0.2.1>;tag=from1\r\n"
         "To: <sip:+4930123@192.0.2.10>\r\n"
         "Call-ID: dialog-test@192.0.2.1\r\n"
         "CSeq: 10 INVITE\r\n"
         "Contact: <sip:alice@192.0.2.1:5062>\r\n" +
         record_routes + "Content-Length: 0\r\n\r\n";
}

Address contact() {
  return parse_address("<sip:voice-agent@192.0.2.10:5060>").value();
}

TEST(Dialog, UasDialogTakesTagsTargetAndRouteSetFromTheInvite) {
  auto invite = parse(invite_text("Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"));
  auto dialog = Dialog::create_uas(invite, "ours", contact());
  ASSERT_TRUE(dialog.ok());
  EXPECT_EQ(dialog->id().call_id, "dialog-test@192.0.2.1");
  EXPECT_EQ(dialog->id().local_tag, "ours");
  EXPECT_EQ(dialog->id().remote_tag, "from1");
  EXPECT_EQ(dialog->remote_target().host, "192.0.2.1");
  ASSERT_EQ(dialog->route_set().size(), 2u);
  EXPECT_EQ(dialog->route_set()[0].uri.host, "p1.example.com");  // §12.1.1: UAS keeps the order
  EXPECT_EQ(dialog->remote_cseq(), 10u);
}

TEST(Dialog, ByeFollowsALooseRouteSet) {
  auto invite = parse(
      invite_text("Record-Route: <sip:p1.example.com;lr>\r\nRecord-Route: <sip:p2.example.com;lr>\r\n"));
  auto dialog = Dialog::create_uas(invite, "ours", contact());
  ASSERT_TRUE(dialog.ok());
  auto first_cseq = dialog->local_cseq();
  auto bye = dialog->make_request("BYE");
  EXPECT_EQ(bye.request_uri().user, "alice");
  EXPECT_EQ(bye.request_uri().port, 5062);
  auto routes = bye.routes();
  ASSERT_TRUE(routes.ok());
  ASSERT_EQ(routes->size(), 2u);
  EXPECT_EQ((*routes)[0].uri.host, "p1.example.com");
  EXPECT_EQ(bye.from()->tag().value_or(""), "ours");
  EXPECT_EQ(bye.to()->tag().value_or(""), "from1");
  EXPECT_EQ(bye.cseq()->number, first_cseq + 1);
  EXPECT_EQ(dialog->make_request("INFO").cseq()->number, first_cseq + 2);
}

TEST(Dialog, StrictRouterBecomesTheRequestUriAndTheTargetTheLastRoute) {
  auto invite = parse(invite_text("Record-Route: <sip:strict.example.com>, <sip:p2.example.com;lr>\r\n"));
  auto dialog = Dialog::create_uas(invite, "ours", contact());
  ASSERT_TRUE(dialog.ok());
  auto bye = dialog->make_request("BYE");
  EXPECT_EQ(bye.request_uri().host, "strict.example.com");  // §12.2.1.1
  auto routes = bye.routes();
  ASSERT_TRUE(routes.ok());
  ASSERT_EQ(routes->size(), 2u);
  EXPECT_EQ((*routes)[0].uri.host, "p2.example.com");
  EXPECT_EQ((*routes)[1].uri.user, "alice");
}

TEST(Dialog, RemoteCSeqMustGrowAndTargetRefreshReplacesTheTarget) {
  auto dialog = Dialog::create_uas(parse(invite_text("")), "ours", contact());
  ASSERT_TRUE(dialog.ok());
  auto request = [](std::uint32_t cseq, const std::string& method, const std::string& contact_uri) {
    return parse(method +
                 " sip:voice-agent@192.0.2.10 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK2\r\n" +
                 "From: <sip:alice@192.0.2.1>;tag=from1\r\nTo: <sip:+4930123@192.0.2.10>;tag=ours\r\n" +
                 "Call-ID: dialog-test@192.0.2.1\r\nCSeq: " + std::to_string(cseq) + " " + method +
                 "\r\nContact: <" + contact_uri + ">\r\nContent-Length: 0\r\n\r\n");
  };
  EXPECT_EQ(dialog->check_remote_cseq(request(11, "INVITE", "sip:alice@198.51.100.7")),
            RemoteCSeqCheck::in_order);
  EXPECT_EQ(dialog->check_remote_cseq(request(9, "INFO", "sip:x@y")), RemoteCSeqCheck::out_of_order);
  dialog->refresh_target(request(12, "INVITE", "sip:alice@198.51.100.7:5070"));
  EXPECT_EQ(dialog->remote_target().host, "198.51.100.7");
  EXPECT_EQ(dialog_key_of_request(request(13, "BYE", "sip:a@b")), dialog->id().key());
}

TEST(Dialog, AnswerCarriesRecordRouteAndContact) {
  auto invite = parse(invite_text("Record-Route: <sip:p1.example.com;lr>\r\n"));
  auto response = Message::response(200);
  Dialog::add_dialog_headers(invite, contact(), response);
  EXPECT_THAT(response.header("Record-Route").value_or(""), HasSubstr("p1.example.com"));
  EXPECT_THAT(response.header("Contact").value_or(""), HasSubstr("voice-agent@192.0.2.10"));
}

TEST(Dialog, InviteWithoutContactCannotCreateADialog) {
  auto text = invite_text("");
  text.erase(text.find("Contact:"), std::string("Contact: <sip:alice@192.0.2.1:5062>\r\n").size());
  EXPECT_FALSE(Dialog::create_uas(parse(text), "ours", contact()).ok());
}

TEST(RtpPortAllocator, HandsOutEvenPortsUntilExhaustedAndReusesReleasedOnesLast) {
  RtpPortAllocator ports(10001, 10008);  // even starts 10002, 10004, 10006 (10008 has no RTCP port)
  EXPECT_EQ(ports.capacity(), 3u);
  std::set<std::uint16_t> seen;
  for (int i = 0; i < 3; ++i) {
    auto port = ports.allocate();
    ASSERT_TRUE(port);
    EXPECT_EQ(*port % 2, 0);
    seen.insert(*port);
  }
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_FALSE(ports.allocate());  // exhausted: the user agent answers 503
  ports.release(10004);
  EXPECT_EQ(ports.allocate(), 10004);
}

TEST(InboundRoute, ExactPrefixAnyAndRegex) {
  EXPECT_TRUE(route_matches("+79991234567", "+79991234567"));
  EXPECT_FALSE(route_matches("+79991234567", "+79991234568"));
  EXPECT_TRUE(route_matches("+7999*", "+79990000000"));
  EXPECT_FALSE(route_matches("+7999*", "+78880000000"));
  // MTS Exolve dials 7XXXXXXXXXX; the configuration says +7XXXXXXXXXX.
  EXPECT_TRUE(route_matches("+79991234567", "79991234567"));
  EXPECT_TRUE(route_matches("79991234567", "+79991234567"));
  EXPECT_TRUE(route_matches("+7999*", "79990000000"));
  EXPECT_FALSE(route_matches("+7999*", "8999"));
  EXPECT_TRUE(route_matches("*", "service"));
  EXPECT_TRUE(route_matches("~\\+49[0-9]+", "+4930123"));
  EXPECT_FALSE(route_matches("~\\+49[0-9]+", "x+4930123"));

  config::Routing routing;
  routing.inbound = {route_to("+7999*", "first"), route_to("*", "second")};
  EXPECT_EQ(find_inbound_route(routing, "+79991")->flow, "first");
  EXPECT_EQ(find_inbound_route(routing, "100")->flow, "second");
  routing.inbound.pop_back();
  EXPECT_EQ(find_inbound_route(routing, "100"), nullptr);
}

TEST(InboundRoute, CallOnARegistrationIsRoutedByItsToHeader) {
  config::Routing routing;
  routing.inbound = {route_to("+79991234567", "sales"), route_to("100", "echo"), route_to("*", "fallback")};
  // Retargeted by the registrar to our Contact (the account name): the To user names the dialled number.
  auto choice = choose_inbound_route(routing, "883140000000001", "79991234567");
  ASSERT_NE(choice.route, nullptr);
  EXPECT_EQ(choice.route->flow, "sales");
  EXPECT_EQ(choice.dialed, "79991234567");
  // A Request-URI that names a routed number keeps priority over the To header.
  choice = choose_inbound_route(routing, "100", "79991234567");
  EXPECT_EQ(choice.route->flow, "echo");
  EXPECT_EQ(choice.dialed, "100");
  // Neither names a specific route: the catch-all, by the Request-URI.
  choice = choose_inbound_route(routing, "883140000000001", "555");
  EXPECT_EQ(choice.route->flow, "fallback");
  EXPECT_EQ(choice.dialed, "883140000000001");
  // Without a catch-all and without a match on either: no route.
  routing.inbound.pop_back();
  EXPECT_EQ(choose_inbound_route(routing, "883140000000001", "555").route, nullptr);
}

TEST(InboundRoute, ABridgeUserPicksItsRouteBeforeTheNumberRules) {
  config::Routing routing;
  auto covering = route_to("+7495*", "reception");
  auto bridged = route_to("+74951234567", "main");
  bridged.livekit = config::RouteLiveKitMode::bridge;
  bridged.bridge_user = "+74951234567";
  auto named = route_to("*", "support");
  named.livekit = config::RouteLiveKitMode::bridge;
  named.bridge_user = "bridge-support";
  routing.inbound = {covering, bridged, named};
  // LiveKit SIP dials sip:<bridge user>@us; numbers compare with or without '+'.
  EXPECT_EQ(choose_inbound_route(routing, "74951234567", "74951234567").route->flow, "main");
  EXPECT_EQ(choose_inbound_route(routing, "bridge-support", "bridge-support").route->flow, "support");
  EXPECT_EQ(choose_inbound_route(routing, "883140000000001", "bridge-support").route->flow, "support");
  // Other numbers keep the first-match rules.
  EXPECT_EQ(choose_inbound_route(routing, "74959999999", "").route->flow, "reception");
  EXPECT_EQ(find_bridge_route(routing, "74959999999"), nullptr);
}

}  // namespace
}  // namespace va::sip

namespace va::sip {
namespace {

// Our INVITE as the UAC (RFC 3261 §12.1.2) and the responses the callee sends back.
Message our_invite() {
  return parse(
      "INVITE sip:+4930999@192.0.2.20 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKuac1\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:voice-agent@192.0.2.10>;tag=ourtag\r\n"
      "To: <sip:+4930999@192.0.2.20>\r\n"
      "Call-ID: uac-dialog@192.0.2.10\r\n"
      "CSeq: 7 INVITE\r\n"
      "Contact: <sip:voice-agent@192.0.2.10:5060>\r\n"
      "Content-Length: 0\r\n\r\n");
}

Message callee_response(int status, const std::string& extra) {
  return parse("SIP/2.0 " + std::to_string(status) +
               " Whatever\r\n"
               "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKuac1\r\n"
               "From: <sip:voice-agent@192.0.2.10>;tag=ourtag\r\n"
               "To: <sip:+4930999@192.0.2.20>;tag=theirs\r\n"
               "Call-ID: uac-dialog@192.0.2.10\r\n"
               "CSeq: 7 INVITE\r\n" +
               extra + "Content-Length: 0\r\n\r\n");
}

TEST(UacDialog, A2xxCreatesAConfirmedDialogWithTheRouteSetReversed) {
  auto ok = callee_response(200,
                            "Contact: <sip:callee@192.0.2.30:5070>\r\n"
                            "Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n");
  auto dialog = Dialog::create_uac(our_invite(), ok, contact());
  ASSERT_TRUE(dialog.ok()) << dialog.error().to_string();
  EXPECT_FALSE(dialog->early());
  EXPECT_EQ(dialog->id().call_id, "uac-dialog@192.0.2.10");
  EXPECT_EQ(dialog->id().local_tag, "ourtag");
  EXPECT_EQ(dialog->id().remote_tag, "theirs");
  EXPECT_EQ(dialog->remote_target().host, "192.0.2.30");
  ASSERT_EQ(dialog->route_set().size(), 2u);
  EXPECT_EQ(dialog->route_set()[0].uri.host, "p2.example.com");  // §12.1.2: reversed for the UAC
  EXPECT_EQ(dialog->route_set()[1].uri.host, "p1.example.com");
  EXPECT_EQ(dialog->local_cseq(), 7u);

  auto ack = dialog->make_ack(7);
  EXPECT_EQ(ack.method(), Method::ack);
  EXPECT_EQ(ack.request_uri().host, "192.0.2.30");
  EXPECT_EQ(ack.cseq()->number, 7u);
  EXPECT_EQ(ack.header("Route").value_or(""), "<sip:p2.example.com;lr>");
  EXPECT_EQ(ack.to()->tag().value_or(""), "theirs");
  EXPECT_EQ(dialog->local_cseq(), 7u);  // the ACK takes no new CSeq

  auto bye = dialog->make_request("BYE");
  EXPECT_EQ(bye.cseq()->number, 8u);
  EXPECT_EQ(bye.from()->tag().value_or(""), "ourtag");
  EXPECT_EQ(bye.to()->tag().value_or(""), "theirs");
}

TEST(UacDialog, ATagged1xxCreatesAnEarlyDialogThatThe2xxConfirms) {
  auto ringing = callee_response(180, "Record-Route: <sip:early.example.com;lr>\r\n");
  auto dialog = Dialog::create_uac(our_invite(), ringing, contact());
  ASSERT_TRUE(dialog.ok()) << dialog.error().to_string();
  EXPECT_TRUE(dialog->early());
  EXPECT_EQ(dialog->remote_target().host, "192.0.2.20");  // no Contact yet: the Request-URI

  auto ok = callee_response(200,
                            "Contact: <sip:callee@192.0.2.31>\r\n"
                            "Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n");
  EXPECT_TRUE(dialog->confirm(ok));
  EXPECT_FALSE(dialog->early());
  EXPECT_EQ(dialog->remote_target().host, "192.0.2.31");
  ASSERT_EQ(dialog->route_set().size(), 2u);  // §13.2.2.4: recomputed from the 2xx
  EXPECT_EQ(dialog->route_set()[0].uri.host, "p2.example.com");
}

TEST(UacDialog, AResponseWithoutToTagOrA2xxWithoutContactCreatesNoDialog) {
  auto untagged = parse(
      "SIP/2.0 180 Ringing\r\n"
      "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKuac1\r\n"
      "From: <sip:voice-agent@192.0.2.10>;tag=ourtag\r\n"
      "To: <sip:+4930999@192.0.2.20>\r\n"
      "Call-ID: uac-dialog@192.0.2.10\r\n"
      "CSeq: 7 INVITE\r\n"
      "Content-Length: 0\r\n\r\n");
  EXPECT_FALSE(Dialog::create_uac(our_invite(), untagged, contact()).ok());
  EXPECT_FALSE(Dialog::create_uac(our_invite(), callee_response(200, ""), contact()).ok());
}

}  // namespace
}  // namespace va::sip
