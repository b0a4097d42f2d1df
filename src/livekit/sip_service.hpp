// livekit.SIP: trunks and dispatch rules (what `voice-agent provision` manages), outbound calls placed by
// the LiveKit SIP bridge (CreateSIPParticipant) and transfers (TransferSIPParticipant). Every SIP API needs
// Redis on the server; without it the error carries a hint saying so (twirp_client.cpp).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "livekit/room_service.hpp"
#include "livekit/sip_types.hpp"
#include "livekit/twirp_client.hpp"

namespace va::livekit {

struct CreateSipParticipantRequest {
  std::string sip_trunk_id;
  std::string sip_call_to;  // the number to call
  std::string sip_number;   // caller ID; empty: the trunk's
  std::string room_name;
  std::string participant_identity;
  std::string participant_name;
  std::string participant_metadata;
  StringMap participant_attributes;
  StringMap headers;
  std::string dtmf;  // sent after answer, 'w' = 0.5 s pause
  bool play_dialtone = false;
  bool wait_until_answered =
      false;  // the call returns when the callee answers (or fails with the SIP status)
  std::optional<std::chrono::seconds> ringing_timeout;
  std::optional<std::chrono::seconds> max_call_duration;
};

struct SipParticipant {
  std::string participant_id;
  std::string participant_identity;
  std::string room_name;
  std::string sip_call_id;
};

struct TransferSipParticipantRequest {
  std::string room_name;
  std::string participant_identity;
  std::string transfer_to;  // "sip:..." or "tel:..."
  bool play_dialtone = false;
  StringMap headers;
};

class SipService {
 public:
  explicit SipService(TwirpClient& client) : client_(client) {}

  ApiResult<SipInboundTrunk> create_inbound_trunk(const SipInboundTrunk& trunk);
  ApiResult<SipInboundTrunk> update_inbound_trunk(const SipInboundTrunk& trunk);  // replaces, by trunk.id
  ApiResult<SipInboundTrunk> get_inbound_trunk(const std::string& id);
  ApiResult<std::vector<SipInboundTrunk>> list_inbound_trunks();

  ApiResult<SipOutboundTrunk> create_outbound_trunk(const SipOutboundTrunk& trunk);
  ApiResult<SipOutboundTrunk> update_outbound_trunk(const SipOutboundTrunk& trunk);
  ApiResult<SipOutboundTrunk> get_outbound_trunk(const std::string& id);
  ApiResult<std::vector<SipOutboundTrunk>> list_outbound_trunks();

  ApiResult<Empty> delete_trunk(const std::string& id);

  ApiResult<SipDispatchRule> create_dispatch_rule(const SipDispatchRule& rule);
  ApiResult<SipDispatchRule> update_dispatch_rule(const SipDispatchRule& rule);  // replaces, by rule.id
  ApiResult<std::vector<SipDispatchRule>> list_dispatch_rules();
  ApiResult<Empty> delete_dispatch_rule(const std::string& id);

  ApiResult<SipParticipant> create_participant(const CreateSipParticipantRequest& request);
  ApiResult<Empty> transfer_participant(const TransferSipParticipantRequest& request);

 private:
  TwirpClient& client_;
};

}  // namespace va::livekit
