#include "sip/outbound_request.hpp"

#include "sip/via_routing.hpp"

namespace va::sip {

void resolve_request_destination(TransportLayer& transport, const Message& request,
                                 const SendOptions& options,
                                 std::function<void(std::error_code, RequestDestination)> done) {
  if (options.flow) {
    RequestDestination d;
    d.destination.transport = options.flow->transport;
    d.destination.remote = options.flow->remote;
    d.destination.flow = options.flow;
    d.transport_explicit = true;
    return done({}, std::move(d));
  }
  Uri target = options.next_hop ? *options.next_hop : request_target_uri(request);
  std::string error;
  auto hop = next_hop_for_uri(target, &error);
  if (!hop) return done(std::make_error_code(std::errc::address_not_available), RequestDestination{});
  bool transport_explicit = !target.transport().empty() || target.scheme == UriScheme::sips;
  transport.resolve(
      *hop, [done = std::move(done), transport_explicit](std::error_code ec, Destination destination) {
        done(ec, RequestDestination{std::move(destination), transport_explicit});
      });
}

std::optional<Via> make_via(TransportLayer& transport, const Destination& destination, std::string branch) {
  auto sent_by = transport.sent_by_for(destination);
  if (!sent_by) return std::nullopt;
  Via via;
  via.transport = std::string(via_name(destination.transport));
  via.sent_by = std::move(*sent_by);
  via.params.set("branch", std::move(branch));
  via.params.set("rport");
  return via;
}

void stamp_request(Message& request, const Via& via) {
  request.prepend_header("Via", via.to_string());
  if (request.find(HeaderId::max_forwards) == nullptr) request.add_header("Max-Forwards", "70");
}

}  // namespace va::sip
