// A SIP dialog (RFC 3261 §12) as the UAS of an INVITE (§12.1.1) or its UAC (§12.1.2) creates it: its id
// (Call-ID, our tag, the peer's tag), the peer's target (Contact), the route set (Record-Route: in order for
// the UAS, reversed for the UAC), and both CSeq spaces. A UAC dialog is early when a tagged 1xx created it
// and becomes confirmed with the 2xx (§13.2.2.4). It builds our in-dialog requests (§12.2.1.1, loose and
// strict routing) and the ACK of a 2xx, and checks the peer's requests (§12.2.2).
//
// A value type without threads or I/O: the user agent keeps one per call on the call's thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/address.hpp"
#include "sip/message.hpp"
#include "sip/uri.hpp"

namespace va::sip {

struct DialogId {
  std::string call_id;
  std::string local_tag;
  std::string remote_tag;

  // The key of the user agent's dialog table: Call-ID and our tag identify the dialog on our side (the
  // peer's tag is checked separately; a request without it cannot be in this dialog).
  std::string key() const { return call_id + '\n' + local_tag; }
  friend bool operator==(const DialogId&, const DialogId&) = default;
};

// The dialog table key of a request received in a dialog we hold as UAS: Call-ID and the To tag (our tag).
std::optional<std::string> dialog_key_of_request(const Message& request);

enum class RemoteCSeqCheck : std::uint8_t {
  in_order,      // newer than the last one: accepted and remembered
  out_of_order,  // lower than the last one: 500 Server Internal Error (§12.2.2)
};

class Dialog {
 public:
  // §12.1.1: the dialog an INVITE creates when we answer it with a tagged response. Fails when the INVITE
  // lacks what a dialog needs (From tag, Contact, CSeq).
  static Result<Dialog> create_uas(const Message& invite, std::string local_tag, Address local_contact);
  // §12.1.2: the dialog our INVITE `request` gets from `response` — a 1xx with a To tag (an early dialog)
  // or a 2xx (confirmed). The remote target is the response's Contact (optional in a 1xx), the route set
  // its Record-Route in reverse order, the local CSeq the INVITE's. Fails on a response without a To tag,
  // a 2xx without a Contact, or a request without From tag / Call-ID / CSeq.
  static Result<Dialog> create_uac(const Message& request, const Message& response, Address local_contact);

  bool early() const { return early_; }
  // §13.2.2.4 / §12.1.2: the 2xx confirms an early dialog; its Contact and Record-Route replace the remote
  // target and the route set. Returns false when the 2xx lacks a Contact (the dialog stays as it was).
  bool confirm(const Message& response_2xx);
  // §12.2.1.2: a 2xx to our target refresh request (re-INVITE, UPDATE) replaces the remote target.
  void refresh_target_from_response(const Message& response_2xx) { refresh_target(response_2xx); }

  const DialogId& id() const { return id_; }
  const Address& local_uri() const { return local_; }
  const Address& remote_uri() const { return remote_; }
  const Uri& remote_target() const { return remote_target_; }
  const std::vector<Address>& route_set() const { return route_set_; }
  const Address& local_contact() const { return local_contact_; }
  std::uint32_t local_cseq() const { return local_cseq_; }
  std::optional<std::uint32_t> remote_cseq() const { return remote_cseq_; }

  // §12.2.2. ACK and CANCEL carry the CSeq of their INVITE and are not checked.
  RemoteCSeqCheck check_remote_cseq(const Message& request);
  // A target refresh request (re-INVITE, UPDATE) with a Contact replaces the remote target (§12.2.2).
  void refresh_target(const Message& request);

  // §12.2.1.1: a new request in the dialog with the next local CSeq (From ours, To the peer's, Request-URI
  // and Route by the route set, Contact ours). The transaction layer adds Via and Max-Forwards.
  Message make_request(std::string_view method);
  // §13.2.2.4: the ACK of the 2xx to our INVITE with CSeq `invite_cseq`: routed like make_request, with the
  // INVITE's CSeq number and no new local CSeq.
  Message make_ack(std::uint32_t invite_cseq) const;
  // The local CSeq a retried request takes (an INVITE re-sent with credentials, §22.2): the next number.
  std::uint32_t next_local_cseq() { return ++local_cseq_; }

  // Headers our 2xx to the INVITE must carry (§12.1.1): every Record-Route of the request, in order, and our
  // Contact.
  static void add_dialog_headers(const Message& invite, const Address& local_contact, Message& response);

 private:
  Dialog() = default;
  Message make_routed(std::string_view method, std::uint32_t cseq) const;

  DialogId id_;
  Address local_;
  Address remote_;
  Uri remote_target_;
  std::vector<Address> route_set_;
  Address local_contact_;
  std::uint32_t local_cseq_ = 0;
  std::optional<std::uint32_t> remote_cseq_;
  bool early_ = false;
};

}  // namespace va::sip
