#include "app/call_control.hpp"

#include <boost/asio/post.hpp>

#include "calls/orchestrator.hpp"
#include "common/log.hpp"
#include "sip/ua/user_agent.hpp"

namespace va::app {
namespace {

using calls::ControlError;

ControlError not_found(const std::string& call_id) {
  return {ControlError::Kind::not_found, "no live call " + call_id + " on this instance"};
}

// "+79161234567", "79161234567", "0123": what a trunk dials. Separators are the caller's to remove.
bool is_phone_number(const std::string& s) {
  std::size_t digits = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+' && i == 0) continue;
    if (s[i] < '0' || s[i] > '9') return false;
    ++digits;
  }
  return digits >= 2 && digits <= 20;
}

std::string host_port(const std::string& host, std::int64_t port) {
  bool v6 = host.find(':') != std::string::npos && host.front() != '[';
  auto h = v6 ? "[" + host + "]" : host;
  return port > 0 ? h + ":" + std::to_string(port) : h;
}

}  // namespace

Result<OutboundTarget, std::string> outbound_target(const config::Config& cfg, const std::string& to,
                                                    const std::string& trunk_name, const std::string& from) {
  OutboundTarget t;
  const std::string caller_id = from.empty() ? cfg.routing.outbound.caller_id : from;
  if (to.starts_with("sip:") || to.starts_with("sips:")) {
    t.uri = to;
    if (!caller_id.empty())
      t.from = caller_id.starts_with("sip") ? caller_id : "sip:" + caller_id + "@voice-agent";
    return t;
  }
  if (!is_phone_number(to)) return std::string("to: '" + to + "' is neither a phone number nor a sip: URI");
  auto name = trunk_name.empty() ? cfg.routing.outbound.trunk : trunk_name;
  if (name.empty() && cfg.sip.trunks.size() == 1) name = cfg.sip.trunks.front().name;
  if (name.empty())
    return std::string("no trunk to call " + to +
                       " through: name one (trunk) or set routing.outbound.trunk, or dial a sip: URI");
  const config::Trunk* trunk = nullptr;
  for (const auto& candidate : cfg.sip.trunks)
    if (candidate.name == name) trunk = &candidate;
  if (!trunk) return std::string("no trunk named '" + name + "' in sip.trunks");
  t.trunk = trunk->name;
  std::string host;
  if (trunk->mode == config::TrunkMode::register_) {
    host = host_port(trunk->registrar, trunk->port);
    t.outbound_proxy = trunk->outbound_proxy;
    t.username = trunk->username;
    t.password = trunk->password;
  } else {
    // A static-IP trunk sends calls from its addresses; ours go to the first single address of them.
    for (const auto& a : trunk->allowed_addresses) {
      if (a.find('/') == std::string::npos) {
        host = host_port(a, trunk->port);
        break;
      }
    }
    if (host.empty())
      return std::string("trunk '" + name +
                         "' lists only address ranges: no single address to send calls to");
  }
  std::string params = trunk->transport == config::Transport::tcp   ? ";transport=tcp"
                       : trunk->transport == config::Transport::tls ? ";transport=tls"
                                                                    : "";
  t.uri = "sip:" + to + "@" + host + params;
  auto user = caller_id.empty() ? trunk->username : caller_id;
  if (user.empty()) user = "voice-agent";
  t.from = "sip:" + user + "@" + (trunk->mode == config::TrunkMode::register_ ? trunk->registrar : host);
  return t;
}

LiveCallControl::LiveCallControl(const config::Config& cfg) : cfg_(cfg) {}

std::shared_ptr<LiveCallControl::Slot> LiveCallControl::attach(const std::string& call_id,
                                                               boost::asio::any_io_executor executor,
                                                               media::CallLeg& leg) {
  auto slot = std::make_shared<Slot>();
  slot->leg = &leg;
  std::lock_guard lock(mutex_);
  live_[call_id] = {std::move(executor), slot};
  return slot;
}

void LiveCallControl::detach(const std::string& call_id, const std::shared_ptr<Slot>& slot) {
  if (!slot) return;
  slot->leg = nullptr;
  std::lock_guard lock(mutex_);
  auto it = live_.find(call_id);
  if (it != live_.end() && it->second.slot == slot) live_.erase(it);
}

std::optional<LiveCallControl::Live> LiveCallControl::find(const std::string& call_id) {
  std::lock_guard lock(mutex_);
  auto it = live_.find(call_id);
  if (it == live_.end()) return std::nullopt;
  return it->second;
}

void LiveCallControl::set_sip(sip::UserAgent* user_agent) {
  std::lock_guard lock(mutex_);
  user_agent_ = user_agent;
}

void LiveCallControl::set_draining() {
  std::lock_guard lock(mutex_);
  draining_ = true;
}

calls::ControlStatus LiveCallControl::hang_up(const std::string& call_id) {
  auto live = find(call_id);
  if (!live) return not_found(call_id);
  log::info("admin: hanging up a call", {{"call_id", call_id}});
  boost::asio::post(live->executor, [slot = live->slot] {
    if (slot->leg) slot->leg->hangup(media::EndReason::local_hangup);
  });
  return std::nullopt;
}

calls::ControlStatus LiveCallControl::transfer(const std::string& call_id, const std::string& target) {
  if (!target.starts_with("sip:") && !target.starts_with("sips:") && !is_phone_number(target))
    return ControlError{ControlError::Kind::invalid,
                        "target: '" + target + "' is neither a phone number nor a sip: URI"};
  auto live = find(call_id);
  if (!live) return not_found(call_id);
  log::info("admin: transferring a call", {{"call_id", call_id}, {"target", target}});
  boost::asio::post(live->executor, [slot = live->slot, target, call_id] {
    if (!slot->leg) return;
    if (!slot->answered) {
      log::warn("admin: transfer of a call not answered yet: ignored", {{"call_id", call_id}});
      return;
    }
    slot->leg->transfer(target);
  });
  return std::nullopt;
}

Result<calls::Originated, ControlError> LiveCallControl::originate(const calls::OriginateRequest& request) {
  sip::UserAgent* user_agent = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (draining_) return ControlError{ControlError::Kind::unavailable, "draining: no new calls"};
    user_agent = user_agent_;
  }
  if (!user_agent)
    return ControlError{ControlError::Kind::unavailable, "no SIP endpoint (sip.listen) to place calls from"};
  auto target = outbound_target(cfg_, request.to, request.trunk, request.from);
  if (!target.ok()) return ControlError{ControlError::Kind::invalid, target.error()};
  sip::OutboundCallRequest call;
  call.target = target->uri;
  call.from = target->from;
  call.outbound_proxy = target->outbound_proxy;
  if (!target->username.empty()) call.credentials = sip::UacCredentials{target->username, target->password};
  call.flow = request.flow;
  if (call.flow.empty())
    call.flow = cfg_.routing.inbound.empty() ? "main" : cfg_.routing.inbound.front().flow;
  call.trunk = target->trunk;
  call.record_id = calls::new_call_id();
  auto record_id = call.record_id;
  auto placed = user_agent->place_call(std::move(call));
  if (!placed.ok()) return ControlError{ControlError::Kind::invalid, placed.error};
  log::info("admin: call placed",
            {{"call_id", record_id}, {"sip_call_id", placed.call_id}, {"trunk", target->trunk}});
  return calls::Originated{record_id, placed.call_id};
}

}  // namespace va::app
