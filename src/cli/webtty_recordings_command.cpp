// `rstream webtty sessions export|verify`: a managed session's recording on the context's engine
// (client/recordings.hpp): flags and printing only. Exports go to stdout or --file; messages to
// stderr. Thread-safety: one command per process, on the main thread.
#include <CLI/CLI.hpp>

#include "rstream/cli/commands.hpp"
#include "rstream/client/recordings.hpp"

namespace rstream::cli {
namespace {

struct recording_flags {
  client::export_request request;
  std::string format = "json", file;
};

int run_export(const recording_flags& f) {
  client::export_request request = f.request;
  request.format = api::parse_export_format(f.format).value();
  request.file = f.file;
  auto written = client::export_recording(request);
  if (!written) return report_outcome(written.error());
  if (!f.file.empty())
    print_error("exported " + base::format_size(static_cast<double>(*written)) + " to " + f.file);
  return exit_ok;
}

int run_verify(const recording_flags& f) {
  auto checked = client::verify_recording(f.request.context, f.request.session_id);
  if (!checked) return report_outcome(checked.error());
  if (checked->broken) {
    print_error("the recording of " + f.request.session_id +
                " is broken: " + checked->broken->describe());
    return exit_failure;
  }
  print_line(f.request.session_id + ": " + std::to_string(checked->events) + " events verified" +
             (checked->recording.ended_at.empty() ? " (still recording)" : "") +
             ", chain ends with " + checked->recording.last_hash);
  return exit_ok;
}

}  // namespace

void add_webtty_recordings(CLI::App& sessions, command_table& table) {
  const std::string footer =
      "Recordings are on the engine of the project context; reading them needs an admin token.\n"
      "Exit codes: 0 ok; 1 refused, or the chain is broken (verify); 3 no such recording; 4 not\n"
      "an admin token; 255 the engine could not be reached. asciicast replays with `asciinema\n"
      "play|cat FILE`; json is every event with its hash; text is the output as a terminal\n"
      "showed it (full-screen programs by their last screen). docs/api.md, \"Recordings\".\n"
      "Example: rstream webtty sessions export ses_... --format asciicast --file s.cast";
  auto [exporter, e] = add_leaf<recording_flags>(
      sessions, table, "export", "Export a managed session's recording", run_export, footer);
  auto [verifier, v] = add_leaf<recording_flags>(
      sessions, table, "verify", "Recompute a recording's hash chain; names the first broken event",
      run_verify, footer);
  for (auto [cmd, flags] : {std::pair{exporter, e.get()}, std::pair{verifier, v.get()}}) {
    cmd->add_option("id", flags->request.session_id, "The session id (ses_...)")->required();
    add_context_option(*cmd, flags->request.context);
  }
  exporter
      ->add_option("--format", e->format,
                   "json (every event with its hash), asciicast (for asciinema) or text "
                   "(what a person reads)")
      ->check(CLI::IsMember({"json", "asciicast", "text"}))
      ->capture_default_str();
  exporter->add_option("--file", e->file, "Write to FILE (mode 0600) instead of stdout");
  exporter->add_flag("--include-stdin", e->request.include_stdin,
                     "asciicast: also the input typed into the session (\"i\" events)");
}

}  // namespace rstream::cli
