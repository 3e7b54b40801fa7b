// The tunnel control messages (docs/protocol.md §Tunnels), as typed values converted to and
// from codec::control_message frames. A server registers a tunnel with tunnel_hello and the
// engine answers tunnel_welcome; for every client stream the engine sends tunnel_dial and the
// server opens a new connection that starts with stream_attach; a client's connection starts
// with route. After stream_attach and route, both connections carry ordinary WebTTY frames,
// unless the dial asked for an HTTP stream: then http_request_head and http_response_head start
// the two directions (http_stream.hpp).
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rstream/codec/frame.hpp"

namespace rstream::tunnel {

/// Server → engine, first frame of the control connection.
struct tunnel_hello {
  std::string token;
  std::string name;
  std::map<std::string, std::string> labels;  ///< full keys, e.g. rstream.webtty.label.role
  bool publish = true;
  std::string instance;  ///< random per server process: a reconnect replaces its own stale entry
  std::string version;
  /// A registered server's id (`--server-id`), or empty for a lightweight tunnel. The engine
  /// then answers with tunnel_challenge, and the name is the record's.
  std::string server_id;
};

/// Engine → server, after a tunnel_hello with a server id: sign this (e2e/admission_proof.hpp)
/// with the enrolled identity, together with the server id and the hello's labels.
struct tunnel_challenge {
  std::string server_id;
  std::string challenge;  ///< base64url of 32 random bytes
};

/// Server → engine: the answer to tunnel_challenge.
struct tunnel_proof {
  std::string signature;  ///< base64url Ed25519 signature (e2e::sign_admission)
};

/// Engine → server: the tunnel is online.
struct tunnel_welcome {
  std::string id;
  std::string name;
  std::string rstream_url;
  std::string browser_url;         ///< empty when not published
  std::string stream_secret;       ///< proves a dial-back connection comes from this server
  std::uint32_t heartbeat_ms = 0;  ///< both sides send a Heartbeat this often
};

/// What a dial-back stream carries.
enum class stream_kind {
  webtty,  ///< WebTTY frames of one session (the default)
  http,    ///< one HTTP request and its response (http_stream.hpp)
};

/// Engine → server: a client waits on stream `stream`; dial back.
struct tunnel_dial {
  std::string stream;
  stream_kind kind = stream_kind::webtty;
};

/// One header line of a tunnel HTTP message.
using header_pair = std::pair<std::string, std::string>;

/// Engine → server, first frame of an HTTP stream: the request head.
struct http_request_head {
  std::string method;
  std::string target;           ///< path and query as the server sees them, e.g. "/fs/a?x"
  std::string external_prefix;  ///< where the client sees the server's root, e.g. /api/tunnels/N
  std::vector<header_pair> headers;
  std::optional<std::uint64_t> content_length;  ///< none: the body length is unknown
};

/// Server → engine, after the request: the response head.
struct http_response_head {
  int status = 0;
  std::vector<header_pair> headers;
  std::optional<std::uint64_t> content_length;
};

/// Server → engine, first frame of a dial-back connection.
struct stream_attach {
  std::string tunnel;  ///< the tunnel id
  std::string stream;
  std::string secret;
};

/// Client → engine, first frame: connect me to the tunnel named (or with id) `target`.
struct route_request {
  std::string token;
  std::string target;
};

codec::control_message to_message(const tunnel_hello& m);
codec::control_message to_message(const tunnel_welcome& m);
codec::control_message to_message(const tunnel_dial& m);
codec::control_message to_message(const stream_attach& m);
codec::control_message to_message(const route_request& m);
codec::control_message to_message(const http_request_head& m);
codec::control_message to_message(const http_response_head& m);
codec::control_message to_message(const tunnel_challenge& m);
codec::control_message to_message(const tunnel_proof& m);

/// Each parser checks the message type and the fields; false with a message saying what is
/// wrong.
bool parse(const codec::control_message& in, tunnel_hello& out, std::string& error);
bool parse(const codec::control_message& in, tunnel_welcome& out, std::string& error);
bool parse(const codec::control_message& in, tunnel_dial& out, std::string& error);
bool parse(const codec::control_message& in, stream_attach& out, std::string& error);
bool parse(const codec::control_message& in, route_request& out, std::string& error);
bool parse(const codec::control_message& in, http_request_head& out, std::string& error);
bool parse(const codec::control_message& in, http_response_head& out, std::string& error);
bool parse(const codec::control_message& in, tunnel_challenge& out, std::string& error);
bool parse(const codec::control_message& in, tunnel_proof& out, std::string& error);

/// Tunnel names: 1–63 of [A-Za-z0-9._-], starting with a letter or digit. Empty error = valid.
std::string check_tunnel_name(const std::string& name);
/// Empty when `key` may be a label key (1..128 of [A-Za-z0-9._-]), else why not.
std::string check_label_key(const std::string& key);

/// Where the labels a user gives a tunnel live among its labels (`--label role=ci` is
/// rstream.webtty.label.role=ci).
inline constexpr std::string_view user_label_prefix = "rstream.webtty.label.";
/// The user's labels among `labels` (an inventory entry's object of strings), without the
/// prefix; anything else is skipped.
std::map<std::string, std::string> user_labels(const nlohmann::json& labels);

}  // namespace rstream::tunnel
