#pragma once

#include <chrono>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <lua.hpp>
#include <nlohmann/json.hpp>

namespace baraza {

// The hooks a tenant script may define (docs/scripting.md is generated from these tables).
enum class Hook { kOnMessage, kRoute, kFaq, kEscalate, kBeforeSend };
constexpr int kHookCount = 5;

struct HookSpec {
  Hook hook;
  const char* name;
  const char* signature;
  const char* doc;
};
const std::vector<HookSpec>& hookSpecs();
const HookSpec& hookSpec(Hook hook);
std::optional<Hook> hookByName(std::string_view name);
constexpr unsigned hookBit(Hook h) {
  return 1u << static_cast<unsigned>(h);
}
constexpr unsigned kAllHooks = (1u << kHookCount) - 1;

// What the host lends a hook. The pipeline's works inside the message's transaction; the
// script tester's keeps everything in memory. Runtime failures return false with `error`.
class ScriptServices {
 public:
  virtual ~ScriptServices() = default;
  // Values are JSON text.
  virtual bool kvGet(const std::string& key, std::optional<std::string>& value,
                     std::string& error) = 0;
  virtual bool kvSet(const std::string& key, const std::string& value, long long ttl_seconds,
                     std::string& error) = 0;
  virtual bool kvDel(const std::string& key, std::string& error) = 0;
  // The conversation's last `limit` messages, oldest first: [{direction, type, text, at}].
  virtual bool recentMessages(int limit, nlohmann::json& out, std::string& error) = 0;
  // The tenant's best knowledge entries for `text`: [{id, question, answer, category, score}].
  virtual nlohmann::json faqSearch(const std::string& text, int limit) = 0;
};

// The read-only views a hook sees (tenant, settings, contact, conversation, message).
struct ScriptInput {
  nlohmann::json tenant = nlohmann::json::object();  // slug, name
  nlohmann::json settings = nlohmann::json::object();
  nlohmann::json contact = nlohmann::json::object();       // id, wa_id, name
  nlohmann::json conversation = nlohmann::json::object();  // id, status, window_expires_at...
  nlohmann::json message = nlohmann::json::object();       // the normalized inbound event
  long long now_ms = 0;
  bool open_now = true;
  int utc_offset_minutes = 0;  // now; with a time_zone, each time's own offset is used
  std::string time_zone;       // settings.time_zone, "" for the fixed offset
};

struct Escalation {
  std::string reason;
  std::string priority = "medium";
};

// What a hook asked for through ctx: its reply, an escalation, its log lines.
struct HookEffects {
  std::optional<nlohmann::json> reply;  // a channel send request without to and reply_to
  std::optional<Escalation> escalation;
  std::vector<std::string> logs;  // "info: text"
};

// The state of the hook that is running, reached by ctx functions through their sandbox.
struct HookCall {
  Hook hook = Hook::kRoute;
  unsigned generation = 0;
  const ScriptInput* input = nullptr;
  ScriptServices* services = nullptr;
  HookEffects* effects = nullptr;
  std::string tenant;                     // for log lines
  int host_calls = 0;                     // ctx calls that reached the database so far
  std::chrono::nanoseconds host_time{0};  // their time credited to the deadline so far
};

// One function of ctx: its path ("kv.get"), signature, documentation, the hooks that may call
// it, and its implementation.
struct ApiFunction {
  const char* path;
  const char* signature;
  const char* doc;
  unsigned hooks;
  lua_CFunction fn;
};
const std::vector<ApiFunction>& apiFunctions();

struct ApiView {
  const char* name;
  const char* fields;
  const char* doc;
};
const std::vector<ApiView>& apiViews();

// Pushes a fresh ctx for `call` (whose generation must be the sandbox's current one): views
// and functions are made on first use; all of them die when the generation moves on.
void pushContext(lua_State* L);
// Pushes a read-only proxy of `value` (an object); writes raise "<name> is read-only".
void pushReadOnly(lua_State* L, const nlohmann::json& value, const char* name);

// A reply given to ctx.reply, returned by a hook or edited by before_send, as a channel send
// request: "text" -> {"kind":"text","text":...}; {buttons}, {sections}, {template}, {kind...}.
bool replyFromJson(const nlohmann::json& value, nlohmann::json& reply, std::string& error);

// The Markdown reference (docs/scripting.md), generated from the tables above.
std::string scriptingReference();

}  // namespace baraza
