// Random identifiers a UA generates: Via branches (RFC 3261 §8.1.1.7), From/To tags (§19.3) and Call-IDs
// (§8.1.1.4). They come from OpenSSL's CSPRNG: tags and Call-IDs must be unguessable, or an off-path attacker
// can forge BYEs into our dialogs.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace va::sip {

// `bytes` random bytes as lower-case hex (2 * bytes characters, all token characters).
std::string random_hex(std::size_t bytes);

// "z9hG4bK" followed by 96 random bits.
std::string generate_branch();
// 64 random bits (§19.3 asks for at least 32).
std::string generate_tag();
// 128 random bits, with "@host" appended when a host is given.
std::string generate_call_id(std::string_view host = {});

}  // namespace va::sip
