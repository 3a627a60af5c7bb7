#pragma once

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace baraza::test {

// A TCP proxy on 127.0.0.1 and a free port to 127.0.0.1:`target_port`, which a test can turn
// into a black hole: connections stay open and every byte is swallowed, with no reset, as from
// a server behind a route that drops packets. New connections in a black hole are accepted and
// never reach the target.
class TcpProxy {
 public:
  explicit TcpProxy(int target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  void blackHole(bool on) { black_hole_ = on; }

 private:
  void acceptLoop();
  void pump(int client);

  int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> black_hole_{false};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::vector<std::thread> pumps_;
  std::thread acceptor_;
};

}  // namespace baraza::test
