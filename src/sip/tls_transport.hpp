// TLS for SIP (RFC 3261 §26.2, RFC 5922 server identity) with OpenSSL 3 through boost::asio::ssl: the server
// context of tls:// listeners and the client context of outbound TLS connections. The connections
// themselves are StreamConnection (stream_connection.hpp); only the contexts differ from TCP.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

namespace va::sip {

struct TlsSettings {
  std::string certificate_file;  // PEM chain; required for tls:// listeners
  std::string private_key_file;  // PEM
  std::string ca_file;           // trust anchors for servers we connect to; empty: the system store
  bool verify_peer = true;       // outbound: check the server certificate chain and its name (RFC 5922 §7.2)
};

// TLS 1.2 or newer. Returns nullptr and sets `error` when a file cannot be loaded.
std::unique_ptr<boost::asio::ssl::context> make_tls_server_context(const TlsSettings& settings,
                                                                   std::string& error);
std::unique_ptr<boost::asio::ssl::context> make_tls_client_context(const TlsSettings& settings,
                                                                   std::string& error);

}  // namespace va::sip
