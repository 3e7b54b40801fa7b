// The route table (see router.hpp).
#include "rstream/api/router.hpp"

#include "rstream/base/percent.hpp"

namespace rstream::api {
namespace {

std::vector<std::string> raw_segments(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    const auto end = path.find('/');
    const auto segment = path.substr(0, end);
    if (!segment.empty()) out.emplace_back(segment);
    path = end == std::string_view::npos ? std::string_view() : path.substr(end + 1);
  }
  return out;
}

bool matches(const std::vector<std::string>& pattern, const std::vector<std::string>& segments) {
  if (pattern.size() != segments.size()) return false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != "{}" && pattern[i] != segments[i]) return false;
  }
  return true;
}

}  // namespace

std::optional<std::vector<std::string>> split_path(std::string_view path) {
  auto segments = raw_segments(path);
  for (auto& segment : segments) {
    std::string decoded;
    if (!base::percent_decode(segment, decoded)) return std::nullopt;
    segment = std::move(decoded);
  }
  return segments;
}

router& router::add(std::string_view method, std::string_view pattern, int route) {
  entries_.push_back({std::string(method), raw_segments(pattern), route});
  return *this;
}

route_match router::match(std::string_view method, std::string_view path) const {
  route_match out;
  auto segments = split_path(path);
  if (!segments) {
    out.what = route_match::kind::malformed_path;
    return out;
  }
  const entry* chosen = nullptr;
  for (const auto& e : entries_) {
    if (!matches(e.segments, *segments)) continue;
    if (e.method == "*" || e.method == method) {
      chosen = &e;
      out.what = route_match::kind::found;
      out.allow.clear();
      break;
    }
    if (!chosen) {
      chosen = &e;
      out.what = route_match::kind::method_not_allowed;
    }
    if (!out.allow.empty()) out.allow += ", ";
    out.allow += e.method;
  }
  if (!chosen) return out;
  out.route = chosen->route;
  for (std::size_t i = 0; i < chosen->segments.size(); ++i) {
    if (chosen->segments[i] == "{}") out.params.push_back(std::move((*segments)[i]));
  }
  return out;
}

}  // namespace rstream::api
