#include "core/uuid.h"

#include <gtest/gtest.h>

namespace baraza {
namespace {

TEST(Uuid, WhatTheEngineMakesIsUuidTextAndNothingElseIs) {
  for (int i = 0; i < 100; ++i)
    EXPECT_TRUE(isUuidText(newUuid()));
  EXPECT_TRUE(isUuidText("00000000-0000-4000-8000-000000000001"));
  for (const char* not_one :
       {"", "no-such-send", "00000000-0000-4000-8000-00000000000",
        "00000000-0000-4000-8000-0000000000012", "00000000-0000-4000-8000-00000000000G",
        "00000000-0000-4000-8000-00000000000A", "00000000x0000-4000-8000-000000000001",
        "00000000-0000-4000-8000-000000000001' OR '1'='1"})
    EXPECT_FALSE(isUuidText(not_one)) << not_one;
}

}  // namespace
}  // namespace baraza
