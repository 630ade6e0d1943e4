// End-to-end tests of `entcam download` against a real HTTP server on loopback serving the
// official Stanford Dogs archive set in miniature.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <nlohmann/json.hpp>

#include "core/fs.h"
#include "support/dataset_fixtures.h"
#include "support/test_support.h"

namespace entcam::test {
namespace {
namespace fs = std::filesystem;

// Sets an environment variable for the child `entcam` processes of one test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (had_) ::setenv(name_, old_.c_str(), 1);
    else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

class DownloadCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dogs = make_dogs_fixture(tmp / "scratch.tar");
    server.put("/dogs/images.tar", dogs.images_tar);
    server.put("/dogs/annotation.tar", dogs.annotation_tar);
    server.put("/dogs/lists.tar", dogs.lists_tar);
  }

  // A stanford-dogs manifest for the served archives; `bad_sha` corrupts annotation.tar's.
  fs::path write_manifest(const std::string& base, bool with_sha = true, bool bad_sha = false) {
    std::string y = "name: stanford-dogs\nlayout: stanford-dogs\nauth: none\nfiles:\n";
    for (const auto& [file, data] : std::vector<std::pair<std::string, std::string>>{
             {"images.tar", dogs.images_tar}, {"annotation.tar", dogs.annotation_tar}, {"lists.tar", dogs.lists_tar}}) {
      y += "  - url: " + base + "/" + file + "\n";
      std::string sha = sha256_hex(data);
      if (bad_sha && file == "annotation.tar") sha = sha256_hex("something else");
      if (with_sha) y += "    sha256: " + sha + "\n";
      y += "    size: " + std::to_string(data.size()) + "\n";
    }
    const fs::path p = tmp / "dogs.yaml";
    write_file_atomic(p, y);
    return p;
  }

  nlohmann::json run_json(const std::string& args, int expect = 0) {
    const CommandResult r = run_entcam("download " + args);
    EXPECT_EQ(r.exit_code, expect) << r.err;
    last_err = r.err;
    return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
  }

  TempDir tmp;
  FileServer server;
  DogsFixture dogs;
  std::string last_err;
  ScopedEnv fast_retry{"ENTCAM_RETRY_DELAY_MS", "20"};
  ScopedEnv no_mirror{"ENTCAM_MIRROR", ""};
};

TEST_F(DownloadCli, StanfordDogsArchivesDownloadExtractAndParse) {
  const fs::path m = write_manifest(server.url("/dogs"));
  const fs::path root = tmp / "cache";
  const auto j = run_json(m.string() + " --root " + root.string() + " --json");
  EXPECT_EQ(j.at("dataset"), "stanford-dogs");
  EXPECT_EQ(j.at("images"), 6);
  EXPECT_EQ(j.at("classes"), 2);
  EXPECT_EQ(j.at("boxes"), 7);  // five single-dog images + one with two dogs
  EXPECT_EQ(j.at("skipped"), 0);
  EXPECT_EQ(fs::path(j.at("path").get<std::string>()), root / "stanford-dogs" / "data");
  EXPECT_TRUE(fs::is_regular_file(root / "stanford-dogs/data/Images/n02085620-Chihuahua/n02085620_2.jpg"));
  EXPECT_TRUE(fs::is_regular_file(root / "stanford-dogs/data/Annotation/n02085782-Japanese_spaniel/n02085782_3"));
  EXPECT_TRUE(fs::is_regular_file(root / "stanford-dogs/data/file_list.mat"));
  EXPECT_EQ(server.log().size(), 3u);

  // cached and verified: a second run gives the same answer without a single request
  const auto again = run_json(m.string() + " --root " + root.string() + " --json");
  EXPECT_EQ(again, j);
  EXPECT_EQ(server.log().size(), 3u);
}

TEST_F(DownloadCli, EntcamDataSelectsTheCacheRoot) {
  const fs::path m = write_manifest(server.url("/dogs"));
  ScopedEnv data("ENTCAM_DATA", (tmp / "envcache").string());
  const auto j = run_json(m.string() + " --json");
  EXPECT_EQ(fs::path(j.at("path").get<std::string>()), tmp / "envcache" / "stanford-dogs" / "data");
}

TEST_F(DownloadCli, ResumesAfterACutOffTransfer) {
  server.cut_once("/dogs/images.tar");
  const fs::path m = write_manifest(server.url("/dogs"));
  const auto j = run_json(m.string() + " --root " + (tmp / "cache").string() + " --json");
  EXPECT_EQ(j.at("images"), 6);
  // the retry asked only for the missing second half
  std::vector<std::string> ranges;
  for (const auto& h : server.log())
    if (h.path == "/dogs/images.tar") ranges.push_back(h.range);
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0], "");
  EXPECT_EQ(ranges[1], "bytes=" + std::to_string(dogs.images_tar.size() / 2) + "-");
  EXPECT_EQ(read_file(tmp / "cache/stanford-dogs/downloads/images.tar"), dogs.images_tar);
  EXPECT_FALSE(fs::exists(tmp / "cache/stanford-dogs/downloads/images.tar.part"));
}

TEST_F(DownloadCli, AStalePartialFileIsRedownloadedFromTheStart) {
  // a .part left from another version of the file: resuming splices garbage, the checksum
  // catches it, and one clean download from byte 0 follows
  const fs::path dl = tmp / "cache/stanford-dogs/downloads";
  write_file_atomic(dl / "images.tar.part", std::string(dogs.images_tar.size() / 3, 'x'));
  const fs::path m = write_manifest(server.url("/dogs"));
  const auto j = run_json(m.string() + " --root " + (tmp / "cache").string() + " --json");
  EXPECT_EQ(j.at("images"), 6);
  std::vector<std::string> ranges;
  for (const auto& h : server.log())
    if (h.path == "/dogs/images.tar") ranges.push_back(h.range);
  EXPECT_EQ(ranges, (std::vector<std::string>{"bytes=" + std::to_string(dogs.images_tar.size() / 3) + "-", ""}));
  EXPECT_EQ(read_file(dl / "images.tar"), dogs.images_tar);
}

TEST_F(DownloadCli, ChecksumMismatchExits2AndCachesNothing) {
  const fs::path m = write_manifest(server.url("/dogs"), true, /*bad_sha=*/true);
  const fs::path dl = tmp / "cache/stanford-dogs/downloads";
  run_json(m.string() + " --root " + (tmp / "cache").string() + " --json", 2);
  EXPECT_NE(last_err.find("annotation.tar"), std::string::npos) << last_err;
  EXPECT_NE(last_err.find("sha256 mismatch"), std::string::npos) << last_err;
  EXPECT_FALSE(fs::exists(dl / "annotation.tar"));
  EXPECT_FALSE(fs::exists(dl / "annotation.tar.part"));
  EXPECT_TRUE(fs::exists(dl / "images.tar"));  // files before it were fine and stay cached
}

TEST_F(DownloadCli, HttpErrorExits2NamingTheFile) {
  const fs::path m = write_manifest(server.url("/nowhere"));
  run_json(m.string() + " --root " + (tmp / "cache").string(), 2);
  EXPECT_NE(last_err.find("images.tar"), std::string::npos) << last_err;
  EXPECT_NE(last_err.find("HTTP 404"), std::string::npos) << last_err;
  EXPECT_FALSE(fs::exists(tmp / "cache/stanford-dogs/downloads/images.tar"));
}

TEST_F(DownloadCli, MirrorVariableFetchesFromTheMirrorAndStillVerifies) {
  // the manifest's own URLs are dead; the mirror has <name>/<file>
  const fs::path m = write_manifest("http://127.0.0.1:9/unreachable");
  server.put("/mirror/stanford-dogs/images.tar", dogs.images_tar);
  server.put("/mirror/stanford-dogs/annotation.tar", dogs.annotation_tar);
  server.put("/mirror/stanford-dogs/lists.tar", dogs.lists_tar);
  {
    ScopedEnv mirror("ENTCAM_MIRROR", server.url("/mirror/"));
    const auto j = run_json(m.string() + " --root " + (tmp / "cache").string() + " --json");
    EXPECT_EQ(j.at("images"), 6);
    for (const auto& h : server.log()) EXPECT_EQ(h.path.rfind("/mirror/stanford-dogs/", 0), 0u) << h.path;
  }
  // a mirror serving a different file is caught by the checksum
  std::string tampered = dogs.images_tar;
  tampered[tampered.size() / 2] ^= 1;  // same size, one bit flipped
  server.put("/mirror2/stanford-dogs/images.tar", tampered);
  ScopedEnv mirror("ENTCAM_MIRROR", server.url("/mirror2"));
  run_json(m.string() + " --root " + (tmp / "cache2").string(), 2);
  EXPECT_NE(last_err.find("images.tar: sha256 mismatch"), std::string::npos) << last_err;
  EXPECT_FALSE(fs::exists(tmp / "cache2/stanford-dogs/downloads/images.tar"));
}

TEST_F(DownloadCli, ArchiveWithParentEntryIsRefused) {
  const std::string evil = make_archive({{"Images/n1-A/n1_1.jpg", make_jpeg(50, 40, 1), ""},
                                         {"../evil.txt", "owned", ""}},
                                        "tar", tmp / "scratch.tar");
  server.put("/evil/images.tar", evil);
  write_file_atomic(tmp / "evil.yaml", "name: evil\nlayout: stanford-dogs\nfiles:\n  - url: " +
                                           server.url("/evil/images.tar") + "\n    sha256: " + sha256_hex(evil) + "\n");
  run_json((tmp / "evil.yaml").string() + " --root " + (tmp / "cache").string(), 2);
  EXPECT_NE(last_err.find("images.tar"), std::string::npos) << last_err;
  EXPECT_NE(last_err.find("'../evil.txt'"), std::string::npos) << last_err;
  EXPECT_FALSE(fs::exists(tmp / "cache/evil/evil.txt"));
  EXPECT_FALSE(fs::exists(tmp / "cache/evil.txt"));
  EXPECT_FALSE(fs::exists(tmp / "cache/evil/data/Images"));  // nothing half-extracted in place
}

TEST_F(DownloadCli, ArchivesSharingAFolderAreMergedAndGzipAndZipWork) {
  const std::string part1 = make_archive({{"cat/1.jpg", make_jpeg(40, 30, 1), ""},
                                          {"cat/1.xml", make_voc("1", 40, 30, "cat", {{1, 1, 10, 10}}), ""}},
                                         "tar.gz", tmp / "scratch");
  const std::string part2 = make_archive({{"cat/2.jpg", make_jpeg(40, 30, 2), ""},
                                          {"dog/3.jpg", make_jpeg(40, 30, 3), ""}},
                                         "zip", tmp / "scratch");
  server.put("/parts/part1.tar.gz", part1);
  server.put("/parts/part2.zip", part2);
  write_file_atomic(tmp / "pets.yaml", "name: pets\nlayout: image-folder\nfiles:\n  - url: " +
                                           server.url("/parts/part1.tar.gz") + "\n  - url: " +
                                           server.url("/parts/part2.zip") + "\n");
  const auto j = run_json((tmp / "pets.yaml").string() + " --root " + (tmp / "cache").string() + " --json");
  EXPECT_TRUE(fs::is_regular_file(tmp / "cache/pets/data/cat/1.jpg"));
  EXPECT_TRUE(fs::is_regular_file(tmp / "cache/pets/data/cat/2.jpg"));  // merged, not replaced
  EXPECT_TRUE(fs::is_regular_file(tmp / "cache/pets/data/dog/3.jpg"));
  EXPECT_EQ(j.at("images"), 3);
  EXPECT_EQ(j.at("classes"), 2);
  EXPECT_EQ(j.at("boxes"), 1);
}

TEST_F(DownloadCli, CorruptJpegIsSkippedAndCounted) {
  dogs = make_dogs_fixture(tmp / "scratch.tar", /*corrupt_one=*/true);
  server.put("/dogs/images.tar", dogs.images_tar);
  const fs::path m = write_manifest(server.url("/dogs"));
  const auto j = run_json(m.string() + " --root " + (tmp / "cache").string() + " --json");
  EXPECT_EQ(j.at("images"), 5);
  EXPECT_EQ(j.at("skipped"), 1);
  EXPECT_EQ(j.at("boxes"), 6);
  EXPECT_NE(last_err.find("n02085782_2.jpg"), std::string::npos) << last_err;
}

TEST_F(DownloadCli, FirstDownloadRecordsTheChecksumLaterOnesVerify) {
  const fs::path m = write_manifest(server.url("/dogs"), /*with_sha=*/false);
  const fs::path root = tmp / "cache";
  run_json(m.string() + " --root " + root.string() + " --json");
  const fs::path rec = root / "stanford-dogs/downloads/images.tar.sha256";
  ASSERT_TRUE(fs::exists(rec));
  EXPECT_EQ(read_file(rec).substr(0, 64), sha256_hex(dogs.images_tar));
  // the cached file gets damaged: it is fetched again and checked against the record
  write_file_atomic(root / "stanford-dogs/downloads/images.tar", "damaged");
  std::string tampered = dogs.images_tar;
  tampered[100] ^= 1;
  server.put("/dogs/images.tar", tampered);  // and the server now serves something else
  run_json(m.string() + " --root " + root.string(), 2);
  EXPECT_NE(last_err.find("images.tar: sha256 mismatch"), std::string::npos) << last_err;
  EXPECT_FALSE(fs::exists(root / "stanford-dogs/downloads/images.tar"));
}

TEST_F(DownloadCli, KaggleNeedsCredentialsAndSendsThemWithoutLoggingThem) {
  const std::string zip = make_archive({{"Fruits/train/Apple/a1.jpg", make_jpeg(64, 48, 1), ""},
                                        {"Fruits/train/Banana/b1.jpg", make_jpeg(64, 48, 2), ""},
                                        {"Fruits/valid/Apple/a2.jpg", make_jpeg(64, 48, 3), ""},
                                        {"Fruits/test/Banana/b2.jpg", make_jpeg(64, 48, 4), ""}},
                                       "zip", tmp / "scratch.zip");
  server.put("/api/v1/datasets/download/someone/fruits", zip);
  write_file_atomic(tmp / "fruits.yaml", "name: fruits\nlayout: kaggle-fruits\nauth: kaggle\nfiles:\n  - url: " +
                                             server.url("/api/v1/datasets/download/someone/fruits") +
                                             "\n    name: fruits.zip\n");
  ScopedEnv home("HOME", (tmp / "home").string());
  ScopedEnv cfg("KAGGLE_CONFIG_DIR", (tmp / "home/.kaggle").string());
  {
    run_json((tmp / "fruits.yaml").string() + " --root " + (tmp / "cache").string(), 2);
    EXPECT_NE(last_err.find("KAGGLE_USERNAME and KAGGLE_KEY"), std::string::npos) << last_err;
    EXPECT_NE(last_err.find("kaggle.json"), std::string::npos) << last_err;
    EXPECT_TRUE(server.log().empty());
  }
  ScopedEnv user("KAGGLE_USERNAME", "alice");
  ScopedEnv key("KAGGLE_KEY", "s3cr3t-key-123");
  const CommandResult r = run_entcam("download " + (tmp / "fruits.yaml").string() + " --root " +
                                     (tmp / "cache").string() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("images"), 4);
  EXPECT_EQ(j.at("classes"), 2);
  EXPECT_EQ(j.at("boxes"), 0);
  ASSERT_FALSE(server.log().empty());
  EXPECT_EQ(server.log().back().authorization, "Basic YWxpY2U6czNjcjN0LWtleS0xMjM=");  // alice:s3cr3t-key-123
  EXPECT_EQ(r.err.find("s3cr3t"), std::string::npos);
  EXPECT_EQ(r.out.find("s3cr3t"), std::string::npos);
  EXPECT_TRUE(fs::exists(tmp / "cache/fruits/downloads/fruits.zip.sha256"));

  // cached: no credentials and no request needed
  const size_t requests = server.log().size();
  {
    ::unsetenv("KAGGLE_USERNAME");
    const CommandResult again = run_entcam("download " + (tmp / "fruits.yaml").string() + " --root " +
                                           (tmp / "cache").string() + " --json");
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(server.log().size(), requests);
  }
  // a bearer token is sent as such
  ScopedEnv token("KAGGLE_API_TOKEN", "tok-abc");
  const CommandResult bearer = run_entcam("download " + (tmp / "fruits.yaml").string() + " --root " +
                                          (tmp / "cache3").string());
  EXPECT_EQ(bearer.exit_code, 0) << bearer.err;
  EXPECT_EQ(server.log().back().authorization, "Bearer tok-abc");
  EXPECT_EQ(bearer.err.find("tok-abc"), std::string::npos);
}

TEST_F(DownloadCli, MalformedManifestNamesFileLineAndKey) {
  write_file_atomic(tmp / "bad.yaml", "name: x\nlayout: stanford-dogs\nfiles:\n  - url: http://a/b.tar\n    size: lots\n");
  run_json((tmp / "bad.yaml").string(), 2);
  EXPECT_NE(last_err.find("bad.yaml:5:11: files[0].size: expected an integer"), std::string::npos) << last_err;
  write_file_atomic(tmp / "bad2.yaml", "name: x\nlayout: [oops\n");
  run_json((tmp / "bad2.yaml").string(), 2);
  EXPECT_NE(last_err.find("bad2.yaml:"), std::string::npos) << last_err;
  EXPECT_NE(last_err.find("malformed YAML"), std::string::npos) << last_err;
  run_json("no-such-dataset", 2);
  EXPECT_NE(last_err.find("no-such-dataset"), std::string::npos) << last_err;
}

TEST_F(DownloadCli, FashionScenesAreBuiltOffline) {
  if (!fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  write_file_atomic(tmp / "fs.yaml",
                    "name: fashion-scenes\nlayout: fashion-scenes\nscenes:\n  count: 24\n  seed: 3\n"
                    "  classes: [bag, trouser, sneaker]\n");
  const auto j = run_json((tmp / "fs.yaml").string() + " --root " + (tmp / "cache").string() + " --json");
  EXPECT_EQ(j.at("images"), 24);
  EXPECT_EQ(j.at("classes"), 3);
  EXPECT_GE(j.at("boxes").get<int>(), 24);
  EXPECT_EQ(j.at("skipped"), 0);
  ScopedEnv missing("ENTCAM_FASHION_MNIST", (tmp / "nowhere").string());
  run_json((tmp / "fs.yaml").string() + " --root " + (tmp / "cache2").string(), 2);
  EXPECT_NE(last_err.find("dataset-fashion-mnist"), std::string::npos) << last_err;
}

TEST_F(DownloadCli, ShippedManifestsLoad) {
  for (const char* name : {"stanford-dogs", "fruits", "goldfish", "fashion-scenes"})
    EXPECT_TRUE(fs::is_regular_file(source_dir() / "datasets" / (std::string(name) + ".yaml"))) << name;
}

}  // namespace
}  // namespace entcam::test
