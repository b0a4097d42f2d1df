#include "sip/trunk/trunk_address_range.hpp"

#include <array>
#include <charconv>
#include <cstdint>

namespace va::sip {
namespace {

// The address as 16 bytes (IPv4 in the first 4) and its bit count.
struct AddressBits {
  std::array<unsigned char, 16> bytes{};
  unsigned bits = 0;
};

AddressBits bits_of(const boost::asio::ip::address& address) {
  AddressBits out;
  if (address.is_v4()) {
    auto b = address.to_v4().to_bytes();
    for (std::size_t i = 0; i < b.size(); ++i) out.bytes[i] = b[i];
    out.bits = 32;
  } else {
    out.bytes = address.to_v6().to_bytes();
    out.bits = 128;
  }
  return out;
}

bool same_prefix(const AddressBits& a, const AddressBits& b, unsigned prefix) {
  unsigned full = prefix / 8;
  for (unsigned i = 0; i < full; ++i) {
    if (a.bytes[i] != b.bytes[i]) return false;
  }
  unsigned rest = prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<unsigned char>(0xFFu << (8 - rest));
  return (a.bytes[full] & mask) == (b.bytes[full] & mask);
}

}  // namespace

boost::asio::ip::address canonical_address(const boost::asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  return address;
}

std::optional<AddressRange> AddressRange::parse(std::string_view text) {
  auto slash = text.find('/');
  std::string address_text(text.substr(0, slash));
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(address_text, ec);
  if (ec) return std::nullopt;
  if (address.is_v6() && address.to_v6().scope_id() != 0) return std::nullopt;
  address = canonical_address(address);
  unsigned max_prefix = address.is_v4() ? 32 : 128;
  AddressRange range;
  range.prefix_length_ = max_prefix;
  range.written_as_host_ = slash == std::string_view::npos;
  if (!range.written_as_host_) {
    auto prefix_text = text.substr(slash + 1);
    unsigned prefix = 0;
    auto [end, error] = std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
    if (prefix_text.empty() || error != std::errc() || end != prefix_text.data() + prefix_text.size() ||
        prefix > max_prefix)
      return std::nullopt;
    range.prefix_length_ = prefix;
  }
  // Clear the host bits, so to_string() shows the block that is matched.
  auto bits = bits_of(address);
  for (unsigned bit = range.prefix_length_; bit < bits.bits; ++bit)
    bits.bytes[bit / 8] = static_cast<unsigned char>(bits.bytes[bit / 8] & ~(0x80u >> (bit % 8)));
  if (address.is_v4()) {
    boost::asio::ip::address_v4::bytes_type b{};
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = bits.bytes[i];
    range.network_ = boost::asio::ip::address_v4(b);
  } else {
    range.network_ = boost::asio::ip::address_v6(bits.bytes);
  }
  return range;
}

bool AddressRange::contains(const boost::asio::ip::address& address) const {
  auto candidate = canonical_address(address);
  if (candidate.is_v4() != network_.is_v4()) return false;
  return same_prefix(bits_of(candidate), bits_of(network_), prefix_length_);
}

std::string AddressRange::to_string() const {
  return network_.to_string() + "/" + std::to_string(prefix_length_);
}

}  // namespace va::sip
