#include "sip/response.hpp"

#include <string>

namespace va::sip {

Message make_response(const Message& request, int status, std::string_view reason, std::string_view to_tag) {
  Message response = Message::response(status, std::string(reason));
  auto& out = response.mutable_headers();
  out.reserve(8);
  for (const auto& h : request.headers()) {
    switch (h.id) {
      case HeaderId::via:
      case HeaderId::from:
      case HeaderId::call_id:
      case HeaderId::cseq:
        out.push_back(h);
        break;
      case HeaderId::to: {
        Header to = h;
        if (!to_tag.empty()) {
          auto address = parse_address(h.value);
          // Appending keeps To byte-for-byte as received; the tag is a header parameter in both the
          // name-addr and the addr-spec form.
          if (address && !address->tag()) to.value += ";tag=" + std::string(to_tag);
        }
        out.push_back(std::move(to));
        break;
      }
      case HeaderId::timestamp:
        if (status == 100) out.push_back(h);
        break;
      default:
        break;
    }
  }
  return response;
}

}  // namespace va::sip
