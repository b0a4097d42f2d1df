// One entry of a static-IP trunk's `allowed_addresses`: an IPv4 or IPv6 address ("80.75.130.99", "::1") or a
// CIDR block ("80.75.130.0/24", "2001:db8::/32"), and whether a source address falls inside it.
//
// IPv4-mapped IPv6 sources (::ffff:192.0.2.1, what a dual-stack socket reports for an IPv4 peer) are
// compared as the IPv4 address they carry, so "192.0.2.1/32" admits them.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace va::sip {

// ::ffff:a.b.c.d → a.b.c.d; any other address unchanged.
boost::asio::ip::address canonical_address(const boost::asio::ip::address& address);

class AddressRange {
 public:
  // "192.0.2.1", "192.0.2.0/24", "2001:db8::1", "2001:db8::/32"; nullopt for anything else (a prefix
  // longer than the family allows, host bits are allowed and ignored: "192.0.2.7/24" is 192.0.2.0/24).
  static std::optional<AddressRange> parse(std::string_view text);

  bool contains(const boost::asio::ip::address& address) const;
  // Written without a prefix length: one host, which the trunk prober may send OPTIONS to.
  bool written_as_host() const { return written_as_host_; }
  const boost::asio::ip::address& network() const { return network_; }
  unsigned prefix_length() const { return prefix_length_; }
  std::string to_string() const;  // "192.0.2.0/24"

 private:
  boost::asio::ip::address network_;
  unsigned prefix_length_ = 0;
  bool written_as_host_ = false;
};

}  // namespace va::sip
