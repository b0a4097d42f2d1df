// The agent worker protocol's messages as voice-agent builds and reads them (livekit_agent.proto, generated
// from the pinned livekit-protocol wheel), and the WebSocket target the worker connects to.
#include "livekit/agent_worker_protocol.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "livekit/websocket_client.hpp"

namespace va::livekit {
namespace {

TEST(AgentWorkerProtocol, RegistersForRoomJobsWithTheCallPermissions) {
  auto message = register_request({"exolve-agent", "0.9.0"});
  ASSERT_TRUE(message.has_register_());
  const auto& r = message.register_();
  EXPECT_EQ(r.type(), agent_proto::JT_ROOM);
  EXPECT_EQ(r.agent_name(), "exolve-agent");
  EXPECT_EQ(r.version(), "0.9.0");
  ASSERT_TRUE(r.has_allowed_permissions());
  EXPECT_TRUE(r.allowed_permissions().can_publish());
  EXPECT_TRUE(r.allowed_permissions().can_subscribe());
  EXPECT_TRUE(r.allowed_permissions().can_publish_data());
  EXPECT_TRUE(r.allowed_permissions().can_update_metadata());
  EXPECT_FALSE(r.allowed_permissions().hidden());
}

TEST(AgentWorkerProtocol, AnAcceptedOfferNamesTheAgentParticipant) {
  auto message =
      availability_response("AJ_1", true, {"agent-AJ_1", "voice-agent", {{"voice_agent.version", "1"}}});
  const auto& a = message.availability();
  EXPECT_EQ(a.job_id(), "AJ_1");
  EXPECT_TRUE(a.available());
  EXPECT_EQ(a.participant_identity(), "agent-AJ_1");
  EXPECT_EQ(a.participant_name(), "voice-agent");
  EXPECT_EQ(a.participant_attributes().at("voice_agent.version"), "1");

  auto refused = availability_response("AJ_2", false, {"agent-AJ_2", "voice-agent", {}}).availability();
  EXPECT_FALSE(refused.available());
  EXPECT_EQ(refused.participant_identity(), "");
}

TEST(AgentWorkerProtocol, StatusSaysFullAtCapacity) {
  auto full = worker_status({.full = true, .load = 1.0f, .job_count = 3, .draining = false}).update_worker();
  EXPECT_EQ(full.status(), agent_proto::WS_FULL);
  EXPECT_FLOAT_EQ(full.load(), 1.0f);
  EXPECT_EQ(full.job_count(), 3u);
  auto open =
      worker_status({.full = false, .load = 0.25f, .job_count = 1, .draining = false}).update_worker();
  EXPECT_EQ(open.status(), agent_proto::WS_AVAILABLE);
}

TEST(AgentWorkerProtocol, MessagesSurviveTheWire) {
  auto bytes = serialize(job_status("AJ_1", agent_proto::JS_FAILED, "room leg not wired"));
  agent_proto::WorkerMessage back;
  ASSERT_TRUE(back.ParseFromString(bytes));
  EXPECT_EQ(back.update_job().job_id(), "AJ_1");
  EXPECT_EQ(back.update_job().status(), agent_proto::JS_FAILED);
  EXPECT_EQ(back.update_job().error(), "room leg not wired");
}

TEST(AgentWorkerProtocol, GarbageIsNotAServerMessage) {
  EXPECT_FALSE(
      parse_server_message(std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11)).has_value());
  EXPECT_FALSE(
      parse_server_message(std::string("\x0a\x7f", 2)).has_value());  // a field longer than the frame
}

TEST(AgentWorkerProtocol, AMessageOfANewerProtocolParsesAsUnset) {
  // Field 99, length-delimited: a oneof case this protocol version does not know.
  auto message = parse_server_message(std::string("\x9a\x06\x02hi", 5));
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message_name(*message), "unset");
}

TEST(AgentWorkerProtocol, AnAssignmentBecomesAPlainJob) {
  agent_proto::JobAssignment assignment;
  auto& job = *assignment.mutable_job();
  job.set_id("AJ_1");
  job.set_agent_name("voice-agent");
  job.set_metadata(R"({"flow":"main"})");
  job.set_dispatch_id("AD_1");
  job.mutable_room()->set_name("call-_79991234567_abc");
  job.mutable_room()->set_sid("RM_1");
  assignment.set_token("eyJ...");
  auto out = agent_job(assignment, "https://lk.example.com", "agent-AJ_1");
  EXPECT_EQ(out.id, "AJ_1");
  EXPECT_EQ(out.room_name, "call-_79991234567_abc");
  EXPECT_EQ(out.room_sid, "RM_1");
  EXPECT_EQ(out.token, "eyJ...");
  EXPECT_EQ(out.url, "wss://lk.example.com");  // rooms are joined over WebSocket
  EXPECT_EQ(out.agent_name, "voice-agent");
  EXPECT_EQ(out.metadata, R"({"flow":"main"})");
  EXPECT_EQ(out.dispatch_id, "AD_1");
  EXPECT_EQ(out.agent_identity, "agent-AJ_1");
  EXPECT_EQ(out.target_identity, "");

  assignment.set_url("wss://edge.example.com");
  job.mutable_participant()->set_identity("sip_79991234567");
  out = agent_job(assignment, "https://lk.example.com", "agent-AJ_1");
  EXPECT_EQ(out.url, "wss://edge.example.com");
  EXPECT_EQ(out.target_identity, "sip_79991234567");
}

TEST(WebSocketTarget, AppendsTheEndpointToTheServersPath) {
  std::string error;
  auto t = WebSocketTarget::parse("wss://lk.example.com/prefix/", "/agent", error);
  ASSERT_TRUE(t.has_value()) << error;
  EXPECT_TRUE(t->tls);
  EXPECT_EQ(t->host, "lk.example.com");
  EXPECT_EQ(t->port, 443);
  EXPECT_EQ(t->path, "/prefix/agent");
  t = WebSocketTarget::parse("http://127.0.0.1:7880", "/agent", error);
  ASSERT_TRUE(t.has_value()) << error;
  EXPECT_FALSE(t->tls);
  EXPECT_EQ(t->to_string(), "ws://127.0.0.1:7880/agent");
  EXPECT_FALSE(WebSocketTarget::parse("ftp://x", "/agent", error).has_value());
  EXPECT_THAT(error, ::testing::HasSubstr("ftp"));
}

}  // namespace
}  // namespace va::livekit
