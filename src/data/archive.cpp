#include "data/archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/error.h"
#include "core/progress.h"
#include "core/text.h"

namespace entcam {
namespace fs = std::filesystem;

namespace {

// True when `rel` (a relative path) stays inside the folder it is taken from.
bool stays_inside(const fs::path& rel) {
  if (rel.empty() || rel.is_absolute() || rel.has_root_name() || rel.has_root_directory()) return false;
  int depth = 0;
  for (const auto& part : rel) {
    const std::string s = part.string();
    if (s == "..") {
      if (--depth < 0) return false;
    } else if (s != "." && !s.empty()) {
      ++depth;
    }
  }
  return true;
}

struct ReadCloser {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
struct WriteCloser {
  void operator()(struct archive* a) const { archive_write_free(a); }
};

// Extraction runs with the target as the working folder, so that entry names stay relative
// and libarchive's own guards (no '..', no absolute paths, never through a symlink) apply
// to them as written. The previous working folder comes back however extraction ends.
class WorkingFolder {
 public:
  explicit WorkingFolder(const fs::path& dir) : previous_(::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    if (previous_ < 0 || ::chdir(dir.c_str()) != 0) {
      const std::string why = std::strerror(errno);
      if (previous_ >= 0) ::close(previous_);
      throw file_error(dir.string(), "cannot enter the extraction folder (" + why + ")");
    }
  }
  ~WorkingFolder() {
    if (::fchdir(previous_) != 0) std::perror("entcam: cannot return to the working folder");
    ::close(previous_);
  }
  WorkingFolder(const WorkingFolder&) = delete;
  WorkingFolder& operator=(const WorkingFolder&) = delete;

 private:
  int previous_;
};

}  // namespace

bool extract_archive(const fs::path& archive_path, const fs::path& target) {
  const std::string name = archive_path.string();
  std::unique_ptr<struct archive, ReadCloser> in(archive_read_new());
  archive_read_support_filter_all(in.get());
  archive_read_support_format_tar(in.get());
  archive_read_support_format_gnutar(in.get());
  archive_read_support_format_zip(in.get());
  if (archive_read_open_filename(in.get(), name.c_str(), 1 << 16) != ARCHIVE_OK) {
    const char* err = archive_error_string(in.get());
    if (err && std::strstr(err, "Unrecognized archive format")) return false;
    throw file_error(name, std::string("cannot open archive: ") + (err ? err : "unknown error"));
  }
  std::unique_ptr<struct archive, WriteCloser> out(archive_write_disk_new());
  // libarchive's own guards too, in case our checks miss a trick: symlinks that are each in
  // bounds can still chain outward (a -> ., a/b -> .., a/b/c -> ..), which only a check of
  // the folders on disk at write time catches (SECURE_SYMLINKS).
  archive_write_disk_set_options(out.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
  std::error_code dir_ec;
  fs::create_directories(target, dir_ec);
  if (dir_ec) throw file_error(target.string(), "cannot create the extraction folder (" + dir_ec.message() + ")");
  WorkingFolder inside(target);
  bool first = true;
  std::error_code size_ec;
  const auto archive_bytes = int64_t(fs::file_size(archive_path, size_ec));
  std::unique_ptr<Progress> progress;
  for (;;) {
    if (!first) {
      if (!progress) progress = std::make_unique<Progress>("extract " + archive_path.filename().string(), archive_bytes / 1024, "KiB");
      progress->set(archive_filter_bytes(in.get(), -1) / 1024);  // compressed bytes read so far
    }
    struct archive_entry* e = nullptr;
    const int r = archive_read_next_header(in.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      const char* err = archive_error_string(in.get());
      if (first && err && std::strstr(err, "Unrecognized archive format")) return false;
      throw file_error(name, std::string("corrupt archive: ") + (err ? err : "unknown error"));
    }
    first = false;
    const char* p = archive_entry_pathname(e);
    const std::string entry = p ? p : "";
    const auto refuse = [&](const std::string& why) {
      return file_error(name, "entry '" + printable(entry) + "' " + why + "; refusing to extract this archive");
    };
    if (entry.empty()) throw refuse("has no name");
    // names become sample ids in JSON files, which must be UTF-8
    if (!is_valid_utf8(entry)) throw refuse("has a name that is not valid UTF-8 (expected UTF-8 names)");
    const fs::path rel(entry);
    if (!stays_inside(rel)) throw refuse("escapes the target folder (absolute path or '..')");
    if (const char* link = archive_entry_symlink(e)) {
      const fs::path l(link);
      if (l.is_absolute() || !stays_inside(rel.parent_path() / l))
        throw refuse("is a symlink to '" + std::string(link) + "' outside the target folder");
    }
    if (const char* hard = archive_entry_hardlink(e)) {
      if (!stays_inside(fs::path(hard))) throw refuse("is a hardlink to '" + std::string(hard) + "' outside the target folder");
    }
    if (archive_write_header(out.get(), e) < ARCHIVE_WARN)
      throw file_error(name, "cannot extract entry '" + printable(entry) + "': " + archive_error_string(out.get()));
    if (archive_entry_size(e) > 0) {
      const void* buf;
      size_t size;
      la_int64_t offset;
      int rr;
      while ((rr = archive_read_data_block(in.get(), &buf, &size, &offset)) == ARCHIVE_OK) {
        if (archive_write_data_block(out.get(), buf, size, offset) < ARCHIVE_WARN)
          throw file_error(name, "cannot write entry '" + entry + "': " + archive_error_string(out.get()));
      }
      if (rr != ARCHIVE_EOF)
        throw file_error(name, "corrupt archive at entry '" + entry + "': " + archive_error_string(in.get()));
    }
    if (archive_write_finish_entry(out.get()) < ARCHIVE_WARN)
      throw file_error(name, "cannot finish entry '" + entry + "': " + archive_error_string(out.get()));
  }
  archive_write_close(out.get());
  if (progress) {
    progress->set(archive_bytes / 1024);
    progress->finish();
  }
  return true;
}

}  // namespace entcam
