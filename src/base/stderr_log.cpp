// The process's log on stderr (see stderr_log.hpp).
#include "rstream/base/stderr_log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace rstream::base {

void setup_logging(int verbosity) {
  auto logger = spdlog::stderr_color_mt("rstream");
  logger->set_pattern(verbosity >= 2 ? "%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%t] %v"
                                     : "%Y-%m-%dT%H:%M:%S %^%l%$ %v");
  logger->set_level(verbosity >= 2   ? spdlog::level::debug
                    : verbosity == 1 ? spdlog::level::info
                                     : spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

}  // namespace rstream::base
