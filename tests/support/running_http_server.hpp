// voice-agent's own HTTP server on 127.0.0.1:<ephemeral>, served by two io threads as in the application,
// for unit tests of the server itself and of clients that need a real peer to talk to.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics.hpp"
#include "http/router.hpp"
#include "http/server.hpp"

namespace va::test {

inline http::ServerOptions loopback_http_options() {
  http::ServerOptions options;
  options.listen = {"127.0.0.1:0"};
  options.rate_limit.enabled = false;
  return options;
}

class RunningHttpServer {
 public:
  RunningHttpServer(http::ServerOptions options, http::Router router)
      : work_(boost::asio::make_work_guard(io_)),
        server_(io_, std::move(options), std::move(router), metrics_) {
    server_.start();
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  ~RunningHttpServer() {
    if (!shut_down_) {
      auto drained = shutdown();
      if (drained.wait_for(std::chrono::seconds(5)) != std::future_status::ready) server_.abort_connections();
    }
    work_.reset();
    io_.stop();
    for (auto& thread : threads_) thread.join();
  }
  RunningHttpServer(const RunningHttpServer&) = delete;
  RunningHttpServer& operator=(const RunningHttpServer&) = delete;

  std::future<void> shutdown() {
    shut_down_ = true;
    auto promise = std::make_shared<std::promise<void>>();
    auto future = promise->get_future();
    server_.shutdown([promise] { promise->set_value(); });
    return future;
  }

  std::uint16_t port() const {
    const auto endpoint = server_.local_endpoints().at(0);
    return static_cast<std::uint16_t>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
  }
  std::string url(const std::string& path = {}) const {
    return "http://127.0.0.1:" + std::to_string(port()) + path;
  }
  http::Server& server() { return server_; }
  metrics::Registry& metrics() { return metrics_; }

  double counter(const std::string& name, const metrics::LabelValues& labels,
                 std::vector<std::string> names) {
    return metrics_.counter(name, "", std::move(names)).with(labels).value();
  }

 private:
  metrics::Registry metrics_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  http::Server server_;
  std::vector<std::thread> threads_;
  bool shut_down_ = false;
};

}  // namespace va::test
