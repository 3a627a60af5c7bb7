#include "core/uuid.h"

#include <cstring>
#include <stdexcept>

#include <unistd.h>

#include <openssl/rand.h>

namespace baraza {

namespace {

// Random bytes are drawn 4 KiB at a time per thread: one RAND_bytes call per id cost 7% of an
// inbox worker's time (a message takes four or five ids). A forked child draws its own.
struct RandomBuffer {
  unsigned char bytes[4096];
  size_t used = sizeof(bytes);
  pid_t owner = 0;

  void take(unsigned char* out, size_t n) {
    if (used + n > sizeof(bytes) || owner != getpid()) {
      if (RAND_bytes(bytes, sizeof(bytes)) != 1)
        throw std::runtime_error("random generator failed");
      used = 0;
      owner = getpid();
    }
    std::memcpy(out, bytes + used, n);
    std::memset(bytes + used, 0, n);  // an id's bytes are not kept after it is made
    used += n;
  }
};

}  // namespace

std::string newUuid() {
  thread_local RandomBuffer random;
  unsigned char b[16];
  random.take(b, sizeof(b));
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10)
      out += '-';
    out += hex[b[i] >> 4];
    out += hex[b[i] & 15];
  }
  return out;
}

bool isUuidText(const std::string& text) {
  if (text.size() != 36)
    return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  }
  return true;
}

}  // namespace baraza
