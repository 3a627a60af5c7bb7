/* One source, one tiny .so per failure mode (tests/CMakeLists.txt builds each with a MODE_*
 * define). Each is what a broken or foreign plugin could look like to the host. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "baraza/plugin_api.h"

#ifndef PLUGIN_NAME
#define PLUGIN_NAME "good"
#endif

static int instance_token __attribute__((unused));

static baraza_plugin_ptr create(const baraza_host_api* host, const char* config, size_t len,
                                char* error, size_t cap) {
  (void)host;
  (void)config;
  (void)len;
#ifdef MODE_CREATE_FAILS
  snprintf(error, cap, "the upstream token is invalid");
  return NULL;
#else
  (void)error;
  (void)cap;
  return &instance_token;
#endif
}

static void destroy(baraza_plugin_ptr self) {
  (void)self;
}

static int decide(baraza_plugin_ptr self, const char* msg, size_t len, char* out, size_t cap)
    __attribute__((unused));
static int decide(baraza_plugin_ptr self, const char* msg, size_t len, char* out, size_t cap) {
  (void)self;
  (void)msg;
  (void)len;
  snprintf(out, cap, "{\"pass\":true}");
  return 1;
}

#ifdef MODE_CHANNEL_ABI_1_0
/* A channel built against ABI 1.0: its vtable ends before fetch_media. */
static void on_http(baraza_plugin_ptr self, const baraza_http_request* request) {
  (void)self;
  (void)request;
}
static const baraza_channel_vtable vtable = {offsetof(baraza_channel_vtable, fetch_media), NULL,
                                             on_http, NULL, NULL};
#define PLUGIN_KIND BARAZA_PLUGIN_KIND_CHANNEL
#else
static const baraza_strategy_vtable vtable = {sizeof(baraza_strategy_vtable), decide};
#define PLUGIN_KIND BARAZA_PLUGIN_KIND_STRATEGY
#endif

static const baraza_config_key keys[] = {
    {"greeting", BARAZA_CONFIG_STRING, "hello", "A greeting."},
    {"token", BARAZA_CONFIG_SECRET, NULL, "A secret."},
};

static const baraza_plugin_descriptor descriptor __attribute__((unused)) = {
#ifdef MODE_ABI_MAJOR_MISMATCH
    BARAZA_PLUGIN_ABI_MAJOR + 1,
#else
    BARAZA_PLUGIN_ABI_MAJOR,
#endif
    BARAZA_PLUGIN_ABI_MINOR,
#ifdef MODE_SHORT_DESCRIPTOR
    16,
#else
    sizeof(baraza_plugin_descriptor),
#endif
    PLUGIN_KIND,
#ifdef MODE_BAD_NAME
    "Bad Name!",
#else
    PLUGIN_NAME,
#endif
    "0.0.1",
    "Test plugin",
    keys,
    sizeof(keys) / sizeof(keys[0]),
    create,
    destroy,
    &vtable,
};

#ifdef MODE_MISSING_SYMBOL
BARAZA_PLUGIN_EXPORT const baraza_plugin_descriptor* some_other_entry(void) {
  return &descriptor;
}
#elif defined(MODE_NULL_DESCRIPTOR)
BARAZA_PLUGIN_EXPORT const baraza_plugin_descriptor* baraza_plugin_entry(void) {
  return NULL;
}
#else
BARAZA_PLUGIN_EXPORT const baraza_plugin_descriptor* baraza_plugin_entry(void) {
  return &descriptor;
}
#endif
