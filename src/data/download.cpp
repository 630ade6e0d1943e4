#include "data/download.h"

#include <curl/curl.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.h"
#include "core/fs.h"
#include "core/progress.h"
#include "core/text.h"

namespace entcam {
namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

int env_int(const char* name, int fallback) {
  const std::string v = env(name);
  if (v.empty()) return fallback;
  try {
    return std::stoi(v);
  } catch (const std::exception&) {
    throw InputError(std::string("environment variable ") + name + "='" + v + "': expected an integer");
  }
}

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

// State shared with curl's callbacks during one attempt.
struct Transfer {
  std::FILE* out = nullptr;
  std::string label;
  int64_t offset = 0;  // bytes already in the .part file when this attempt started
  int64_t written = 0;  // bytes written by this attempt
  int64_t limit = 0;    // the file may not grow past this many bytes
  bool too_big = false;
  std::unique_ptr<Progress> progress;
};

size_t on_write(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const int64_t bytes = int64_t(size * n);
  // Stop at the declared size while the bytes arrive, for every scheme (file:///dev/zero
  // never ends): returning less than given makes curl abort the transfer.
  if (t->offset + t->written + bytes > t->limit) {
    t->too_big = true;
    return 0;
  }
  const size_t wrote = std::fwrite(data, size, n, t->out) * size;
  t->written += int64_t(wrote);
  return wrote;
}

int on_progress(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  // the bar starts once the size is known (or, without a Content-Length, at the first bytes)
  if (!t->progress && (dltotal > 0 || dlnow > 0))
    t->progress = std::make_unique<Progress>(t->label, dltotal > 0 ? (t->offset + dltotal) / 1024 : 0, "KiB");
  if (t->progress) t->progress->set((t->offset + dlnow) / 1024);
  return 0;
}

// Outcome of one attempt.
struct Attempt {
  bool ok = false;
  bool retry = false;        // transient: network error, 5xx, 408, 429
  bool restart = false;      // drop the partial file and start from byte 0
  std::string reason;
};

Attempt attempt(const std::string& url, const fs::path& part, const DownloadOptions& o, const KaggleCredentials* cred,
                const std::string& label, int64_t limit, bool declared) {
  static CurlGlobal global;
  Attempt r;
  std::error_code ec;
  const int64_t offset = fs::exists(part, ec) ? int64_t(fs::file_size(part, ec)) : 0;
  Transfer t;
  t.offset = offset;
  t.label = label;
  t.limit = limit;
  t.out = std::fopen(part.c_str(), offset > 0 ? "ab" : "wb");
  if (!t.out) {
    r.reason = "cannot write " + part.string();
    return r;
  }
  CURL* c = curl_easy_init();
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);  // HTTP >= 400 is an error, its body is not written
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o.connect_timeout_s);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, o.stall_timeout_s);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "entcam/" ENTCAM_VERSION);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (offset > 0) curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, curl_off_t(offset));
  // refused up front when the server announces a larger body
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(std::max<int64_t>(limit - offset, 1)));
  struct curl_slist* headers = nullptr;
  if (cred) {
    // curl does not forward credentials to another host on redirect (Kaggle redirects to storage)
    if (!cred->token.empty()) {
      headers = curl_slist_append(headers, ("Authorization: Bearer " + cred->token).c_str());
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    } else {
      curl_easy_setopt(c, CURLOPT_HTTPAUTH, long(CURLAUTH_BASIC));
      curl_easy_setopt(c, CURLOPT_USERNAME, cred->username.c_str());
      curl_easy_setopt(c, CURLOPT_PASSWORD, cred->key.c_str());
    }
  }
  const CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  const bool write_ok = std::fflush(t.out) == 0;
  std::fclose(t.out);
  if (t.progress) t.progress->finish();

  if (rc == CURLE_OK && write_ok) {
    r.ok = true;
    return r;
  }
  r.reason = errbuf[0] ? trim(errbuf) : curl_easy_strerror(rc);
  if (t.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
    r.reason = "it went past " + std::to_string(limit) + " bytes, " +
               (declared ? "the size the manifest declares" : "the ceiling for files without a declared size") +
               "; stopped there" + (declared ? "" : " (ENTCAM_MAX_DOWNLOAD_BYTES raises the ceiling)");
    return r;  // no retry: the same source gives the same answer
  }
  if (!write_ok || rc == CURLE_WRITE_ERROR) {
    r.reason = "cannot write " + part.string() + " (disk full?)";
    return r;
  }
  if (rc == CURLE_RANGE_ERROR || status == 416) {  // server cannot resume: start over
    r.retry = r.restart = true;
    return r;
  }
  if (rc == CURLE_HTTP_RETURNED_ERROR) {
    r.reason = "HTTP " + std::to_string(status);
    if (status == 401 || status == 403)
      r.reason += cred ? " (Kaggle refused the credentials, or the dataset's terms must be accepted on kaggle.com first)"
                       : " (access denied)";
    r.retry = status >= 500 || status == 408 || status == 429;
    // a failed request must not leave an error body or garbage for the next resume
    return r;
  }
  r.retry = true;  // connection reset, timeout, partial body, DNS hiccup
  return r;
}

std::string read_recorded(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return "";
  std::string s = trim(read_file(p));
  s = s.substr(0, s.find_first_of(" \t\n"));
  return s.size() == 64 ? s : "";
}

}  // namespace

DownloadOptions download_options_from_env(const Manifest& m) {
  DownloadOptions o;
  o.dataset = m.name;
  o.auth = m.auth;
  o.mirror = env("ENTCAM_MIRROR");
  while (!o.mirror.empty() && o.mirror.back() == '/') o.mirror.pop_back();
  o.retries = env_int("ENTCAM_RETRIES", o.retries);
  if (o.retries < 0) throw InputError("environment variable ENTCAM_RETRIES='" + env("ENTCAM_RETRIES") +
                                      "': expected a number of retries >= 0");
  if (const std::string v = env("ENTCAM_MAX_DOWNLOAD_BYTES"); !v.empty()) {
    char* end = nullptr;
    errno = 0;
    const long long n = std::strtoll(v.c_str(), &end, 10);
    if (errno || *end != '\0' || n < 1)
      throw InputError("environment variable ENTCAM_MAX_DOWNLOAD_BYTES='" + v + "': expected a positive number of bytes");
    o.max_bytes = n;
  }
  o.backoff_ms = env_int("ENTCAM_RETRY_DELAY_MS", o.backoff_ms);
  o.stall_timeout_s = env_int("ENTCAM_TIMEOUT_S", int(o.stall_timeout_s));
  o.connect_timeout_s = std::min<long>(o.connect_timeout_s, o.stall_timeout_s);
  return o;
}

KaggleCredentials kaggle_credentials(const std::string& dataset) {
  KaggleCredentials c;
  c.token = env("KAGGLE_API_TOKEN");
  if (!c.token.empty()) return c;
  c.username = env("KAGGLE_USERNAME");
  c.key = env("KAGGLE_KEY");
  if (!c.username.empty() && !c.key.empty()) return c;
  if (c.username.empty() != c.key.empty())
    throw InputError(std::string("Kaggle credentials: ") + (c.username.empty() ? "KAGGLE_KEY" : "KAGGLE_USERNAME") +
                     " is set but " + (c.username.empty() ? "KAGGLE_USERNAME" : "KAGGLE_KEY") +
                     " is not; set both (or KAGGLE_API_TOKEN)");
  const std::string dir = !env("KAGGLE_CONFIG_DIR").empty() ? env("KAGGLE_CONFIG_DIR") : env("HOME") + "/.kaggle";
  const fs::path file = fs::path(dir) / "kaggle.json";
  std::error_code ec;
  if (fs::is_regular_file(file, ec)) {
    try {
      const auto j = nlohmann::json::parse(read_file(file));
      c.username = j.at("username").get<std::string>();
      c.key = j.at("key").get<std::string>();
      if (!c.username.empty() && !c.key.empty()) return c;
    } catch (const nlohmann::json::exception&) {
    }
    throw file_error(file.string(), "expected {\"username\": \"...\", \"key\": \"...\"} (Kaggle API credentials)");
  }
  throw InputError("dataset '" + dataset +
                   "' is downloaded from Kaggle and needs credentials: set KAGGLE_USERNAME and KAGGLE_KEY, or "
                   "KAGGLE_API_TOKEN, or create " + file.string() +
                   " with {\"username\": \"...\", \"key\": \"...\"} (kaggle.com > Settings > API > Create New Token); "
                   "or set ENTCAM_MIRROR to a mirror that has " + dataset + "/<file>");
}

std::string fetch_file(const ManifestFile& file, const fs::path& dir, const DownloadOptions& o) {
  fs::create_directories(dir);
  const fs::path final_path = dir / file.name;
  const fs::path part = dir / (file.name + ".part");
  const fs::path recorded_path = dir / (file.name + ".sha256");
  const std::string recorded = read_recorded(recorded_path);
  std::string expected = file.sha256;
  if (expected.empty()) expected = recorded;
  std::error_code ec;

  if (fs::is_regular_file(final_path, ec)) {
    const std::string have = sha256_file(final_path);
    if (expected.empty() || have == expected) {
      if (recorded != have && file.sha256.empty()) write_file_atomic(recorded_path, have + "  " + file.name + "\n");
      return have;  // cached and verified: no network
    }
    std::fprintf(stderr, "entcam: %s: cached file has sha256 %s, expected %s; downloading it again\n",
                 final_path.c_str(), have.c_str(), expected.c_str());
    fs::remove(final_path, ec);
  }

  const bool mirrored = !o.mirror.empty();
  const std::string url = mirrored ? o.mirror + "/" + o.dataset + "/" + file.name : file.url;
  KaggleCredentials cred;
  const bool use_cred = o.auth == "kaggle" && !mirrored;
  if (use_cred) cred = kaggle_credentials(o.dataset);

  std::fprintf(stderr, "entcam: downloading %s from %s\n", file.name.c_str(), url.c_str());
  // One transfer (with retries and resumes) into the .part file; true when it is complete.
  bool resumed = false;
  const auto transfer = [&] {
    Attempt a;
    for (int k = 0; k <= o.retries; ++k) {
      if (k > 0) {
        const int wait = o.backoff_ms * (1 << std::min(k - 1, 10));
        std::fprintf(stderr, "entcam: %s: %s; retry %d/%d in %.1f s%s\n", file.name.c_str(), a.reason.c_str(), k,
                     o.retries, wait / 1000.0, fs::exists(part, ec) ? " (will resume)" : "");
        std::this_thread::sleep_for(std::chrono::milliseconds(wait));
      }
      resumed = resumed || (fs::exists(part, ec) && fs::file_size(part, ec) > 0);
      a = attempt(url, part, o, use_cred ? &cred : nullptr, file.name, file.size ? *file.size : o.max_bytes,
                  bool(file.size));
      if (!a.ok && fs::file_size(part, ec) == 0) fs::remove(part, ec);  // nothing to resume from
      if (a.ok || !a.retry) break;
      if (a.restart) fs::remove(part, ec);
    }
    if (!a.ok) {
      // keep a partial body for a later resume, but never after an HTTP error
      if (!a.retry) fs::remove(part, ec);
      throw file_error(file.name, "download from " + url + " failed: " + a.reason + "; nothing was cached");
    }
  };
  // The checks; an empty string when they pass, else the reason (the .part is then removed).
  std::string got;
  const auto verify = [&]() -> std::string {
    const int64_t size = int64_t(fs::file_size(part));
    if (file.size && size != *file.size)
      return "downloaded " + std::to_string(size) + " bytes from " + url + ", expected " + std::to_string(*file.size);
    got = sha256_file(part);
    if (!expected.empty() && got != expected)
      return "sha256 mismatch: expected " + expected + ", got " + got + " (from " + url + ")";
    return "";
  };
  transfer();
  std::string problem = verify();
  if (!problem.empty() && resumed) {
    // a resumed file can splice two versions of a changed remote file: once more from byte 0
    std::fprintf(stderr, "entcam: %s: %s; the transfer was resumed, downloading it again from the start\n",
                 file.name.c_str(), problem.c_str());
    fs::remove(part, ec);
    resumed = false;
    transfer();
    problem = verify();
  }
  if (!problem.empty()) {
    fs::remove(part, ec);
    throw file_error(file.name, problem + "; nothing was cached");
  }
  if (expected.empty()) {
    write_file_atomic(recorded_path, got + "  " + file.name + "\n");
    std::fprintf(stderr, "entcam: %s: sha256 %s recorded in %s (first download; later ones are verified)\n",
                 file.name.c_str(), got.c_str(), recorded_path.c_str());
  }
  fs::rename(part, final_path);
  return got;
}

}  // namespace entcam
