#include "sip/tcp_transport.hpp"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/socket_base.hpp>

namespace va::sip {

namespace asio = boost::asio;
using asio::ip::tcp;

StreamListener::StreamListener(const asio::any_io_executor& executor, TransportKind transport,
                               StreamAcceptEvents& events)
    : executor_(executor), acceptor_(executor), retry_(executor), transport_(transport), events_(events) {}

std::error_code StreamListener::open(const tcp::endpoint& bind_to) {
  boost::system::error_code ec;
  acceptor_.open(bind_to.protocol(), ec);
  if (ec) return ec;
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (bind_to.address().is_v6()) acceptor_.set_option(asio::ip::v6_only(true), ec);
  if (!ec) acceptor_.bind(bind_to, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  tcp::endpoint bound;
  if (!ec) bound = acceptor_.local_endpoint(ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return ec;
  }
  local_ = Endpoint{bound.address(), bound.port()};
  return {};
}

void StreamListener::start_accepting() {
  accept();
}

void StreamListener::close() {
  closed_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  retry_.cancel();
}

void StreamListener::accept() {
  if (closed_) return;
  acceptor_.async_accept(
      executor_, [self = shared_from_this()](const boost::system::error_code& ec, tcp::socket socket) {
        if (self->closed_ || ec == asio::error::operation_aborted) return;
        if (!ec) {
          self->events_.on_accepted(*self, std::move(socket));
          return self->accept();
        }
        // A failed accept must not stop the listener. Out of descriptors or memory, the pending connection
        // stays in the backlog and accept would fail again at once: wait a little instead of spinning.
        if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
            ec == asio::error::no_memory) {
          self->retry_.expires_after(std::chrono::milliseconds(100));
          self->retry_.async_wait([self](const boost::system::error_code& wait_error) {
            if (!wait_error) self->accept();
          });
          return;
        }
        self->accept();
      });
}

}  // namespace va::sip
