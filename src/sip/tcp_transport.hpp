// A listening TCP socket for tcp:// and tls:// listen URIs (RFC 3261 §18). Accepted sockets become
// StreamConnections (stream_connection.hpp) owned by the ConnectionTable; TLS differs only in the connection.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <system_error>

#include "sip/flow.hpp"

namespace va::sip {

class StreamListener;

class StreamAcceptEvents {
 public:
  virtual ~StreamAcceptEvents() = default;
  virtual void on_accepted(StreamListener& listener, boost::asio::ip::tcp::socket socket) = 0;
};

class StreamListener : public std::enable_shared_from_this<StreamListener> {
 public:
  // `executor` is the SIP core strand: accepted sockets are bound to it too.
  StreamListener(const boost::asio::any_io_executor& executor, TransportKind transport,
                 StreamAcceptEvents& events);

  std::error_code open(const boost::asio::ip::tcp::endpoint& bind_to);
  void start_accepting();
  void close();

  TransportKind transport() const { return transport_; }
  const Endpoint& local() const { return local_; }

 private:
  void accept();

  boost::asio::any_io_executor executor_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_;  // pause after EMFILE and friends instead of spinning
  TransportKind transport_;
  StreamAcceptEvents& events_;
  Endpoint local_;
  bool closed_ = false;
};

}  // namespace va::sip
