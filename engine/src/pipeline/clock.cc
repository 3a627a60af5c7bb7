#include "pipeline/clock.h"

#include "core/iso_time.h"

namespace baraza {

std::string MessageClock::stamp() {
  long long us = clock_() * 1000, last = last_us_.load();
  long long next;
  do {
    next = us > last ? us : last + 1;
  } while (!last_us_.compare_exchange_weak(last, next));
  return isoAtMicros(next);
}

}  // namespace baraza
