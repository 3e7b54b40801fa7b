// Recordings over the engine API (see recordings.hpp).
#include "rstream/client/recordings.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <cstring>

#include "rstream/api/error_reply.hpp"
#include "rstream/base/percent.hpp"
#include "rstream/client/engine_client.hpp"
#include "rstream/config/contexts.hpp"
#include "rstream/transport/http_stream_client.hpp"

namespace asio = boost::asio;

namespace rstream::client {
namespace {

engine_failure failure(int exit_code, std::string message) {
  return {exit_code, std::move(message)};
}

std::string recording_path(const std::string& session_id, const char* what) {
  return "/api/webtty/sessions/" + base::percent_encode(session_id) + "/" + what;
}

/// A refusal: 403 and 404 get their own exit codes; a 401 stays a remote failure (the token
/// itself is wrong), as call_engine says.
engine_failure refused(int status, int exit_code, std::string message) {
  const bool specific = status == 403 || status == 404;
  return failure(specific ? api::exit_code_for_status(status) : exit_code, std::move(message));
}

/// Where the export goes: a temporary beside the file (renamed once whole), or stdout.
class export_target {
 public:
  explicit export_target(std::filesystem::path file) : file_(std::move(file)) {}
  export_target(const export_target&) = delete;
  export_target& operator=(const export_target&) = delete;
  ~export_target() {
    if (fd_ >= 0 && !file_.empty()) {
      ::close(fd_);
      ::unlink(partial().c_str());
    }
  }

  std::filesystem::path partial() const { return file_.string() + ".partial"; }

  /// Opens the temporary (or takes stdout); a message when it cannot.
  std::optional<std::string> open() {
    if (file_.empty()) {
      fd_ = STDOUT_FILENO;
      return std::nullopt;
    }
    fd_ = ::open(partial().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd_ < 0) return "cannot write " + partial().string() + ": " + std::strerror(errno);
    return std::nullopt;
  }
  int fd() const { return fd_; }

  /// Closes and renames the temporary to the file; a message when it cannot.
  std::optional<std::string> commit() {
    if (file_.empty()) return std::nullopt;
    const int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0 || ::rename(partial().c_str(), file_.c_str()) != 0) {
      const std::string why = std::strerror(errno);
      ::unlink(partial().c_str());
      return "cannot write " + file_.string() + ": " + why;
    }
    return std::nullopt;
  }

 private:
  std::filesystem::path file_;
  int fd_ = -1;
};

struct export_outcome {
  int status = 0;
  std::string refusal;  ///< the error envelope's message of a refusal
  std::uint64_t bytes = 0;
  std::string error;  ///< transport or sink failure
};

asio::awaitable<void> fetch_export(const transport::http_target& target,
                                   const transport::http_stream_request& request,
                                   const transport::http_stream_options& options,
                                   const transport::body_sink& sink, export_outcome& out) {
  auto started = co_await transport::http_stream_start(target, request, options);
  if (!started.call) {
    out.error = std::move(started.error);
    co_return;
  }
  out.status = started.call->head().status;
  std::string error;
  if (out.status != 200) {
    std::string body;
    const bool read = co_await started.call->read_body_text(64 * 1024, body, error);
    if (read) out.refusal = api::parse_error_reply(body).message;
    co_return;
  }
  auto [ok, bytes] = co_await started.call->read_body(sink, error);
  out.bytes = bytes;
  if (!ok) out.error = error;
}

}  // namespace

engine_result<api::recording_page> read_recording_page(const std::string& context,
                                                       const std::string& session_id,
                                                       std::uint64_t from_seq,
                                                       std::uint64_t limit) {
  const std::string path = recording_path(session_id, "events") +
                           "?from_seq=" + std::to_string(from_seq) +
                           "&limit=" + std::to_string(limit);
  auto reply = call_engine(context, "GET", path, "");
  if (!reply.ok) return refused(reply.status, reply.exit_code, reply.message);
  auto page = api::read_recording_page(reply.body);
  if (!page)
    return failure(api::exit_remote_failure, "the engine's answer: " + page.error().message);
  return std::move(*page);
}

engine_result<std::uint64_t> export_recording(const export_request& request) {
  auto engine = config::resolve_engine(request.context);
  if (!engine) return failure(api::exit_remote_failure, engine.error().message);
  export_target into(request.file);
  if (auto why = into.open()) return failure(api::exit_failure, *why);

  const transport::http_target target{engine->engine.tls, engine->engine.host, engine->engine.port};
  transport::http_stream_request http;
  http.method = "GET";
  http.target = recording_path(request.session_id, "export") +
                "?format=" + api::name_of(request.format) +
                "&include_stdin=" + (request.include_stdin ? "1" : "0");
  http.token = engine->token;
  transport::http_stream_options options;
  options.connect.timeout = std::chrono::seconds(10);
  const transport::body_sink sink = transport::fd_sink(into.fd());
  export_outcome out;
  asio::io_context io{1};
  asio::co_spawn(io, fetch_export(target, http, options, sink, out), [&out](std::exception_ptr e) {
    if (e) out.error = "internal error";
  });
  io.run();

  const std::string where = "the engine at " + engine->engine.text();
  if (out.status == 0)
    return failure(api::exit_remote_failure, "cannot reach " + where + ": " + out.error);
  if (out.status == 401) {
    return failure(api::exit_remote_failure,
                   where +
                       " refused the token; check `rstream project current` or "
                       "RSTREAM_AUTHENTICATION_TOKEN");
  }
  if (out.status != 200) {
    std::string message = out.refusal.empty() ? "HTTP " + std::to_string(out.status) : out.refusal;
    return refused(out.status, api::exit_failure, std::move(message));
  }
  if (!out.error.empty()) {
    return failure(
        api::exit_remote_failure,
        "the export broke off after " + std::to_string(out.bytes) + " bytes: " + out.error);
  }
  if (auto why = into.commit()) return failure(api::exit_failure, *why);
  return out.bytes;
}

engine_result<recording_verification> verify_recording(const std::string& context,
                                                       const std::string& session_id) {
  recording_verification result;
  api::chain_verifier verifier(session_id);
  std::uint64_t from = 1;
  for (;;) {
    auto page = read_recording_page(context, session_id, from);
    if (!page) return page.error();
    if (page->recording.session_id != session_id) {
      return failure(api::exit_remote_failure,
                     "the engine answered with the recording of another session");
    }
    for (const auto& event : page->events) {
      if (!verifier.add(event)) break;
    }
    result.recording = std::move(page->recording);
    if (verifier.broken() || !page->more) break;
    if (page->events.empty()) {
      return failure(api::exit_remote_failure, "the engine says more events follow but sent none");
    }
    from = page->next_seq;
  }
  if (!verifier.broken()) verifier.finish(result.recording.events, result.recording.last_hash);
  result.events = verifier.events();
  result.broken = verifier.broken();
  return result;
}

}  // namespace rstream::client
