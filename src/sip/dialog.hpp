// A SIP dialog (RFC 3261 §12) as the UAS of an INVITE creates it: its id (Call-ID, our tag, the peer's tag),
// the peer's target (Contact), the route set (Record-Route, §12.1.1), and both CSeq spaces. It builds our
// in-dialog requests (§12.2.1.1, loose and strict routing) and checks the peer's (§12.2.2).
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

  // Headers our 2xx to the INVITE must carry (§12.1.1): every Record-Route of the request, in order, and our
  // Contact.
  static void add_dialog_headers(const Message& invite, const Address& local_contact, Message& response);

 private:
  Dialog() = default;

  DialogId id_;
  Address local_;
  Address remote_;
  Uri remote_target_;
  std::vector<Address> route_set_;
  Address local_contact_;
  std::uint32_t local_cseq_ = 0;
  std::optional<std::uint32_t> remote_cseq_;
};

}  // namespace va::sip
