// Issue 13 (hardening), the cases in the data layer (archives, downloads, annotations,
// manifests, images): each test is named after its case and failed before the fix.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <functional>
#include <zlib.h>

#include "core/error.h"
#include "core/fs.h"
#include "data/annotations.h"
#include "data/archive.h"
#include "data/download.h"
#include "data/image_transform.h"
#include "data/layouts.h"
#include "data/manifest.h"
#include "data/prepare.h"
#include "data/yaml_input.h"
#include "support/dataset_fixtures.h"
#include "support/test_support.h"

using namespace entcam;
using test::error_of;
using test::TempDir;
namespace fs = std::filesystem;

namespace {

std::string deep_voc(int depth) {
  std::string s = "<annotation>";
  for (int i = 0; i < depth; ++i) s += "<a>";
  for (int i = 0; i < depth; ++i) s += "</a>";
  return s + "</annotation>";
}

std::vector<fs::path> files_named(const fs::path& dir, const std::string& name) {
  std::vector<fs::path> out;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it)
    if (it->path().filename() == name) out.push_back(it->path());
  return out;
}

}  // namespace

TEST(Issue13Data, Case02_DeeplyNestedVocIsMalformedNotAStackOverflow) {
  EXPECT_EQ(error_of([] { parse_voc(deep_voc(50000), "deep.xml"); }),
            "deep.xml: malformed XML at line 1: elements nested more than 256 levels deep");
  // nesting a real annotation needs still parses
  EXPECT_NO_THROW(parse_voc(deep_voc(200), "ok.xml"));
  // and the dataset parser skips that image with a warning, as for any malformed annotation
  TempDir tmp;
  const fs::path root = tmp / "data";
  write_file_atomic(root / "cat/c1.jpg", test::make_jpeg(40, 30, 1));
  write_file_atomic(root / "cat/c1.xml", deep_voc(50000));
  write_file_atomic(root / "cat/c2.jpg", test::make_jpeg(40, 30, 2));
  const Dataset ds = parse_dataset("image-folder", root, {"pets", {}});
  ASSERT_EQ(ds.samples.size(), 1u);
  EXPECT_EQ(ds.skipped, 1);
  ASSERT_EQ(ds.warnings.size(), 1u);
  EXPECT_NE(ds.warnings[0].find("c1.xml: malformed XML at line 1: elements nested more than 256 levels deep"),
            std::string::npos)
      << ds.warnings[0];
}

TEST(Issue13Data, Case03_ChainedSymlinksCannotEscapeTheTarget) {
  TempDir tmp;
  // each link is in bounds on its own; together a/b/c/d is three folders above the target
  const std::string tar = test::make_archive({{"a", "", "."},
                                              {"a/b", "", ".."},
                                              {"a/b/c", "", ".."},
                                              {"a/b/c/d", "", ".."},
                                              {"a/b/c/d/ESCAPED.txt", "gotcha", ""}},
                                             "tar", tmp / "scratch.tar");
  write_file_atomic(tmp / "chain.tar", tar);
  const fs::path target = tmp / "l1/l2/l3/l4/out";
  const fs::path cwd = fs::current_path();
  const std::string msg = error_of([&] { extract_archive(tmp / "chain.tar", target); });
  EXPECT_EQ(msg.rfind((tmp / "chain.tar").string() + ": cannot extract entry 'a/b", 0), 0u) << msg;
  EXPECT_TRUE(files_named(tmp.path(), "ESCAPED.txt").empty());
  // the working folder comes back after the refusal
  EXPECT_EQ(fs::current_path(), cwd);
}

TEST(Issue13Data, Case03_RefusedArchiveLeavesNothingInTheCache) {
  TempDir tmp;
  const std::string tar = test::make_archive({{"img/x.txt", "fine", ""}, {"a", "", "."}, {"a/b", "", ".."},
                                              {"a/b/ESCAPED.txt", "gotcha", ""}},
                                             "tar", tmp / "scratch.tar");
  write_file_atomic(tmp / "www/chain.tar", tar);
  write_file_atomic(tmp / "m.yaml", "name: chain\nlayout: image-folder\nfiles:\n  - url: file://" +
                                        (tmp / "www/chain.tar").string() + "\n");
  const std::string msg = error_of([&] { prepare_dataset(load_manifest(tmp / "m.yaml"), tmp / "cache"); });
  EXPECT_NE(msg.find("chain.tar: cannot extract entry 'a/b"), std::string::npos) << msg;
  EXPECT_TRUE(files_named(tmp.path(), "ESCAPED.txt").empty());
  EXPECT_TRUE(files_named(tmp / "cache", "x.txt").empty());
}

TEST(Issue13Data, Case04_DownloadsStopAtTheDeclaredSize) {
  TempDir tmp;
  DownloadOptions o;
  o.retries = 0;
  ManifestFile f{"file:///dev/zero", "zero.bin", "", int64_t(1024)};
  const auto t0 = std::chrono::steady_clock::now();
  const std::string msg = error_of([&] { fetch_file(f, tmp / "cache", o); });
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));  // not a wall-time assert: a hang guard
  EXPECT_EQ(msg, "zero.bin: download from file:///dev/zero failed: it went past 1024 bytes, the size the manifest "
                 "declares; stopped there; nothing was cached");
  EXPECT_FALSE(fs::exists(tmp / "cache/zero.bin"));
  EXPECT_FALSE(fs::exists(tmp / "cache/zero.bin.part"));
  // without a declared size, the ceiling (ENTCAM_MAX_DOWNLOAD_BYTES) stops it
  f.size.reset();
  ::setenv("ENTCAM_MAX_DOWNLOAD_BYTES", "65536", 1);
  Manifest m;
  m.name = "zero";
  o = download_options_from_env(m);
  ::unsetenv("ENTCAM_MAX_DOWNLOAD_BYTES");
  o.retries = 0;
  EXPECT_EQ(o.max_bytes, 65536);
  EXPECT_NE(error_of([&] { fetch_file(f, tmp / "cache", o); })
                .find("it went past 65536 bytes, the ceiling for files without a declared size; stopped there "
                      "(ENTCAM_MAX_DOWNLOAD_BYTES raises the ceiling)"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(tmp / "cache/zero.bin.part"));
}

TEST(Issue13Data, Case05_ManifestAliasesAreLimited) {
  TempDir tmp;
  std::string y = "name: x\nlayout: image-folder\nfiles: []\nl0: &a0 [1,1,1,1,1,1,1,1,1,1]\n";
  for (int i = 1; i <= 7; ++i) {
    y += "l" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) y += std::string(k ? "," : "") + "*a" + std::to_string(i - 1);
    y += "]\n";
  }
  write_file_atomic(tmp / "m.yaml", y);
  EXPECT_NE(error_of([&] { load_manifest(tmp / "m.yaml"); }).find("the YAML expands to more than 100000 values"),
            std::string::npos);
  write_file_atomic(tmp / "self.yaml", "name: &n [*n]\n");
  EXPECT_NE(error_of([&] { load_manifest(tmp / "self.yaml"); }).find("an alias refers to a value that contains it"),
            std::string::npos);
}

TEST(Issue13Data, Case08_ArchiveEntryNamesMustBeUtf8) {
  TempDir tmp;
  write_file_atomic(tmp / "n.tar", test::make_archive({{"ok.txt", "ok", ""}, {"caf\xe9.jpg", "x", ""}}, "tar",
                                                      tmp / "scratch.tar"));
  EXPECT_EQ(error_of([&] { extract_archive(tmp / "n.tar", tmp / "out"); }),
            (tmp / "n.tar").string() +
                ": entry 'caf\\xE9.jpg' has a name that is not valid UTF-8 (expected UTF-8 names); refusing to extract "
                "this archive");
}

TEST(Issue13Data, Case12_NegativeRetriesAreRefused) {
  ::setenv("ENTCAM_RETRIES", "-5", 1);
  Manifest m;
  m.name = "x";
  const std::string msg = error_of([&] { download_options_from_env(m); });
  ::unsetenv("ENTCAM_RETRIES");
  EXPECT_EQ(msg, "environment variable ENTCAM_RETRIES='-5': expected a number of retries >= 0");
}

TEST(Issue13Data, Case12_TruncatedJpegOneRuleForDatasetsAndExplain) {
  TempDir tmp;
  const std::string jpg = test::make_jpeg(64, 48, 1);
  write_file_atomic(tmp / "t.jpg", jpg.substr(0, jpg.size() - 200));
  // the dataset parser's check and explain/predict's reader give the same answer
  EXPECT_EQ(check_image(tmp / "t.jpg", nullptr, nullptr), "truncated JPEG (no end-of-image marker)");
  EXPECT_EQ(error_of([&] { read_rgb(tmp / "t.jpg"); }),
            (tmp / "t.jpg").string() + ": truncated JPEG (no end-of-image marker)");
  write_file_atomic(tmp / "ok.jpg", jpg);
  EXPECT_EQ(read_rgb(tmp / "ok.jpg").cols, 64);
}

TEST(Issue13Data, OneBoxesJsonParserForDatasetsAndScore) {
  // the dataset side used to accept these; `score` refused them (two parsers)
  EXPECT_EQ(error_of([] { parse_boxes_json(R"({"images": [{"id": "a", "width": 4, "height": 4, "boxes": [[5, 0, 6, 1]]}]})", "b.json"); }),
            "b.json: images[0].boxes[0]: box starts outside the 4x4 image");
  EXPECT_EQ(error_of([] {
              parse_boxes_json(R"({"images": [{"id": "a", "width": 4, "height": 4, "boxes": []},
                                              {"id": "a", "width": 4, "height": 4, "boxes": []}]})",
                               "b.json");
            }),
            "b.json: images[1].id: \"a\" appears twice");
  EXPECT_EQ(error_of([] { parse_boxes_json("{\"images\": [1e999]}", "b.json"); }),
            "b.json: not valid JSON (a number out of range); expected BOXES.json");
  EXPECT_EQ(error_of([] { parse_boxes_json("{\"images\": [", "b.json"); }).rfind("b.json: not valid JSON (at byte ", 0),
            0u);
}

TEST(Issue13Data, YamlInputStrictScalars) {
  int64_t i = 0;
  double d = 0;
  EXPECT_TRUE(yaml_int("010", i));
  EXPECT_EQ(i, 10);
  EXPECT_TRUE(yaml_int("-0", i));
  EXPECT_EQ(i, 0);
  EXPECT_FALSE(yaml_int("0x10", i));
  EXPECT_FALSE(yaml_int(" 1", i));
  EXPECT_FALSE(yaml_int("99999999999999999999", i));
  EXPECT_TRUE(yaml_float("1e-3", d));
  EXPECT_DOUBLE_EQ(d, 1e-3);
  EXPECT_FALSE(yaml_float("0x1p3", d));
  EXPECT_FALSE(yaml_float("nan", d));
  EXPECT_FALSE(yaml_float("1e999", d));
}

namespace {
// A PNG whose header claims width x height (the pixel data is a stub): enough for OpenCV to
// check the size before decoding.
std::string png_claiming(uint32_t width, uint32_t height) {
  const auto be32 = [](uint32_t v) {
    return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  };
  const auto chunk = [&](const std::string& type, const std::string& data) {
    const std::string td = type + data;
    const uint32_t crc = uint32_t(crc32(0, reinterpret_cast<const Bytef*>(td.data()), uInt(td.size())));
    return be32(uint32_t(data.size())) + td + be32(crc);
  };
  const std::string ihdr = be32(width) + be32(height) + std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", std::string("\x78\x9c\x03\x00\x00\x00\x00\x01", 8)) +
         chunk("IEND", "");
}
}  // namespace

TEST(Issue13Data, Case10_ImagesOverThePixelLimitAreNamedWithoutOpenCVText) {
  TempDir tmp;
  write_file_atomic(tmp / "huge.png", png_claiming(40000, 40000));  // 1.6e9 pixels > CV_IO_MAX_IMAGE_PIXELS
  // explain/predict's reader used to pass on "OpenCV(4.6.0) ... (-215:Assertion failed) ..."
  EXPECT_EQ(error_of([&] { read_rgb(tmp / "huge.png"); }),
            (tmp / "huge.png").string() + ": cannot be decoded as an image (larger than OpenCV's pixel limit, or corrupt)");
  EXPECT_EQ(check_image(tmp / "huge.png", nullptr, nullptr),
            "cannot be decoded as an image (larger than OpenCV's pixel limit, or corrupt)");
}
