// LiveKit webhooks: the event parser reads the body of any POST to webhooks.path (after verification, or
// before it with webhooks.verify: false), and the verifier reads the Authorization header of any request.
// The input is split at the first newline: before it the header, after it the body; the whole input is also
// parsed as a body on its own (the corpus holds plain events).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "livekit/webhook_event.hpp"
#include "livekit/webhook_verifier.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace va::livekit;
  std::string_view input(reinterpret_cast<const char*>(data), size);

  auto parsed = parse_webhook_event(input);
  if (auto* event = std::get_if<WebhookEvent>(&parsed)) {
    if (event->participant) {
      auto sip = sip_participant_attributes(event->participant->attributes);
      (void)sip.empty();
    }
  }

  static const WebhookVerifier verifier({{"APIfuzz", "fuzz-secret"}});
  auto newline = input.find('\n');
  std::string_view header = newline == std::string_view::npos ? input : input.substr(0, newline);
  std::string_view body = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  auto failure = verifier.verify(header, body, 1700000000);
  (void)failure;
  return 0;
}
