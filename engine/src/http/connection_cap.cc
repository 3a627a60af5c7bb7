#include "http/connection_cap.h"

namespace baraza {

ConnectionCap::ConnectionCap(int per_address) : per_address_(per_address) {}

bool ConnectionCap::open(const std::string& address) {
  std::lock_guard lock(mutex_);
  int n = ++open_[address];
  return per_address_ == 0 || n <= per_address_;
}

void ConnectionCap::close(const std::string& address) {
  std::lock_guard lock(mutex_);
  auto it = open_.find(address);
  if (it != open_.end() && --it->second <= 0)
    open_.erase(it);
}

int ConnectionCap::openFrom(const std::string& address) const {
  std::lock_guard lock(mutex_);
  auto it = open_.find(address);
  return it == open_.end() ? 0 : it->second;
}

}  // namespace baraza
