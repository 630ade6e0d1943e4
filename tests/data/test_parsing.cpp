// VOC, BOXES.json, manifests, archives, layouts and splits.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/fs.h"
#include "data/annotations.h"
#include "data/archive.h"
#include "data/layouts.h"
#include "data/manifest.h"
#include "data/split.h"
#include "support/dataset_fixtures.h"
#include "support/test_support.h"

namespace entcam {
namespace {
namespace fs = std::filesystem;
using test::TempDir;

TEST(Voc, SeveralObjectsWithDifficultFlagAndFloatCoordinates) {
  const std::string xml = R"(<?xml version="1.0"?>
<!-- written by a labelling tool -->
<annotation verified="yes">
  <filename>n02085620_2</filename>
  <size><width>250</width><height>188</height><depth>3</depth></size>
  <object><name>Chihuahua</name><difficult>0</difficult>
    <bndbox><xmin>71</xmin><ymin>1</ymin><xmax>192</xmax><ymax>180</ymax></bndbox></object>
  <object><name>Chihuahua &amp; friend</name><difficult>1</difficult>
    <bndbox><xmin>10.0</xmin><ymin> 20 </ymin><xmax>60.4</xmax><ymax>90</ymax></bndbox></object>
  <object><name>Chihuahua</name>
    <bndbox><xmin>0</xmin><ymin>0</ymin><xmax>249</xmax><ymax>187</ymax></bndbox></object>
</annotation>)";
  const VocAnnotation a = parse_voc(xml, "n02085620_2");
  EXPECT_EQ(a.filename, "n02085620_2");
  EXPECT_EQ(a.width, 250);
  EXPECT_EQ(a.height, 188);
  ASSERT_EQ(a.objects.size(), 3u);
  EXPECT_EQ(a.objects[0].box, (Box{71, 1, 192, 180, false}));
  EXPECT_EQ(a.objects[1].name, "Chihuahua & friend");
  EXPECT_EQ(a.objects[1].box, (Box{10, 20, 60, 90, true}));
  EXPECT_EQ(a.objects[2].box, (Box{0, 0, 249, 187, false}));
}

TEST(Voc, MalformedFilesNameTheFileAndTheProblem) {
  const auto message = [](const std::string& xml) {
    try {
      parse_voc(xml, "Annotation/x/n1_1");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("<annotation><object><bndbox><xmin>1</xmin></bndbox></object>").find("Annotation/x/n1_1: malformed XML"),
            std::string::npos);
  EXPECT_NE(message("<annotation><object><bndbox><xmin>a</xmin><ymin>1</ymin><xmax>2</xmax><ymax>3</ymax></bndbox>"
                    "</object></annotation>")
                .find("<bndbox/xmin> is 'a'"),
            std::string::npos);
  EXPECT_NE(message("<annotation><object><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax></bndbox></object></annotation>")
                .find("missing <bndbox/ymax>"),
            std::string::npos);
  EXPECT_NE(message("<annotation></annotatio>").find("closes <annotation>"), std::string::npos);
  EXPECT_NE(message("<html></html>").find("expected <annotation>"), std::string::npos);
}

TEST(BoxesJson, ReadsSpecFormatAndRejectsBadEntries) {
  TempDir tmp;
  write_file_atomic(tmp / "b.json", R"({"images": [{"id": "a", "width": 10, "height": 8, "boxes": [[1, 2, 3, 4]], "class": 3},
                                                  {"id": "b", "width": 5, "height": 5, "boxes": []}]})");
  const auto by_id = [](const std::vector<BoxesImage>& v) {
    std::map<std::string, BoxesImage> m;
    for (const auto& e : v) m[e.id] = e;
    return m;
  };
  const auto m = by_id(read_boxes_json(tmp / "b.json"));
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m.at("a").boxes.at(0), (Box{1, 2, 3, 4, false}));
  EXPECT_EQ(m.at("a").cls, 3);
  EXPECT_EQ(m.at("b").cls, -1);
  // round trip through the writer
  Dataset ds;
  ds.classes = {"x", "y"};
  ds.samples.push_back({"dir/a", "/a.jpg", 1, 10, 8, {{1, 2, 3, 4, false}, {0, 0, 9, 7, true}}});
  write_boxes_json(ds, {}, tmp / "w.json");
  const auto w = by_id(read_boxes_json(tmp / "w.json"));
  ASSERT_EQ(w.count("dir/a"), 1u);
  EXPECT_EQ(w.at("dir/a").cls, 1);
  EXPECT_EQ(w.at("dir/a").width, 10);
  ASSERT_EQ(w.at("dir/a").boxes.size(), 2u);
  EXPECT_EQ(w.at("dir/a").boxes[1], (Box{0, 0, 9, 7, false}));  // BOXES.json has no difficult flag
  write_file_atomic(tmp / "bad.json", R"({"images": [{"id": "a", "width": 10, "height": 8, "boxes": [[1, 2, 3]]}]})");
  try {
    read_boxes_json(tmp / "bad.json");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json: images[0].boxes"), std::string::npos) << e.what();
  }
}

TEST(Manifest, ParsesSpecFormat) {
  TempDir tmp;
  write_file_atomic(tmp / "m.yaml",
                    "name: stanford-dogs\nlayout: stanford-dogs\nauth: none\nfiles:\n"
                    "  - url: http://vision.stanford.edu/aditya86/ImageNetDogs/images.tar?x=1\n"
                    "    sha256: " + std::string(64, 'A') + "\n    size: 793579520\nboxes: extra/BOXES.json\n");
  const Manifest m = load_manifest(tmp / "m.yaml");
  EXPECT_EQ(m.name, "stanford-dogs");
  ASSERT_EQ(m.files.size(), 1u);
  EXPECT_EQ(m.files[0].name, "images.tar");
  EXPECT_EQ(m.files[0].sha256, std::string(64, 'a'));
  EXPECT_EQ(*m.files[0].size, 793579520);
  EXPECT_EQ(m.boxes, tmp / "extra/BOXES.json");
}

TEST(Manifest, ErrorsGiveFileLineColumnKeyAndExpectation) {
  TempDir tmp;
  const auto message = [&](const std::string& yaml) {
    write_file_atomic(tmp / "m.yaml", yaml);
    try {
      load_manifest(tmp / "m.yaml");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string f = (tmp / "m.yaml").string();
  EXPECT_EQ(message("name: x\nlayout: voc\nfiles: []\n"),
            f + ":2:9: layout: expected one of stanford-dogs, image-folder, kaggle-fruits, kaggle-goldfish, "
                "fashion-scenes; got 'voc'");
  EXPECT_EQ(message("name: x\nlayout: image-folder\nfiles:\n  - url: http://h/a.tar\n    sha256: 12ab\n"),
            f + ":5:13: files[0].sha256: expected 64 hexadecimal digits");
  EXPECT_EQ(message("name: x\nlayout: image-folder\nfiles:\n  - url: http://h/a.tar\n    colour: red\n"),
            f + ":5:5: files[0].colour: unknown key (expected url, sha256, size, name)");
  EXPECT_EQ(message("name: x\nlayout: image-folder\n"),
            f + ":1:1: files: missing or empty (expected a list of {url, sha256, size}, or path: DIR)");
  EXPECT_EQ(message("name: x\nlayout: image-folder\nfiles:\n  - url: ftp://h/a.tar\n"),
            f + ":4:10: files[0].url: expected an http://, https:// or file:// URL");
  EXPECT_NE(message("name: x\n  layout: : :\n").find(f + ":2:"), std::string::npos);
}

TEST(Archive, ExtractsTarGzAndZipAndRefusesEscapes) {
  TempDir tmp;
  const std::vector<test::ArchiveEntry> good = {{"top/a.txt", "alpha", ""}, {"top/sub/b.txt", "beta", ""},
                                                {"top/link", "", "sub/b.txt"}};
  for (const std::string kind : {"tar.gz", "zip"}) {
    write_file_atomic(tmp / ("g." + kind), test::make_archive(good, kind, tmp / "scratch"));
    const fs::path out = tmp / ("out-" + kind);
    ASSERT_TRUE(extract_archive(tmp / ("g." + kind), out)) << kind;
    EXPECT_EQ(read_file(out / "top/a.txt"), "alpha");
    EXPECT_EQ(read_file(out / "top/sub/b.txt"), "beta");
    EXPECT_EQ(read_file(out / "top/link"), "beta");
  }
  write_file_atomic(tmp / "plain.json", "{}");
  EXPECT_FALSE(extract_archive(tmp / "plain.json", tmp / "out-plain"));

  const auto refused = [&](const test::ArchiveEntry& e) {
    write_file_atomic(tmp / "bad.tar", test::make_archive({{"ok.txt", "ok", ""}, e}, "tar", tmp / "scratch"));
    try {
      extract_archive(tmp / "bad.tar", tmp / "out-bad");
    } catch (const InputError& err) {
      return std::string(err.what());
    }
    return std::string("extracted");
  };
  EXPECT_NE(refused({"../x.txt", "x", ""}).find("bad.tar: entry '../x.txt' escapes the target folder"), std::string::npos);
  EXPECT_NE(refused({"a/../../x.txt", "x", ""}).find("entry 'a/../../x.txt' escapes"), std::string::npos);
  EXPECT_NE(refused({"/etc/x.txt", "x", ""}).find("escapes"), std::string::npos);
  EXPECT_NE(refused({"evil", "", "/etc/passwd"}).find("entry 'evil' is a symlink to '/etc/passwd'"), std::string::npos);
  EXPECT_NE(refused({"d/evil", "", "../../up"}).find("is a symlink to '../../up' outside"), std::string::npos);
  EXPECT_FALSE(fs::exists(tmp / "x.txt"));
}

// An image-folder dataset with a VOC file, a zero-size image and a corrupt one.
TEST(Layouts, ImageFolderSkipsBadImagesAndReadsVocAndBoxesJson) {
  TempDir tmp;
  const fs::path root = tmp / "data";
  write_file_atomic(root / "cat/c1.jpg", test::make_jpeg(40, 30, 1));
  write_file_atomic(root / "cat/c1.xml", test::make_voc("c1", 40, 30, "cat", {{5, 5, 20, 50}, {30, 1, 39, 9, true}}));
  write_file_atomic(root / "cat/c2.jpg", test::make_jpeg(40, 30, 2));
  write_file_atomic(root / "cat/c3.jpg", "");
  write_file_atomic(root / "dog/d1.png", "\x89PNG garbage");
  write_file_atomic(root / "dog/d2.jpg", test::make_jpeg(64, 48, 3));
  write_file_atomic(root / "dog/d3.jpg", test::make_jpeg(64, 48, 4));
  write_file_atomic(root / "dog/d3.xml", "<annotation><object>");
  write_file_atomic(tmp / "extra.json", R"({"images": [{"id": "dog/d2", "width": 32, "height": 24, "boxes": [[0, 0, 15, 11]]}]})");
  const Dataset ds = parse_dataset("image-folder", root, {"pets", tmp / "extra.json"});
  EXPECT_EQ(ds.classes, (std::vector<std::string>{"cat", "dog"}));
  ASSERT_EQ(ds.samples.size(), 3u);
  EXPECT_EQ(ds.skipped, 3);  // zero-size, undecodable, malformed annotation
  EXPECT_EQ(ds.samples[0].id, "cat/c1");
  EXPECT_EQ(ds.samples[0].width, 40);
  EXPECT_EQ(ds.samples[0].height, 30);
  ASSERT_EQ(ds.samples[0].boxes.size(), 2u);
  EXPECT_EQ(ds.samples[0].boxes[0], (Box{5, 5, 20, 29, false}));  // clipped to the image
  EXPECT_TRUE(ds.samples[0].boxes[1].difficult);
  EXPECT_TRUE(ds.samples[1].boxes.empty());
  EXPECT_EQ(ds.samples[2].id, "dog/d2");
  EXPECT_EQ(ds.samples[2].label, 1);
  ASSERT_EQ(ds.samples[2].boxes.size(), 1u);
  EXPECT_EQ(ds.samples[2].boxes[0], (Box{0, 0, 31, 23, false}));  // BOXES.json given at half size: rescaled
  EXPECT_EQ(ds.box_count(), 3);
  std::string all;
  for (const auto& w : ds.warnings) all += w + "\n";
  EXPECT_NE(all.find("c3.jpg: zero-size image"), std::string::npos) << all;
  EXPECT_NE(all.find("d1.png: cannot be decoded"), std::string::npos) << all;
  EXPECT_NE(all.find("d3.xml: malformed XML"), std::string::npos) << all;
}

TEST(Layouts, StanfordDogsRealLayout) {
  TempDir tmp;
  const auto f = test::make_dogs_fixture(tmp / "scratch.tar", true);
  write_file_atomic(tmp / "i.tar", f.images_tar);
  write_file_atomic(tmp / "a.tar", f.annotation_tar);
  ASSERT_TRUE(extract_archive(tmp / "i.tar", tmp / "data"));
  ASSERT_TRUE(extract_archive(tmp / "a.tar", tmp / "data"));
  const Dataset ds = parse_dataset("stanford-dogs", tmp / "data", {"stanford-dogs", {}});
  EXPECT_EQ(ds.classes, (std::vector<std::string>{"n02085620-Chihuahua", "n02085782-Japanese_spaniel"}));
  EXPECT_EQ(int(ds.samples.size()), f.images);
  EXPECT_EQ(ds.box_count(), f.boxes);
  EXPECT_EQ(ds.skipped, 1);
  const Sample& two = ds.samples[1];
  EXPECT_EQ(two.id, "Images/n02085620-Chihuahua/n02085620_2");
  ASSERT_EQ(two.boxes.size(), 2u);
  EXPECT_EQ(two.boxes[0], (Box{10, 12, 70, 90, false}));    // 140x100 image, as written
  EXPECT_EQ(two.boxes[1], (Box{70, 5, 139, 50, true}));     // xmax 160 clipped to 139
}

TEST(Layouts, KaggleFruitsPoolsSplitsAndGoldfishIsTolerant) {
  TempDir tmp;
  write_file_atomic(tmp / "f/Fruits Classification/train/Apple/1.jpg", test::make_jpeg(30, 30, 1));
  write_file_atomic(tmp / "f/Fruits Classification/valid/Banana/2.jpg", test::make_jpeg(30, 30, 2));
  write_file_atomic(tmp / "f/Fruits Classification/test/Apple/3.jpg", test::make_jpeg(30, 30, 3));
  const Dataset fruits = parse_dataset("kaggle-fruits", tmp / "f", {"fruits", {}});
  EXPECT_EQ(fruits.classes, (std::vector<std::string>{"Apple", "Banana"}));
  EXPECT_EQ(fruits.samples.size(), 3u);

  write_file_atomic(tmp / "g/images/train/a.jpg", test::make_jpeg(100, 50, 1));
  write_file_atomic(tmp / "g/labels/train/a.txt", "0 0.5 0.5 0.2 0.4\n");
  write_file_atomic(tmp / "g/images/train/b.jpg", test::make_jpeg(100, 50, 2));
  write_file_atomic(tmp / "g/annotations/b.xml", test::make_voc("b", 100, 50, "goldfish", {{1, 2, 3, 4}, {5, 6, 7, 8}}));
  const Dataset gold = parse_dataset("kaggle-goldfish", tmp / "g", {"goldfish", {}});
  EXPECT_EQ(gold.classes, (std::vector<std::string>{"goldfish"}));
  ASSERT_EQ(gold.samples.size(), 2u);
  ASSERT_EQ(gold.samples[0].boxes.size(), 1u);
  EXPECT_EQ(gold.samples[0].boxes[0], (Box{40, 15, 59, 34, false}));
  EXPECT_EQ(gold.samples[1].boxes.size(), 2u);
}

Dataset synthetic(int per_class_a, int per_class_b) {
  Dataset ds;
  ds.name = "syn";
  ds.classes = {"a", "b"};
  for (int i = 0; i < per_class_a + per_class_b; ++i) {
    Sample s;
    s.id = "img" + std::to_string(1000 + i);
    s.label = i < per_class_a ? 0 : 1;
    ds.samples.push_back(s);
  }
  return ds;
}

TEST(Split, SplitMix64MatchesTheReferenceSequence) {
  SplitMix64 r(1234567);
  EXPECT_EQ(r.next(), 6457827717110365317ULL);
  EXPECT_EQ(r.next(), 3203168211198807973ULL);
  EXPECT_EQ(r.next(), 9817491932198370423ULL);
  SplitMix64 jumped(1234567);
  jumped.skip(2);  // over the first two outputs above
  EXPECT_EQ(jumped.next(), 9817491932198370423ULL);
}

TEST(Split, StratifiedSeventyThirtyReproducibleAndReused) {
  const Dataset ds = synthetic(40, 20);
  const Split a = stratified_split(ds, 0.7, 42), b = stratified_split(ds, 0.7, 42), c = stratified_split(ds, 0.7, 43);
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.test, b.test);
  EXPECT_NE(a.train, c.train);
  EXPECT_EQ(a.train.size(), 42u);  // 28 + 14
  EXPECT_EQ(a.test.size(), 18u);
  int train_a = 0;
  for (size_t i : a.train) train_a += ds.samples[i].label == 0;
  EXPECT_EQ(train_a, 28);

  TempDir tmp;
  const Split s1 = load_or_make_split(ds, tmp / "split.json", 0.7, 42);
  EXPECT_EQ(s1.train, a.train);
  const std::string written = read_file(tmp / "split.json");
  const auto j = nlohmann::json::parse(written);
  EXPECT_EQ(j["train"].size(), 42u);
  EXPECT_EQ(j["test"][0]["class"].is_string(), true);
  // an existing split with the same options is reused as is (not rewritten)
  const Split s2 = load_or_make_split(ds, tmp / "split.json", 0.7, 42);
  EXPECT_EQ(s2.train, s1.train);
  EXPECT_EQ(read_file(tmp / "split.json"), written);
  // a different fraction makes a new split
  const Split s3 = load_or_make_split(ds, tmp / "split.json", 0.5, 42);
  EXPECT_EQ(s3.train.size(), 30u);
}

}  // namespace
}  // namespace entcam
