// use_context and current_context_name (see project_use.hpp).
#include "rstream/config/project_use.hpp"

namespace rstream::config {
namespace {

result<used_context> use_engine_url(const std::filesystem::path& file, const use_request& request) {
  auto url = parse_engine_url(request.target);
  if (!url) return url.error();
  if (request.name) {
    if (auto name = check_context_name(*request.name); !name) return name.error();
  }
  std::optional<std::string> token = request.token;
  if (!token) {
    if (const char* env = env_value("RSTREAM_AUTHENTICATION_TOKEN")) token = env;
  }
  used_context used{request.name.value_or(url->host_port()), url->text()};
  auto updated = update_contexts(file, [&](context_file& contents) -> result<void> {
    // Without a name, an existing context for this same engine is the one to use.
    if (!request.name) {
      for (const auto& ctx : contents.contexts) {
        auto existing = parse_engine_url(ctx.engine);
        if (existing && existing->text() == used.engine) {
          used.name = ctx.name;
          break;
        }
      }
    }
    context* ctx = contents.find(used.name);
    if (!ctx) {
      ctx = &contents.contexts.emplace_back();
      ctx->name = used.name;
    }
    ctx->engine = used.engine;
    if (token) ctx->token = *token;
    contents.current = used.name;
    return {};
  });
  if (!updated) return updated.error();
  return used;
}

result<used_context> use_named_context(const std::filesystem::path& file,
                                       const use_request& request) {
  used_context used{request.target, {}};
  auto updated = update_contexts(file, [&](context_file& contents) -> result<void> {
    context* ctx = contents.find(used.name);
    if (!ctx) {
      return config::error{errc::unknown_context,
                           "unknown context '" + used.name +
                               "'; known contexts: " + contents.known_names() +
                               " (an engine URL starts with http:// or https://)"};
    }
    if (request.token) ctx->token = *request.token;
    used.engine = ctx->engine;
    contents.current = used.name;
    return {};
  });
  if (!updated) return updated.error();
  return used;
}

}  // namespace

result<used_context> use_context(const std::filesystem::path& file, const use_request& request) {
  if (request.target.find("://") != std::string::npos) return use_engine_url(file, request);
  return use_named_context(file, request);
}

std::string current_context_name(const context_file& contents) {
  if (const char* env = env_value("RSTREAM_CONTEXT")) return env;
  return contents.current;
}

}  // namespace rstream::config
