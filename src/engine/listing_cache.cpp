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

std::string json_array_text(const std::vector<const std::string*>& items) {
  std::size_t size = 2;
  for (const std::string* item : items) size += item->size() + 1;
  std::string out;
  out.reserve(size);
  out += '[';
  for (const std::string* item : items) {
    if (out.size() > 1) out += ',';
    out += *item;
  }
  out += ']';
  return out;
}

}  // namespace rstream::engine
