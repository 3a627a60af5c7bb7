// Reading fields of a RapidJSON tree, for the parsers on every message's path (the intake's
// events, a claimed event's payload) that read a few fields instead of building an
// nlohmann::json tree.
#pragma once

#include <string>

#include <rapidjson/document.h>

namespace baraza {

// object[name], or a null value when `object` is not an object or has no such member.
inline const rapidjson::Value& jsonMember(const rapidjson::Value& object, const char* name) {
  static const rapidjson::Value none(rapidjson::kNullType);
  if (!object.IsObject())
    return none;
  auto it = object.FindMember(name);
  return it != object.MemberEnd() ? it->value : none;
}

// object[name] when it is a string, else "".
inline std::string jsonString(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value& v = jsonMember(object, name);
  return v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : std::string();
}

}  // namespace baraza
