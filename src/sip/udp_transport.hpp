// One UDP listening socket (RFC 3261 §18, unreliable transport). Receives datagrams on the SIP core strand
// and hands each one, unparsed, to a DatagramSink; sends from the same socket so responses leave from the
// address and port the request arrived on (RFC 3581 §4 needs that for NAT traversal).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/udp.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "sip/flow.hpp"

namespace va::sip {

class UdpTransport;

class DatagramSink {
 public:
  virtual ~DatagramSink() = default;
  // `data` is valid only during the call.
  virtual void on_datagram(UdpTransport& transport, std::string_view data, const Endpoint& source) = 0;
};

class UdpTransport : public std::enable_shared_from_this<UdpTransport> {
 public:
  // `executor` is the SIP core strand; the receive loop and every send run on it.
  UdpTransport(const boost::asio::any_io_executor& executor, DatagramSink& sink,
               std::size_t max_datagram_bytes);

  // Binds synchronously (so configuration errors surface at start-up) and reports the bound endpoint.
  std::error_code open(const boost::asio::ip::udp::endpoint& bind_to);
  void start_receiving();
  void close();

  const Endpoint& local() const { return local_; }
  bool is_v6() const { return local_.address.is_v6(); }

  // Sends one datagram. The common case is a non-blocking send straight from `bytes`; only when the socket
  // buffer is full does the datagram wait for an asynchronous send, holding `bytes`.
  std::error_code send(const std::shared_ptr<const std::string>& bytes, const Endpoint& to);

 private:
  void receive();

  boost::asio::ip::udp::socket socket_;
  DatagramSink& sink_;
  std::vector<char> buffer_;
  boost::asio::ip::udp::endpoint sender_;
  Endpoint local_;
  bool closed_ = false;
};

}  // namespace va::sip
