#pragma once
// Dataset fixtures for the data and CLI tests: small JPEGs, VOC XML, tar/zip archives built
// with libarchive, the real Stanford Dogs layout, and a loopback HTTP server (cpp-httplib)
// that can cut a transfer short to exercise resume.
#include <archive.h>
#include <archive_entry.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/fs.h"
#include "data/dataset.h"

namespace entcam {
// readable boxes in gtest failure messages
inline void PrintTo(const Box& b, std::ostream* os) {
  *os << "[" << b.xmin << ", " << b.ymin << ", " << b.xmax << ", " << b.ymax << (b.difficult ? ", difficult]" : "]");
}
}  // namespace entcam

namespace entcam::test {

// A w x h JPEG with a bright rectangle on a gradient, different for each seed.
inline std::string make_jpeg(int w, int h, int seed) {
  cv::Mat img(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      img.at<cv::Vec3b>(y, x) = cv::Vec3b(uint8_t((x * 3 + seed * 40) % 256), uint8_t((y * 2 + seed * 17) % 256), 90);
  cv::rectangle(img, cv::Rect(w / 4, h / 4, w / 3, h / 3), cv::Scalar(255, 255, 255), cv::FILLED);
  std::vector<uchar> buf;
  cv::imencode(".jpg", img, buf);
  return std::string(buf.begin(), buf.end());
}

struct VocBox {
  int xmin, ymin, xmax, ymax;
  bool difficult = false;
};

inline std::string make_voc(const std::string& filename, int w, int h, const std::string& name,
                            const std::vector<VocBox>& boxes) {
  std::string s = "<annotation>\n\t<folder>02085620</folder>\n\t<filename>" + filename +
                  "</filename>\n\t<source>\n\t\t<database>ImageNet database</database>\n\t</source>\n\t<size>\n\t\t<width>" +
                  std::to_string(w) + "</width>\n\t\t<height>" + std::to_string(h) +
                  "</height>\n\t\t<depth>3</depth>\n\t</size>\n\t<segment>0</segment>\n";
  for (const auto& b : boxes)
    s += "\t<object>\n\t\t<name>" + name + "</name>\n\t\t<pose>Unspecified</pose>\n\t\t<truncated>0</truncated>\n\t\t<difficult>" +
         std::string(b.difficult ? "1" : "0") + "</difficult>\n\t\t<bndbox>\n\t\t\t<xmin>" + std::to_string(b.xmin) +
         "</xmin>\n\t\t\t<ymin>" + std::to_string(b.ymin) + "</ymin>\n\t\t\t<xmax>" + std::to_string(b.xmax) +
         "</xmax>\n\t\t\t<ymax>" + std::to_string(b.ymax) + "</ymax>\n\t\t</bndbox>\n\t</object>\n";
  return s + "</annotation>\n";
}

struct ArchiveEntry {
  std::string name;
  std::string data;
  std::string symlink;  // when set, a symlink entry to this target
};

// Writes a tar ("tar"), gzipped tar ("tar.gz") or zip ("zip") and returns its bytes.
inline std::string make_archive(const std::vector<ArchiveEntry>& entries, const std::string& kind,
                                const std::filesystem::path& scratch) {
  struct archive* a = archive_write_new();
  if (kind == "zip") archive_write_set_format_zip(a);
  else archive_write_set_format_pax_restricted(a);
  if (kind == "tar.gz") archive_write_add_filter_gzip(a);
  archive_write_open_filename(a, scratch.c_str());
  for (const auto& e : entries) {
    struct archive_entry* en = archive_entry_new();
    archive_entry_set_pathname(en, e.name.c_str());
    if (!e.symlink.empty()) {
      archive_entry_set_filetype(en, AE_IFLNK);
      archive_entry_set_symlink(en, e.symlink.c_str());
      archive_entry_set_perm(en, 0777);
      archive_entry_set_size(en, 0);
    } else {
      archive_entry_set_filetype(en, AE_IFREG);
      archive_entry_set_perm(en, 0644);
      archive_entry_set_size(en, la_int64_t(e.data.size()));
    }
    archive_write_header(a, en);
    if (e.symlink.empty()) archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(en);
  }
  archive_write_close(a);
  archive_write_free(a);
  std::string bytes = read_file(scratch);
  std::filesystem::remove(scratch);
  return bytes;
}

// The official Stanford Dogs archive set, miniature: two breeds, three images each;
// n02085620_2 has two dogs (one difficult); image ids follow <wnid>_<n>.
struct DogsFixture {
  std::string images_tar, annotation_tar, lists_tar;
  int images = 6, classes = 2, boxes = 7;
};

inline DogsFixture make_dogs_fixture(const std::filesystem::path& scratch, bool corrupt_one = false) {
  const std::vector<std::pair<std::string, std::string>> breeds = {{"n02085620", "Chihuahua"},
                                                                   {"n02085782", "Japanese_spaniel"}};
  std::vector<ArchiveEntry> imgs, annos;
  int seed = 0;
  for (const auto& [wnid, breed] : breeds) {
    const std::string folder = wnid + "-" + breed;
    for (int n = 1; n <= 3; ++n) {
      const std::string stem = wnid + "_" + std::to_string(n);
      const int w = 120 + 10 * n, h = 90 + 5 * n;
      std::string jpg = make_jpeg(w, h, seed++);
      if (corrupt_one && wnid == "n02085782" && n == 2) jpg = jpg.substr(0, jpg.size() / 2);  // truncated
      imgs.push_back({"Images/" + folder + "/" + stem + ".jpg", jpg, ""});
      std::vector<VocBox> boxes = {{10, 12, w / 2, h - 10}};
      if (wnid == "n02085620" && n == 2) boxes.push_back({w / 2, 5, w + 20, h / 2, true});  // runs off the image: clipped
      annos.push_back({"Annotation/" + folder + "/" + stem, make_voc(stem, w, h, breed, boxes), ""});
    }
  }
  DogsFixture f;
  f.images_tar = make_archive(imgs, "tar", scratch);
  f.annotation_tar = make_archive(annos, "tar", scratch);
  f.lists_tar = make_archive({{"file_list.mat", "MATLAB 5.0 MAT-file (fixture)", ""},
                              {"train_list.mat", "MATLAB 5.0 MAT-file (fixture)", ""},
                              {"test_list.mat", "MATLAB 5.0 MAT-file (fixture)", ""}},
                             "tar", scratch);
  if (corrupt_one) f.images = 5, f.boxes = 6;
  return f;
}

// A loopback HTTP server on a free port serving in-memory files. `cut_once(path)` makes the
// next response for that path send only half of its body and drop the connection.
class FileServer {
 public:
  FileServer() {
    server_.Get(R"(/(.*))", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex_);
      log_.push_back({req.path, req.get_header_value("Range"), req.get_header_value("Authorization")});
      auto it = files_.find(req.path);
      if (it == files_.end()) {
        res.status = 404;
        return;
      }
      if (cut_.erase(req.path)) {
        auto body = std::make_shared<std::string>(it->second);
        res.set_content_provider(body->size(), "application/octet-stream",
                                 [body](size_t offset, size_t, httplib::DataSink& sink) {
                                   if (offset == 0) sink.write(body->data(), body->size() / 2);
                                   return false;  // abort: the client sees a cut-off transfer
                                 });
        return;
      }
      res.set_content(it->second, "application/octet-stream");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FileServer() {
    server_.stop();
    thread_.join();
  }
  void put(const std::string& path, const std::string& data) {
    std::lock_guard<std::mutex> lock(mutex_);
    files_[path] = data;
  }
  void cut_once(const std::string& path) {
    std::lock_guard<std::mutex> lock(mutex_);
    cut_.insert({path, true});
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  struct Hit {
    std::string path, range, authorization;
  };
  std::vector<Hit> log() {
    std::lock_guard<std::mutex> lock(mutex_);
    return log_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  std::map<std::string, std::string> files_;
  std::map<std::string, bool> cut_;
  std::vector<Hit> log_;
};

}  // namespace entcam::test
