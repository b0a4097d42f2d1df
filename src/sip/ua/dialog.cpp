#include "sip/ua/dialog.hpp"

#include "sip/identifiers.hpp"

namespace va::sip {

std::optional<std::string> dialog_key_of_request(const Message& request) {
  auto call_id = request.call_id();
  auto to = request.to();
  if (!call_id || !to) return std::nullopt;
  auto tag = to->tag();
  if (!tag || tag->empty()) return std::nullopt;
  return std::string(*call_id) + '\n' + std::string(*tag);
}

Result<Dialog> Dialog::create_uas(const Message& invite, std::string local_tag, Address local_contact) {
  auto call_id = invite.call_id();
  if (!call_id) return call_id.error();
  auto from = invite.from();
  if (!from) return from.error();
  auto to = invite.to();
  if (!to) return to.error();
  auto cseq = invite.cseq();
  if (!cseq) return cseq.error();
  auto contacts = invite.contacts();
  if (!contacts) return contacts.error();
  if (contacts->wildcard || contacts->addresses.empty()) {
    return ParseError{ParseErrorCode::missing_header, "an INVITE must carry one Contact (§8.1.1.8)",
                      "Contact"};
  }
  auto record_routes = invite.record_routes();
  if (!record_routes) return record_routes.error();

  Dialog d;
  d.id_.call_id = std::string(*call_id);
  d.id_.local_tag = std::move(local_tag);
  d.id_.remote_tag = std::string(from->tag().value_or(std::string_view{}));
  d.remote_ = *from;
  d.local_ = *to;
  d.local_.params.set("tag", d.id_.local_tag);
  d.remote_target_ = contacts->addresses.front().uri;
  // §12.1.1: the UAS route set is the Record-Route list in order.
  d.route_set_ = std::move(*record_routes);
  d.remote_cseq_ = cseq->number;
  d.local_contact_ = std::move(local_contact);
  // §8.1.1.5: any value below 2^31; random so a restarted process does not reuse numbers.
  d.local_cseq_ = static_cast<std::uint32_t>(std::stoul(random_hex(3), nullptr, 16)) + 1;
  return d;
}

Result<Dialog> Dialog::create_uac(const Message& request, const Message& response, Address local_contact) {
  auto call_id = request.call_id();
  if (!call_id) return call_id.error();
  auto from = request.from();
  if (!from) return from.error();
  auto cseq = request.cseq();
  if (!cseq) return cseq.error();
  auto to = response.to();
  if (!to) return to.error();
  auto remote_tag = to->tag();
  if (!remote_tag || remote_tag->empty()) {
    return ParseError{ParseErrorCode::missing_header, "a response creating a dialog must tag To (§12.1.1)",
                      "To"};
  }
  auto local_tag = from->tag();
  if (!local_tag || local_tag->empty()) {
    return ParseError{ParseErrorCode::missing_header, "our request has no From tag (§8.1.1.3)", "From"};
  }
  auto contacts = response.contacts();
  if (!contacts) return contacts.error();
  bool early = response.status() < 200;
  if (!early && (contacts->wildcard || contacts->addresses.empty())) {
    return ParseError{ParseErrorCode::missing_header, "a 2xx to INVITE must carry one Contact (§13.3.1.4)",
                      "Contact"};
  }
  auto record_routes = response.record_routes();
  if (!record_routes) return record_routes.error();

  Dialog d;
  d.id_.call_id = std::string(*call_id);
  d.id_.local_tag = std::string(*local_tag);
  d.id_.remote_tag = std::string(*remote_tag);
  d.local_ = *from;
  d.remote_ = *to;
  // Until a Contact arrives (a 1xx may lack one) requests go where the INVITE went.
  d.remote_target_ = (contacts->wildcard || contacts->addresses.empty()) ? request.request_uri()
                                                                         : contacts->addresses.front().uri;
  // §12.1.2: the UAC route set is the Record-Route list in reverse order.
  d.route_set_.assign(record_routes->rbegin(), record_routes->rend());
  d.local_cseq_ = cseq->number;
  d.local_contact_ = std::move(local_contact);
  d.early_ = early;
  return d;
}

bool Dialog::confirm(const Message& response_2xx) {
  auto contacts = response_2xx.contacts();
  if (!contacts || contacts->wildcard || contacts->addresses.empty()) return false;
  auto record_routes = response_2xx.record_routes();
  if (!record_routes) return false;
  remote_target_ = contacts->addresses.front().uri;
  if (early_) route_set_.assign(record_routes->rbegin(), record_routes->rend());
  early_ = false;
  return true;
}

RemoteCSeqCheck Dialog::check_remote_cseq(const Message& request) {
  auto method = request.method();
  if (method == Method::ack || method == Method::cancel) return RemoteCSeqCheck::in_order;
  auto cseq = request.cseq();
  if (!cseq) return RemoteCSeqCheck::out_of_order;
  if (remote_cseq_ && cseq->number <= *remote_cseq_) {
    // Equal numbers are retransmissions, which the transaction layer absorbed; what reaches us with an old
    // number is out of order.
    return RemoteCSeqCheck::out_of_order;
  }
  remote_cseq_ = cseq->number;
  return RemoteCSeqCheck::in_order;
}

void Dialog::refresh_target(const Message& request) {
  auto contacts = request.contacts();
  if (contacts && !contacts->wildcard && !contacts->addresses.empty()) {
    remote_target_ = contacts->addresses.front().uri;
  }
}

Message Dialog::make_request(std::string_view method) {
  ++local_cseq_;
  auto request = make_routed(method, local_cseq_);
  request.add_header("Contact", local_contact_.to_string());
  return request;
}

Message Dialog::make_ack(std::uint32_t invite_cseq) const {
  return make_routed("ACK", invite_cseq);
}

Message Dialog::make_routed(std::string_view method, std::uint32_t cseq) const {
  Uri request_uri = remote_target_;
  std::vector<Address> routes = route_set_;
  if (!routes.empty() && !routes.front().uri.loose_route()) {
    // §12.2.1.1 strict routing: the first route becomes the Request-URI, the remote target the last Route.
    request_uri = routes.front().uri;
    request_uri.headers.clear();
    routes.erase(routes.begin());
    routes.push_back(Address{{}, remote_target_, {}});
  }
  auto request = Message::request(std::string(method), request_uri);
  for (const auto& route : routes) request.add_header("Route", route.to_string());
  request.add_header("From", local_.to_string());
  request.add_header("To", remote_.to_string());
  request.add_header("Call-ID", id_.call_id);
  request.add_header("CSeq", std::to_string(cseq) + " " + std::string(method));
  return request;
}

void Dialog::add_dialog_headers(const Message& invite, const Address& local_contact, Message& response) {
  for (const auto& header : invite.headers()) {
    if (header.is("Record-Route")) response.add_header("Record-Route", header.value);
  }
  response.set_header("Contact", local_contact.to_string());
}

}  // namespace va::sip
