#include "sip/tls_transport.hpp"

#include <openssl/ssl.h>

namespace va::sip {

namespace ssl = boost::asio::ssl;

namespace {

std::unique_ptr<ssl::context> base_context(ssl::context::method method) {
  auto ctx = std::make_unique<ssl::context>(method);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  return ctx;
}

}  // namespace

std::unique_ptr<ssl::context> make_tls_server_context(const TlsSettings& settings, std::string& error) {
  if (settings.certificate_file.empty() || settings.private_key_file.empty()) {
    error = "tls:// listeners need a certificate and a private key";
    return nullptr;
  }
  auto ctx = base_context(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(settings.certificate_file, ec);
  if (ec) {
    error = "cannot load TLS certificate '" + settings.certificate_file + "': " + ec.message();
    return nullptr;
  }
  ctx->use_private_key_file(settings.private_key_file, ssl::context::pem, ec);
  if (ec) {
    error = "cannot load TLS private key '" + settings.private_key_file + "': " + ec.message();
    return nullptr;
  }
  // SIP over TLS between servers is usually one-way authenticated (RFC 5922 §7.3 makes mutual TLS optional).
  ctx->set_verify_mode(ssl::verify_none);
  return ctx;
}

std::unique_ptr<ssl::context> make_tls_client_context(const TlsSettings& settings, std::string& error) {
  auto ctx = base_context(ssl::context::tls_client);
  boost::system::error_code ec;
  if (!settings.ca_file.empty()) {
    ctx->load_verify_file(settings.ca_file, ec);
    if (ec) {
      error = "cannot load TLS CA file '" + settings.ca_file + "': " + ec.message();
      return nullptr;
    }
  } else {
    ctx->set_default_verify_paths(ec);  // a missing system store only matters once we verify
  }
  // Present our certificate when we have one: some trunks authenticate their customers by it.
  if (!settings.certificate_file.empty() && !settings.private_key_file.empty()) {
    ctx->use_certificate_chain_file(settings.certificate_file, ec);
    if (!ec) ctx->use_private_key_file(settings.private_key_file, ssl::context::pem, ec);
    if (ec) {
      error = "cannot load TLS client certificate: " + ec.message();
      return nullptr;
    }
  }
  ctx->set_verify_mode(settings.verify_peer ? ssl::verify_peer : ssl::verify_none);
  return ctx;
}

}  // namespace va::sip
