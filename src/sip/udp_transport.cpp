#include "sip/udp_transport.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/v6_only.hpp>

namespace va::sip {

namespace asio = boost::asio;
using asio::ip::udp;

UdpTransport::UdpTransport(const asio::any_io_executor& executor, DatagramSink& sink,
                           std::size_t max_datagram_bytes)
    : socket_(executor), sink_(sink), buffer_(max_datagram_bytes) {}

std::error_code UdpTransport::open(const udp::endpoint& bind_to) {
  boost::system::error_code ec;
  socket_.open(bind_to.protocol(), ec);
  if (ec) return ec;
  if (bind_to.address().is_v6()) socket_.set_option(asio::ip::v6_only(true), ec);
  socket_.bind(bind_to, ec);
  if (!ec) socket_.non_blocking(true, ec);
  if (ec) {
    boost::system::error_code ignored;
    socket_.close(ignored);
    return ec;
  }
  auto bound = socket_.local_endpoint(ec);
  if (ec) return ec;
  local_ = Endpoint{bound.address(), bound.port()};
  return {};
}

void UdpTransport::start_receiving() {
  receive();
}

void UdpTransport::close() {
  closed_ = true;
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void UdpTransport::receive() {
  if (closed_) return;
  socket_.async_receive_from(asio::buffer(buffer_), sender_,
                             [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                               if (self->closed_ || ec == asio::error::operation_aborted) return;
                               // Other errors (ICMP-induced ECONNREFUSED on some systems) concern one earlier
                               // send, not the socket: keep receiving.
                               if (!ec)
                                 self->sink_.on_datagram(
                                     *self, std::string_view(self->buffer_.data(), n),
                                     Endpoint{self->sender_.address(), self->sender_.port()});
                               self->receive();
                             });
}

std::error_code UdpTransport::send(const std::shared_ptr<const std::string>& bytes, const Endpoint& to) {
  if (closed_) return std::make_error_code(std::errc::bad_file_descriptor);
  udp::endpoint target(to.address, to.port);
  boost::system::error_code ec;
  socket_.send_to(asio::buffer(*bytes), target, 0, ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    socket_.async_send_to(
        asio::buffer(*bytes), target,
        [self = shared_from_this(), bytes](const boost::system::error_code&, std::size_t) {});
    return {};
  }
  return ec;
}

}  // namespace va::sip
