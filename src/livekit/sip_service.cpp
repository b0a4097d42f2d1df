#include "livekit/sip_service.hpp"

#include "livekit/json_fields.hpp"
#include "livekit/service_call.hpp"

namespace va::livekit {
namespace {

namespace jf = json_fields;
constexpr std::string_view kService = "livekit.SIP";

std::string seconds(std::chrono::seconds s) {
  return std::to_string(s.count()) + "s";  // google.protobuf.Duration in JSON
}

}  // namespace

ApiResult<SipInboundTrunk> SipService::create_inbound_trunk(const SipInboundTrunk& trunk) {
  return typed_result<SipInboundTrunk>(
      client_.call(kService, "CreateSIPInboundTrunk", {{"trunk", to_json(trunk)}}, sip_admin_grants(),
                   Idempotency::write),
      inbound_trunk_from_json);
}

ApiResult<SipInboundTrunk> SipService::update_inbound_trunk(const SipInboundTrunk& trunk) {
  return typed_result<SipInboundTrunk>(client_.call(kService, "UpdateSIPInboundTrunk",
                                                    {{"sip_trunk_id", trunk.id}, {"replace", to_json(trunk)}},
                                                    sip_admin_grants(), Idempotency::write),
                                       inbound_trunk_from_json);
}

ApiResult<SipInboundTrunk> SipService::get_inbound_trunk(const std::string& id) {
  auto result = client_.call(kService, "GetSIPInboundTrunk", {{"sip_trunk_id", id}}, sip_admin_grants(),
                             Idempotency::read);
  if (!result.ok()) return result.error();
  const auto* trunk = jf::find(result.value(), {"trunk"});
  return inbound_trunk_from_json(trunk != nullptr ? *trunk : nlohmann::json::object());
}

ApiResult<std::vector<SipInboundTrunk>> SipService::list_inbound_trunks() {
  return typed_list<SipInboundTrunk>(client_.call(kService, "ListSIPInboundTrunk", nlohmann::json::object(),
                                                  sip_admin_grants(), Idempotency::read),
                                     {"items"}, inbound_trunk_from_json);
}

ApiResult<SipOutboundTrunk> SipService::create_outbound_trunk(const SipOutboundTrunk& trunk) {
  return typed_result<SipOutboundTrunk>(
      client_.call(kService, "CreateSIPOutboundTrunk", {{"trunk", to_json(trunk)}}, sip_admin_grants(),
                   Idempotency::write),
      outbound_trunk_from_json);
}

ApiResult<SipOutboundTrunk> SipService::update_outbound_trunk(const SipOutboundTrunk& trunk) {
  return typed_result<SipOutboundTrunk>(
      client_.call(kService, "UpdateSIPOutboundTrunk",
                   {{"sip_trunk_id", trunk.id}, {"replace", to_json(trunk)}}, sip_admin_grants(),
                   Idempotency::write),
      outbound_trunk_from_json);
}

ApiResult<SipOutboundTrunk> SipService::get_outbound_trunk(const std::string& id) {
  auto result = client_.call(kService, "GetSIPOutboundTrunk", {{"sip_trunk_id", id}}, sip_admin_grants(),
                             Idempotency::read);
  if (!result.ok()) return result.error();
  const auto* trunk = jf::find(result.value(), {"trunk"});
  return outbound_trunk_from_json(trunk != nullptr ? *trunk : nlohmann::json::object());
}

ApiResult<std::vector<SipOutboundTrunk>> SipService::list_outbound_trunks() {
  return typed_list<SipOutboundTrunk>(client_.call(kService, "ListSIPOutboundTrunk", nlohmann::json::object(),
                                                   sip_admin_grants(), Idempotency::read),
                                      {"items"}, outbound_trunk_from_json);
}

ApiResult<Empty> SipService::delete_trunk(const std::string& id) {
  return no_result(client_.call(kService, "DeleteSIPTrunk", {{"sip_trunk_id", id}}, sip_admin_grants(),
                                Idempotency::write));
}

ApiResult<SipDispatchRule> SipService::create_dispatch_rule(const SipDispatchRule& rule) {
  return typed_result<SipDispatchRule>(
      client_.call(kService, "CreateSIPDispatchRule", {{"dispatch_rule", to_json(rule)}}, sip_admin_grants(),
                   Idempotency::write),
      dispatch_rule_from_json);
}

ApiResult<SipDispatchRule> SipService::update_dispatch_rule(const SipDispatchRule& rule) {
  return typed_result<SipDispatchRule>(
      client_.call(kService, "UpdateSIPDispatchRule",
                   {{"sip_dispatch_rule_id", rule.id}, {"replace", to_json(rule)}}, sip_admin_grants(),
                   Idempotency::write),
      dispatch_rule_from_json);
}

ApiResult<std::vector<SipDispatchRule>> SipService::list_dispatch_rules() {
  return typed_list<SipDispatchRule>(client_.call(kService, "ListSIPDispatchRule", nlohmann::json::object(),
                                                  sip_admin_grants(), Idempotency::read),
                                     {"items"}, dispatch_rule_from_json);
}

ApiResult<Empty> SipService::delete_dispatch_rule(const std::string& id) {
  return no_result(client_.call(kService, "DeleteSIPDispatchRule", {{"sip_dispatch_rule_id", id}},
                                sip_admin_grants(), Idempotency::write));
}

ApiResult<SipParticipant> SipService::create_participant(const CreateSipParticipantRequest& r) {
  nlohmann::json body{
      {"sip_trunk_id", r.sip_trunk_id}, {"sip_call_to", r.sip_call_to}, {"room_name", r.room_name}};
  auto put = [&body](const char* key, const std::string& value) {
    if (!value.empty()) body[key] = value;
  };
  put("sip_number", r.sip_number);
  put("participant_identity", r.participant_identity);
  put("participant_name", r.participant_name);
  put("participant_metadata", r.participant_metadata);
  put("dtmf", r.dtmf);
  if (!r.participant_attributes.empty()) body["participant_attributes"] = r.participant_attributes;
  if (!r.headers.empty()) body["headers"] = r.headers;
  if (r.play_dialtone) body["play_dialtone"] = true;
  if (r.wait_until_answered) body["wait_until_answered"] = true;
  if (r.ringing_timeout) body["ringing_timeout"] = seconds(*r.ringing_timeout);
  if (r.max_call_duration) body["max_call_duration"] = seconds(*r.max_call_duration);
  return typed_result<SipParticipant>(
      client_.call(kService, "CreateSIPParticipant", body, {std::nullopt, SipGrant{std::nullopt, true}},
                   Idempotency::write),
      [](const nlohmann::json& j) {
        return SipParticipant{jf::text(j, {"participant_id", "participantId"}),
                              jf::text(j, {"participant_identity", "participantIdentity"}),
                              jf::text(j, {"room_name", "roomName"}),
                              jf::text(j, {"sip_call_id", "sipCallId"})};
      });
}

ApiResult<Empty> SipService::transfer_participant(const TransferSipParticipantRequest& r) {
  nlohmann::json body{{"room_name", r.room_name},
                      {"participant_identity", r.participant_identity},
                      {"transfer_to", r.transfer_to}};
  if (r.play_dialtone) body["play_dialtone"] = true;
  if (!r.headers.empty()) body["headers"] = r.headers;
  VideoGrant video;
  video.room_admin = true;
  video.room = r.room_name;
  return no_result(client_.call(kService, "TransferSIPParticipant", body,
                                {video, SipGrant{std::nullopt, true}}, Idempotency::write));
}

}  // namespace va::livekit
