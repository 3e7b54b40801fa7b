// Copies between the local filesystem and an fs server (see fs_client.hpp): `fs upload` and
// `fs download`, a file or (recursive) a directory tree, like cp: into the target when it is an
// existing directory. Downloads go through a temporary file renamed into place; uploads skip
// symlinks and special files (told through fs_client_options::warn).
//
// Thread-safety: as fs_client (one thread at a time).
#pragma once

#include <filesystem>
#include <string>

#include "rstream/client/fs_client.hpp"

namespace rstream::client {

/// Copies the local `local_text` to the remote path `remote_text` as the user gave it (normalized
/// here; a trailing '/' means "into that existing directory").
fs_status upload(fs_client& client, const std::string& local_text, const std::string& remote_text,
                 bool recursive);

/// Copies the remote path `remote_text` (normalized here) to the local `local_text`.
fs_status download(fs_client& client, const std::string& remote_text, const std::string& local_text,
                   bool recursive);

/// GET `remote` into the local file `local`, through a temporary file renamed into place.
fs_status get_to_file(fs_client& client, const std::string& remote,
                      const std::filesystem::path& local);

}  // namespace rstream::client
