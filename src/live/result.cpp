// Error codes of the live layer (rstream/live/result.hpp).
#include "rstream/live/result.hpp"

namespace rstream::live {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "rstream.live"; }
  std::string message(int value) const override { return to_string(static_cast<errc>(value)); }
};

}  // namespace

const char* to_string(errc code) {
  switch (code) {
    case errc::ok:
      return "ok";
    case errc::invalid_argument:
      return "invalid_argument";
    case errc::participant_exists:
      return "participant_exists";
    case errc::unknown_participant:
      return "unknown_participant";
    case errc::too_many_participants:
      return "too_many_participants";
    case errc::already_controller:
      return "already_controller";
    case errc::request_pending:
      return "request_pending";
    case errc::unknown_request:
      return "unknown_request";
    case errc::request_not_pending:
      return "request_not_pending";
    case errc::request_not_active:
      return "request_not_active";
    case errc::not_controller:
      return "not_controller";
    case errc::no_controller:
      return "no_controller";
    case errc::invalid_state:
      return "invalid_state";
  }
  return "unknown";
}

const std::error_category& live_category() {
  static const category instance;
  return instance;
}

std::error_code make_error_code(errc code) { return {static_cast<int>(code), live_category()}; }

}  // namespace rstream::live
