// The matcher is Lua 5.1's (lstrlib.c, Copyright (C) 1994-2012 Lua.org, PUC-Rio, MIT licence),
// with a step budget charged on every matcher step and a nesting limit, so that a catastrophic
// pattern such as '.-.-.-.-b$' on a long subject fails fast instead of running for minutes
// inside a C function that no instruction hook can interrupt.
#include "scripting/bounded_patterns.h"

#include "scripting/lua_sandbox.h"

#include <cctype>
#include <cstddef>
#include <cstring>

namespace baraza {
namespace {

constexpr char kEsc = '%';
constexpr const char* kSpecials = "^$*+?.([%-";
constexpr int kMaxCaptures = 32;
constexpr int kMaxDepth = 200;
constexpr ptrdiff_t kCapUnfinished = -1;
constexpr ptrdiff_t kCapPosition = -2;

struct MatchState {
  const char* src_init;
  const char* src_end;
  lua_State* L;
  int level;
  int depth;
  long steps_left;
  long max_steps;
  struct {
    const char* init;
    ptrdiff_t len;
  } capture[kMaxCaptures];
};

long maxSteps(lua_State* L) {
  return static_cast<long>(lua_tonumber(L, lua_upvalueindex(1)));
}

void step(MatchState* ms, long cost = 1) {
  long before = ms->steps_left;
  ms->steps_left -= cost;
  if (ms->steps_left < 0)
    luaL_error(ms->L, "pattern too complex (more than %d matcher steps)",
               static_cast<int>(ms->max_steps));
  if ((before >> 12) != (ms->steps_left >> 12))
    LuaSandbox::checkDeadline(ms->L);  // every 4,096 steps: gsub's output may grow slowly
}

int checkCapture(MatchState* ms, int l) {
  l -= '1';
  if (l < 0 || l >= ms->level || ms->capture[l].len == kCapUnfinished)
    return luaL_error(ms->L, "invalid capture index");
  return l;
}

int captureToClose(MatchState* ms) {
  int level = ms->level;
  for (level--; level >= 0; level--) {
    if (ms->capture[level].len == kCapUnfinished)
      return level;
  }
  return luaL_error(ms->L, "invalid pattern capture");
}

const char* classEnd(MatchState* ms, const char* p, const char* p_end) {
  if (p >= p_end)
    luaL_error(ms->L, "malformed pattern (ends with '%%')");
  switch (*p++) {
    case kEsc:
      if (p >= p_end)
        luaL_error(ms->L, "malformed pattern (ends with '%%')");
      return p + 1;
    case '[':
      if (p < p_end && *p == '^')
        p++;
      do {  // look for a ']'
        if (p >= p_end)
          luaL_error(ms->L, "malformed pattern (missing ']')");
        if (*(p++) == kEsc && p < p_end)
          p++;  // skip escapes (e.g. '%]')
      } while (p >= p_end || *p != ']');
      return p + 1;
    default:
      return p;
  }
}

int matchClass(int c, int cl) {
  int res;
  switch (std::tolower(cl)) {
    case 'a':
      res = std::isalpha(c);
      break;
    case 'c':
      res = std::iscntrl(c);
      break;
    case 'd':
      res = std::isdigit(c);
      break;
    case 'g':
      res = std::isgraph(c);
      break;
    case 'l':
      res = std::islower(c);
      break;
    case 'p':
      res = std::ispunct(c);
      break;
    case 's':
      res = std::isspace(c);
      break;
    case 'u':
      res = std::isupper(c);
      break;
    case 'w':
      res = std::isalnum(c);
      break;
    case 'x':
      res = std::isxdigit(c);
      break;
    case 'z':
      res = (c == 0);
      break;
    default:
      return (cl == c);
  }
  if (std::isupper(cl))
    res = !res;
  return res;
}

int matchBracketClass(int c, const char* p, const char* ec) {
  int sig = 1;
  if (*(p + 1) == '^') {
    sig = 0;
    p++;  // skip the '^'
  }
  while (++p < ec) {
    if (*p == kEsc) {
      p++;
      if (matchClass(c, static_cast<unsigned char>(*p)))
        return sig;
    } else if (*(p + 1) == '-' && (p + 2 < ec)) {
      p += 2;
      if (static_cast<unsigned char>(*(p - 2)) <= c && c <= static_cast<unsigned char>(*p))
        return sig;
    } else if (static_cast<unsigned char>(*p) == c) {
      return sig;
    }
  }
  return !sig;
}

int singleMatch(MatchState* ms, const char* s, const char* p, const char* ep) {
  if (s >= ms->src_end)
    return 0;
  int c = static_cast<unsigned char>(*s);
  switch (*p) {
    case '.':
      return 1;
    case kEsc:
      return matchClass(c, static_cast<unsigned char>(*(p + 1)));
    case '[':
      return matchBracketClass(c, p, ep - 1);
    default:
      return (static_cast<unsigned char>(*p) == c);
  }
}

const char* match(MatchState* ms, const char* s, const char* p, const char* p_end);

const char* matchBalance(MatchState* ms, const char* s, const char* p, const char* p_end) {
  if (p + 1 >= p_end)
    luaL_error(ms->L, "unbalanced pattern");
  if (s >= ms->src_end || *s != *p)
    return nullptr;
  int b = *p, e = *(p + 1), cont = 1;
  while (++s < ms->src_end) {
    step(ms);
    if (*s == e) {
      if (--cont == 0)
        return s + 1;
    } else if (*s == b) {
      cont++;
    }
  }
  return nullptr;  // string ends out of balance
}

const char* maxExpand(MatchState* ms, const char* s, const char* p, const char* ep,
                      const char* p_end) {
  ptrdiff_t i = 0;  // counts maximum expand for item
  while (singleMatch(ms, s + i, p, ep)) {
    step(ms);
    i++;
  }
  // keeps trying to match with the maximum repetitions
  while (i >= 0) {
    step(ms);
    const char* res = match(ms, (s + i), ep + 1, p_end);
    if (res)
      return res;
    i--;  // else didn't match; reduce 1 repetition to try again
  }
  return nullptr;
}

const char* minExpand(MatchState* ms, const char* s, const char* p, const char* ep,
                      const char* p_end) {
  for (;;) {
    step(ms);
    const char* res = match(ms, s, ep + 1, p_end);
    if (res != nullptr)
      return res;
    if (singleMatch(ms, s, p, ep))
      s++;  // try with one more repetition
    else
      return nullptr;
  }
}

const char* startCapture(MatchState* ms, const char* s, const char* p, const char* p_end,
                         ptrdiff_t what) {
  int level = ms->level;
  if (level >= kMaxCaptures)
    luaL_error(ms->L, "too many captures");
  ms->capture[level].init = s;
  ms->capture[level].len = what;
  ms->level = level + 1;
  const char* res = match(ms, s, p, p_end);
  if (res == nullptr)
    ms->level--;  // undo capture
  return res;
}

const char* endCapture(MatchState* ms, const char* s, const char* p, const char* p_end) {
  int l = captureToClose(ms);
  ms->capture[l].len = s - ms->capture[l].init;  // close capture
  const char* res = match(ms, s, p, p_end);
  if (res == nullptr)
    ms->capture[l].len = kCapUnfinished;  // undo capture
  return res;
}

const char* matchCapture(MatchState* ms, const char* s, int l) {
  l = checkCapture(ms, l);
  size_t len = static_cast<size_t>(ms->capture[l].len);
  step(ms, static_cast<long>(len / 16));  // a backreference compares len bytes
  if (static_cast<size_t>(ms->src_end - s) >= len && std::memcmp(ms->capture[l].init, s, len) == 0)
    return s + len;
  return nullptr;
}

struct DepthGuard {
  MatchState* ms;
  explicit DepthGuard(MatchState* m) : ms(m) {
    if (++ms->depth > kMaxDepth)
      luaL_error(ms->L, "pattern too complex (nested deeper than %d)", kMaxDepth);
  }
  ~DepthGuard() { ms->depth--; }
};

const char* match(MatchState* ms, const char* s, const char* p, const char* p_end) {
  DepthGuard guard(ms);
  for (;;) {
    step(ms);
    if (p >= p_end)
      return s;  // end of pattern
    switch (*p) {
      case '(':
        if (p + 1 < p_end && *(p + 1) == ')')
          return startCapture(ms, s, p + 2, p_end, kCapPosition);
        return startCapture(ms, s, p + 1, p_end, kCapUnfinished);
      case ')':
        return endCapture(ms, s, p + 1, p_end);
      case kEsc:
        if (p + 1 >= p_end)
          luaL_error(ms->L, "malformed pattern (ends with '%%')");
        switch (*(p + 1)) {
          case 'b':
            s = matchBalance(ms, s, p + 2, p_end);
            if (s == nullptr)
              return nullptr;
            p += 4;
            continue;
          case 'f': {
            p += 2;
            if (p >= p_end || *p != '[')
              luaL_error(ms->L, "missing '[' after '%%f' in pattern");
            const char* ep = classEnd(ms, p, p_end);
            char previous = (s == ms->src_init) ? '\0' : *(s - 1);
            char current = (s < ms->src_end) ? *s : '\0';
            if (matchBracketClass(static_cast<unsigned char>(previous), p, ep - 1) ||
                !matchBracketClass(static_cast<unsigned char>(current), p, ep - 1))
              return nullptr;
            p = ep;
            continue;
          }
          default:
            if (std::isdigit(static_cast<unsigned char>(*(p + 1)))) {
              s = matchCapture(ms, s, static_cast<unsigned char>(*(p + 1)));
              if (s == nullptr)
                return nullptr;
              p += 2;
              continue;
            }
            break;  // an ordinary class: handled below
        }
        break;
      case '$':
        if (p + 1 == p_end)
          return (s == ms->src_end) ? s : nullptr;
        break;
      default:
        break;
    }
    const char* ep = classEnd(ms, p, p_end);  // points to what is next
    int m = singleMatch(ms, s, p, ep);
    if (ep < p_end) {
      switch (*ep) {
        case '?': {
          const char* res;
          if (m && ((res = match(ms, s + 1, ep + 1, p_end)) != nullptr))
            return res;
          p = ep + 1;
          continue;
        }
        case '*':
          return maxExpand(ms, s, p, ep, p_end);
        case '+':
          return (m ? maxExpand(ms, s + 1, p, ep, p_end) : nullptr);
        case '-':
          return minExpand(ms, s, p, ep, p_end);
        default:
          break;
      }
    }
    if (!m)
      return nullptr;
    s++;
    p = ep;
  }
}

void pushOneCapture(MatchState* ms, int i, const char* s, const char* e) {
  if (i >= ms->level) {
    if (i == 0)                          // ms->level == 0, too
      lua_pushlstring(ms->L, s, e - s);  // add whole match
    else
      luaL_error(ms->L, "invalid capture index");
  } else {
    ptrdiff_t l = ms->capture[i].len;
    if (l == kCapUnfinished)
      luaL_error(ms->L, "unfinished capture");
    if (l == kCapPosition)
      lua_pushinteger(ms->L, ms->capture[i].init - ms->src_init + 1);
    else
      lua_pushlstring(ms->L, ms->capture[i].init, l);
  }
}

int pushCaptures(MatchState* ms, const char* s, const char* e) {
  int nlevels = (ms->level == 0 && s) ? 1 : ms->level;
  luaL_checkstack(ms->L, nlevels, "too many captures");
  for (int i = 0; i < nlevels; i++)
    pushOneCapture(ms, i, s, e);
  return nlevels;  // number of strings pushed
}

void initState(MatchState* ms, lua_State* L, const char* s, size_t ls, long max_steps) {
  ms->L = L;
  ms->src_init = s;
  ms->src_end = s + ls;
  ms->level = 0;
  ms->depth = 0;
  ms->max_steps = max_steps;
  ms->steps_left = max_steps;
}

ptrdiff_t startIndex(lua_Integer pos, size_t len) {
  if (pos < 0)
    pos += static_cast<lua_Integer>(len) + 1;
  return (pos >= 0) ? static_cast<ptrdiff_t>(pos) : 0;
}

int hasSpecials(const char* p, size_t l) {
  for (size_t i = 0; i < l; ++i) {
    if (std::strchr(kSpecials, p[i]))
      return 1;
  }
  return 0;
}

const char* plainFind(const char* s1, size_t l1, const char* s2, size_t l2) {
  if (l2 == 0)
    return s1;
  if (l2 > l1)
    return nullptr;
  const void* found = memmem(s1, l1, s2, l2);
  return static_cast<const char*>(found);
}

int findAux(lua_State* L, int find) {
  LuaSandbox::checkDeadline(L);
  size_t l1, l2;
  const char* s = luaL_checklstring(L, 1, &l1);
  const char* p = luaL_checklstring(L, 2, &l2);
  ptrdiff_t init = startIndex(luaL_optinteger(L, 3, 1), l1) - 1;
  if (init < 0)
    init = 0;
  else if (static_cast<size_t>(init) > l1)
    init = static_cast<ptrdiff_t>(l1);
  if (find && (lua_toboolean(L, 4) || !hasSpecials(p, l2))) {
    const char* s2 = plainFind(s + init, l1 - init, p, l2);
    if (s2) {
      lua_pushinteger(L, s2 - s + 1);
      lua_pushinteger(L, s2 - s + l2);
      return 2;
    }
  } else {
    MatchState ms;
    int anchor = (l2 > 0 && *p == '^') ? (p++, l2--, 1) : 0;
    const char* s1 = s + init;
    initState(&ms, L, s, l1, maxSteps(L));
    do {
      ms.level = 0;
      const char* res = match(&ms, s1, p, p + l2);
      if (res != nullptr) {
        if (find) {
          lua_pushinteger(L, s1 - s + 1);  // start
          lua_pushinteger(L, res - s);     // end
          return pushCaptures(&ms, nullptr, nullptr) + 2;
        }
        return pushCaptures(&ms, s1, res);
      }
    } while (s1++ < ms.src_end && !anchor);
  }
  lua_pushnil(L);  // not found
  return 1;
}

int strFind(lua_State* L) {
  return findAux(L, 1);
}

int strMatch(lua_State* L) {
  return findAux(L, 0);
}

int gmatchAux(lua_State* L) {
  LuaSandbox::checkDeadline(L);
  size_t ls, lp;
  const char* s = lua_tolstring(L, lua_upvalueindex(1), &ls);
  const char* p = lua_tolstring(L, lua_upvalueindex(2), &lp);
  MatchState ms;
  initState(&ms, L, s, ls, static_cast<long>(lua_tonumber(L, lua_upvalueindex(4))));
  for (const char* src = s + static_cast<size_t>(lua_tointeger(L, lua_upvalueindex(3)));
       src <= ms.src_end; src++) {
    ms.level = 0;
    const char* e = match(&ms, src, p, p + lp);
    if (e != nullptr) {
      lua_Integer newstart = e - s;
      if (e == src)
        newstart++;  // empty match: go at least one position
      lua_pushinteger(L, newstart);
      lua_replace(L, lua_upvalueindex(3));
      return pushCaptures(&ms, src, e);
    }
  }
  return 0;  // not found
}

int strGmatch(lua_State* L) {
  luaL_checkstring(L, 1);
  luaL_checkstring(L, 2);
  lua_settop(L, 2);
  lua_pushinteger(L, 0);
  lua_pushnumber(L, static_cast<lua_Number>(maxSteps(L)));
  lua_pushcclosure(L, gmatchAux, 4);
  return 1;
}

void addString(MatchState* ms, luaL_Buffer* b, const char* s, const char* e) {
  size_t l;
  const char* news = lua_tolstring(ms->L, 3, &l);
  for (size_t i = 0; i < l; i++) {
    if (news[i] != kEsc) {
      luaL_addchar(b, news[i]);
    } else {
      i++;  // skip ESC
      if (i >= l) {
        luaL_error(ms->L, "invalid use of '%%' in replacement string");
      } else if (!std::isdigit(static_cast<unsigned char>(news[i]))) {
        luaL_addchar(b, news[i]);
      } else if (news[i] == '0') {
        luaL_addlstring(b, s, e - s);
      } else {
        pushOneCapture(ms, news[i] - '1', s, e);
        luaL_addvalue(b);  // add capture to accumulated result
      }
    }
  }
}

void addValue(MatchState* ms, luaL_Buffer* b, const char* s, const char* e) {
  lua_State* L = ms->L;
  switch (lua_type(L, 3)) {
    case LUA_TNUMBER:
    case LUA_TSTRING:
      addString(ms, b, s, e);
      return;
    case LUA_TFUNCTION: {
      lua_pushvalue(L, 3);
      int n = pushCaptures(ms, s, e);
      lua_call(L, n, 1);
      break;
    }
    case LUA_TTABLE:
      pushOneCapture(ms, 0, s, e);
      lua_gettable(L, 3);
      break;
    default:
      break;
  }
  if (!lua_toboolean(L, -1)) {  // nil or false?
    lua_pop(L, 1);
    lua_pushlstring(L, s, e - s);  // keep original text
  } else if (!lua_isstring(L, -1)) {
    luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
  }
  luaL_addvalue(b);  // add result to accumulator
}

int strGsub(lua_State* L) {
  LuaSandbox::checkDeadline(L);
  size_t srcl, lp;
  const char* src = luaL_checklstring(L, 1, &srcl);
  const char* p = luaL_checklstring(L, 2, &lp);
  int tr = lua_type(L, 3);
  int max_s = static_cast<int>(luaL_optinteger(L, 4, static_cast<lua_Integer>(srcl) + 1));
  int anchor = (lp > 0 && *p == '^') ? (p++, lp--, 1) : 0;
  luaL_argcheck(L,
                tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE,
                3, "string/function/table expected");
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  MatchState ms;
  initState(&ms, L, src, srcl, maxSteps(L));
  int n = 0;
  while (n < max_s) {
    ms.level = 0;
    const char* e = match(&ms, src, p, p + lp);
    if (e) {
      n++;
      addValue(&ms, &b, src, e);
      // A replacement may be long: the output grows faster than the steps count.
      if ((n & 31) == 0)
        LuaSandbox::checkDeadline(L);
    }
    if (e && e > src) {  // non empty match?
      src = e;           // skip it
    } else if (src < ms.src_end) {
      step(&ms);
      luaL_addchar(&b, *src++);
    } else {
      break;
    }
    if (anchor)
      break;
  }
  luaL_addlstring(&b, src, ms.src_end - src);
  luaL_pushresult(&b);
  lua_pushinteger(L, n);  // number of substitutions
  return 2;
}

}  // namespace

void installBoundedPatterns(lua_State* L, int table_index, long max_steps) {
  table_index = table_index < 0 ? lua_gettop(L) + table_index + 1 : table_index;
  const struct {
    const char* name;
    lua_CFunction fn;
  } functions[] = {
      {"find", strFind}, {"match", strMatch}, {"gmatch", strGmatch}, {"gsub", strGsub}};
  for (const auto& f : functions) {
    lua_pushnumber(L, static_cast<lua_Number>(max_steps));
    lua_pushcclosure(L, f.fn, 1);
    lua_setfield(L, table_index, f.name);
  }
}

}  // namespace baraza
