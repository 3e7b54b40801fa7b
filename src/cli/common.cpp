// Shared command-line helpers (see common.hpp).
#include "rstream/cli/common.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace rstream::cli {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::size_t unit_at = text.find_first_not_of("0123456789.");
  std::string number(text.substr(0, unit_at));
  std::string_view unit = unit_at == std::string_view::npos ? "s" : text.substr(unit_at);
  if (number.empty() || number.find('.') != number.rfind('.')) return std::nullopt;
  double value = 0;
  try {
    std::size_t used = 0;
    value = std::stod(number, &used);
    if (used != number.size()) return std::nullopt;
  } catch (...) {
    return std::nullopt;
  }
  double ms_per_unit = 0;
  if (unit == "ms")
    ms_per_unit = 1;
  else if (unit == "s")
    ms_per_unit = 1000;
  else if (unit == "m")
    ms_per_unit = 60'000;
  else if (unit == "h")
    ms_per_unit = 3'600'000;
  else
    return std::nullopt;
  double ms = value * ms_per_unit;
  if (!std::isfinite(ms) || ms < 0 || ms > 1e12) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(ms)));
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  std::string unit(end, text.data() + text.size());
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::uint64_t scale = 1;
  if (unit.empty() || unit == "B")
    scale = 1;
  else if (unit == "K" || unit == "KB" || unit == "KIB")
    scale = 1ull << 10;
  else if (unit == "M" || unit == "MB" || unit == "MIB")
    scale = 1ull << 20;
  else if (unit == "G" || unit == "GB" || unit == "GIB")
    scale = 1ull << 30;
  else
    return std::nullopt;
  if (value > UINT64_MAX / scale) return std::nullopt;
  return value * scale;
}

void setup_logging(int verbosity) {
  auto logger = spdlog::stderr_color_mt("rstream");
  logger->set_pattern(verbosity >= 2 ? "%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%t] %v"
                                     : "%Y-%m-%dT%H:%M:%S %^%l%$ %v");
  logger->set_level(verbosity >= 2   ? spdlog::level::debug
                    : verbosity == 1 ? spdlog::level::info
                                     : spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

CLI::Option* add_verbosity_flag(CLI::App& app, int& verbosity) {
  return app.add_flag("-v,--verbose", verbosity, "More logs on stderr (-v info, -vv debug)");
}

void add_connection_limit_flags(CLI::App& cmd, connection_limit_flags& flags,
                                std::string_view unauthenticated) {
  cmd.add_option("--max-connections", flags.max_connections,
                 "Connections open at once; further ones are closed at once (default: from "
                 "`ulimit -n`, keeping a quarter of the descriptors in reserve)");
  cmd.add_option("--max-unauthenticated", flags.max_unauthenticated,
                 "Connections not yet authenticated (" + std::string(unauthenticated) +
                     "), in total; further ones are closed at once (default: half of "
                     "--max-connections, at most 256)");
  cmd.add_option("--max-unauthenticated-per-ip", flags.max_unauthenticated_per_ip,
                 "The same, from one IP address (default: half of --max-unauthenticated, at "
                 "most 64)");
}

void print_error(const std::string& message) {
  std::string line = "rstream: " + terminal_safe(message) + "\n";
  // One write, so concurrent output does not interleave within the line.
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

void print_table(const std::vector<std::vector<std::string>>& unsafe_rows) {
  std::vector<std::vector<std::string>> rows;
  rows.reserve(unsafe_rows.size());
  for (const auto& row : unsafe_rows) {
    auto& safe = rows.emplace_back();
    for (const auto& cell : row) safe.push_back(terminal_safe(cell));
  }
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  std::fputs(out.c_str(), stdout);
}

}  // namespace rstream::cli
