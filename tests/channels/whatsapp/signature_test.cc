#include "signature.h"

#include <gtest/gtest.h>

#include <random>

#include "fixtures.h"

namespace baraza::whatsapp {
namespace {

const std::string kSecret = "app-secret-0123456789";

TEST(Signature, ASignatureMadeForTheRawBytesRoundTrips) {
  std::string body = test::ownFixture("batch");
  std::string header = signatureHeader(kSecret, body);
  EXPECT_EQ(header.size(), 7u + 64u);
  EXPECT_EQ(checkSignature(header.c_str(), kSecret, body), SignatureCheck::kValid);
}

TEST(Signature, KnownVectorMatchesOpenSslHmac) {
  // HMAC-SHA256(key="key", "The quick brown fox jumps over the lazy dog")
  EXPECT_EQ(signatureHeader("key", "The quick brown fox jumps over the lazy dog"),
            "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}

TEST(Signature, UppercaseHexIsAccepted) {
  std::string body = "{}";
  std::string header = signatureHeader(kSecret, body);
  for (size_t i = 7; i < header.size(); ++i)
    header[i] = static_cast<char>(std::toupper(header[i]));
  EXPECT_EQ(checkSignature(header.c_str(), kSecret, body), SignatureCheck::kValid);
}

TEST(Signature, NonAsciiAndBinaryBodiesAreSignedByteForByte) {
  std::string body = "{\"text\":\"Habari 👋 — café\"}";
  body.push_back('\0');
  body += "\xff\xfe";
  EXPECT_EQ(checkSignature(signatureHeader(kSecret, body).c_str(), kSecret, body),
            SignatureCheck::kValid);
}

TEST(Signature, MissingMalformedTruncatedAndWrongAreRefused) {
  std::string body = test::ownFixture("statuses");
  std::string good = signatureHeader(kSecret, body);
  EXPECT_EQ(checkSignature(nullptr, kSecret, body), SignatureCheck::kMissing);
  EXPECT_EQ(checkSignature("", kSecret, body), SignatureCheck::kMalformed);
  EXPECT_EQ(checkSignature(("sha1=" + good.substr(7)).c_str(), kSecret, body),
            SignatureCheck::kMalformed);
  EXPECT_EQ(checkSignature(good.substr(0, good.size() - 1).c_str(), kSecret, body),
            SignatureCheck::kMalformed)
      << "odd length";
  EXPECT_EQ(checkSignature(good.substr(0, good.size() - 2).c_str(), kSecret, body),
            SignatureCheck::kMalformed)
      << "truncated";
  EXPECT_EQ(checkSignature((good + "00").c_str(), kSecret, body), SignatureCheck::kMalformed);
  std::string non_hex = good;
  non_hex[10] = 'g';
  EXPECT_EQ(checkSignature(non_hex.c_str(), kSecret, body), SignatureCheck::kMalformed);
  EXPECT_EQ(checkSignature(good.c_str(), "another-secret", body), SignatureCheck::kMismatch);
  EXPECT_EQ(checkSignature(good.c_str(), "", body), SignatureCheck::kMismatch);
  std::string tampered = body;
  tampered[tampered.size() / 2] ^= 1;
  EXPECT_EQ(checkSignature(good.c_str(), kSecret, tampered), SignatureCheck::kMismatch);
  std::string reserialized = nlohmann::json::parse(body).dump();
  EXPECT_EQ(checkSignature(good.c_str(), kSecret, reserialized), SignatureCheck::kMismatch)
      << "re-serialized JSON must not verify: the raw bytes are signed";
}

TEST(Signature, TenThousandForgeriesAreAllRefused) {
  std::string body = test::ownFixture("batch");
  std::string good = signatureHeader(kSecret, body);
  std::mt19937_64 rng(42);
  const char* hex = "0123456789abcdef";
  int accepted = 0;
  for (int i = 0; i < 10000; ++i) {
    std::string forged = "sha256=";
    for (int j = 0; j < 64; ++j)
      forged += hex[rng() % 16];
    if (i % 4 == 1)
      forged = good.substr(0, 7 + (rng() % 64));  // truncated
    if (i % 4 == 2)
      forged = "sha1=" + forged.substr(7, 40);  // old scheme
    if (i % 4 == 3) {  // a near miss: the good signature with one hex digit changed
      forged = good;
      size_t pos = 7 + rng() % 64;
      forged[pos] = forged[pos] == 'f' ? '0' : (forged[pos] == '9' ? 'a' : forged[pos] + 1);
    }
    if (forged == good)
      continue;
    if (checkSignature(forged.c_str(), kSecret, body) == SignatureCheck::kValid)
      ++accepted;
  }
  EXPECT_EQ(accepted, 0);
}

}  // namespace
}  // namespace baraza::whatsapp
