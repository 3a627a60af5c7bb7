#include "cli/cli.h"

#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/version.h"
#include "log/redactor.h"
#include "plugin_host/plugin_host.h"
#include "storage/database.h"

namespace baraza {
namespace {

struct Command {
  const char* summary;
  const char* usage;
  bool takes_config;
  bool takes_status;
};

const std::map<std::string, Command>& commands() {
  static const std::map<std::string, Command> table = {
      {"serve",
       {"run the engine (applies pending migrations first)",
        "baraza serve [--config FILE]\n\n"
        "Loads the config, applies pending migrations, loads the plugins and serves HTTP until\n"
        "SIGTERM or SIGINT, then finishes in-flight requests (server.shutdown_timeout_ms) and\n"
        "exits 0.",
        true, false}},
      {"migrate",
       {"apply pending migrations; --status lists them",
        "baraza migrate [--config FILE] [--status]\n\n"
        "Applies every pending migration, each in its own transaction. With --status, lists\n"
        "each migration as applied, pending or modified, and changes nothing.",
        true, true}},
      {"check-config",
       {"validate and print the effective config (secrets masked)",
        "baraza check-config [--config FILE]\n\n"
        "Validates the file, the environment overrides and every plugin's section, then\n"
        "prints the effective config with secrets masked.",
        true, false}},
      {"config-docs",
       {"print the Markdown reference of every config key (docs/configuration.md)",
        "baraza config-docs [--config FILE]\n\n"
        "Prints the reference of the core keys and of every plugin found as configured.",
        true, false}},
      {"tenant",
       {"tenant import FILE.yaml...: create or update tenants from YAML",
        "baraza tenant import [--config FILE] TENANT.yaml...\n\n"
        "Creates or updates each tenant of the files (docs/tenants.md), one transaction per\n"
        "file, sealing its tokens under the master key. A bad file is rejected with its file,\n"
        "line and reason and changes nothing; files before it stay imported.",
        true, false}},
      {"keys",
       {"keys rotate: re-seal every secret under a new master key id",
        "baraza keys rotate [--config FILE]\n\n"
        "Adds a master key to security.master_key_file, re-seals every sealed value under it in\n"
        "one transaction, looks again after 2 s for values running engines sealed meanwhile,\n"
        "then retires the older keys: values still sealed under a retired key fail loudly.\n"
        "Back up the key file afterwards.",
        true, false}},
      {"script",
       {"script check|test|docs: lint, try or document tenant Lua scripts",
        "baraza script check FILE.lua\n"
        "       baraza script test FILE.lua --message TEXT [--from WA_ID] [--at ISO_TIME]\n"
        "                          [--tenant-file TENANT.yaml | --tenant SLUG --config FILE]\n"
        "       baraza script docs\n\n"
        "check compiles the script in the sandbox and lints it (unknown hooks, global writes,\n"
        "unknown globals); exit 1 when it does not load. test runs its hooks on a simulated\n"
        "text message, with the settings and FAQ of a tenant file or of a tenant in the\n"
        "database, and prints the route, reply, escalation and log lines. docs prints the\n"
        "scripting reference (docs/scripting.md).",
        true, false}},
      {"simulate",
       {"queue a customer's message to a tenant, as if Meta had delivered it",
        "baraza simulate [--config FILE] --tenant SLUG [--from WA_ID] [--wait] TEXT...\n\n"
        "Puts a text message from WA_ID (default 254700000001) to the tenant's first active\n"
        "number into the inbox the running engine processes, exactly as a webhook would.\n"
        "With --wait, waits up to 15 s for the reply and prints it.",
        true, false}},
      {"version", {"print the version", "baraza version", false, false}},
  };
  return table;
}

void printUsage(std::FILE* out) {
  std::string text = "baraza " + std::string(kVersion) +
                     ": multi-tenant messaging bot engine\n\nUsage: baraza COMMAND [OPTIONS]\n\n"
                     "Commands:\n";
  for (const auto& [name, cmd] : commands()) {
    char line[160];
    std::snprintf(line, sizeof(line), "  %-14s %s\n", name.c_str(), cmd.summary);
    text += line;
  }
  text +=
      "\nEvery command takes --help. Config keys may also come from BARAZA_<KEY> environment\n"
      "variables (BARAZA_DATABASE_URL, ...). Exit codes: 0 ok, 1 runtime error, 2 bad usage.\n";
  std::fputs(text.c_str(), out);
}

int usageError(const std::string& message) {
  std::fprintf(stderr, "baraza: %s (see baraza --help)\n", message.c_str());
  return 2;
}

int runtimeError(const std::string& message) {
  // A plugin's or a library's reason may quote a secret it was given.
  std::string line = Redactor::instance().redact(message);
  for (auto& c : line) {
    if (c == '\n')
      c = ' ';
  }
  std::fprintf(stderr, "baraza: %s\n", line.c_str());
  return 1;
}

}  // namespace

int runCli(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    printUsage(stderr);
    return 2;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    printUsage(stdout);
    return 0;
  }
  if (args[0] == "--version")
    args[0] = "version";
  auto it = commands().find(args[0]);
  if (it == commands().end()) {
    return usageError("unknown command '" + args[0] + "'");
  }
  const std::string name = it->first;
  const Command& cmd = it->second;
  std::string config_file;
  bool status = false;
  std::vector<std::string> files;
  SimulateOptions simulate;
  ScriptOptions script;
  size_t first = 1;
  if (name == "script") {
    if (args.size() > 1 && (args[1] == "--help" || args[1] == "-h")) {
      std::printf("Usage: %s\n", cmd.usage);
      return 0;
    }
    if (args.size() < 2 || (args[1] != "check" && args[1] != "test" && args[1] != "docs"))
      return usageError("script: expected 'script check', 'script test' or 'script docs'");
    script.verb = args[1];
    first = 2;
  }
  if (name == "tenant" || name == "keys") {
    const char* verb = name == "tenant" ? "import" : "rotate";
    if (args.size() > 1 && (args[1] == "--help" || args[1] == "-h")) {
      std::printf("Usage: %s\n", cmd.usage);
      return 0;
    }
    if (args.size() < 2 || args[1] != verb) {
      return usageError(name + ": expected '" + name + " " + verb + "'");
    }
    first = 2;
  }
  for (size_t i = first; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::printf("Usage: %s\n", cmd.usage);
      return 0;
    }
    if (cmd.takes_config && (a == "--config" || a == "-c")) {
      if (i + 1 >= args.size())
        return usageError(name + ": --config needs a FILE");
      config_file = args[++i];
    } else if (cmd.takes_config && a.rfind("--config=", 0) == 0) {
      config_file = a.substr(9);
    } else if (cmd.takes_status && a == "--status") {
      status = true;
    } else if (name == "tenant" && !a.empty() && a[0] != '-') {
      files.push_back(a);
    } else if (name == "simulate" && (a == "--tenant" || a == "--from")) {
      if (i + 1 >= args.size())
        return usageError("simulate: " + a + " needs a value");
      (a == "--tenant" ? simulate.tenant : simulate.from) = args[++i];
    } else if (name == "script" && (a == "--message" || a == "--from" || a == "--tenant" ||
                                    a == "--tenant-file" || a == "--at")) {
      if (i + 1 >= args.size())
        return usageError("script: " + a + " needs a value");
      std::string& target = a == "--message"       ? script.message
                            : a == "--from"        ? script.from
                            : a == "--tenant"      ? script.tenant
                            : a == "--tenant-file" ? script.tenant_file
                                                   : script.at;
      target = args[++i];
    } else if (name == "script" && !a.empty() && a[0] != '-' && script.file.empty() &&
               script.verb != "docs") {
      script.file = a;
    } else if (name == "simulate" && a == "--wait") {
      simulate.wait = true;
    } else if (name == "simulate" && !a.empty() && a[0] != '-') {
      simulate.text += (simulate.text.empty() ? "" : " ") + a;
    } else {
      return usageError(name + ": unexpected argument '" + a + "'");
    }
  }
  if (name == "simulate" && (simulate.tenant.empty() || simulate.text.empty())) {
    return usageError("simulate: give --tenant SLUG and the message text");
  }
  if (name == "script" && script.verb != "docs" && script.file.empty())
    return usageError("script " + script.verb + ": name the FILE.lua");
  if (name == "script" && script.verb == "test" && script.message.empty())
    return usageError("script test: give --message TEXT");
  if (name == "script" && !script.tenant.empty() && config_file.empty())
    return usageError("script test: --tenant needs --config FILE (the database to read)");
  if (name == "tenant" && files.empty()) {
    return usageError("tenant import: name at least one TENANT.yaml");
  }
  if (name == "version") {
    std::printf("baraza %s (plugin ABI %d.%d)\n", kVersion, BARAZA_PLUGIN_ABI_MAJOR,
                BARAZA_PLUGIN_ABI_MINOR);
    return 0;
  }
  try {
    EngineConfig config = loadEngineConfig(config_file);
    applyLogConfig(config);
    if (name == "serve")
      return serveCommand(config);
    if (name == "migrate")
      return migrateCommand(config, status);
    if (name == "check-config")
      return checkConfigCommand(config);
    if (name == "config-docs")
      return configDocsCommand(config);
    if (name == "tenant")
      return tenantImportCommand(config, files);
    if (name == "keys")
      return keysRotateCommand(config);
    if (name == "simulate")
      return simulateCommand(config, simulate);
    if (name == "script")
      return scriptCommand(config, script);
  } catch (const std::exception& e) {
    return runtimeError(e.what());
  }
  return usageError("unhandled command '" + name + "'");
}

}  // namespace baraza
