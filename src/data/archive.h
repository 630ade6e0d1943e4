#pragma once
// Safe archive extraction (libarchive: tar, tar.gz/bz2/xz, zip).
#include <filesystem>

namespace entcam {

// Extracts `archive` into `target` (created). Returns false, extracting nothing, when the
// file is not a tar or zip archive. Entries that would land outside `target` (absolute
// paths, "..", symlinks or hardlinks pointing out) make it throw InputError naming the
// archive and the entry; the caller extracts into a temp folder, so nothing half-done is
// left in place.
bool extract_archive(const std::filesystem::path& archive, const std::filesystem::path& target);

}  // namespace entcam
