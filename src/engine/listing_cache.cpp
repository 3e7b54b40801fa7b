// The cached texts of registered servers' listing entries (see listing_cache.hpp).
#include "rstream/engine/listing_cache.hpp"

namespace rstream::engine {

const std::string& listing_cache::text(const std::string& id, std::uint64_t revision,
                                       const std::string& variant,
                                       const std::function<std::string()>& make) {
  entry& cached = entries_[id];
  if (cached.text.empty() || cached.revision != revision || cached.variant != variant) {
    cached.text = make();
    cached.revision = revision;
    cached.variant = variant;
  }
  return cached.text;
}

std::shared_ptr<const std::string> json_array_answer(std::string_view prefix,
                                                     const std::vector<const std::string*>& items,
                                                     std::string_view suffix) {
  std::size_t size = prefix.size() + 2 + suffix.size();
  for (const std::string* item : items) size += item->size() + 1;
  auto out = std::make_shared<std::string>();
  out->reserve(size);
  *out += prefix;
  *out += '[';
  bool first = true;
  for (const std::string* item : items) {
    if (!first) *out += ',';
    first = false;
    *out += *item;
  }
  *out += ']';
  *out += suffix;
  return out;
}

}  // namespace rstream::engine
