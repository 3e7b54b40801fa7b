// WebTTY frames: the messages a client and a server exchange, and their binary encoding.
//
// Sans-I/O: bytes in, frames or errors out; no sockets, no Asio. Wire format (docs/protocol.md):
//
//   header  = version:u8 (=1) | type:u8 | payload_length:u32 big-endian        (6 bytes)
//   payload = type-specific; control frames with structure use JSON, data is raw bytes.
//
// On TCP/TLS frames follow each other; on WebSocket one frame is one binary message.
// The payload length is checked against a maximum before anything is allocated.
// Thread-safety: plain values and pure functions; a frame_decoder belongs to one thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace rstream::codec {

inline constexpr std::uint8_t protocol_version = 1;
inline constexpr std::size_t header_size = 6;
/// Default hard limit on a frame's payload, in bytes.
inline constexpr std::size_t default_max_payload = 1024 * 1024;
/// Largest terminal dimension (columns or rows) a Resize or Open may carry.
inline constexpr std::uint16_t max_dimension = 4096;

enum class frame_type : std::uint8_t {
  open = 1,
  ack = 2,
  error = 3,
  data = 4,
  resize = 5,
  signal = 6,
  close = 7,
  heartbeat = 8,
  // End-to-end encryption (docs/security.md): payloads are opaque bytes, carried by
  // e2e_message.
  e2e_handshake = 9,  ///< a handshake message; empty from a server: "no E2E here, go on"
  sealed = 10,        ///< a whole inner frame (header and payload), sealed
  // Tunnel control (docs/protocol.md §Tunnels): JSON objects whose meaning the tunnel layer
  // owns. Carried by control_message.
  tunnel_hello = 16,      ///< server → engine: register a tunnel
  tunnel_welcome = 17,    ///< engine → server: the tunnel is online
  tunnel_dial = 18,       ///< engine → server: open a stream connection for a client
  stream_attach = 19,     ///< server → engine: first frame of a dial-back stream connection
  route = 20,             ///< client → engine: connect this connection to a tunnel
  http_request = 21,      ///< engine → server: first frame of a tunnel HTTP stream (the head)
  http_response = 22,     ///< server → engine: the response head on a tunnel HTTP stream
  tunnel_challenge = 23,  ///< engine → server: prove you are the enrolled host (registered)
  tunnel_proof = 24,      ///< server → engine: the signed answer to the challenge
};

/// True for the tunnel control types (carried by control_message).
constexpr bool is_control_type(frame_type t) {
  return t >= frame_type::tunnel_hello && t <= frame_type::tunnel_proof;
}

/// Which byte stream a Data frame belongs to.
enum class stream_id : std::uint8_t { in = 0, out = 1, err = 2 };

/// Client → server, first frame: what to run and how.
struct open_request {
  std::vector<std::string> argv;  ///< empty only when login_shell is true
  bool login_shell = false;       ///< run the server user's login shell (argv must be empty)
  std::vector<std::pair<std::string, std::string>> env;  ///< added to the server's environment
  std::string workdir;                                   ///< empty: the server's working directory
  bool interactive = false;                              ///< the client forwards stdin
  bool allocate_tty = false;  ///< run in a PTY (stdout carries the merged terminal output)
  std::uint16_t cols = 80;
  std::uint16_t rows = 24;
  std::uint32_t heartbeat_ms = 0;  ///< 0: no heartbeats; otherwise both sides send one this often
  std::string token;               ///< bearer token on transports without HTTP headers
  /// Who or what starts the session, for the engine's session list and recordings: empty (not
  /// said) or one of session_origins. Servers ignore it.
  std::string origin;
  /// A session group the caller names (a CI job, a rollout): empty or 1..max_group_length bytes
  /// of UTF-8 without control characters. Servers ignore it.
  std::string group;
  bool operator==(const open_request&) const = default;
};

/// The words an Open's origin may be.
inline constexpr const char* session_origins[] = {"human", "ci",         "agent",
                                                  "api",   "automation", "scheduled-job"};
/// Longest session group name, in bytes.
inline constexpr std::size_t max_group_length = 128;
/// Whether `origin` is one of session_origins.
bool is_session_origin(std::string_view origin);
/// Whether `group` may name a session group: 1..max_group_length bytes, no control character
/// (UTF-8 validity is checked where the text comes in: the frame's JSON, the CLI's flag).
bool is_group_name(std::string_view group);

/// Server → client: the command started.
struct ack {
  std::int64_t pid = 0;
  /// Set by an engine that manages the session (a registered server's): the id under which
  /// `rstream webtty sessions` lists it. Empty from a server.
  std::string session_id;
  bool operator==(const ack&) const = default;
};

/// Either direction: what went wrong; the sender closes the connection after it.
/// `code` is a stable machine-readable word (see docs/protocol.md), `message` is for humans.
struct error_frame {
  std::string code;
  std::string message;
  bool operator==(const error_frame&) const = default;
};

/// A chunk of one byte stream, or its end. The payload is kept exactly as on the wire
/// (`stream:u8 | flags:u8 | bytes`) so that readers can fill it and writers can send it
/// without copying. flags bit 0 = end of stream; other bits must be zero.
struct data_frame {
  static constexpr std::size_t prefix_size = 2;
  static constexpr std::uint8_t flag_end_of_stream = 0x01;

  std::vector<std::uint8_t> payload;  ///< wire payload, at least prefix_size bytes

  data_frame() : payload(prefix_size, 0) {}
  /// Copies `bytes` into a new frame.
  data_frame(stream_id stream, std::span<const std::uint8_t> bytes, bool end_of_stream = false);
  /// Takes a payload whose first prefix_size bytes will be overwritten with (stream, flags)
  /// and whose remaining bytes are the data. Used to read straight into a frame.
  static data_frame wrap(std::vector<std::uint8_t>&& payload, stream_id stream,
                         bool end_of_stream = false);

  stream_id stream() const { return static_cast<stream_id>(payload[0]); }
  bool end_of_stream() const { return (payload[1] & flag_end_of_stream) != 0; }
  std::span<const std::uint8_t> bytes() const {
    return std::span<const std::uint8_t>(payload).subspan(prefix_size);
  }
  bool operator==(const data_frame&) const = default;
};

/// Client → server: new terminal size (both in 1..max_dimension).
struct resize {
  std::uint16_t cols = 0;
  std::uint16_t rows = 0;
  bool operator==(const resize&) const = default;
};

/// Client → server: deliver this signal (1..64) to the command's process group.
struct signal_frame {
  std::int32_t signal = 0;
  bool operator==(const signal_frame&) const = default;
};

/// Server → client, last frame: the command ended and its output streams are drained.
/// signal != 0 means it was killed by that signal (exit_code is then 128 + signal).
struct close_frame {
  std::int32_t exit_code = 0;
  std::int32_t signal = 0;
  bool operator==(const close_frame&) const = default;
};

/// Either direction: liveness only.
struct heartbeat {
  bool operator==(const heartbeat&) const = default;
};

/// A tunnel control frame: its type and its payload, a JSON object (checked when decoded).
struct control_message {
  frame_type type = frame_type::tunnel_hello;
  std::string json;
  bool operator==(const control_message&) const = default;
};

/// An E2E frame: its type (e2e_handshake or sealed) and its opaque payload.
struct e2e_message {
  frame_type type = frame_type::e2e_handshake;
  std::vector<std::uint8_t> bytes;
  bool operator==(const e2e_message&) const = default;
};

using frame = std::variant<open_request, ack, error_frame, data_frame, resize, signal_frame,
                           close_frame, heartbeat, control_message, e2e_message>;

frame_type type_of(const frame& f);
/// Human name of a frame type ("Open", "Data", ...), or "unknown".
const char* type_name(frame_type t);

/// Why decoding failed. `code` is one of: "bad_version", "unknown_type", "frame_too_large",
/// "malformed" (a payload that does not match its type), "truncated" (a WebSocket message
/// shorter than its header says), "trailing_bytes" (a WebSocket message longer than its frame).
struct decode_error {
  std::string code;
  std::string message;  ///< says what was wrong, with numbers where useful
};

struct frame_header {
  std::uint8_t version = protocol_version;
  frame_type type = frame_type::heartbeat;
  std::uint32_t payload_length = 0;
};

// ---- encoding ----

std::array<std::uint8_t, header_size> encode_header(frame_type type, std::size_t payload_length);
/// The payload of a frame (for data_frame, a copy of f.payload; senders use payload directly).
std::vector<std::uint8_t> encode_payload(const frame& f);
/// Header followed by payload: one whole frame.
std::vector<std::uint8_t> encode(const frame& f);

// ---- decoding ----

/// Checks the first bytes of a header as soon as they arrive (fewer than header_size): the
/// version once byte 0 is there, the type once byte 1 is, so a stream of garbage is refused at
/// once instead of after a whole header.
bool check_header_prefix(std::span<const std::uint8_t> first_bytes, decode_error& error);
/// Parses and checks a header (version, known type, payload_length <= max_payload).
bool parse_header(std::span<const std::uint8_t, header_size> bytes, std::size_t max_payload,
                  frame_header& out, decode_error& error);
/// Decodes and validates a payload of the given header's type (payload.size() must equal
/// header.payload_length). Takes the payload by value so data frames keep the buffer.
bool decode_payload(const frame_header& header, std::vector<std::uint8_t> payload, frame& out,
                    decode_error& error);
/// Decodes exactly one whole frame from `message` (a WebSocket binary message).
bool decode_message(std::span<const std::uint8_t> message, std::size_t max_payload, frame& out,
                    decode_error& error);
/// decode_message for a message lying inside `buffer` at [offset, offset + length): the buffer
/// becomes the payload's storage (a data frame keeps it), so decoding allocates nothing.
bool decode_message_in(std::vector<std::uint8_t>&& buffer, std::size_t offset, std::size_t length,
                       std::size_t max_payload, frame& out, decode_error& error);

/// Incremental decoder for a byte stream (TCP/TLS): feed bytes, take frames.
/// Tri-state like a request parser: a frame, need more bytes, or a (sticky) error.
class frame_decoder {
 public:
  enum class status { frame, need_more, error };

  explicit frame_decoder(std::size_t max_payload = default_max_payload);

  /// Appends bytes. The caller bounds how much it feeds before calling next().
  void feed(std::span<const std::uint8_t> bytes);
  /// Takes the next whole frame if there is one. After an error it keeps returning error.
  status next(frame& out);
  const decode_error& error() const { return error_; }
  /// Bytes fed but not yet consumed by a returned frame.
  std::size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  /// Marks the stream dead and drops the buffer.
  status fail();

  std::size_t max_payload_;
  std::vector<std::uint8_t> buffer_;
  std::size_t consumed_ = 0;
  bool failed_ = false;
  decode_error error_;
};

}  // namespace rstream::codec
