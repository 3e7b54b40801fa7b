// One live session's state: lifecycle, output fan-out, participants (rstream/live/
// live_session_state.hpp).
#include "rstream/live/live_session_state.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <utility>

namespace rstream::live {
namespace {

using json = nlohmann::json;

/// Upper bounds on the sizes an options struct may ask for (explicit limits, not trust).
constexpr std::size_t max_scrollback_bytes = std::size_t{1} << 30;
constexpr std::size_t max_queue_limit_bytes = std::size_t{1} << 30;
constexpr std::size_t max_event_capacity = 1 << 20;
constexpr std::size_t max_session_name_length = 256;

result<void> check_size(std::uint16_t cols, std::uint16_t rows) {
  if (cols < 1 || cols > max_dimension || rows < 1 || rows > max_dimension) {
    return fail(errc::invalid_argument, "a terminal size is 1.." + std::to_string(max_dimension) +
                                            " columns by 1.." + std::to_string(max_dimension) +
                                            " rows (got " + std::to_string(cols) + " columns by " +
                                            std::to_string(rows) + " rows)");
  }
  return {};
}

session_options normalized(session_options options) {
  if (auto valid = live_session_state::validate(options); !valid) {
    throw std::invalid_argument("live_session_state: " + valid.error().message);
  }
  if (options.name.empty()) options.name = options.id;
  return options;
}

}  // namespace

const char* to_string(session_state s) {
  switch (s) {
    case session_state::starting:
      return "starting";
    case session_state::running:
      return "running";
    case session_state::terminated:
      return "terminated";
  }
  return "unknown";
}

result<void> live_session_state::validate(const session_options& options) {
  if (auto valid = validate_participant_id(options.id); !valid) {
    return fail(errc::invalid_argument, "a session id has 1 to " + std::to_string(max_id_length) +
                                            " characters, letters, digits and . _ : - only");
  }
  if (options.name.size() > max_session_name_length || !is_clean_text(options.name)) {
    return fail(errc::invalid_argument,
                "a session name is valid UTF-8 without control "
                "characters, at most " +
                    std::to_string(max_session_name_length) + " bytes");
  }
  if (auto size = check_size(options.cols, options.rows); !size) return size;
  if (options.scrollback_bytes < 1 || options.scrollback_bytes > max_scrollback_bytes) {
    return fail(errc::invalid_argument, "the scrollback size is 1 byte to 1 GiB");
  }
  if (options.queue_limit_bytes < 1 || options.queue_limit_bytes > max_queue_limit_bytes) {
    return fail(errc::invalid_argument, "the participant queue limit is 1 byte to 1 GiB");
  }
  if (options.event_capacity < 1 || options.event_capacity > max_event_capacity) {
    return fail(errc::invalid_argument,
                "the event log keeps 1 to " + std::to_string(max_event_capacity) + " events");
  }
  if (options.control.max_participants < 1) {
    return fail(errc::invalid_argument, "a session allows at least one participant");
  }
  return {};
}

live_session_state::live_session_state(session_options options, time_point now)
    : options_(normalized(std::move(options))),
      created_at_(now),
      cols_(options_.cols),
      rows_(options_.rows),
      scrollback_(options_.scrollback_bytes),
      screen_(options_.terminal
                  ? std::make_unique<screen_model>(
                        options_.cols, options_.rows,
                        screen_limits{screen_limits{}.history_lines, options_.scrollback_bytes})
                  : nullptr),
      events_(options_.event_capacity, options_.id),
      control_(events_, options_.control) {}

// ---- lifecycle ----

void live_session_state::log_state(time_point now) {
  json fields = {{"state", to_string(state_)},
                 {"exit_code", exit_code_ ? json(*exit_code_) : json(nullptr)},
                 {"pid", pid_ ? json(*pid_) : json(nullptr)}};
  if (state_ == session_state::terminated) fields["signal"] = signal_;
  events_.append(event_type::state_changed, std::move(fields), now);
}

result<void> live_session_state::set_running(std::int64_t pid, time_point now) {
  if (state_ != session_state::starting) {
    return fail(errc::invalid_state,
                std::string("the session is already ") + to_string(state_) + ", not starting");
  }
  state_ = session_state::running;
  pid_ = pid;
  log_state(now);
  return {};
}

result<void> live_session_state::terminate(int exit_code, time_point now, int signal) {
  if (state_ == session_state::terminated) {
    return fail(errc::invalid_state, "the session is already terminated");
  }
  state_ = session_state::terminated;
  exit_code_ = exit_code;
  signal_ = signal;
  terminated_at_ = now;
  log_state(now);
  return {};
}

// ---- output ----

void live_session_state::on_output(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;
  scrollback_.append(bytes);
  if (screen_) {
    screen_->feed(bytes);
    repaint_now_.reset();
  }
  shared_bytes chunk;  // allocated only if some participant is live
  for (auto& [id, out] : outputs_) {
    if (out.catching_up) continue;
    if (!chunk)
      chunk = std::make_shared<const std::vector<std::uint8_t>>(bytes.begin(), bytes.end());
    if (!out.queue.push(chunk)) {
      // The queue dropped [cursor, ...): read it back from the scrollback from the same cursor.
      out.catching_up = true;
    }
  }
}

result<output_batch> live_session_state::take_output(const std::string& participant_id,
                                                     std::vector<std::uint8_t>& out,
                                                     std::size_t max_bytes, time_point now) {
  std::vector<output_piece> pieces;
  std::vector<std::uint8_t> scratch;
  auto batch = take_output_pieces(participant_id, pieces, scratch, max_bytes, now);
  if (batch) {
    out.reserve(out.size() + batch->bytes);
    for (const auto& piece : pieces) out.insert(out.end(), piece.bytes.begin(), piece.bytes.end());
  }
  return batch;
}

result<output_batch> live_session_state::take_output_pieces(const std::string& participant_id,
                                                            std::vector<output_piece>& pieces,
                                                            std::vector<std::uint8_t>& scratch,
                                                            std::size_t max_bytes, time_point now) {
  participant_output* o = find_output(participant_id);
  if (o == nullptr) {
    return fail(errc::unknown_participant, "no participant " + participant_id + " in this session");
  }
  output_batch batch;
  if (screen_ && (o->catching_up || o->repaint)) {
    // A terminal session: the repaint first, then the queue (see the header).
    if (o->catching_up) start_from_repaint(participant_id, *o, batch, now);
    const std::span<const std::uint8_t> rest =
        std::span<const std::uint8_t>(*o->repaint).subspan(o->repaint_sent);
    batch.offset = *o->cursor;
    batch.repaint = true;
    batch.bytes = std::min(rest.size(), max_bytes);
    if (batch.bytes > 0) pieces.push_back({o->repaint, rest.first(batch.bytes)});
    o->repaint_sent += batch.bytes;
    if (o->repaint_sent == o->repaint->size()) {
      o->repaint.reset();
      o->repaint_sent = 0;
    }
    return batch;
  }
  if (!o->catching_up) {
    batch.offset = *o->cursor;
    batch.bytes = o->queue.pop_pieces(pieces, max_bytes);
    *o->cursor += batch.bytes;
    return batch;
  }

  if (!o->cursor) {
    o->cursor = scrollback_.safe_start();  // a new participant: the scrollback first
  } else if (*o->cursor < scrollback_.begin_offset()) {
    const std::uint64_t resume_at = scrollback_.safe_start();
    batch.skipped = resume_at - *o->cursor;
    events_.append(
        event_type::output_skipped,
        {{"participant_id", participant_id}, {"bytes", batch.skipped}, {"offset", *o->cursor}},
        now);
    o->cursor = resume_at;
  }
  batch.offset = *o->cursor;
  scratch.clear();
  batch.bytes = scrollback_.copy(*o->cursor, max_bytes, scratch);
  if (batch.bytes > 0) pieces.push_back({nullptr, std::span<const std::uint8_t>(scratch)});
  *o->cursor += batch.bytes;
  if (*o->cursor == scrollback_.total_written()) {
    // Caught up: from now on on_output() queues exactly the bytes from the cursor on.
    o->catching_up = false;
    o->queue.resume();
  }
  return batch;
}

void live_session_state::start_from_repaint(const std::string& participant_id,
                                            participant_output& o, output_batch& batch,
                                            time_point now) {
  const std::uint64_t offset = scrollback_.total_written();
  if (o.cursor && *o.cursor < offset) {
    batch.skipped = offset - *o.cursor;
    events_.append(event_type::output_skipped,
                   {{"participant_id", participant_id},
                    {"bytes", batch.skipped},
                    {"offset", *o.cursor},
                    {"repainted", true}},
                   now);
  }
  o.cursor = offset;
  o.repaint = current_repaint();
  o.repaint_sent = 0;
  o.catching_up = false;
  o.queue.resume();  // from now on on_output() queues exactly the bytes from the cursor on
}

shared_bytes live_session_state::current_repaint() {
  if (!repaint_now_) {
    const std::string bytes = screen_->repaint();
    repaint_now_ = std::make_shared<const std::vector<std::uint8_t>>(bytes.begin(), bytes.end());
  }
  return repaint_now_;
}

bool live_session_state::has_output(const std::string& participant_id) const {
  const participant_output* o = find_output(participant_id);
  if (o == nullptr) return false;
  if (o->repaint) return true;
  if (!o->catching_up) return !o->queue.empty();
  if (screen_) return true;  // a repaint is due
  const std::uint64_t from = o->cursor ? *o->cursor : scrollback_.safe_start();
  return from < scrollback_.total_written();
}

// ---- participants ----

live_session_state::participant_output* live_session_state::find_output(
    const std::string& participant_id) {
  const auto it = outputs_.find(participant_id);
  return it == outputs_.end() ? nullptr : &it->second;
}

const live_session_state::participant_output* live_session_state::find_output(
    const std::string& participant_id) const {
  const auto it = outputs_.find(participant_id);
  return it == outputs_.end() ? nullptr : &it->second;
}

result<participant> live_session_state::attach(std::string participant_id, std::string name,
                                               bool spectator_only, time_point now) {
  if (participant_id.empty()) {
    do {
      participant_id = "p" + std::to_string(next_participant_number_++);
    } while (control_.find(participant_id) != nullptr);
  }
  result<participant> joined =
      control_.join(std::move(participant_id), std::move(name), spectator_only, now);
  if (!joined) return joined;
  participant_output& o =
      outputs_.try_emplace(joined->id, options_.queue_limit_bytes).first->second;
  if (screen_ && scrollback_.total_written() == 0) {
    // Nothing was written yet: the stream itself, from its first byte, is the whole screen.
    o.cursor = 0;
    o.catching_up = false;
  }
  return joined;
}

result<void> live_session_state::detach(const std::string& participant_id, time_point now) {
  result<void> left = control_.leave(participant_id, now);
  if (left) outputs_.erase(participant_id);
  return left;
}

result<void> live_session_state::authorize_controller(const std::string& participant_id,
                                                      const char* what) const {
  if (control_.find(participant_id) == nullptr) {
    return fail(errc::unknown_participant, "no participant " + participant_id + " in this session");
  }
  if (!control_.is_controller(participant_id)) {
    return fail(errc::not_controller, "participant " + participant_id + " is a spectator; only " +
                                          "the controller's " + what + " reaches the process");
  }
  return {};
}

result<void> live_session_state::authorize_input(const std::string& participant_id) const {
  return authorize_controller(participant_id, "input");
}

result<void> live_session_state::authorize_signal(const std::string& participant_id) const {
  return authorize_controller(participant_id, "signals");
}

result<void> live_session_state::resize(const std::string& participant_id, std::uint16_t cols,
                                        std::uint16_t rows) {
  if (auto allowed = authorize_controller(participant_id, "resize"); !allowed) return allowed;
  if (auto size = check_size(cols, rows); !size) return size;
  cols_ = cols;
  rows_ = rows;
  if (screen_) {
    screen_->resize(cols, rows);
    repaint_now_.reset();
  }
  return {};
}

// ---- observation ----

std::size_t live_session_state::queued_bytes(const std::string& participant_id) const {
  const participant_output* o = find_output(participant_id);
  return o == nullptr ? 0 : o->queue.queued_bytes();
}

bool live_session_state::catching_up(const std::string& participant_id) const {
  const participant_output* o = find_output(participant_id);
  return o != nullptr && o->catching_up;
}

std::size_t live_session_state::memory_bytes() const {
  std::size_t total = scrollback_.memory_bytes();
  if (screen_) total += screen_->memory_bytes();
  if (repaint_now_) total += repaint_now_->size();
  for (const auto& [id, out] : outputs_) {
    total += out.queue.charged_bytes();
    if (out.repaint && out.repaint != repaint_now_) total += out.repaint->size();
  }
  return total;
}

json live_session_state::to_json() const {
  json participants = json::array();
  for (const participant& p : control_.participants()) participants.push_back(live::to_json(p));
  const participant* controller = control_.controller();
  return {
      {"id", options_.id},
      {"name", options_.name},
      {"state", to_string(state_)},
      {"pid", pid_ ? json(*pid_) : json(nullptr)},
      {"cols", cols_},
      {"rows", rows_},
      {"clients", control_.participants().size()},
      {"created_at", format_time(created_at_)},
      {"terminated_at", terminated_at_ ? json(format_time(*terminated_at_)) : json(nullptr)},
      {"exit_code", exit_code_ ? json(*exit_code_) : json(nullptr)},
      {"signal", state_ == session_state::terminated ? json(signal_) : json(nullptr)},
      {"working_dir", options_.working_dir},
      {"command", options_.command},
      {"controller", controller ? json(controller->id) : json(nullptr)},
      {"participants", std::move(participants)},
      {"scrollback_bytes", scrollback_.size()},
      {"output_bytes", scrollback_.total_written()},
      {"last_event_seq", events_.last_seq()},
  };
}

}  // namespace rstream::live
