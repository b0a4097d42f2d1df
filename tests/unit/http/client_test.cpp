// The HTTP client against real peers on loopback: voice-agent's own server (keep-alive), a raw TCP peer
// that misbehaves on purpose (closes kept-alive connections, never answers, answers too much), and a TLS
// peer with a certificate made for the test (chain and host name verification).
#include "http/client.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <thread>

#include "support/external_tool.hpp"
#include "support/free_port.hpp"
#include "support/process.hpp"
#include "support/running_http_server.hpp"
#include "support/temp_directory.hpp"

namespace va::http {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Origin origin_of(const std::string& url) {
  std::string error;
  auto origin = Origin::parse(url, error);
  EXPECT_TRUE(origin) << error;
  return origin.value_or(Origin{});
}

ClientResponse response_of(const ClientResult& result) {
  if (const auto* e = std::get_if<ClientError>(&result)) ADD_FAILURE() << "request failed: " << e->message;
  return std::holds_alternative<ClientResponse>(result) ? std::get<ClientResponse>(result) : ClientResponse{};
}

// A TCP peer on 127.0.0.1:<ephemeral> running `serve(socket)` for each accepted connection, one at a time.
class RawPeer {
 public:
  explicit RawPeer(std::function<void(tcp::socket&)> serve)
      : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), serve_(std::move(serve)) {
    thread_ = std::thread([this] {
      while (!stopping_) {
        tcp::socket socket(io_);
        boost::system::error_code ec;
        acceptor_.accept(socket, ec);
        if (ec || stopping_) return;
        ++connections_;
        serve_(socket);
      }
    });
  }
  ~RawPeer() {
    stopping_ = true;
    boost::system::error_code ec;
    // Wake the blocking accept with one last connection.
    tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
  int connections() const { return connections_; }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::function<void(tcp::socket&)> serve_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

bool read_request(tcp::socket& socket) {
  asio::streambuf buffer;
  boost::system::error_code ec;
  asio::read_until(socket, buffer, "\r\n\r\n", ec);
  return !ec;
}

TEST(HttpOrigin, ParsesSchemesPortsIpv6AndBasePaths) {
  std::string error;
  auto a = Origin::parse("https://lk.example.com/base/", error);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->tls);
  EXPECT_EQ(a->port, 443);
  EXPECT_EQ(a->base_path, "/base");
  auto b = Origin::parse("http://[::1]:7880", error);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 7880);
  EXPECT_EQ(b->to_string(), "http://[::1]:7880");
  EXPECT_FALSE(Origin::parse("ftp://x", error));
  EXPECT_THAT(error, HasSubstr("unsupported scheme"));
  EXPECT_FALSE(Origin::parse("http://host:99999", error));
  EXPECT_FALSE(Origin::parse("http://user:pw@host", error));
  EXPECT_FALSE(Origin::parse("no-scheme", error));
}

TEST(HttpClient, KeepsTheConnectionAliveBetweenRequests) {
  Router router;
  router.add(Method::post, "/echo", [](const Request& r) { return Response::text(200, r.body); });
  test::RunningHttpServer server(test::loopback_http_options(), std::move(router));
  Client client(origin_of(server.url()));
  for (int i = 0; i < 3; ++i) {
    auto r = client.request("POST", "/echo", {{"Content-Type", "text/plain"}}, "ping " + std::to_string(i));
    const auto& response = response_of(r);
    EXPECT_EQ(response.status, 200u);
    EXPECT_EQ(response.body, "ping " + std::to_string(i));
    EXPECT_EQ(response.reused_connection, i > 0);
  }
}

TEST(HttpClient, ResendsOnceWhenTheServerClosedTheIdleConnection) {
  // Answers one request per connection, then closes it without saying so (no "Connection: close").
  RawPeer peer([](tcp::socket& socket) {
    if (!read_request(socket)) return;
    asio::write(socket, asio::buffer(std::string("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")));
    socket.close();
  });
  Client client(origin_of(peer.url()));
  EXPECT_EQ(response_of(client.request("GET", "/", {}, "")).status, 200u);
  std::this_thread::sleep_for(50ms);  // let the close arrive
  const auto& second = response_of(client.request("GET", "/", {}, ""));
  EXPECT_EQ(second.status, 200u);
  EXPECT_FALSE(second.reused_connection);
  EXPECT_EQ(peer.connections(), 2);
}

TEST(HttpClient, APeerThatNeverAnswersTimesOut) {
  RawPeer peer([](tcp::socket& socket) {
    read_request(socket);
    std::this_thread::sleep_for(1500ms);
  });
  ClientOptions options;
  options.request_timeout = 300ms;
  Client client(origin_of(peer.url()), options);
  auto result = client.request("GET", "/", {}, "");
  ASSERT_TRUE(std::holds_alternative<ClientError>(result));
  EXPECT_EQ(std::get<ClientError>(result).kind, ClientErrorKind::timeout);
}

TEST(HttpClient, RefusedConnectionsAndOversizedResponsesAreTypedErrors) {
  std::uint16_t closed_port = 0;
  {
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    closed_port = a.local_endpoint().port();
  }
  Client refused(origin_of("http://127.0.0.1:" + std::to_string(closed_port)));
  auto r = refused.request("GET", "/", {}, "");
  ASSERT_TRUE(std::holds_alternative<ClientError>(r));
  EXPECT_EQ(std::get<ClientError>(r).kind, ClientErrorKind::connect);
  EXPECT_THAT(std::get<ClientError>(r).message, HasSubstr("refused"));

  RawPeer big([](tcp::socket& socket) {
    if (!read_request(socket)) return;
    std::string body(4096, 'x');
    boost::system::error_code ec;
    asio::write(socket, asio::buffer("HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n" + body), ec);
  });
  ClientOptions options;
  options.max_response_bytes = 1024;
  Client client(origin_of(big.url()), options);
  auto too_big = client.request("GET", "/", {}, "");
  ASSERT_TRUE(std::holds_alternative<ClientError>(too_big));
  EXPECT_EQ(std::get<ClientError>(too_big).kind, ClientErrorKind::response_too_large);

  RawPeer garbage([](tcp::socket& socket) {
    if (!read_request(socket)) return;
    boost::system::error_code ec;
    asio::write(socket, asio::buffer(std::string("SIP/2.0 200 OK\r\n\r\n")), ec);
  });
  Client confused(origin_of(garbage.url()));
  auto bad = confused.request("GET", "/", {}, "");
  ASSERT_TRUE(std::holds_alternative<ClientError>(bad));
  EXPECT_EQ(std::get<ClientError>(bad).kind, ClientErrorKind::bad_response);
}

// A TLS peer: `openssl s_server -www` with a self-signed certificate for "localhost" only, both made by the
// openssl CLI for this test.
class TlsPeer {
 public:
  TlsPeer() : scratch_("tls-peer"), port_(test::reserve_port(test::PortProtocol::tcp)) {
    cert_ = (scratch_ / "cert.pem").string();
    auto key = (scratch_ / "key.pem").string();
    test::run_tool_or_throw({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                             "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-keyout",
                             key, "-out", cert_});
    server_ = std::make_unique<test::Process>(std::vector<std::string>{"openssl", "s_server", "-accept",
                                                                       "127.0.0.1:" + std::to_string(port()),
                                                                       "-cert", cert_, "-key", key, "-www"});
    if (!server_->wait_for_output("ACCEPT", test::Stream::either, 10s))
      throw std::runtime_error("openssl s_server did not start: " + server_->stderr_text());
  }
  std::uint16_t port() const { return port_.port(); }
  const std::string& certificate() const { return cert_; }

 private:
  test::TempDirectory scratch_;
  test::PortReservation port_;
  std::string cert_;
  std::unique_ptr<test::Process> server_;
};

TEST(HttpClient, HttpsVerifiesTheChainAndTheHostName) {
  TlsPeer peer;
  const auto port = std::to_string(peer.port());
  ClientOptions trusted;
  trusted.ca_file = peer.certificate();
  Client by_name(origin_of("https://localhost:" + port), trusted);
  const auto& ok = response_of(by_name.request("GET", "/", {}, ""));
  EXPECT_EQ(ok.status, 200u);
  EXPECT_THAT(ok.body, HasSubstr("s_server"));

  // Not trusted: the system store does not know the test CA.
  Client untrusted(origin_of("https://localhost:" + port));
  auto refused = untrusted.request("GET", "/", {}, "");
  ASSERT_TRUE(std::holds_alternative<ClientError>(refused));
  EXPECT_EQ(std::get<ClientError>(refused).kind, ClientErrorKind::tls)
      << std::get<ClientError>(refused).message;

  // Trusted chain, wrong name: the certificate is for "localhost", not for the address.
  Client wrong_name(origin_of("https://127.0.0.1:" + port), trusted);
  auto mismatch = wrong_name.request("GET", "/", {}, "");
  ASSERT_TRUE(std::holds_alternative<ClientError>(mismatch));
  EXPECT_EQ(std::get<ClientError>(mismatch).kind, ClientErrorKind::tls);
}

}  // namespace
}  // namespace va::http

namespace va::http {
namespace {

// A chunked body sent in three pieces 300 ms apart: request_streaming hands the first piece over while the
// peer is still sleeping before the second (what lets TTS audio play before the whole answer came).
TEST(HttpClient, StreamsAChunkedBodyPieceByPieceAsItArrives) {
  RawPeer peer([](tcp::socket& socket) {
    if (!read_request(socket)) return;
    boost::system::error_code ec;
    asio::write(socket, asio::buffer(std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")),
                ec);
    for (const char* piece : {"5\r\nfirst\r\n", "6\r\nsecond\r\n", "5\r\nthird\r\n0\r\n\r\n"}) {
      asio::write(socket, asio::buffer(std::string(piece)), ec);
      std::this_thread::sleep_for(300ms);
    }
  });
  Client client(origin_of(peer.url()));
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::pair<std::string, std::chrono::milliseconds>> pieces;
  auto result = client.request_streaming("POST", "/speech", {}, "{}", [&](std::string_view piece) {
    pieces.emplace_back(std::string(piece), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::steady_clock::now() - start));
    return true;
  });
  auto response = response_of(result);
  EXPECT_EQ(response.status, 200u);
  EXPECT_FALSE(response.stopped);
  std::string all;
  for (const auto& p : pieces) all += p.first;
  EXPECT_EQ(all, "firstsecondthird");
  ASSERT_GE(pieces.size(), 3u);
  EXPECT_LT(pieces.front().second, 250ms) << "the first piece waited for the rest";
  EXPECT_GE(pieces.back().second, 550ms);
}

TEST(HttpClient, StreamingStopsWhenTheHandlerSaysSoAndKeepsErrorBodies) {
  RawPeer peer([](tcp::socket& socket) {
    if (!read_request(socket)) return;
    boost::system::error_code ec;
    const std::string error_body = R"({"error":{"message":"bad key"}})";
    asio::write(socket,
                asio::buffer("HTTP/1.1 401 Unauthorized\r\nContent-Length: " +
                             std::to_string(error_body.size()) + "\r\n\r\n" + error_body),
                ec);
    if (!read_request(socket)) return;
    asio::write(socket, asio::buffer(std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")),
                ec);
    for (int i = 0; i < 50 && !ec; ++i) {
      asio::write(socket, asio::buffer(std::string("4\r\nmore\r\n")), ec);
      std::this_thread::sleep_for(20ms);
    }
  });
  Client client(origin_of(peer.url()));
  int calls = 0;
  auto denied = response_of(client.request_streaming("POST", "/speech", {}, "{}", [&](std::string_view) {
    ++calls;
    return true;
  }));
  EXPECT_EQ(denied.status, 401u);
  EXPECT_THAT(denied.body, HasSubstr("bad key"));
  EXPECT_EQ(calls, 0);
  auto stopped = response_of(
      client.request_streaming("POST", "/speech", {}, "{}", [&](std::string_view) { return ++calls < 2; }));
  EXPECT_TRUE(stopped.stopped);
  EXPECT_EQ(calls, 2);
}

TEST(HttpClient, AStreamThatStallsTimesOutAndACutStreamIsAnError) {
  RawPeer peer([](tcp::socket& socket) {
    if (!read_request(socket)) return;
    boost::system::error_code ec;
    asio::write(
        socket,
        asio::buffer(std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nsome\r\n")), ec);
    std::this_thread::sleep_for(700ms);  // the first request's stall; the second sees the cut below
    socket.close(ec);
  });
  ClientOptions options;
  options.request_timeout = 300ms;
  Client client(origin_of(peer.url()), options);
  auto stalled = client.request_streaming("GET", "/", {}, "", [](std::string_view) { return true; });
  ASSERT_TRUE(std::holds_alternative<ClientError>(stalled));
  EXPECT_EQ(std::get<ClientError>(stalled).kind, ClientErrorKind::timeout);
  options.request_timeout = 3000ms;
  Client patient(origin_of(peer.url()), options);
  auto cut = patient.request_streaming("GET", "/", {}, "", [](std::string_view) { return true; });
  ASSERT_TRUE(std::holds_alternative<ClientError>(cut));
  EXPECT_THAT(std::get<ClientError>(cut).message, HasSubstr("cut short"));
}

}  // namespace
}  // namespace va::http
