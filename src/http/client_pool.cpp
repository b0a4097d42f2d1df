#include "http/client_pool.hpp"

namespace va::http {

ClientPool::Lease ClientPool::borrow() {
  std::unique_ptr<Client> client;
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      client = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!client) client = std::make_unique<Client>(origin_, options_);
  return Lease(*this, std::move(client));
}

void ClientPool::give_back(std::unique_ptr<Client> client) {
  std::lock_guard lock(mutex_);
  if (client && idle_.size() < max_idle_) idle_.push_back(std::move(client));
}

}  // namespace va::http
