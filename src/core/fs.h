#pragma once
// Atomic file writes (temp file + rename) and whole-file reads.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace entcam {

// Reads the whole file; throws InputError naming the file when it cannot be read.
std::string read_file(const std::filesystem::path& path);

// Writes `bytes` to `path` atomically: a temp file beside it, fsync, rename.
// Parent folders are created. Readers never see a half-written file.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

// Appends `bytes` (one record, e.g. a JSON line) to `path` with a single O_APPEND write loop
// and an fsync; parent folders are created. A process killed mid-append leaves at most a torn
// last record, which readers of such journals drop (runner/stages.cpp's explain journal).
void append_file(const std::filesystem::path& path, std::string_view bytes);

// Lowercase hex SHA-256 of a byte string and of a file (streamed).
std::string sha256_hex(std::string_view bytes);
std::string sha256_file(const std::filesystem::path& path);

// `relative` (e.g. "configs/defaults.yaml") in the folder of the running binary or the
// nearest folder above it that has one, or in an installed share/entcam/ there; empty
// when there is none. This is how entcam finds the files it ships, wherever it runs from.
std::filesystem::path find_beside_binary(const std::string& relative);

}  // namespace entcam
