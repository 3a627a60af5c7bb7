#include "security/sealer.h"

#include <cstdlib>
#include <memory>

#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace baraza {
namespace {

constexpr size_t kNonce = 12;
constexpr size_t kTag = 16;
constexpr std::string_view kPrefix = "bz1.";

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

std::string associatedData(const SealContext& ctx, const std::string& kid) {
  const char sep = '\x1f';  // cannot appear in ids or names
  return ctx.tenant_id + sep + ctx.table + sep + ctx.row_id + sep + ctx.column + sep + kid;
}

std::string base64(const std::string& raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()),
                          static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> unbase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0)
    return std::nullopt;
  std::string out(3 * text.size() / 4 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0)
    return std::nullopt;
  size_t pad = (text.back() == '=') + (text.size() > 1 && text[text.size() - 2] == '=');
  out.resize(static_cast<size_t>(n) - pad);
  // Only the canonical encoding counts: a changed padding bit must not pass for the same value.
  if (base64(out) != text)
    return std::nullopt;
  return out;
}

std::string hmacSha256(const unsigned char* key, size_t key_len, std::string_view text) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key, static_cast<int>(key_len),
            reinterpret_cast<const unsigned char*>(text.data()), text.size(), out, &len))
    throw KeyError("HMAC-SHA256 failed");
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string digestUnder(const KeyRing& ring, const std::string& kid, std::string_view secret,
                        std::string_view purpose) {
  const KeyRing::Key& master = ring.key(kid);
  std::string derived =
      hmacSha256(master.data(), master.size(), "baraza lookup digest\x1f" + std::string(purpose));
  std::string raw =
      hmacSha256(reinterpret_cast<const unsigned char*>(derived.data()), derived.size(), secret);
  static const char* hex = "0123456789abcdef";
  std::string out = kid + ":";
  for (unsigned char c : raw) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

}  // namespace

Sealer::Sealer(KeyRing ring, std::string key_file)
    : ring_(std::make_shared<KeyRing>(std::move(ring))), key_file_(std::move(key_file)) {}

Sealer Sealer::fromEnvironmentOrFile(const std::string& key_file) {
  const char* env = std::getenv("BARAZA_MASTER_KEY");
  bool from_env = env && *env;
  return Sealer(KeyRing::fromEnvironmentOrFile(key_file), from_env ? "" : key_file);
}

std::shared_ptr<KeyRing> Sealer::current() const {
  std::lock_guard lock(mutex_);
  return ring_;
}

// A stat per seal (seals are rare: admin writes and imports). The file is replaced by a rename
// on every save, so its inode changes even within one mtime tick.
std::shared_ptr<KeyRing> Sealer::ringForSealing() const {
  struct stat st {};
  if (key_file_.empty() || ::stat(key_file_.c_str(), &st) != 0)
    return current();
  std::string stamp = std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
                      std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
  {
    std::lock_guard lock(mutex_);
    if (stamp == file_stamp_)
      return ring_;
  }
  try {
    auto fresh = std::make_shared<KeyRing>(KeyRing::loadOrCreate(key_file_));
    std::lock_guard lock(mutex_);
    ring_ = fresh;
    file_stamp_ = stamp;
    return fresh;
  } catch (const KeyError&) {
    return current();  // a file being rewritten by hand: keep sealing under the known ring
  }
}

std::shared_ptr<KeyRing> Sealer::reloadedFor(const std::string& kid) const {
  auto ring = current();
  if (ring->contains(kid) || key_file_.empty())
    return ring;
  try {
    auto fresh = std::make_shared<KeyRing>(KeyRing::loadOrCreate(key_file_));
    std::lock_guard lock(mutex_);
    ring_ = fresh;
    return fresh;
  } catch (const KeyError&) {
    return ring;
  }
}

std::string Sealer::keyIdOf(std::string_view sealed) {
  if (sealed.substr(0, kPrefix.size()) != kPrefix)
    return "";
  auto dot = sealed.find('.', kPrefix.size());
  if (dot == std::string_view::npos)
    return "";
  return std::string(sealed.substr(kPrefix.size(), dot - kPrefix.size()));
}

std::string Sealer::seal(std::string_view plaintext, const SealContext& ctx) const {
  auto ring = ringForSealing();
  const std::string kid = ring->currentId();
  const KeyRing::Key& key = ring->key(kid);
  unsigned char nonce[kNonce];
  if (RAND_bytes(nonce, kNonce) != 1)
    throw KeyError("the system random generator failed");
  std::string aad = associatedData(ctx, kid);
  CipherCtx c(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  std::string out(reinterpret_cast<char*>(nonce), kNonce);
  out.resize(kNonce + plaintext.size() + kTag);
  int len = 0;
  bool ok =
      EVP_EncryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_SET_IVLEN, kNonce, nullptr) == 1 &&
      EVP_EncryptInit_ex(c.get(), nullptr, nullptr, key.data(), nonce) == 1 &&
      EVP_EncryptUpdate(c.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) == 1 &&
      EVP_EncryptUpdate(c.get(), reinterpret_cast<unsigned char*>(out.data()) + kNonce, &len,
                        reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(c.get(), nullptr, &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_GET_TAG, kTag,
                          out.data() + kNonce + plaintext.size()) == 1;
  if (!ok)
    throw KeyError("AES-256-GCM sealing failed");
  return std::string(kPrefix) + kid + "." + base64(out);
}

std::optional<std::string> Sealer::open(std::string_view sealed, const SealContext& ctx,
                                        std::string* error) const {
  auto fail = [&](const std::string& why) -> std::optional<std::string> {
    if (error)
      *error = why;
    return std::nullopt;
  };
  std::string kid = keyIdOf(sealed);
  if (kid.empty())
    return fail("not a sealed value");
  auto ring = reloadedFor(kid);
  const KeyRing::Key* key = nullptr;
  try {
    key = &ring->key(kid);
  } catch (const KeyError& e) {
    return fail(e.what());
  }
  auto raw = unbase64(sealed.substr(kPrefix.size() + kid.size() + 1));
  if (!raw || raw->size() < kNonce + kTag)
    return fail("malformed sealed value");
  size_t text_len = raw->size() - kNonce - kTag;
  std::string aad = associatedData(ctx, kid);
  std::string plain(text_len, '\0');
  CipherCtx c(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  auto* bytes = reinterpret_cast<unsigned char*>(raw->data());
  bool ok =
      EVP_DecryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_SET_IVLEN, kNonce, nullptr) == 1 &&
      EVP_DecryptInit_ex(c.get(), nullptr, nullptr, key->data(), bytes) == 1 &&
      EVP_DecryptUpdate(c.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(c.get(), reinterpret_cast<unsigned char*>(plain.data()), &len,
                        bytes + kNonce, static_cast<int>(text_len)) == 1 &&
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_SET_TAG, kTag, bytes + kNonce + text_len) == 1;
  if (!ok || EVP_DecryptFinal_ex(c.get(), nullptr, &len) != 1) {
    std::fill(plain.begin(), plain.end(), '\0');
    return fail("the sealed value does not open here: tampered, or moved from another row");
  }
  return plain;
}

std::string Sealer::lookupDigest(std::string_view secret, std::string_view purpose) const {
  auto ring = ringForSealing();
  return digestUnder(*ring, ring->currentId(), secret, purpose);
}

std::vector<std::string> Sealer::lookupDigests(std::string_view secret,
                                               std::string_view purpose) const {
  auto ring = ringForSealing();
  std::vector<std::string> out;
  for (const auto& kid : ring->ids()) {
    if (!ring->isRetired(kid))
      out.push_back(digestUnder(*ring, kid, secret, purpose));
  }
  return out;
}

}  // namespace baraza
