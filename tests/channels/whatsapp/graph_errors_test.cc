#include "graph_errors.h"

#include <gtest/gtest.h>

namespace baraza::whatsapp {
namespace {

struct Case {
  int http;
  long long code;
  bool transient;
  GraphErrorClass cls;
  const char* reason;
};

TEST(GraphErrors, EachDocumentedCodeGetsItsClass) {
  const Case cases[] = {
      {400, 130429, false, GraphErrorClass::kRetryLater, "throughput_limit"},
      {400, 131056, false, GraphErrorClass::kRetryLater, "pair_rate_limit"},
      {400, 4, false, GraphErrorClass::kRetryLater, "rate_limit"},
      {400, 80007, false, GraphErrorClass::kRetryLater, "rate_limit"},
      {400, 613, false, GraphErrorClass::kRetryLater, "rate_limit"},
      {500, 131000, false, GraphErrorClass::kRetryLater, "meta_unavailable"},
      {503, 133004, false, GraphErrorClass::kRetryLater, "meta_unavailable"},
      {400, 131047, false, GraphErrorClass::kOutsideWindow, "outside_24h_window"},
      {400, 131048, false, GraphErrorClass::kFatal, "spam_limit"},
      {401, 190, false, GraphErrorClass::kFatal, "token_invalid"},
      {400, 131026, false, GraphErrorClass::kFatal, "undeliverable"},
      {400, 100, false, GraphErrorClass::kFatal, "bad_parameter"},
      {400, 131053, false, GraphErrorClass::kFatal, "media_upload_error"},
      {400, 132001, false, GraphErrorClass::kFatal, "template_error"},
      {400, 99999, true, GraphErrorClass::kRetryLater, "transient"},
      {429, 0, false, GraphErrorClass::kRetryLater, "http_429"},
      {502, 0, false, GraphErrorClass::kRetryLater, "http_5xx"},
      {404, 0, false, GraphErrorClass::kFatal, "client_error"},
  };
  for (const auto& c : cases) {
    auto v = classifyGraphError(c.http, c.code, 0, c.transient);
    EXPECT_EQ(v.cls, c.cls) << c.code;
    EXPECT_EQ(v.reason, c.reason) << c.code;
    EXPECT_EQ(v.cls == GraphErrorClass::kRetryLater, v.delay.count() > 0) << c.code;
  }
}

TEST(GraphErrors, TimeoutsAndTransportErrorsAreRetried) {
  auto v = classifyGraphError(0, 190, 0, false);  // no response: the code means nothing
  EXPECT_EQ(v.cls, GraphErrorClass::kRetryLater);
  EXPECT_EQ(v.reason, "transport");
}

TEST(GraphErrors, PairRateWaitsLongerThanThroughput) {
  EXPECT_GT(classifyGraphError(400, 131056, 0, false).delay,
            classifyGraphError(400, 130429, 0, false).delay);
}

}  // namespace
}  // namespace baraza::whatsapp
