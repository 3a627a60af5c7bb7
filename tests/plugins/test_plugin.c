/* One source, one tiny .so per failure mode (tests/CMakeLists.txt builds each with a MODE_*
 * define). Each is what a broken or foreign plugin could look like to the host. */
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

static int decide(baraza_plugin_ptr self, const char* msg, size_t len, char* out, size_t cap) {
  (void)self;
  (void)msg;
  (void)len;
  snprintf(out, cap, "{\"pass\":true}");
  return 1;
}

static const baraza_strategy_vtable vtable = {sizeof(baraza_strategy_vtable), decide};

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
    BARAZA_PLUGIN_KIND_STRATEGY,
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
