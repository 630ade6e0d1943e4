#pragma once
// Verified downloads into the dataset cache (libcurl).
#include <cstdint>
#include <filesystem>
#include <string>

#include "data/manifest.h"

namespace entcam {

struct DownloadOptions {
  std::string dataset;     // dataset name: the mirror path segment
  std::string auth = "none";  // none | kaggle
  std::string mirror;      // ENTCAM_MIRROR: fetch <mirror>/<dataset>/<file name> instead of url
  int retries = 4;         // attempts after the first one
  int backoff_ms = 1000;   // wait before retry k: backoff_ms * 2^k
  long connect_timeout_s = 30;
  long stall_timeout_s = 60;  // abort when under 1 byte/s for this long
  // A transfer stops at the manifest's declared size; without one, at this ceiling
  // (ENTCAM_MAX_DOWNLOAD_BYTES; default 64 GiB).
  int64_t max_bytes = int64_t(64) << 30;
};

// Options from the environment: ENTCAM_MIRROR, ENTCAM_RETRIES, ENTCAM_RETRY_DELAY_MS,
// ENTCAM_TIMEOUT_S, ENTCAM_MAX_DOWNLOAD_BYTES.
DownloadOptions download_options_from_env(const Manifest& m);

// Makes `dir/<file.name>` a verified copy of the file and returns its sha256.
// - cached and matching the known checksum (manifest sha256, else the one recorded in
//   `<name>.sha256` by the first download): returned without touching the network;
// - else downloaded into `<name>.part` (resuming a partial one with an HTTP Range
//   request), retried with exponential backoff, size- and sha256-checked, and only then
//   renamed to its final name. A failure or mismatch leaves nothing under the final name
//   and throws InputError naming the file and the reason.
std::string fetch_file(const ManifestFile& file, const std::filesystem::path& dir, const DownloadOptions& options);

// Kaggle credentials from KAGGLE_API_TOKEN, KAGGLE_USERNAME + KAGGLE_KEY, or
// $KAGGLE_CONFIG_DIR/kaggle.json (default ~/.kaggle/kaggle.json). Throws InputError
// saying exactly what to set. Never printed.
struct KaggleCredentials {
  std::string username, key, token;  // token: bearer; else basic username:key
};
KaggleCredentials kaggle_credentials(const std::string& dataset);

}  // namespace entcam
