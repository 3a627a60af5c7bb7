// The ctx API: one table of functions (and one of views) from which ctx is built, calls are
// checked and docs/scripting.md is generated.
#include "scripting/script_api.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>

#include <spdlog/spdlog.h>

#include "scripting/lua_json.h"
#include "scripting/lua_sandbox.h"
#include "tenancy/business_hours.h"
#include "tenancy/local_time.h"

namespace baraza {
namespace {

using nlohmann::json;

constexpr unsigned kOnMessage = hookBit(Hook::kOnMessage);
constexpr unsigned kRoute = hookBit(Hook::kRoute);
constexpr unsigned kFaq = hookBit(Hook::kFaq);
constexpr unsigned kEscalate = hookBit(Hook::kEscalate);
constexpr size_t kMaxKeyBytes = 128;
constexpr size_t kMaxValueBytes = 64 * 1024;
constexpr size_t kMaxLogLines = 100;
constexpr size_t kMaxLogBytes = 1000;

HookCall& liveCall(lua_State* L, int generation_upvalue) {
  HookCall* call = LuaSandbox::of(L).currentCall();
  auto generation = static_cast<unsigned>(lua_tonumber(L, lua_upvalueindex(generation_upvalue)));
  if (!call || call->generation != generation)
    luaL_error(L, "ctx is dead: its hook has returned (keep data in ctx.kv, not ctx)");
  return *call;
}

HookCall& current(lua_State* L) {
  return *LuaSandbox::of(L).currentCall();
}

std::string checkKey(lua_State* L, const char* fn) {
  size_t len = 0;
  const char* key = luaL_checklstring(L, 1, &len);
  if (len == 0 || len > kMaxKeyBytes)
    luaL_error(L, "%s: a key is 1 to %d bytes", fn, static_cast<int>(kMaxKeyBytes));
  std::string text(key, len);
  // PostgreSQL refuses anything else in TEXT.
  if (text.find('\0') != std::string::npos || validUtf8(text) != text)
    luaL_error(L, "%s: a key is UTF-8 text without NUL", fn);
  return text;
}

// A ctx call that reaches the database. At most limits.host_calls per hook: past them the call
// raises (one tenant's loop must not hold the shared write lock). The time it takes is not the
// script's, up to limits.host_ms per hook: the deadline moves on by it; past that cap the host
// time counts against the script's budget, and the next instruction stops a script that is over.
class HostTime {
 public:
  HostTime(lua_State* L, const char* fn) : L_(L), start_(std::chrono::steady_clock::now()) {
    // Host time past the cap may have used up the budget: stop here, before more of it (a loop
    // of a few instructions between calls would not reach the instruction hook in time).
    LuaSandbox::checkDeadline(L);
    HookCall& call = current(L);
    int most = LuaSandbox::of(L).limits().host_calls;
    if (++call.host_calls > most)
      luaL_error(L, "%s: a hook may make at most %d database calls (ctx.kv, recent messages)", fn,
                 most);
  }
  ~HostTime() {
    LuaSandbox& sandbox = LuaSandbox::of(L_);
    HookCall& call = current(L_);
    auto cap = std::chrono::milliseconds(sandbox.limits().host_ms);
    auto took = std::chrono::steady_clock::now() - start_;
    auto credit = std::max(std::chrono::nanoseconds(0),
                           std::min<std::chrono::nanoseconds>(took, cap - call.host_time));
    call.host_time += credit;
    sandbox.extendDeadline(credit);
  }
  HostTime(const HostTime&) = delete;
  HostTime& operator=(const HostTime&) = delete;

 private:
  lua_State* L_;
  std::chrono::steady_clock::time_point start_;
};

int failed(lua_State* L, const std::string& error) {
  lua_pushnil(L);
  lua_pushlstring(L, error.data(), error.size());
  return 2;
}

int ctxReply(lua_State* L) {
  luaL_checkany(L, 1);
  json value, reply;
  std::string error;
  if (!toJson(L, 1, value, error) || !replyFromJson(value, reply, error))
    return luaL_error(L, "ctx.reply: %s", error.c_str());
  current(L).effects->reply = std::move(reply);
  lua_pushboolean(L, 1);
  return 1;
}

int ctxEscalate(lua_State* L) {
  Escalation escalation;
  escalation.reason = validUtf8(luaL_checkstring(L, 1));
  if (!lua_isnoneornil(L, 2)) {
    escalation.priority = luaL_checkstring(L, 2);
    const auto& p = escalation.priority;
    if (p != "low" && p != "medium" && p != "high" && p != "urgent")
      return luaL_error(L, "ctx.escalate: priority is low, medium, high or urgent, not '%s'",
                        p.c_str());
  }
  current(L).effects->escalation = std::move(escalation);
  lua_pushboolean(L, 1);
  return 1;
}

int ctxLog(lua_State* L) {
  size_t len = 0;
  const char* text = luaL_checklstring(L, 1, &len);
  std::string level = luaL_optstring(L, 2, "info");
  if (level != "debug" && level != "info" && level != "warn" && level != "error")
    return luaL_error(L, "ctx.log: level is debug, info, warn or error, not '%s'", level.c_str());
  HookCall& call = current(L);
  if (call.effects->logs.size() >= kMaxLogLines)
    return 0;
  std::string line(text, std::min(len, kMaxLogBytes));
  const char* hook = hookSpec(call.hook).name;
  auto spd = level == "debug"   ? spdlog::level::debug
             : level == "warn"  ? spdlog::level::warn
             : level == "error" ? spdlog::level::err
                                : spdlog::level::info;
  spdlog::log(spd, "script {} {}: {}", call.tenant, hook, line);
  call.effects->logs.push_back(level + ": " + line);
  return 0;
}

int ctxNow(lua_State* L) {
  lua_pushnumber(L, static_cast<double>(current(L).input->now_ms) / 1000.0);
  return 1;
}

int kvGet(lua_State* L) {
  std::string key = checkKey(L, "ctx.kv.get");
  std::optional<std::string> value;
  std::string error;
  bool ok;
  {
    HostTime host(L, "ctx.kv.get");
    ok = current(L).services->kvGet(key, value, error);
  }
  if (!ok)
    return failed(L, error);
  if (!value) {
    lua_pushnil(L);
    return 1;
  }
  json parsed = json::parse(*value, nullptr, false);
  pushJson(L, parsed);
  return 1;
}

int kvSet(lua_State* L) {
  std::string key = checkKey(L, "ctx.kv.set");
  if (lua_isnoneornil(L, 2))
    return luaL_error(L, "ctx.kv.set: a value is needed (ctx.kv.del removes a key)");
  json value;
  std::string error;
  if (!toJson(L, 2, value, error))
    return luaL_error(L, "ctx.kv.set: %s", error.c_str());
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > kMaxValueBytes)
    return luaL_error(L, "ctx.kv.set: the value is %d bytes as JSON; at most %d",
                      static_cast<int>(text.size()), static_cast<int>(kMaxValueBytes));
  long long ttl = 0;
  if (!lua_isnoneornil(L, 3)) {
    double seconds = luaL_checknumber(L, 3);
    if (!(seconds > 0) || seconds > 10 * 365 * 86400.0)
      return luaL_error(L, "ctx.kv.set: ttl is a positive number of seconds");
    ttl = static_cast<long long>(std::ceil(seconds));
  }
  bool ok;
  {
    HostTime host(L, "ctx.kv.set");
    ok = current(L).services->kvSet(key, text, ttl, error);
  }
  if (!ok)
    return failed(L, error);
  lua_pushboolean(L, 1);
  return 1;
}

int kvDel(lua_State* L) {
  std::string key = checkKey(L, "ctx.kv.del");
  std::string error;
  bool ok;
  {
    HostTime host(L, "ctx.kv.del");
    ok = current(L).services->kvDel(key, error);
  }
  if (!ok)
    return failed(L, error);
  lua_pushboolean(L, 1);
  return 1;
}

int faqSearch(lua_State* L) {
  std::string text = luaL_checkstring(L, 1);
  if (text.size() > 4096)
    text.resize(4096);  // a customer's message is far shorter; the search stays cheap
  int limit = static_cast<int>(luaL_optinteger(L, 2, 3));
  if (limit < 1 || limit > 20)
    return luaL_error(L, "ctx.faq.search: limit is 1 to 20");
  pushJson(L, current(L).services->faqSearch(text, limit));
  return 1;
}

std::time_t checkTime(lua_State* L, int index) {
  if (lua_isnoneornil(L, index))
    return static_cast<std::time_t>(current(L).input->now_ms / 1000);
  return static_cast<std::time_t>(luaL_checknumber(L, index));
}

int hoursOpenNow(lua_State* L) {
  lua_pushboolean(L, current(L).input->open_now);
  return 1;
}

int hoursIsOpen(lua_State* L) {
  std::string spec = luaL_checkstring(L, 1);
  std::time_t at = checkTime(L, 2);
  std::string problem;
  parseBusinessHours(spec, problem);
  if (!problem.empty())
    return luaL_error(L, "ctx.hours.is_open: %s", problem.c_str());
  const ScriptInput& in = *current(L).input;
  lua_pushboolean(L,
                  isOpenAt(spec, at, utcOffsetMinutesAt(in.time_zone, in.utc_offset_minutes, at)));
  return 1;
}

int hoursLocalTime(lua_State* L) {
  const ScriptInput& in = *current(L).input;
  std::time_t at = checkTime(L, 1);
  at += static_cast<std::time_t>(utcOffsetMinutesAt(in.time_zone, in.utc_offset_minutes, at)) * 60;
  std::tm tm{};
  gmtime_r(&at, &tm);
  lua_createtable(L, 0, 6);
  const std::pair<const char*, int> fields[] = {
      {"year", tm.tm_year + 1900}, {"month", tm.tm_mon + 1}, {"day", tm.tm_mday},
      {"hour", tm.tm_hour},        {"min", tm.tm_min},       {"wday", tm.tm_wday + 1}};
  for (const auto& [name, value] : fields) {
    lua_pushinteger(L, value);
    lua_setfield(L, -2, name);
  }
  return 1;
}

int jsonEncode(lua_State* L) {
  luaL_checkany(L, 1);
  json value;
  std::string error;
  if (!toJson(L, 1, value, error))
    return luaL_error(L, "ctx.json.encode: %s", error.c_str());
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  lua_pushlstring(L, text.data(), text.size());
  return 1;
}

int jsonDecode(lua_State* L) {
  size_t len = 0;
  const char* text = luaL_checklstring(L, 1, &len);
  if (len > (1u << 20))
    return failed(L, "more than 1 MiB of JSON");
  json value = json::parse(std::string_view(text, len), nullptr, false);
  if (value.is_discarded())
    return failed(L, "not valid JSON");
  if (value.is_null()) {
    lua_pushnil(L);
    return 1;
  }
  pushJson(L, value);
  return 1;
}

const std::vector<ApiView> kViews = {
    {"tenant", "`slug`, `name`", "The tenant the message came to."},
    {"settings", "every key of the tenant's settings (docs/tenants.md)",
     "The tenant's settings as the engine serves them: `bot_enabled`, `strategies`, "
     "`static_reply`, `business_hours`, `escalation_phone`, ..."},
    {"contact", "`id`, `wa_id`, `name`, `user_id`", "Who wrote."},
    {"conversation", "`id`, `status`, `window_expires_at`, `assigned_to`, `messages`",
     "The conversation; `messages` holds its last 10 messages, oldest first, each "
     "`{direction, type, text, at}`, loaded on first use."},
    {"message", "`id`, `type`, `text`, `from`, `interactive`, `location`, `timestamp`, ...",
     "The inbound message in the engine's normalized form (docs/channels/whatsapp.md): "
     "`text` for text and captions, `interactive.id`/`title` for button and list replies, "
     "`location.latitude`/`longitude`/`name`/`address`. Also the hooks' `msg` argument."},
};

}  // namespace

const std::vector<HookSpec>& hookSpecs() {
  static const std::vector<HookSpec> specs = {
      {Hook::kOnMessage, "on_message", "on_message(ctx, msg)",
       "Runs first, for every inbound message to an active tenant, even when the bot stays "
       "silent (bot disabled, a person has the conversation). Its return value is ignored; "
       "`ctx.reply` answers the message directly (when the bot may answer) and skips route; "
       "`ctx.escalate` asks for a person."},
      {Hook::kRoute, "route", "route(ctx, msg) -> chain | false | nil",
       "Picks how the message is answered: a strategy chain as text (`\"faq,static_reply\"`) "
       "or a list (`{\"faq\", \"ai_chain\"}`), `false` for no answer, `nil` for the tenant's "
       "`settings.strategies`. `ctx.reply` answers directly (recorded as strategy `script`)."},
      {Hook::kFaq, "faq", "faq(ctx, msg) -> reply | nil",
       "Runs when the chain reaches `faq`, before the FAQ strategy. A reply (returned, or given "
       "to `ctx.reply`) is the FAQ answer; `nil` lets the FAQ strategy answer. "
       "`ctx.faq.search` gives the candidates, to override or augment."},
      {Hook::kEscalate, "escalate", "escalate(ctx, msg, reason) -> false | nil | {to, priority}",
       "Runs when a hook called `ctx.escalate`. `false` cancels; `{to = \"2547...\", priority "
       "= \"high\"}` escalates to that person; `nil` takes scripts/default's answer (to "
       "`settings.escalation_phone`). The escalation is recorded as an open action and the "
       "conversation is marked escalated. `ctx.reply` may tell the customer."},
      {Hook::kBeforeSend, "before_send", "before_send(ctx, reply) -> reply | false | nil",
       "Runs on every reply the engine is about to queue, with the reply as an editable table "
       "(`kind`, `text`, ...). Return a new reply (or text) to replace it, `false` to send "
       "nothing, `nil` to keep it."},
  };
  return specs;
}

const HookSpec& hookSpec(Hook hook) {
  return hookSpecs()[static_cast<size_t>(hook)];
}

std::optional<Hook> hookByName(std::string_view name) {
  for (const auto& spec : hookSpecs()) {
    if (name == spec.name)
      return spec.hook;
  }
  return std::nullopt;
}

const std::vector<ApiFunction>& apiFunctions() {
  static const std::vector<ApiFunction> functions = {
      {"reply",
       "ctx.reply(text | {text} | {body, buttons} | {body, button, sections} | "
       "{template})",
       "Answers the message. Buttons are up to 3 `{id, title}` (or plain titles); a list has "
       "`sections = {{title, rows = {{id, title, description}}}}`; a template is `{name, "
       "language, components}`; a table with `kind` is a full send request "
       "(docs/channels/whatsapp.md). The last call wins.",
       kOnMessage | kRoute | kFaq | kEscalate, ctxReply},
      {"escalate", "ctx.escalate(reason [, priority])",
       "Asks for a person; the escalate hook then decides whether and to whom. Priority is "
       "`low`, `medium` (default), `high` or `urgent`.",
       kOnMessage | kRoute | kFaq, ctxEscalate},
      {"log", "ctx.log(text [, level])",
       "A log line with the tenant and hook (`debug`, `info` (default), `warn`, `error`); at "
       "most 100 lines of 1,000 bytes per call.",
       kAllHooks, ctxLog},
      {"now", "ctx.now() -> seconds", "The message's processing time, in epoch seconds.", kAllHooks,
       ctxNow},
      {"kv.get", "ctx.kv.get(key) -> value | nil [, err]",
       "A value this tenant stored (any JSON value: string, number, boolean, table).", kAllHooks,
       kvGet},
      {"kv.set", "ctx.kv.set(key, value [, ttl_seconds]) -> true | nil, err",
       "Stores a value for this tenant, kept with the message's transaction. Keys are 1-128 "
       "bytes, values at most 64 KiB as JSON; a tenant holds at most 1 MiB (then nil, err).",
       kAllHooks, kvSet},
      {"kv.del", "ctx.kv.del(key) -> true | nil, err", "Removes a key.", kAllHooks, kvDel},
      {"faq.search",
       "ctx.faq.search(text [, limit]) -> {{id, question, answer, category, "
       "score}}",
       "The tenant's best active knowledge entries for `text` (limit 1-20, default 3), best "
       "first.",
       kAllHooks, faqSearch},
      {"hours.open_now", "ctx.hours.open_now() -> boolean",
       "Whether the tenant is open now, by `settings.business_hours`.", kAllHooks, hoursOpenNow},
      {"hours.is_open", "ctx.hours.is_open(spec [, time]) -> boolean",
       "Whether `time` (default now) falls in hours written like `\"mon-fri 08:00-18:00, sat "
       "09:00-13:00\"`, in the tenant's local time (`settings.time_zone`, else "
       "`utc_offset_minutes`).",
       kAllHooks, hoursIsOpen},
      {"hours.local_time", "ctx.hours.local_time([time]) -> {year, month, day, hour, min, wday}",
       "The tenant's local time (wday 1 = Sunday, as os.date).", kAllHooks, hoursLocalTime},
      {"json.encode", "ctx.json.encode(value) -> text", "A value as JSON text.", kAllHooks,
       jsonEncode},
      {"json.decode", "ctx.json.decode(text) -> value | nil, err",
       "JSON text as a value; nil and an error for text that is not JSON.", kAllHooks, jsonDecode},
  };
  return functions;
}

const std::vector<ApiView>& apiViews() {
  return kViews;
}

namespace {

// A ctx function: upvalue 1 is the hook's generation, 2 the function's index in the table.
int trampoline(lua_State* L) {
  HookCall& call = liveCall(L, 1);
  const ApiFunction& f = apiFunctions()[static_cast<size_t>(lua_tointeger(L, lua_upvalueindex(2)))];
  if (!(f.hooks & hookBit(call.hook)))
    return luaL_error(L, "ctx.%s cannot be called in %s", f.path, hookSpec(call.hook).name);
  return f.fn(L);
}

void pushFunction(lua_State* L, size_t index, unsigned generation) {
  lua_pushnumber(L, generation);
  lua_pushinteger(L, static_cast<lua_Integer>(index));
  lua_pushcclosure(L, trampoline, 2);
}

int readOnlyError(lua_State* L) {
  return luaL_error(L, "%s is read-only", lua_tostring(L, lua_upvalueindex(1)));
}

// ctx's __index: upvalue 1 the generation, 2 the cache of what was made.
int contextIndex(lua_State* L) {
  HookCall& call = liveCall(L, 1);
  size_t len = 0;
  const char* key = lua_tolstring(L, 2, &len);
  if (!key)
    return luaL_error(L, "ctx fields are names");
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(2));
  if (!lua_isnil(L, -1))
    return 1;
  lua_pop(L, 1);
  std::string name(key, len);
  const ScriptInput& in = *call.input;
  bool made = true;
  if (name == "tenant") {
    pushReadOnly(L, in.tenant, "ctx.tenant");
  } else if (name == "settings") {
    pushReadOnly(L, in.settings, "ctx.settings");
  } else if (name == "contact") {
    pushReadOnly(L, in.contact, "ctx.contact");
  } else if (name == "message") {
    pushReadOnly(L, in.message, "ctx.message");
  } else if (name == "conversation") {
    json conversation = in.conversation;
    json messages = json::array();
    std::string error;
    bool ok;
    {
      HostTime host(L, "ctx.conversation");
      ok = call.services->recentMessages(10, messages, error);
    }
    if (!ok) {
      spdlog::warn("script {}: recent messages unavailable: {}", call.tenant, error);
      messages = json::array();
    }
    conversation["messages"] = messages;
    pushReadOnly(L, conversation, "ctx.conversation");
  } else {
    made = false;
    const auto& functions = apiFunctions();
    std::string prefix = name + ".";
    bool is_namespace = false;
    for (size_t i = 0; i < functions.size(); ++i) {
      if (name == functions[i].path) {
        pushFunction(L, i, call.generation);
        made = true;
        break;
      }
      if (std::strncmp(functions[i].path, prefix.c_str(), prefix.size()) == 0) {
        if (!is_namespace)
          lua_newtable(L);
        is_namespace = true;
        pushFunction(L, i, call.generation);
        lua_setfield(L, -2, functions[i].path + prefix.size());
      }
    }
    made = made || is_namespace;
  }
  if (!made)
    return luaL_error(L, "ctx.%s does not exist", name.c_str());
  lua_pushvalue(L, 2);
  lua_pushvalue(L, -2);
  lua_rawset(L, lua_upvalueindex(2));
  return 1;
}

}  // namespace

void pushReadOnly(lua_State* L, const json& value, const char* name) {
  lua_newtable(L);  // the proxy
  lua_createtable(L, 0, 3);
  pushJson(L, value.is_object() ? value : json::object());
  lua_setfield(L, -2, "__index");
  lua_pushstring(L, name);
  lua_pushcclosure(L, readOnlyError, 1);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
}

void pushContext(lua_State* L) {
  HookCall* call = LuaSandbox::of(L).currentCall();
  lua_newtable(L);  // ctx itself stays empty: everything comes through __index
  lua_createtable(L, 0, 3);
  lua_pushnumber(L, call->generation);
  lua_createtable(L, 0, 4);
  lua_pushcclosure(L, contextIndex, 2);
  lua_setfield(L, -2, "__index");
  lua_pushliteral(L, "ctx");
  lua_pushcclosure(L, readOnlyError, 1);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
}

bool replyFromJson(const json& value, json& reply, std::string& error) {
  auto text = [](const json& obj, const char* key) {
    return obj.contains(key) && obj[key].is_string() ? obj[key].get<std::string>() : "";
  };
  if (value.is_string()) {
    if (value.get<std::string>().empty()) {
      error = "the text is empty";
      return false;
    }
    reply = {{"kind", "text"}, {"text", value}};
    return true;
  }
  if (!value.is_object()) {
    error = "give a text or a table";
    return false;
  }
  if (value.contains("kind")) {
    if (!value["kind"].is_string() || value["kind"] == "mark_read") {
      error = "kind must name a send kind (docs/channels/whatsapp.md)";
      return false;
    }
    reply = value;
    return true;
  }
  std::string body = text(value, "body").empty() ? text(value, "text") : text(value, "body");
  if (value.contains("template")) {
    json t = value["template"];
    if (t.is_string())
      t = {{"name", t}};
    if (!t.is_object() || text(t, "name").empty()) {
      error = "template needs a name";
      return false;
    }
    if (!t.contains("language"))
      t["language"] = value.contains("language") ? value["language"] : json("en");
    reply = {{"kind", "template"}, {"template", t}};
    return true;
  }
  if (value.contains("buttons")) {
    const json& list = value["buttons"];
    if (!list.is_array() || list.empty() || list.size() > 3 || body.empty()) {
      error = "buttons need a body and 1 to 3 buttons";
      return false;
    }
    json buttons = json::array();
    for (const auto& b : list) {
      if (b.is_string()) {
        buttons.push_back({{"id", b}, {"title", b}});
      } else if (b.is_object() && !text(b, "title").empty()) {
        buttons.push_back({{"id", text(b, "id").empty() ? text(b, "title") : text(b, "id")},
                           {"title", text(b, "title")}});
      } else {
        error = "each button is a title or {id, title}";
        return false;
      }
    }
    reply = {{"kind", "buttons"}, {"body", body}, {"buttons", buttons}};
    for (const char* extra : {"header", "footer"}) {
      if (!text(value, extra).empty())
        reply[extra] = text(value, extra);
    }
    return true;
  }
  if (value.contains("sections")) {
    if (!value["sections"].is_array() || value["sections"].empty() || body.empty()) {
      error = "a list needs a body and sections";
      return false;
    }
    std::string button = text(value, "button").empty() ? "Menu" : text(value, "button");
    reply = {{"kind", "list"}, {"body", body}, {"button", button}, {"sections", value["sections"]}};
    return true;
  }
  if (!text(value, "text").empty()) {
    reply = {{"kind", "text"}, {"text", text(value, "text")}};
    return true;
  }
  error = "give text, buttons, sections, template or kind";
  return false;
}

}  // namespace baraza
