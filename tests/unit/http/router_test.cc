#include "http/router.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace baraza {
namespace {

HttpResponse ok(const HttpRequest&) {
  return {};
}

TEST(Router, ExactAndPrefixRoutesMatchWithTheirLabel) {
  Router r;
  r.add("GET", "/health", ok);
  r.add("*", "/channels/loopback/*", ok);
  EXPECT_EQ(r.match("GET", "/health").label, "/health");
  EXPECT_NE(r.match("GET", "/health").handler, nullptr);
  EXPECT_EQ(r.match("POST", "/channels/loopback/messages").label, "/channels/loopback/*");
  EXPECT_NE(r.match("POST", "/channels/loopback").handler, nullptr);
  EXPECT_EQ(r.match("POST", "/channels/loopbackx").handler, nullptr);
  EXPECT_EQ(r.match("GET", "/health/x").handler, nullptr);
}

TEST(Router, UnknownPathIs404WithABoundedLabel) {
  Router r;
  r.add("GET", "/health", ok);
  auto m = r.match("GET", "/random/123");
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_EQ(m.status, 404);
  EXPECT_EQ(m.label, "unmatched");
}

TEST(Router, WrongMethodIs405NamingTheAllowedOnes) {
  Router r;
  r.add("GET", "/metrics", ok);
  auto m = r.match("POST", "/metrics");
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.allow, "GET");
}

TEST(HttpRequest, QueryParametersArePercentDecoded) {
  HttpRequest r;
  r.query = "limit=5&cursor=kassangas%2Dshop&q=a+b&empty=";
  EXPECT_EQ(r.queryParam("limit"), "5");
  EXPECT_EQ(r.queryParam("cursor"), "kassangas-shop");
  EXPECT_EQ(r.queryParam("q"), "a b");
  EXPECT_EQ(r.queryParam("empty"), "");
  EXPECT_EQ(r.queryParam("missing"), "");
}

TEST(Router, JsonErrorHasTheContractShape) {
  auto r = jsonError(413, "body_too_large", "limit is 10");
  EXPECT_EQ(r.status, 413);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["error"], "body_too_large");
  EXPECT_EQ(j["details"], "limit is 10");
}

}  // namespace
}  // namespace baraza
