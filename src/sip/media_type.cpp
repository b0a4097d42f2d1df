#include "sip/media_type.hpp"

#include "sip/syntax.hpp"

namespace va::sip {

bool MediaType::is(std::string_view t, std::string_view s) const {
  return iequals(type, t) && iequals(subtype, s);
}

std::string MediaType::to_string() const {
  std::string out = type + "/" + subtype;
  params.append_to(out);
  return out;
}

Result<MediaType> parse_media_type(std::string_view text) {
  text = trim(text);
  std::size_t semi = text.find(';');
  std::string_view main = trim(text.substr(0, semi));
  std::size_t slash = main.find('/');
  if (slash == std::string_view::npos) return parse_error(ParseErrorCode::bad_media_type, "missing '/'");
  std::string_view type = trim(main.substr(0, slash));
  std::string_view subtype = trim(main.substr(slash + 1));
  if (!is_token(type) || !is_token(subtype))
    return parse_error(ParseErrorCode::bad_media_type, "malformed type or subtype");
  MediaType mt;
  mt.type = std::string(type);
  mt.subtype = std::string(subtype);
  if (semi != std::string_view::npos) {
    auto params = parse_params(text.substr(semi), ParamSyntax::header);
    if (!params) return parse_error(ParseErrorCode::bad_media_type, params.error().message);
    mt.params = std::move(params).value();
  }
  return mt;
}

}  // namespace va::sip
