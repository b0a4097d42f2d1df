// Which peer a trunk's OPTIONS probe goes to (trunk_prober.hpp).
#include <gtest/gtest.h>

#include "sip/trunk/trunk_prober.hpp"

namespace va::sip {
namespace {

TEST(TrunkProbeTarget, RegisterTrunkProbesItsRegistrarOrItsOutboundProxy) {
  config::Trunk t;
  t.mode = config::TrunkMode::register_;
  t.registrar = "sip.exolve.ru";
  t.port = 5070;
  auto target = trunk_probe_target(t);
  ASSERT_TRUE(target);
  EXPECT_EQ(target->host, "sip.exolve.ru");
  EXPECT_EQ(target->port, 5070);
  EXPECT_EQ(target->transport, TransportKind::udp);

  t.outbound_proxy = "[2001:db8::7]:5080";
  t.transport = config::Transport::tcp;
  target = trunk_probe_target(t);
  ASSERT_TRUE(target);
  EXPECT_EQ(target->host, "2001:db8::7");
  EXPECT_EQ(target->port, 5080);
  EXPECT_EQ(target->transport, TransportKind::tcp);
}

TEST(TrunkProbeTarget, StaticTrunkProbesItsFirstBareAddressOnTheTransportsDefaultPort) {
  config::Trunk t;
  t.mode = config::TrunkMode::static_ip;
  t.transport = config::Transport::tls;
  t.allowed_addresses = {"80.75.130.0/24", "80.75.130.99", "80.75.130.100"};
  auto target = trunk_probe_target(t);
  ASSERT_TRUE(target);
  EXPECT_EQ(target->host, "80.75.130.99");
  EXPECT_EQ(target->port, 5061);
}

TEST(TrunkProbeTarget, StaticTrunkWithOnlyCidrBlocksIsNotProbed) {
  config::Trunk t;
  t.mode = config::TrunkMode::static_ip;
  t.allowed_addresses = {"127.0.0.1/32", "10.0.0.0/8"};
  std::string why;
  EXPECT_FALSE(trunk_probe_target(t, &why));
  EXPECT_NE(why.find("not probed"), std::string::npos) << why;
}

}  // namespace
}  // namespace va::sip
