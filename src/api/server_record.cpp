// The policy and status words of a registered server (see server_record.hpp).
#include "rstream/api/server_record.hpp"

namespace rstream::api {
namespace {

template <typename Enum, std::size_t N>
std::optional<Enum> parse_word(std::string_view text, const Enum (&values)[N]) {
  for (Enum value : values) {
    if (text == name_of(value)) return value;
  }
  return std::nullopt;
}

}  // namespace

const char* name_of(recording_policy policy) {
  return policy == recording_policy::recorded ? "recorded" : "private";
}

const char* name_of(encryption_policy policy) {
  return policy == encryption_policy::explicit_key ? "explicit_key" : "disabled";
}

const char* name_of(access_policy policy) {
  return policy == access_policy::restricted ? "restricted" : "project_members";
}

const char* name_of(server_status status) {
  switch (status) {
    case server_status::enrolled:
      return "enrolled";
    case server_status::suspended:
      return "suspended";
    case server_status::pending_enrollment:
      break;
  }
  return "pending_enrollment";
}

std::optional<recording_policy> parse_recording_policy(std::string_view text) {
  return parse_word(text, {recording_policy::recorded, recording_policy::private_metadata});
}

std::optional<encryption_policy> parse_encryption_policy(std::string_view text) {
  return parse_word(text, {encryption_policy::disabled, encryption_policy::explicit_key});
}

std::optional<access_policy> parse_access_policy(std::string_view text) {
  return parse_word(text, {access_policy::project_members, access_policy::restricted});
}

std::optional<server_status> parse_server_status(std::string_view text) {
  return parse_word(
      text, {server_status::pending_enrollment, server_status::enrolled, server_status::suspended});
}

}  // namespace rstream::api
