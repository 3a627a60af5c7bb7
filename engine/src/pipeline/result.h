#pragma once

#include <string>
#include <utility>
#include <variant>

namespace baraza {

// Why a step of the message path could not do its work, and whether trying again later may
// help. The message path returns these instead of throwing.
struct Failure {
  std::string message;
  bool retryable = true;

  static Failure retry(std::string message) { return {std::move(message), true}; }
  static Failure permanent(std::string message) { return {std::move(message), false}; }
};

// A value, or the Failure that stopped it.
template <class T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}            // NOLINT: implicit, like std::expected
  Result(Failure failure) : state_(std::move(failure)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(state_); }
  const T& value() const { return std::get<0>(state_); }
  T* operator->() { return &value(); }
  const Failure& failure() const { return std::get<1>(state_); }

 private:
  std::variant<T, Failure> state_;
};

}  // namespace baraza
