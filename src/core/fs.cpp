#include "core/fs.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

#include "core/error.h"

namespace entcam {
namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  // A folder opens on Linux and fails only on the first read, with the library's text: say
  // what it is instead.
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw file_error(path.string(), "is a folder; expected a file");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw file_error(path.string(), "cannot open for reading (" + std::string(std::strerror(errno)) + ")");
  // Reads into a buffer of the file's size (a weight file of 88 MB in ~40 ms, where a
  // character-wise stream copy took 250 ms); past that size (pipes and /proc files report 0,
  // a file may grow meanwhile) in 64 KiB chunks until the end.
  std::string bytes;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) bytes.resize(size_t(st.st_size));
  size_t size = 0;
  char chunk[1 << 16];
  for (;;) {
    const bool in_buffer = size < bytes.size();
    const ssize_t n = in_buffer ? ::read(fd, &bytes[size], bytes.size() - size) : ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw file_error(path.string(), "read error (" + std::string(std::strerror(err)) + ")");
    }
    if (n == 0) break;
    if (!in_buffer) bytes.append(chunk, size_t(n));
    size += size_t(n);
  }
  ::close(fd);
  bytes.resize(size);
  return bytes;
}

namespace {

// Writes all of `bytes` to `fd` and fsyncs it; closes `fd` either way. Returns "" or what failed.
std::string write_all_and_close(int fd, std::string_view bytes) {
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string why = "write failed (" + std::string(std::strerror(errno)) + ")";
      ::close(fd);
      return why;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return "could not flush to disk";
  }
  return ::close(fd) == 0 ? "" : "could not flush to disk";
}

}  // namespace

void append_file(const fs::path& path, std::string_view bytes) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw file_error(path.string(), "cannot open for appending (" + std::string(std::strerror(errno)) + ")");
  if (const std::string why = write_all_and_close(fd, bytes); !why.empty()) throw file_error(path.string(), why);
}

void write_file_atomic(const fs::path& path, std::string_view bytes) {
  static std::atomic<unsigned> counter{0};
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw file_error(path.string(), "cannot create (" + std::string(std::strerror(errno)) + ")");
  if (const std::string why = write_all_and_close(fd, bytes); !why.empty()) {
    fs::remove(tmp);
    throw file_error(path.string(), why);
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp);
    throw file_error(path.string(), "rename failed (" + ec.message() + ")");
  }
}

namespace {
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
std::string to_hex(const unsigned char* d, unsigned n) {
  static const char* k = "0123456789abcdef";
  std::string s(n * 2, '0');
  for (unsigned i = 0; i < n; ++i) {
    s[2 * i] = k[d[i] >> 4];
    s[2 * i + 1] = k[d[i] & 15];
  }
  return s;
}
}  // namespace

std::string sha256_hex(std::string_view bytes) {
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size());
  EVP_DigestFinal_ex(ctx.get(), digest, &n);
  return to_hex(digest, n);
}

std::string sha256_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw file_error(path.string(), "cannot open for reading");
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(in.gcount()));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &n);
  return to_hex(digest, n);
}

std::filesystem::path find_beside_binary(const std::string& relative) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  for (fs::path d = exe.parent_path(); !d.empty(); d = d.parent_path()) {
    if (fs::exists(d / relative, ec)) return d / relative;
    if (fs::exists(d / "share/entcam" / relative, ec)) return d / "share/entcam" / relative;
    if (d == d.parent_path()) break;
  }
  return {};
}

}  // namespace entcam
