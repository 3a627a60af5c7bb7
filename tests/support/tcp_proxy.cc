#include "support/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace baraza::test {
namespace {

int connectTo(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

TcpProxy::TcpProxy(int target_port) : target_port_(target_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("tcp proxy: cannot listen");
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { acceptLoop(); });
}

TcpProxy::~TcpProxy() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  std::lock_guard lock(mutex_);
  for (auto& t : pumps_)
    t.join();
}

void TcpProxy::acceptLoop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0)
      continue;
    int client = ::accept(listen_fd_, nullptr, nullptr);
    if (client < 0)
      continue;
    std::lock_guard lock(mutex_);
    pumps_.emplace_back([this, client] { pump(client); });
  }
}

void TcpProxy::pump(int client) {
  int server = black_hole_ ? -1 : connectTo(target_port_);
  if (!black_hole_ && server < 0) {  // the target refused: so does the proxy
    ::close(client);
    return;
  }
  timeval patience{1, 0};  // a send never blocks the proxy's shutdown for long
  ::setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &patience, sizeof(patience));
  if (server >= 0)
    ::setsockopt(server, SOL_SOCKET, SO_SNDTIMEO, &patience, sizeof(patience));
  char buf[65536];
  while (!stopping_) {
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    if (::poll(fds, server < 0 ? 1 : 2, 100) <= 0)
      continue;
    bool closed = false;
    for (int i = 0; i < (server < 0 ? 1 : 2) && !closed; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      ssize_t n = ::recv(fds[i].fd, buf, sizeof(buf), 0);
      if (n <= 0) {
        closed = true;
      } else if (!black_hole_ && server >= 0) {
        ::send(i == 0 ? server : client, buf, static_cast<size_t>(n), MSG_NOSIGNAL);
      }
    }
    if (closed)
      break;
  }
  ::close(client);
  if (server >= 0)
    ::close(server);
}

}  // namespace baraza::test
