#include "sip/bad_request.hpp"

#include "sip/header_section.hpp"
#include "sip/identifiers.hpp"
#include "sip/response.hpp"
#include "sip/syntax.hpp"

namespace va::sip {

namespace {

// Bounds the salvage work on hostile input; real requests have far fewer header fields.
constexpr std::size_t kMaxSalvagedFields = 512;

bool clean(std::string_view value) {
  for (char c : value) {
    auto b = static_cast<unsigned char>(c);
    if ((b < 0x20 && c != '\t') || b == 0x7f) return false;
  }
  return true;
}

bool salvageable(const Header& h) {
  if (!clean(h.value)) return false;
  switch (h.id) {
    case HeaderId::via:
      return parse_via_list(h.value).ok();
    case HeaderId::from:
    case HeaderId::to:
      return parse_address(h.value).ok();
    case HeaderId::call_id:
      return is_call_id(h.value);
    case HeaderId::cseq:
      return parse_cseq(h.value).ok();
    default:
      return true;
  }
}

}  // namespace

std::optional<Message> make_bad_request_response(std::string_view raw, const ParseError& error) {
  std::size_t start = skip_leading_line_breaks(raw);
  Line first = read_line(raw, start);
  if (!first.terminated) return std::nullopt;
  std::string_view line = first.text;
  if (line.size() >= 4 && iequals(line.substr(0, 4), "SIP/")) return std::nullopt;  // a response
  std::string_view method = line.substr(0, line.find(' '));
  if (!is_token(method) || method == "ACK") return std::nullopt;

  // Lenient pass over the header fields: keep the first From, To, Call-ID and CSeq and every Via; anything
  // else, including lines that are not header fields at all, is skipped.
  Message request = Message::request(std::string(method), Uri{});
  HeaderFieldReader reader(raw, first.next);
  RawHeaderField field;
  for (std::size_t n = 0; n < kMaxSalvagedFields && reader.next(field); ++n) {
    if (!field.has_colon || field.leading_ws || !is_token(field.name)) continue;
    HeaderId id = header_id(field.name);
    if (id != HeaderId::via && id != HeaderId::from && id != HeaderId::to && id != HeaderId::call_id &&
        id != HeaderId::cseq)
      continue;
    if (id != HeaderId::via && request.find(id) != nullptr) continue;
    Header h = Header::make(field.name, field.folded ? unfold(field.value) : std::string(trim(field.value)));
    if (!salvageable(h)) return std::nullopt;
    request.add_header(std::move(h));
  }
  for (HeaderId id : {HeaderId::via, HeaderId::from, HeaderId::to, HeaderId::call_id, HeaderId::cseq})
    if (request.find(id) == nullptr) return std::nullopt;

  if (error.code == ParseErrorCode::bad_version) return make_response(request, 505, {}, generate_tag());
  return make_response(request, 400, error.reason_phrase(), generate_tag());
}

}  // namespace va::sip
