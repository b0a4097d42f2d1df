// Blind transfer by REFER (RFC 3515) — the SipCall methods that implement media::CallLeg::transfer():
//   REFER with Refer-To (a phone number becomes sip:<number>@<the peer's host>) and Referred-By (RFC 3892);
//   202 Accepted (or 200) → the implicit "refer" subscription is active; any other final status → the
//   transfer failed, the call goes on;
//   NOTIFY (Event: refer, message/sipfrag bodies "SIP/2.0 100 Trying", "SIP/2.0 200 OK", ...) → 200, and
//   CallLegObserver::on_transfer_progress(status, final); final = a final sipfrag status or
//   Subscription-State: terminated (RFC 6665 §4.1.3);
//   a final 2xx → BYE, EndReason::transferred; a final failure → the call goes on.
#include <cctype>

#include "common/log.hpp"
#include "sip/response.hpp"
#include "sip/ua/request_bodies.hpp"
#include "sip/ua/sip_call.hpp"

namespace va::sip {
namespace {

bool is_phone_number(std::string_view target) {
  if (target.empty()) return false;
  for (char c : target) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '+' && c != '*' && c != '#' && c != '-' &&
        c != '.' && c != '(' && c != ')' && c != ' ')
      return false;
  }
  return true;
}

}  // namespace

void SipCall::transfer(const std::string& target) {
  auto fail = [this, &target](int status, std::string_view why) {
    log::warn("sip: transfer not started",
              {{"call_id", info_.call_id}, {"target", target}, {"why", std::string(why)}});
    if (observer_) observer_->on_transfer_progress(status, true);
  };
  if (state_ != State::confirmed || !dialog_) return fail(481, "no confirmed dialog");
  if (transfer_) return fail(491, "a transfer is already in progress");

  std::string refer_to;
  if (target.starts_with("sip:") || target.starts_with("sips:") || target.starts_with("tel:")) {
    auto uri = parse_uri(target);
    if (!uri) return fail(400, "not a URI: " + uri.error().to_string());
    refer_to = uri->to_string();
  } else if (is_phone_number(target)) {
    std::string user;
    for (char c : target) {
      if (c != '-' && c != '.' && c != '(' && c != ')' && c != ' ')
        user += c;  // visual separators (RFC 3966 §5.1.1)
    }
    Uri uri;
    uri.scheme = UriScheme::sip;
    uri.scheme_name = "sip";
    uri.user = user;
    uri.host = dialog_->remote_target().host;
    uri.host_kind = dialog_->remote_target().host_kind;
    uri.port = dialog_->remote_target().port;
    refer_to = uri.to_string();
  } else {
    return fail(400, "neither a phone number nor a SIP URI");
  }

  auto refer = dialog_->make_request("REFER");
  refer.add_header("Refer-To", "<" + refer_to + ">");
  // RFC 3892: who asked for the transfer (our side of the dialog).
  refer.add_header("Referred-By", "<" + dialog_->local_uri().uri.to_string() + ">");
  add_capability_headers(refer);
  transfer_ = Transfer{refer_to, false, 0};
  log::info("sip: sending REFER", {{"call_id", info_.call_id}, {"refer_to", refer_to}});
  send_in_dialog(std::move(refer), [this](const ClientResponse& response) { on_refer_response(response); });
}

void SipCall::on_refer_response(const ClientResponse& response) {
  if (state_ == State::ended || !transfer_) return;
  int status = response.message.status();
  if (status >= 200 && status < 300) {
    transfer_->accepted = true;
    log::info("sip: REFER accepted", {{"call_id", info_.call_id}, {"status", status}});
    return;
  }
  log::info("sip: REFER refused", {{"call_id", info_.call_id}, {"status", status}});
  if (status == 481 || status == 408) {
    // §12.2.1.2: the dialog is gone.
    transfer_done(status);
    return finish(media::EndReason::error, status, "REFER " + std::to_string(status));
  }
  transfer_done(status);
}

void SipCall::on_notify(const ServerTransactionHandle& transaction) {
  const auto& request = transaction.request();
  auto event = request.header(HeaderId::event).value_or("");
  auto package = event.substr(0, event.find(';'));
  while (!package.empty() && package.back() == ' ') package.remove_suffix(1);
  if (package != "refer" || !transfer_) {
    // RFC 6665 §4.1.3: a NOTIFY for a subscription we do not have.
    transaction.respond(481, "Subscription Does Not Exist");
    return;
  }
  auto type = request.content_type();
  std::optional<int> status;
  if (type && type->is("message", "sipfrag")) status = sipfrag_status(request.body());
  auto state = request.header(HeaderId::subscription_state).value_or("");
  bool terminated = state.substr(0, state.find(';')).starts_with("terminated");
  if (!status && !terminated) {
    transaction.respond(400, "Bad sipfrag");
    return;
  }
  transaction.respond(200);
  if (status) transfer_->last_status = *status;
  bool final = terminated || (status && *status >= 200);
  int reported = status.value_or(transfer_->last_status);
  log::info("sip: transfer progress", {{"call_id", info_.call_id}, {"status", reported}, {"final", final}});
  if (!final) {
    if (observer_) observer_->on_transfer_progress(reported, false);
    return;
  }
  // Terminated without any final status: the transfer did not complete (RFC 3515 §2.4.7).
  transfer_done(reported >= 200 ? reported : 487);
}

void SipCall::transfer_done(int status) {
  auto target = transfer_ ? transfer_->target : std::string();
  transfer_.reset();
  if (observer_) observer_->on_transfer_progress(status, true);
  if (state_ == State::ended) return;
  if (status >= 200 && status < 300) {
    log::info("sip: transfer completed", {{"call_id", info_.call_id}, {"target", target}});
    send_bye(media::EndReason::transferred, target);
    return finish(media::EndReason::transferred, status, "transferred to " + target);
  }
  log::info("sip: transfer failed, the call goes on", {{"call_id", info_.call_id}, {"status", status}});
}

}  // namespace va::sip
