// Tunnel control messages <-> JSON payloads (see protocol.hpp).
#include "rstream/tunnel/protocol.hpp"
#include "rstream/api/json_text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace rstream::tunnel {
namespace {

using json = nlohmann::json;

codec::control_message make(codec::frame_type type, const json& body) {
  return {type, api::json_text(body)};
}

/// Parses the payload and checks the type; the object goes to `out`.
bool open_message(const codec::control_message& in, codec::frame_type expected, json& out,
                  std::string& error) {
  if (in.type != expected) {
    error = std::string("expected ") + codec::type_name(expected) + ", got " +
            codec::type_name(in.type);
    return false;
  }
  out = json::parse(in.json, nullptr, false);
  if (!out.is_object()) {
    error = std::string(codec::type_name(expected)) + " payload must be a JSON object";
    return false;
  }
  return true;
}

bool get_string(const json& j, const char* key, bool required, std::string& out,
                std::string& error) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (!required) return true;
    error = std::string("missing field \"") + key + "\"";
    return false;
  }
  if (!it->is_string()) {
    error = std::string("field \"") + key + "\" must be a string";
    return false;
  }
  out = it->get<std::string>();
  return true;
}

json header_list(const std::vector<header_pair>& headers) {
  json out = json::array();
  for (const auto& [name, value] : headers) out.push_back(json::array({name, value}));
  return out;
}

/// "headers": [[name, value], ...]; names are tokens, values have no line breaks.
bool get_headers(const json& j, std::vector<header_pair>& out, std::string& error) {
  auto it = j.find("headers");
  if (it == j.end()) return true;
  if (!it->is_array() || it->size() > 256) {
    error = "field \"headers\" must be an array of at most 256 [name, value] pairs";
    return false;
  }
  for (const auto& pair : *it) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
      error = "each header must be a [name, value] pair of strings";
      return false;
    }
    const auto& name = pair[0].get_ref<const std::string&>();
    const auto& value = pair[1].get_ref<const std::string&>();
    const bool name_ok =
        !name.empty() && name.size() <= 256 && std::all_of(name.begin(), name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) ||
                 (c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
        });
    const bool value_ok = value.size() <= 8192 &&
                          value.find_first_of("\r\n") == std::string::npos &&
                          value.find('\0') == std::string::npos;
    if (!name_ok || !value_ok) {
      error = "header \"" + name.substr(0, 64) + "\" has an invalid name or value";
      return false;
    }
    out.emplace_back(name, value);
  }
  return true;
}

bool get_length(const json& j, std::optional<std::uint64_t>& out, std::string& error) {
  auto it = j.find("content_length");
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_number_unsigned()) {
    error = "field \"content_length\" must be a non-negative integer";
    return false;
  }
  out = it->get<std::uint64_t>();
  return true;
}

}  // namespace

codec::control_message to_message(const tunnel_hello& m) {
  json body = {{"token", m.token},     {"name", m.name},         {"labels", m.labels},
               {"publish", m.publish}, {"instance", m.instance}, {"version", m.version}};
  if (!m.server_id.empty()) body["server_id"] = m.server_id;
  return make(codec::frame_type::tunnel_hello, body);
}

codec::control_message to_message(const tunnel_challenge& m) {
  return make(codec::frame_type::tunnel_challenge,
              {{"server_id", m.server_id}, {"challenge", m.challenge}});
}

codec::control_message to_message(const tunnel_proof& m) {
  return make(codec::frame_type::tunnel_proof, {{"signature", m.signature}});
}

codec::control_message to_message(const tunnel_welcome& m) {
  return make(codec::frame_type::tunnel_welcome, {{"id", m.id},
                                                  {"name", m.name},
                                                  {"rstream_url", m.rstream_url},
                                                  {"browser_url", m.browser_url},
                                                  {"stream_secret", m.stream_secret},
                                                  {"heartbeat_ms", m.heartbeat_ms}});
}

codec::control_message to_message(const tunnel_dial& m) {
  json body = {{"stream", m.stream}};
  if (m.kind == stream_kind::http) body["kind"] = "http";
  return make(codec::frame_type::tunnel_dial, body);
}

codec::control_message to_message(const stream_attach& m) {
  return make(codec::frame_type::stream_attach,
              {{"tunnel", m.tunnel}, {"stream", m.stream}, {"secret", m.secret}});
}

codec::control_message to_message(const route_request& m) {
  return make(codec::frame_type::route, {{"token", m.token}, {"target", m.target}});
}

codec::control_message to_message(const http_request_head& m) {
  json body = {{"method", m.method},
               {"target", m.target},
               {"external_prefix", m.external_prefix},
               {"headers", header_list(m.headers)}};
  if (m.content_length) body["content_length"] = *m.content_length;
  return make(codec::frame_type::http_request, body);
}

codec::control_message to_message(const http_response_head& m) {
  json body = {{"status", m.status}, {"headers", header_list(m.headers)}};
  if (m.content_length) body["content_length"] = *m.content_length;
  return make(codec::frame_type::http_response, body);
}

bool parse(const codec::control_message& in, tunnel_hello& out, std::string& error) {
  json j;
  if (!open_message(in, codec::frame_type::tunnel_hello, j, error)) return false;
  if (!get_string(j, "token", false, out.token, error) ||
      !get_string(j, "name", true, out.name, error) ||
      !get_string(j, "instance", false, out.instance, error) ||
      !get_string(j, "version", false, out.version, error) ||
      !get_string(j, "server_id", false, out.server_id, error)) {
    return false;
  }
  if (auto it = j.find("publish"); it != j.end()) {
    if (!it->is_boolean()) {
      error = "field \"publish\" must be a boolean";
      return false;
    }
    out.publish = it->get<bool>();
  }
  if (auto it = j.find("labels"); it != j.end()) {
    if (!it->is_object()) {
      error = "field \"labels\" must be an object of strings";
      return false;
    }
    if (it->size() > 256) {
      error = "too many labels (at most 256)";
      return false;
    }
    for (const auto& [key, value] : it->items()) {
      if (!value.is_string() || key.empty() || key.size() > 253 ||
          value.get<std::string>().size() > 1024) {
        error = "label \"" + key + "\" must be a string of at most 1024 bytes with a key of 1..253";
        return false;
      }
      out.labels[key] = value.get<std::string>();
    }
  }
  if (auto why = check_tunnel_name(out.name); !why.empty()) {
    error = why;
    return false;
  }
  return true;
}

bool parse(const codec::control_message& in, tunnel_welcome& out, std::string& error) {
  json j;
  if (!open_message(in, codec::frame_type::tunnel_welcome, j, error)) return false;
  if (!get_string(j, "id", true, out.id, error) || !get_string(j, "name", true, out.name, error) ||
      !get_string(j, "rstream_url", false, out.rstream_url, error) ||
      !get_string(j, "browser_url", false, out.browser_url, error) ||
      !get_string(j, "stream_secret", true, out.stream_secret, error)) {
    return false;
  }
  if (auto it = j.find("heartbeat_ms"); it != j.end()) {
    if (!it->is_number_unsigned() || it->get<std::uint64_t>() > 3'600'000) {
      error = "field \"heartbeat_ms\" must be an integer in 0..3600000";
      return false;
    }
    out.heartbeat_ms = it->get<std::uint32_t>();
  }
  return true;
}

bool parse(const codec::control_message& in, tunnel_dial& out, std::string& error) {
  json j;
  if (!open_message(in, codec::frame_type::tunnel_dial, j, error)) return false;
  std::string kind;
  if (!get_string(j, "stream", true, out.stream, error) ||
      !get_string(j, "kind", false, kind, error)) {
    return false;
  }
  if (kind.empty() || kind == "webtty") {
    out.kind = stream_kind::webtty;
  } else if (kind == "http") {
    out.kind = stream_kind::http;
  } else {
    error = "unknown stream kind \"" + kind + "\" (expected webtty or http)";
    return false;
  }
  return true;
}

bool parse(const codec::control_message& in, stream_attach& out, std::string& error) {
  json j;
  if (!open_message(in, codec::frame_type::stream_attach, j, error)) return false;
  return get_string(j, "tunnel", true, out.tunnel, error) &&
         get_string(j, "stream", true, out.stream, error) &&
         get_string(j, "secret", true, out.secret, error);
}

bool parse(const codec::control_message& in, route_request& out, std::string& error) {
  json j;
  if (!open_message(in, codec::frame_type::route, j, error)) return false;
  return get_string(j, "token", false, out.token, error) &&
         get_string(j, "target", true, out.target, error);
}

bool parse(const codec::control_message& in, http_request_head& out, std::string& error) {
  json j;
  if (!open_message(in, codec::frame_type::http_request, j, error)) return false;
  if (!get_string(j, "method", true, out.method, error) ||
      !get_string(j, "target", true, out.target, error) ||
      !get_string(j, "external_prefix", false, out.external_prefix, error) ||
      !get_headers(j, out.headers, error) || !get_length(j, out.content_length, error)) {
    return false;
  }
  if (out.method.empty() || out.method.size() > 32 ||
      !std::all_of(out.method.begin(), out.method.end(),
                   [](char c) { return c >= 'A' && c <= 'Z'; })) {
    error = "field \"method\" must be 1..32 upper-case letters";
    return false;
  }
  if (out.target.empty() || out.target.front() != '/' || out.target.size() > 8192) {
    error = "field \"target\" must be a path starting with '/' (at most 8192 bytes)";
    return false;
  }
  if (!out.external_prefix.empty() && out.external_prefix.front() != '/') {
    error = "field \"external_prefix\" must be empty or start with '/'";
    return false;
  }
  return true;
}

bool parse(const codec::control_message& in, http_response_head& out, std::string& error) {
  json j;
  if (!open_message(in, codec::frame_type::http_response, j, error)) return false;
  auto it = j.find("status");
  if (it == j.end() || !it->is_number_integer() || it->get<std::int64_t>() < 100 ||
      it->get<std::int64_t>() > 599) {
    error = "field \"status\" must be an HTTP status code (100..599)";
    return false;
  }
  out.status = it->get<int>();
  return get_headers(j, out.headers, error) && get_length(j, out.content_length, error);
}

bool parse(const codec::control_message& in, tunnel_challenge& out, std::string& error) {
  json j;
  return open_message(in, codec::frame_type::tunnel_challenge, j, error) &&
         get_string(j, "server_id", true, out.server_id, error) &&
         get_string(j, "challenge", true, out.challenge, error);
}

bool parse(const codec::control_message& in, tunnel_proof& out, std::string& error) {
  json j;
  return open_message(in, codec::frame_type::tunnel_proof, j, error) &&
         get_string(j, "signature", true, out.signature, error);
}

std::string check_tunnel_name(const std::string& name) {
  if (name.empty()) return "a tunnel name cannot be empty";
  if (name.size() > 63) return "tunnel name '" + name + "' is longer than 63 characters";
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name[0])) return "tunnel name '" + name + "' must start with a letter or digit";
  for (char c : name) {
    if (!alnum(c) && c != '.' && c != '_' && c != '-') {
      return "tunnel name '" + name + "' may only contain letters, digits, '.', '_' and '-'";
    }
  }
  return {};
}

std::string check_label_key(const std::string& key) {
  if (key.empty()) return "a label key cannot be empty";
  if (key.size() > 128) return "label key '" + key + "' is longer than 128 characters";
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return "label key '" + key + "' may only contain letters, digits, '.', '_', '-'";
  }
  return {};
}

std::map<std::string, std::string> user_labels(const nlohmann::json& labels) {
  std::map<std::string, std::string> out;
  if (!labels.is_object()) return out;
  for (const auto& [key, value] : labels.items()) {
    if (key.starts_with(user_label_prefix) && value.is_string()) {
      out[key.substr(user_label_prefix.size())] = value.get<std::string>();
    }
  }
  return out;
}

}  // namespace rstream::tunnel
