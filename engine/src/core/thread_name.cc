#include "core/thread_name.h"

#include <pthread.h>

namespace baraza {
namespace {

thread_local std::string t_name;

}  // namespace

void nameThisThread(std::string_view name) {
  t_name = std::string(name.substr(0, 15));
  pthread_setname_np(pthread_self(), t_name.c_str());
}

const std::string& thisThreadName() {
  if (t_name.empty()) {
    char buffer[16] = {};
    if (pthread_getname_np(pthread_self(), buffer, sizeof buffer) != 0 || buffer[0] == '\0')
      t_name = "unnamed";
    else
      t_name = buffer;
  }
  return t_name;
}

}  // namespace baraza
