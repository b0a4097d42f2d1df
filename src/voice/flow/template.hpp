// `{name}` substitution in prompts, URLs, bodies and metadata of a flow.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "voice/flow/flow_model.hpp"

namespace va::voice::flow {

// Placeholder names: letters, digits, '_', '.', '-' (call attributes such as {attr.sip.callID}).
// Returns the problem when the text is not a valid template ("unclosed '{'").
struct TemplateParse {
  Template value;
  std::optional<std::string> error;
};
TemplateParse parse_template(std::string_view text);

// Renders with `lookup` supplying each placeholder's value (nullopt renders as empty text).
std::string render(const Template& t,
                   const std::function<std::optional<std::string>(const std::string&)>& lookup);

}  // namespace va::voice::flow
