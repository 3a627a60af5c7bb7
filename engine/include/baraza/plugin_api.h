/*
 * Baraza plugin ABI: the only header a plugin needs.
 *
 * A plugin is a shared object exporting one C symbol, BARAZA_PLUGIN_ENTRY_SYMBOL, that returns a
 * pointer to a static descriptor. No C++ object and no exception crosses this boundary: a plugin
 * built apart from the engine, with another compiler or standard library, still loads.
 *
 * Naming: hooks the plugin implements sit in the descriptor and vtables; callbacks the host
 * implements sit in baraza_host_api. Pointer names carry who owns them:
 *   *_plugin_ptr  owned by the plugin (created by create(), freed by destroy())
 *   *_host_ptr    owned by the host; the plugin must not free it
 *   *_host_buf    bytes owned by the host, valid only during the call that passes them
 * Every pointer below says what null means and how long it lives.
 *
 * Versioning: the host refuses a plugin whose abi_major differs from BARAZA_PLUGIN_ABI_MAJOR or
 * whose descriptor is shorter than the host needs. A minor bump only appends fields at the end of
 * a struct; a plugin reads host struct fields only when host_api->struct_size covers them.
 */
#ifndef BARAZA_PLUGIN_API_H
#define BARAZA_PLUGIN_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BARAZA_PLUGIN_ABI_MAJOR 1
#define BARAZA_PLUGIN_ABI_MINOR 6
#define BARAZA_PLUGIN_ENTRY_SYMBOL "baraza_plugin_entry"

#if defined(__GNUC__)
#define BARAZA_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define BARAZA_PLUGIN_EXPORT
#endif

/* Opaque handles. */
typedef void* baraza_plugin_ptr;                    /* a plugin instance, owned by the plugin */
typedef struct baraza_host baraza_host;             /* the engine, owned by the host */
typedef struct baraza_http_reply baraza_http_reply; /* one pending HTTP answer, owned by the host */

typedef enum baraza_plugin_kind {
  BARAZA_PLUGIN_KIND_CHANNEL = 1,  /* speaks to a messaging network (WhatsApp, loopback, ...) */
  BARAZA_PLUGIN_KIND_STRATEGY = 2, /* decides an answer (FAQ, AI chain, static reply, ...) */
} baraza_plugin_kind;

typedef enum baraza_log_level {
  BARAZA_LOG_DEBUG = 0,
  BARAZA_LOG_INFO = 1,
  BARAZA_LOG_WARN = 2,
  BARAZA_LOG_ERROR = 3,
} baraza_log_level;

/* Types of a config key. A secret is a string that may also be given as NAME_env or NAME_file
 * and is masked wherever the host prints it. */
typedef enum baraza_config_type {
  BARAZA_CONFIG_STRING = 1,
  BARAZA_CONFIG_INT = 2,
  BARAZA_CONFIG_BOOL = 3,
  BARAZA_CONFIG_STRING_LIST = 4,
  BARAZA_CONFIG_SECRET = 5,
  BARAZA_CONFIG_OBJECT_LIST = 6, /* a list of maps; its fields are keys named "list[].field" */
} baraza_config_type;

/* One config key of a plugin, relative to the plugin's own subtree (channels.<name> for a
 * channel, strategies.<name> for a strategy). All strings are static, owned by the plugin and
 * live as long as the shared object is loaded. default_value is the value in YAML scalar syntax,
 * or null when the key has no default (an absent key is then left out of the config). */
typedef struct baraza_config_key {
  const char* name;          /* "verify_token", "apps[].app_secret"; never null */
  uint32_t type;             /* a baraza_config_type */
  const char* default_value; /* may be null */
  const char* description;   /* one sentence for docs/configuration.md; never null */
} baraza_config_key;

/* A request routed to a plugin. Every pointer is a *_host_buf: valid during on_http only. */
typedef struct baraza_http_request {
  const char* method; /* "GET", "POST", ...; NUL-terminated */
  const char* path;   /* path without the query string; NUL-terminated */
  /* The query string without '?', maybe empty, never null; NUL-terminated. Pistache 0.0.5
   * hands it over parsed, so it is rebuilt: parameter order and repeated names are not kept. */
  const char* query;
  const char* body; /* raw body bytes, exactly as received; not NUL-terminated */
  size_t body_len;
  const char* request_id; /* the engine's id of this request, for log lines; NUL-terminated */
  /* Request headers: header_count names (lower-cased) and values, NUL-terminated each. */
  const char* const* header_names;
  const char* const* header_values;
  size_t header_count;
  baraza_http_reply* reply_host_ptr; /* answer it with host->http_reply(); valid during on_http */
} baraza_http_request;

/* Receives bytes from a host callback (ABI 1.4): `bytes` is a *_host_buf valid during the call;
 * sink_ctx is the caller's own pointer, passed back unchanged. */
typedef void (*baraza_sink_fn)(void* sink_ctx, const char* bytes, size_t len);

/* Callbacks the host implements. The table and the host pointer stay valid from create() until
 * destroy() returns; every callback may be called from any thread. */
typedef struct baraza_host_api {
  uint32_t struct_size; /* sizeof(baraza_host_api) of the host */
  uint32_t abi_major;
  uint32_t abi_minor;
  baraza_host* host_host_ptr; /* pass it back as the first argument of every callback */

  /* Writes one log line tagged with the plugin's name. The host redacts secrets in it. msg is a
   * *_host_buf of the caller: the host copies what it keeps. */
  void (*log)(baraza_host* host, baraza_log_level level, const char* msg, size_t msg_len);

  /* Adds delta to the counter `name` (Prometheus naming, e.g. baraza_loopback_events_total)
   * with labels given as "k1=v1,k2=v2" (or null for none). The host copies both strings. */
  void (*counter_add)(baraza_host* host, const char* name, const char* labels, double delta);

  /* Answers a request given to on_http: status code, content type (null: application/json)
   * and body bytes, which the host copies. Only the first call per request counts. */
  void (*http_reply)(baraza_http_reply* reply, int status, const char* content_type,
                     const char* body, size_t body_len);

  /* Hands an inbound event (a JSON object, UTF-8) from a channel to the engine's pipeline. The
   * host copies the bytes. Returns 0 when accepted, nonzero when refused (the plugin should then
   * answer the network with a retryable error). Since ABI 1.3 (host abi_minor >= 3) it also takes
   * a JSON array of events: all are committed in one transaction, or none are, and 0 comes back
   * only after the commit. */
  int (*emit_inbound)(baraza_host* host, const char* event_json, size_t event_len);

  /* ABI 1.2. Returns 1 when `token` is the webhook verify token of an active channel account of
   * type `channel` ("whatsapp") of an active tenant, else 0; compared in constant time. Both
   * strings are *_host_buf of the caller. Read it only when struct_size covers it. */
  int (*verify_token_known)(baraza_host* host, const char* channel, const char* token,
                            size_t token_len);

  /* ABI 1.4. Hands `sink` the tenant's active knowledge entries as one JSON array of
   * {id, type, question, answer, keywords, category, priority}, as of the tenant's config
   * generation (the `generation` of a strategy's input: cache by it). Returns 0, or 1 when the
   * tenant is unknown. tenant_id is NUL-terminated. Read it only when struct_size covers it. */
  int (*tenant_knowledge)(baraza_host* host, const char* tenant_id, void* sink_ctx,
                          baraza_sink_fn sink);

  /* ABI 1.4. Hands `sink` one of the tenant's sealed secrets, opened: today
   * "ai_providers.<provider>.api_key". Returns 0, 1 when the tenant has no such secret, 2 when
   * it does not open (a wrong master key). The plaintext must never reach a log line or a
   * decision; copy it only as long as a request needs it. */
  int (*tenant_secret)(baraza_host* host, const char* tenant_id, const char* name, void* sink_ctx,
                       baraza_sink_fn sink);
} baraza_host_api;

/* Hooks of a channel plugin. */
typedef struct baraza_channel_vtable {
  uint32_t struct_size; /* sizeof(baraza_channel_vtable) the plugin was built with */

  /* Paths the host routes to on_http. A path whose last segment is a lone asterisk matches that
   * prefix and everything below it. Null-terminated array of static strings; may be null for none.
   */
  const char* const* http_paths;

  /* Handles one HTTP request. Must answer through host->http_reply before returning; a request
   * left unanswered gets a 500. Called concurrently from the server's threads. */
  void (*on_http)(baraza_plugin_ptr self, const baraza_http_request* request);

  /* Sends one outbound message (a JSON object, a *_host_buf valid during the call). Writes a
   * NUL-terminated JSON result of at most result_cap bytes into result_host_buf (the message id
   * or the error) and returns 0 on success, nonzero on failure. May be null for receive-only
   * channels. */
  int (*send)(baraza_plugin_ptr self, const char* message_json, size_t message_len,
              char* result_host_buf, size_t result_cap);

  /* ABI 1.1. Fetches one inbound media file (a JSON request, a *_host_buf valid during the call,
   * naming the file to write) and writes a NUL-terminated JSON result of at most result_cap
   * bytes into result_host_buf. Returns 0 on success. May be null; the host reads it only when
   * struct_size covers it. */
  int (*fetch_media)(baraza_plugin_ptr self, const char* request_json, size_t request_len,
                     char* result_host_buf, size_t result_cap);

  /* ABI 1.6. Checks with the provider that an account's credentials reach it: the request is
   * {"account": {"phone_number_id", "access_token"}} (JSON, a *_host_buf valid during the call).
   * Writes a NUL-terminated JSON result of at most result_cap bytes into result_host_buf:
   * {"ok": true, "display_phone_number", "verified_name"} when they do, else {"ok": false,
   * "class": "fatal" (they do not) | "retry_later" (the provider could not say), "reason",
   * "code"}. Returns 0 when verified. The host calls it before a tenant's or an organization's
   * key registers an account, so a key cannot claim a number its credentials do not reach.
   * May be null: then only the operator registers accounts of this channel. */
  int (*verify_account)(baraza_plugin_ptr self, const char* request_json, size_t request_len,
                        char* result_host_buf, size_t result_cap);
} baraza_channel_vtable;

/* Hooks of a response-strategy plugin. */
typedef struct baraza_strategy_vtable {
  uint32_t struct_size; /* sizeof(baraza_strategy_vtable) the plugin was built with */

  /* Decides an answer for one inbound message (JSON, a *_host_buf valid during the call). Writes
   * a NUL-terminated JSON decision of at most decision_cap bytes into decision_host_buf. Returns
   * 0 when it answered, 1 when it passes to the next strategy, another value on failure.
   * The decision is {"reply": {...}} plus, optionally, what produced it (docs/answers.md):
   * knowledge_entry_id, score, ai {provider, model, latency_ms, prompt_tokens,
   * completion_tokens}, fallback (true), escalate {reason, priority}. Since ABI 1.4 a strategy
   * that passes (1) may still write a JSON object: later strategies find it in their input as
   * hints.<name> (the faq plugin hands its best near misses to ai_chain this way), and an
   * "escalate" in it is carried out even though nothing answered. */
  int (*decide)(baraza_plugin_ptr self, const char* message_json, size_t message_len,
                char* decision_host_buf, size_t decision_cap);

  /* ABI 1.4: BARAZA_STRATEGY_* flags. The host reads it only when struct_size covers it. */
  uint32_t flags;

  /* ABI 1.5, for a strategy flagged BARAZA_STRATEGY_WAITS: returns 1 when decide() would wait
   * on the network for this input, 0 when it would answer or pass at once (AI switched off for
   * the tenant, no provider with a key, a quota reached), so the host keeps such a message in
   * one transaction. message_json is as for decide(). Must not block. May be null: the host then
   * assumes 1. The host reads it only when struct_size covers it. */
  int (*will_wait)(baraza_plugin_ptr self, const char* message_json, size_t message_len);
} baraza_strategy_vtable;

/* The strategy may wait on the network (an AI provider): the host commits the message's
 * records before calling it (unless will_wait says it will not wait this time) and records its
 * answer in a second transaction, so no database lock is held while it waits. */
#define BARAZA_STRATEGY_WAITS 1u
/* ABI 1.5: the strategy reads conversation.unanswered_streak. The host looks the streak up only
 * for a chain with such a strategy (or one built before ABI 1.5, which gets it always). */
#define BARAZA_STRATEGY_READS_STREAK 2u
/* ABI 1.5: the strategy reads conversation.messages, the conversation's latest messages. The
 * host looks them up only for a chain with such a strategy (before ABI 1.5: one that waits). */
#define BARAZA_STRATEGY_READS_HISTORY 4u

/* What the entry symbol returns: a pointer to static storage, owned by the plugin, valid while
 * the shared object is loaded. The host copies what it keeps. */
typedef struct baraza_plugin_descriptor {
  uint32_t abi_major;      /* BARAZA_PLUGIN_ABI_MAJOR of the headers the plugin was built with */
  uint32_t abi_minor;      /* BARAZA_PLUGIN_ABI_MINOR of the same */
  uint32_t struct_size;    /* sizeof(baraza_plugin_descriptor) as the plugin was built */
  uint32_t kind;           /* a baraza_plugin_kind */
  const char* name;        /* unique among loaded plugins, [a-z0-9_]+; never null */
  const char* version;     /* the plugin's own version, free text; never null */
  const char* description; /* one line; never null */

  const baraza_config_key* config_keys; /* the plugin's config table; null when it has none */
  size_t config_key_count;

  /* Creates the plugin instance. config_json is a *_host_buf: the plugin's validated config
   * subtree as a JSON object, defaults applied and secrets resolved. host is valid until
   * destroy() returns. On failure returns null and writes a NUL-terminated reason of at most
   * error_cap bytes into error_host_buf. Never null. */
  baraza_plugin_ptr (*create)(const baraza_host_api* host, const char* config_json,
                              size_t config_len, char* error_host_buf, size_t error_cap);

  /* Frees what create() returned; called once, after the last hook call. Never null. */
  void (*destroy)(baraza_plugin_ptr self);

  /* The kind's hooks: a baraza_channel_vtable* or a baraza_strategy_vtable*, static storage
   * owned by the plugin. Never null. */
  const void* vtable;
} baraza_plugin_descriptor;

/* The entry symbol every plugin exports. Returns null only if the plugin cannot run at all. */
typedef const baraza_plugin_descriptor* (*baraza_plugin_entry_fn)(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BARAZA_PLUGIN_API_H */
