// WebTTY frame codec: encodes frames to their wire form and decodes/validates untrusted bytes.
//
// Everything here is a pure function of its arguments (plus frame_decoder's own buffer). Every
// decode path reports a decode_error instead of throwing: JSON parse exceptions are caught, all
// integer conversions are range-checked first, and a payload length is checked against the
// limit before a byte of it is buffered or copied. See docs/protocol.md for the wire format.
#include "rstream/codec/frame.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>
#include <type_traits>

namespace rstream::codec {
namespace {

using json = nlohmann::json;

constexpr std::uint8_t min_type = static_cast<std::uint8_t>(frame_type::open);
constexpr std::uint8_t max_type = static_cast<std::uint8_t>(frame_type::heartbeat);
constexpr std::uint8_t min_control_type = static_cast<std::uint8_t>(frame_type::tunnel_hello);
constexpr std::uint8_t max_control_type = static_cast<std::uint8_t>(frame_type::tunnel_proof);
constexpr std::int32_t max_signal = 64;
constexpr std::uint32_t max_heartbeat_ms = 3'600'000;

// The WebTTY alternatives are in wire-type order (type = index + 1); control_message follows
// and carries its own type.
static_assert(std::is_same_v<std::variant_alternative_t<0, frame>, open_request>);
static_assert(std::is_same_v<std::variant_alternative_t<3, frame>, data_frame>);
static_assert(std::is_same_v<std::variant_alternative_t<7, frame>, heartbeat>);
static_assert(std::is_same_v<std::variant_alternative_t<max_type, frame>, control_message>);
static_assert(std::is_same_v<std::variant_alternative_t<max_type + 1, frame>, e2e_message>);
static_assert(std::variant_size_v<frame> == max_type + 2);
constexpr std::uint8_t min_e2e_type = static_cast<std::uint8_t>(frame_type::e2e_handshake);
constexpr std::uint8_t max_e2e_type = static_cast<std::uint8_t>(frame_type::sealed);

// ---- big-endian helpers ----

void put(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 24));
  out.push_back(static_cast<std::uint8_t>(v >> 16));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void put(std::vector<std::uint8_t>& out, std::int32_t v) {
  put_u32(out, static_cast<std::uint32_t>(v));
}

std::uint16_t get_u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((std::uint16_t{p[0]} << 8) | p[1]);
}

std::uint32_t get_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

std::int32_t get_i32(const std::uint8_t* p) {
  // Two's complement reinterpretation; well defined since C++20.
  return static_cast<std::int32_t>(get_u32(p));
}

// ---- errors ----

bool fail(decode_error& error, const char* code, std::string message) {
  error.code = code;
  error.message = std::move(message);
  return false;
}

bool malformed(decode_error& error, frame_type type, std::string_view what) {
  std::string message = type_name(type);
  message += ' ';
  message += what;
  return fail(error, "malformed", std::move(message));
}

bool check_version(std::uint8_t version, decode_error& error) {
  if (version == protocol_version) return true;
  return fail(error, "bad_version",
              "unsupported protocol version " + std::to_string(version) + " (expected " +
                  std::to_string(protocol_version) + ")");
}

bool check_type(std::uint8_t type, decode_error& error) {
  if (type >= min_type && type <= max_type) return true;
  if (type >= min_e2e_type && type <= max_e2e_type) return true;
  if (type >= min_control_type && type <= max_control_type) return true;
  return fail(error, "unknown_type",
              "unknown frame type " + std::to_string(type) + " (expected " +
                  std::to_string(min_type) + ".." + std::to_string(max_e2e_type) + " or " +
                  std::to_string(min_control_type) + ".." + std::to_string(max_control_type) + ")");
}

bool check_length(std::uint32_t length, std::size_t max_payload, decode_error& error) {
  if (length <= max_payload) return true;
  return fail(error, "frame_too_large",
              "frame payload " + std::to_string(length) + " bytes exceeds limit " +
                  std::to_string(max_payload));
}

// ---- JSON payloads ----

std::vector<std::uint8_t> dump_json(const json& j) {
  // Strings are meant to be UTF-8; invalid sequences become U+FFFD instead of throwing.
  const std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace);
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

/// Parses a JSON object payload; false (with a malformed error) if it is not one.
bool parse_object(frame_type type, const std::vector<std::uint8_t>& payload, json& out,
                  decode_error& error) {
  try {
    out = json::parse(payload.begin(), payload.end());
  } catch (const json::exception& e) {
    return malformed(error, type, std::string("payload is not valid JSON: ") + e.what());
  }
  if (!out.is_object()) {
    return malformed(error, type,
                     std::string("payload must be a JSON object, got ") + out.type_name());
  }
  return true;
}

/// Reads an integer member into [min, max]. Absent: leaves `value` alone unless `required`.
template <typename Int>
bool read_int(frame_type type, const json& object, const char* key, std::int64_t min,
              std::int64_t max, bool required, Int& value, decode_error& error) {
  const auto it = object.find(key);
  if (it == object.end()) {
    if (!required) return true;
    return malformed(error, type, std::string("field \"") + key + "\" is missing");
  }
  if (!it->is_number_integer()) {
    return malformed(
        error, type,
        std::string("field \"") + key + "\" must be an integer, got " + it->type_name());
  }
  bool in_range;
  std::string shown;
  std::int64_t v = 0;
  if (it->is_number_unsigned()) {
    const auto u = it->get<std::uint64_t>();
    in_range = u <= static_cast<std::uint64_t>(max) && static_cast<std::int64_t>(u) >= min;
    shown = std::to_string(u);
    v = static_cast<std::int64_t>(u);
  } else {
    v = it->get<std::int64_t>();
    in_range = v >= min && v <= max;
    shown = std::to_string(v);
  }
  if (!in_range) {
    return malformed(error, type,
                     std::string(key) + " " + shown + " out of range " + std::to_string(min) +
                         ".." + std::to_string(max));
  }
  value = static_cast<Int>(v);
  return true;
}

bool read_bool(frame_type type, const json& object, const char* key, bool& value,
               decode_error& error) {
  const auto it = object.find(key);
  if (it == object.end()) return true;
  if (!it->is_boolean()) {
    return malformed(
        error, type,
        std::string("field \"") + key + "\" must be a boolean, got " + it->type_name());
  }
  value = it->get<bool>();
  return true;
}

bool read_string(frame_type type, const json& object, const char* key, bool required,
                 std::string& value, decode_error& error) {
  const auto it = object.find(key);
  if (it == object.end()) {
    if (!required) return true;
    return malformed(error, type, std::string("field \"") + key + "\" is missing");
  }
  if (!it->is_string()) {
    return malformed(error, type,
                     std::string("field \"") + key + "\" must be a string, got " + it->type_name());
  }
  value = it->get<std::string>();
  return true;
}

bool has_nul(const std::string& s) { return s.find('\0') != std::string::npos; }

}  // namespace

bool is_session_origin(std::string_view origin) {
  for (const char* word : session_origins) {
    if (origin == word) return true;
  }
  return false;
}

bool is_group_name(std::string_view group) {
  if (group.empty() || group.size() > max_group_length) return false;
  // UTF-8 is the JSON parser's check when it comes from a frame (and the CLI's for a flag).
  for (const char c : group) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return false;
  }
  return true;
}

namespace {

json open_to_json(const open_request& open) {
  json env = json::object();
  for (const auto& [key, value] : open.env) env[key] = value;
  json j{
      {"argv", open.argv},
      {"login_shell", open.login_shell},
      {"env", std::move(env)},
      {"workdir", open.workdir},
      {"interactive", open.interactive},
      {"tty", open.allocate_tty},
      {"cols", open.cols},
      {"rows", open.rows},
      {"heartbeat_ms", open.heartbeat_ms},
      {"token", open.token},
  };
  if (!open.origin.empty()) j["origin"] = open.origin;
  if (!open.group.empty()) j["group"] = open.group;
  return j;
}

bool decode_open(const std::vector<std::uint8_t>& payload, frame& out, decode_error& error) {
  constexpr frame_type type = frame_type::open;
  json j;
  if (!parse_object(type, payload, j, error)) return false;
  open_request open;

  if (const auto it = j.find("argv"); it != j.end()) {
    if (!it->is_array()) {
      return malformed(
          error, type,
          std::string("field \"argv\" must be an array of strings, got ") + it->type_name());
    }
    open.argv.reserve(it->size());
    for (std::size_t i = 0; i < it->size(); ++i) {
      const json& arg = (*it)[i];
      if (!arg.is_string()) {
        return malformed(
            error, type,
            "argv[" + std::to_string(i) + "] must be a string, got " + arg.type_name());
      }
      open.argv.push_back(arg.get<std::string>());
      if (has_nul(open.argv.back())) {
        return malformed(error, type, "argv[" + std::to_string(i) + "] contains a NUL byte");
      }
    }
  }
  if (!read_bool(type, j, "login_shell", open.login_shell, error)) return false;
  if (open.argv.empty() != open.login_shell) {
    return malformed(error, type,
                     open.login_shell ? "argv must be empty when login_shell is true"
                                      : "argv is empty and login_shell is false");
  }

  if (const auto it = j.find("env"); it != j.end()) {
    if (!it->is_object()) {
      return malformed(
          error, type,
          std::string("field \"env\" must be an object of strings, got ") + it->type_name());
    }
    open.env.reserve(it->size());
    for (const auto& [key, value] : it->items()) {
      if (key.empty()) return malformed(error, type, "env has an empty variable name");
      if (has_nul(key)) return malformed(error, type, "env name contains a NUL byte");
      if (key.find('=') != std::string::npos) {
        return malformed(error, type, "env name \"" + key + "\" contains '='");
      }
      if (!value.is_string()) {
        return malformed(error, type,
                         "env[\"" + key + "\"] must be a string, got " + value.type_name());
      }
      open.env.emplace_back(key, value.get<std::string>());
      if (has_nul(open.env.back().second)) {
        return malformed(error, type, "env[\"" + key + "\"] contains a NUL byte");
      }
    }
  }

  if (!read_string(type, j, "workdir", false, open.workdir, error)) return false;
  if (has_nul(open.workdir)) return malformed(error, type, "workdir contains a NUL byte");
  if (!read_bool(type, j, "interactive", open.interactive, error)) return false;
  if (!read_bool(type, j, "tty", open.allocate_tty, error)) return false;
  if (!read_int(type, j, "cols", 1, max_dimension, false, open.cols, error)) return false;
  if (!read_int(type, j, "rows", 1, max_dimension, false, open.rows, error)) return false;
  if (!read_int(type, j, "heartbeat_ms", 0, max_heartbeat_ms, false, open.heartbeat_ms, error)) {
    return false;
  }
  if (!read_string(type, j, "token", false, open.token, error)) return false;
  if (has_nul(open.token)) return malformed(error, type, "token contains a NUL byte");
  if (!read_string(type, j, "origin", false, open.origin, error)) return false;
  if (!open.origin.empty() && !is_session_origin(open.origin)) {
    return malformed(error, type,
                     "origin must be human, ci, agent, api, automation or scheduled-job");
  }
  if (!read_string(type, j, "group", false, open.group, error)) return false;
  if (!open.group.empty() && !is_group_name(open.group)) {
    return malformed(error, type,
                     "group must be at most 128 bytes of UTF-8 without control characters");
  }

  out = std::move(open);
  return true;
}

bool decode_ack(const std::vector<std::uint8_t>& payload, frame& out, decode_error& error) {
  constexpr frame_type type = frame_type::ack;
  json j;
  if (!parse_object(type, payload, j, error)) return false;
  ack a;
  if (!read_int(type, j, "pid", std::numeric_limits<std::int64_t>::min(),
                std::numeric_limits<std::int64_t>::max(), true, a.pid, error)) {
    return false;
  }
  if (!read_string(type, j, "session_id", false, a.session_id, error)) return false;
  if (has_nul(a.session_id)) return malformed(error, type, "session_id contains a NUL byte");
  out = a;
  return true;
}

bool decode_error_frame(const std::vector<std::uint8_t>& payload, frame& out, decode_error& error) {
  constexpr frame_type type = frame_type::error;
  json j;
  if (!parse_object(type, payload, j, error)) return false;
  error_frame e;
  if (!read_string(type, j, "code", true, e.code, error)) return false;
  if (!read_string(type, j, "message", true, e.message, error)) return false;
  out = std::move(e);
  return true;
}

// ---- binary payloads ----

bool decode_data(std::vector<std::uint8_t>&& payload, frame& out, decode_error& error) {
  constexpr frame_type type = frame_type::data;
  if (payload.size() < data_frame::prefix_size) {
    return malformed(error, type,
                     "payload is " + std::to_string(payload.size()) +
                         " bytes, shorter than its 2-byte stream/flags prefix");
  }
  const std::uint8_t stream = payload[0];
  const std::uint8_t flags = payload[1];
  if (stream > static_cast<std::uint8_t>(stream_id::err)) {
    return malformed(error, type,
                     "stream id " + std::to_string(stream) + " is not 0 (in), 1 (out) or 2 (err)");
  }
  if ((flags & ~data_frame::flag_end_of_stream) != 0) {
    return malformed(error, type, "flags " + std::to_string(flags) + " has unknown bits set");
  }
  const bool end = (flags & data_frame::flag_end_of_stream) != 0;
  if (!end && payload.size() == data_frame::prefix_size) {
    // Carries nothing and ends nothing: only a flood would send it (it costs the receiver a
    // queue entry each time).
    return malformed(error, type, "an empty Data frame must end its stream (end-of-stream flag)");
  }
  out = data_frame::wrap(std::move(payload), static_cast<stream_id>(stream), end);
  return true;
}

bool check_size(frame_type type, const std::vector<std::uint8_t>& payload, std::size_t expected,
                decode_error& error) {
  if (payload.size() == expected) return true;
  return malformed(error, type,
                   "payload is " + std::to_string(payload.size()) + " bytes, expected " +
                       std::to_string(expected));
}

bool check_dimension(frame_type type, const char* name, std::uint16_t value, decode_error& error) {
  if (value >= 1 && value <= max_dimension) return true;
  return malformed(error, type,
                   std::string(name) + " " + std::to_string(value) + " out of range 1.." +
                       std::to_string(max_dimension));
}

bool check_signal(frame_type type, std::int32_t signal, std::int32_t min, decode_error& error) {
  if (signal >= min && signal <= max_signal) return true;
  return malformed(error, type,
                   "signal " + std::to_string(signal) + " out of range " + std::to_string(min) +
                       ".." + std::to_string(max_signal));
}

bool decode_resize(const std::vector<std::uint8_t>& payload, frame& out, decode_error& error) {
  constexpr frame_type type = frame_type::resize;
  if (!check_size(type, payload, 4, error)) return false;
  const resize r{get_u16(payload.data()), get_u16(payload.data() + 2)};
  if (!check_dimension(type, "cols", r.cols, error)) return false;
  if (!check_dimension(type, "rows", r.rows, error)) return false;
  out = r;
  return true;
}

bool decode_signal(const std::vector<std::uint8_t>& payload, frame& out, decode_error& error) {
  constexpr frame_type type = frame_type::signal;
  if (!check_size(type, payload, 4, error)) return false;
  const signal_frame s{get_i32(payload.data())};
  if (!check_signal(type, s.signal, 1, error)) return false;
  out = s;
  return true;
}

bool decode_close(const std::vector<std::uint8_t>& payload, frame& out, decode_error& error) {
  constexpr frame_type type = frame_type::close;
  if (!check_size(type, payload, 8, error)) return false;
  const close_frame c{get_i32(payload.data()), get_i32(payload.data() + 4)};
  if (!check_signal(type, c.signal, 0, error)) return false;
  out = c;
  return true;
}

bool decode_control(frame_type type, const std::vector<std::uint8_t>& payload, frame& out,
                    decode_error& error) {
  json ignored;
  if (!parse_object(type, payload, ignored, error)) return false;
  out = control_message{type, std::string(payload.begin(), payload.end())};
  return true;
}

bool decode_heartbeat(const std::vector<std::uint8_t>& payload, frame& out, decode_error& error) {
  if (!check_size(frame_type::heartbeat, payload, 0, error)) return false;
  out = heartbeat{};
  return true;
}

}  // namespace

// ---- data_frame ----

data_frame::data_frame(stream_id stream, std::span<const std::uint8_t> bytes, bool end_of_stream) {
  payload.reserve(prefix_size + bytes.size());
  payload.push_back(static_cast<std::uint8_t>(stream));
  payload.push_back(end_of_stream ? flag_end_of_stream : 0);
  payload.insert(payload.end(), bytes.begin(), bytes.end());
}

data_frame data_frame::wrap(std::vector<std::uint8_t>&& payload, stream_id stream,
                            bool end_of_stream) {
  data_frame f;
  f.payload = std::move(payload);
  if (f.payload.size() < prefix_size) f.payload.resize(prefix_size);
  f.payload[0] = static_cast<std::uint8_t>(stream);
  f.payload[1] = end_of_stream ? flag_end_of_stream : 0;
  return f;
}

// ---- names ----

frame_type type_of(const frame& f) {
  if (const auto* control = std::get_if<control_message>(&f)) return control->type;
  if (const auto* e2e = std::get_if<e2e_message>(&f)) return e2e->type;
  return static_cast<frame_type>(f.index() + 1);
}

const char* type_name(frame_type t) {
  switch (t) {
    case frame_type::open:
      return "Open";
    case frame_type::ack:
      return "Ack";
    case frame_type::error:
      return "Error";
    case frame_type::data:
      return "Data";
    case frame_type::resize:
      return "Resize";
    case frame_type::signal:
      return "Signal";
    case frame_type::close:
      return "Close";
    case frame_type::heartbeat:
      return "Heartbeat";
    case frame_type::e2e_handshake:
      return "E2eHandshake";
    case frame_type::sealed:
      return "Sealed";
    case frame_type::tunnel_hello:
      return "TunnelHello";
    case frame_type::tunnel_welcome:
      return "TunnelWelcome";
    case frame_type::tunnel_dial:
      return "TunnelDial";
    case frame_type::stream_attach:
      return "StreamAttach";
    case frame_type::route:
      return "Route";
    case frame_type::http_request:
      return "HttpRequest";
    case frame_type::http_response:
      return "HttpResponse";
    case frame_type::tunnel_challenge:
      return "TunnelChallenge";
    case frame_type::tunnel_proof:
      return "TunnelProof";
  }
  return "unknown";
}

// ---- encoding ----

std::array<std::uint8_t, header_size> encode_header(frame_type type, std::size_t payload_length) {
  if (payload_length > std::numeric_limits<std::uint32_t>::max()) {
    // A caller bug: nothing that large is ever built, the receiver's limit is far below.
    throw std::length_error("frame payload of " + std::to_string(payload_length) +
                            " bytes does not fit the 32-bit length field");
  }
  const auto n = static_cast<std::uint32_t>(payload_length);
  return {protocol_version,
          static_cast<std::uint8_t>(type),
          static_cast<std::uint8_t>(n >> 24),
          static_cast<std::uint8_t>(n >> 16),
          static_cast<std::uint8_t>(n >> 8),
          static_cast<std::uint8_t>(n)};
}

namespace {

/// A fixed-size payload: its integer fields big-endian, one after the other.
template <class... Field>
std::vector<std::uint8_t> big_endian_fields(Field... fields) {
  std::vector<std::uint8_t> out;
  (put(out, fields), ...);
  return out;
}

std::vector<std::uint8_t> encode_body(const open_request& o) { return dump_json(open_to_json(o)); }
std::vector<std::uint8_t> encode_body(const ack& a) {
  json j{{"pid", a.pid}};
  if (!a.session_id.empty()) j["session_id"] = a.session_id;
  return dump_json(j);
}
std::vector<std::uint8_t> encode_body(const error_frame& e) {
  return dump_json(json{{"code", e.code}, {"message", e.message}});
}
std::vector<std::uint8_t> encode_body(const data_frame& d) {
  std::vector<std::uint8_t> out = d.payload;
  // Only a hand-built frame can be this short; keep the wire well-formed anyway.
  if (out.size() < data_frame::prefix_size) out.resize(data_frame::prefix_size);
  return out;
}
std::vector<std::uint8_t> encode_body(const resize& r) { return big_endian_fields(r.cols, r.rows); }
std::vector<std::uint8_t> encode_body(const signal_frame& s) { return big_endian_fields(s.signal); }
std::vector<std::uint8_t> encode_body(const close_frame& c) {
  return big_endian_fields(c.exit_code, c.signal);
}
std::vector<std::uint8_t> encode_body(const heartbeat&) { return {}; }
std::vector<std::uint8_t> encode_body(const e2e_message& m) { return m.bytes; }
std::vector<std::uint8_t> encode_body(const control_message& m) {
  return std::vector<std::uint8_t>(m.json.begin(), m.json.end());
}

}  // namespace

std::vector<std::uint8_t> encode_payload(const frame& f) {
  return std::visit([](const auto& body) { return encode_body(body); }, f);
}

std::vector<std::uint8_t> encode(const frame& f) {
  const std::vector<std::uint8_t> payload = encode_payload(f);
  const auto header = encode_header(type_of(f), payload.size());
  // Sized up front then copied (insert() at end() trips a GCC 12 -Wstringop-overflow false
  // positive at -O2).
  std::vector<std::uint8_t> out(header_size + payload.size());
  std::copy(header.begin(), header.end(), out.begin());
  std::copy(payload.begin(), payload.end(), out.begin() + header_size);
  return out;
}

// ---- decoding ----

bool parse_header(std::span<const std::uint8_t, header_size> bytes, std::size_t max_payload,
                  frame_header& out, decode_error& error) {
  if (!check_version(bytes[0], error)) return false;
  if (!check_type(bytes[1], error)) return false;
  const std::uint32_t length = get_u32(bytes.data() + 2);
  if (!check_length(length, max_payload, error)) return false;
  out.version = bytes[0];
  out.type = static_cast<frame_type>(bytes[1]);
  out.payload_length = length;
  return true;
}

bool decode_payload(const frame_header& header, std::vector<std::uint8_t> payload, frame& out,
                    decode_error& error) {
  if (!check_version(header.version, error)) return false;
  if (!check_type(static_cast<std::uint8_t>(header.type), error)) return false;
  if (payload.size() != header.payload_length) {
    const bool short_payload = payload.size() < header.payload_length;
    return fail(error, short_payload ? "truncated" : "trailing_bytes",
                std::string(type_name(header.type)) + " payload is " +
                    std::to_string(payload.size()) + " bytes but its header says " +
                    std::to_string(header.payload_length));
  }
  switch (header.type) {
    case frame_type::open:
      return decode_open(payload, out, error);
    case frame_type::ack:
      return decode_ack(payload, out, error);
    case frame_type::error:
      return decode_error_frame(payload, out, error);
    case frame_type::data:
      return decode_data(std::move(payload), out, error);
    case frame_type::resize:
      return decode_resize(payload, out, error);
    case frame_type::signal:
      return decode_signal(payload, out, error);
    case frame_type::close:
      return decode_close(payload, out, error);
    case frame_type::heartbeat:
      return decode_heartbeat(payload, out, error);
    case frame_type::e2e_handshake:
    case frame_type::sealed:
      out = e2e_message{header.type, std::move(payload)};
      return true;
    case frame_type::tunnel_hello:
    case frame_type::tunnel_welcome:
    case frame_type::tunnel_dial:
    case frame_type::stream_attach:
    case frame_type::route:
    case frame_type::http_request:
    case frame_type::http_response:
    case frame_type::tunnel_challenge:
    case frame_type::tunnel_proof:
      return decode_control(header.type, payload, out, error);
  }
  return false;  // unreachable: check_type accepted the type
}

namespace {

/// The checks every whole-message decode makes: a header, and exactly its payload after it.
bool check_message(std::span<const std::uint8_t> message, std::size_t max_payload,
                   frame_header& header, decode_error& error) {
  if (message.size() < header_size) {
    return fail(error, "truncated",
                "message of " + std::to_string(message.size()) +
                    " bytes is shorter than the 6-byte frame header");
  }
  if (!parse_header(message.first<header_size>(), max_payload, header, error)) return false;
  const std::size_t available = message.size() - header_size;
  if (available < header.payload_length) {
    return fail(error, "truncated",
                std::string(type_name(header.type)) + " message has " + std::to_string(available) +
                    " payload bytes but its header says " + std::to_string(header.payload_length));
  }
  if (available > header.payload_length) {
    return fail(error, "trailing_bytes",
                std::string(type_name(header.type)) + " message has " +
                    std::to_string(available - header.payload_length) + " bytes after its " +
                    std::to_string(header.payload_length) + "-byte payload");
  }
  return true;
}

}  // namespace

bool decode_message(std::span<const std::uint8_t> message, std::size_t max_payload, frame& out,
                    decode_error& error) {
  frame_header header;
  if (!check_message(message, max_payload, header, error)) return false;
  const auto body = message.subspan(header_size);
  return decode_payload(header, std::vector<std::uint8_t>(body.begin(), body.end()), out, error);
}

bool decode_message_in(std::vector<std::uint8_t>&& buffer, std::size_t offset, std::size_t length,
                       std::size_t max_payload, frame& out, decode_error& error) {
  if (offset > buffer.size() || length > buffer.size() - offset) {
    return fail(error, "truncated", "message lies outside its buffer");
  }
  frame_header header;
  const std::span<const std::uint8_t> message(buffer.data() + offset, length);
  if (!check_message(message, max_payload, header, error)) return false;
  // The payload moves to the front of the buffer, which then becomes the frame's storage.
  std::memmove(buffer.data(), buffer.data() + offset + header_size, header.payload_length);
  buffer.resize(header.payload_length);
  return decode_payload(header, std::move(buffer), out, error);
}

bool check_header_prefix(std::span<const std::uint8_t> first_bytes, decode_error& error) {
  return (first_bytes.size() < 1 || check_version(first_bytes[0], error)) &&
         (first_bytes.size() < 2 || check_type(first_bytes[1], error));
}

}  // namespace rstream::codec
