#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "config/engine_config.h"
#include "http/router.h"

namespace baraza {

// The engine's HTTP server (Pistache underneath): request ids, body limit, JSON errors,
// keep-alive, metrics and access log for every route of the Router.
class HttpServer {
 public:
  HttpServer(const ServerConfig& config, std::shared_ptr<const Router> router);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the worker threads. Throws std::runtime_error when it cannot bind.
  void start();
  uint16_t port() const;

  // Graceful stop: new requests get 503 at once, in-flight ones may finish within `timeout`.
  // Returns true when none was left running.
  bool drain(std::chrono::milliseconds timeout);
  void stop();
  int inFlight() const;

  struct State;

 private:
  ServerConfig config_;
  std::shared_ptr<State> state_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace baraza
