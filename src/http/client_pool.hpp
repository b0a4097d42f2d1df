// Kept-alive clients to one origin, lent one per request: concurrent requests (calls on different worker
// threads) do not queue behind each other on one connection, and a request after the first does not pay a
// new TCP and TLS handshake. A client whose request failed goes back too: it reconnects on its next request.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "http/client.hpp"

namespace va::http {

class ClientPool {
 public:
  ClientPool(Origin origin, ClientOptions options, std::size_t max_idle = 8)
      : origin_(std::move(origin)), options_(std::move(options)), max_idle_(max_idle) {}

  // The borrowed client, back to the pool when the lease ends.
  class Lease {
   public:
    Lease(ClientPool& owner, std::unique_ptr<Client> client) : owner_(owner), client_(std::move(client)) {}
    ~Lease() { owner_.give_back(std::move(client_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Client& operator*() { return *client_; }
    Client* operator->() { return client_.get(); }

   private:
    ClientPool& owner_;
    std::unique_ptr<Client> client_;
  };

  // An idle client, or a new one when all are lent.
  Lease borrow();

  const Origin& origin() const { return origin_; }

 private:
  void give_back(std::unique_ptr<Client> client);

  Origin origin_;
  ClientOptions options_;
  std::size_t max_idle_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Client>> idle_;
};

}  // namespace va::http
