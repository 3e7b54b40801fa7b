// listing_cache: the JSON text of each registered server's entry in a listing, kept between
// requests so that listing 10,000 records concatenates strings instead of building and
// serialising 10,000 JSON objects (docs/performance.md, "Registered servers"). An entry is
// reused while the record's revision (server_registry::revision) and its variant (online or
// not, which tunnel) are the ones it was made for; forget() drops a deleted record's.
//
// Thread-safety: none; the engine's io_context thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rstream::engine {

class listing_cache {
 public:
  /// The text for record `id` at `revision` in `variant`, made by `make` when not cached.
  const std::string& text(const std::string& id, std::uint64_t revision, const std::string& variant,
                          const std::function<std::string()>& make);
  void forget(const std::string& id) { entries_.erase(id); }
  std::size_t size() const { return entries_.size(); }

 private:
  struct entry {
    std::uint64_t revision = 0;
    std::string variant;
    std::string text;
  };
  std::unordered_map<std::string, entry> entries_;
};

/// A whole listing's answer body, valid while neither the registry nor the inventory changed.
/// Shared: a response being written keeps the body it started with alive while a later request
/// replaces the cache, and the bytes go to the socket without a copy (10,000 records are
/// 3.6 MB; each copy of that into fresh memory cost about 2 ms of page faults).
struct cached_listing {
  std::uint64_t records_revision = 0;
  std::uint64_t tunnel_changes = 0;
  std::shared_ptr<const std::string> answer;  ///< null: nothing cached

  bool fresh(std::uint64_t records, std::uint64_t tunnels) const {
    return answer && records == records_revision && tunnels == tunnel_changes;
  }
};

/// prefix + "[a,b,...]" + suffix, from the texts of JSON values.
std::shared_ptr<const std::string> json_array_answer(std::string_view prefix,
                                                     const std::vector<const std::string*>& items,
                                                     std::string_view suffix);

}  // namespace rstream::engine
