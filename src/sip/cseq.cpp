#include "sip/cseq.hpp"

#include "sip/syntax.hpp"

namespace va::sip {

Result<CSeq> parse_cseq(std::string_view text) {
  text = trim(text);
  std::size_t i = 0;
  while (i < text.size() && is_digit(text[i])) ++i;
  // §8.1.1.5: "The sequence number value MUST be expressible as a 32-bit unsigned integer and MUST be less
  // than 2**31."
  auto number = parse_decimal(text.substr(0, i), 0x7fffffff);
  if (!number) return parse_error(ParseErrorCode::bad_cseq, "malformed sequence number");
  if (i >= text.size() || !is_ws(text[i])) return parse_error(ParseErrorCode::bad_cseq, "missing method");
  std::string_view method = trim(text.substr(i));
  if (!is_token(method)) return parse_error(ParseErrorCode::bad_cseq, "malformed method");
  CSeq cseq;
  cseq.number = static_cast<std::uint32_t>(*number);
  cseq.method_name = std::string(method);
  cseq.method = method_from_name(method);
  return cseq;
}

}  // namespace va::sip
