// fashion-scenes rendering and the batch loader's transforms.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/fs.h"
#include "data/fashion_scenes.h"
#include "data/layouts.h"
#include "data/loader.h"
#include "support/dataset_fixtures.h"
#include "support/test_support.h"

namespace entcam {
namespace {
namespace fs = std::filesystem;
using test::TempDir;

bool have_fashion() { return fs::exists(fashion_mnist_dir() / "train-images-idx3-ubyte.gz"); }

TEST(FashionScenes, DeterministicFromTheSeedWithTightBoxes) {
  if (!have_fashion()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const IdxImages src = read_fashion_mnist(fashion_mnist_dir());
  EXPECT_EQ(src.count, 60000);
  SceneOptions o;
  o.classes = {"bag", "trouser"};
  for (int i = 0; i < 20; ++i) {
    const Scene a = render_scene(src, o, i), b = render_scene(src, o, i);
    ASSERT_EQ(cv::norm(a.rgb, b.rgb, cv::NORM_INF), 0.0);
    ASSERT_EQ(a.boxes, b.boxes);
    EXPECT_EQ(a.label, i % 2);
    EXPECT_EQ(a.rgb.size(), cv::Size(96, 96));
    ASSERT_GE(a.boxes.size(), 1u);
    ASSERT_LE(a.boxes.size(), 4u);
    // tight: every box edge holds a pixel the item owns, and no owned pixel lies outside
    std::vector<Box> from_owner(4, Box{96, 96, -1, -1, false});
    for (int y = 0; y < 96; ++y)
      for (int x = 0; x < 96; ++x)
        if (int id = a.owner.at<int>(y, x); id >= 0) {
          Box& bx = from_owner[size_t(id)];
          bx.xmin = std::min(bx.xmin, x), bx.ymin = std::min(bx.ymin, y);
          bx.xmax = std::max(bx.xmax, x), bx.ymax = std::max(bx.ymax, y);
        }
    std::vector<Box> visible;
    for (const Box& bx : from_owner)
      if (bx.xmax >= 0) visible.push_back(bx);
    EXPECT_EQ(visible, a.boxes) << "scene " << i;
    for (const Box& bx : a.boxes) {
      EXPECT_GE(bx.xmax - bx.xmin + 1, 6) << "scene " << i;  // items are big enough to learn
      // owned pixels are item pixels: clearly brighter than the dark background
      cv::Mat roi = a.rgb(cv::Rect(bx.xmin, bx.ymin, bx.xmax - bx.xmin + 1, bx.ymax - bx.ymin + 1));
      double mx;
      cv::minMaxLoc(roi.reshape(1), nullptr, &mx);
      EXPECT_GT(mx, 100.0);
    }
  }
  SceneOptions other = o;
  other.seed = 8;
  EXPECT_GT(cv::norm(render_scene(src, o, 0).rgb, render_scene(src, other, 0).rgb, cv::NORM_L1), 0.0);
}

TEST(FashionScenes, MaterialisedScenesParseWithTheirBoxes) {
  if (!have_fashion()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  TempDir tmp;
  SceneOptions o;
  o.count = 12;
  o.canvas = 128;
  o.classes = {"sneaker", "0"};
  materialise_scenes(o, tmp / "data");
  const auto when = fs::last_write_time(tmp / "data/BOXES.json");
  materialise_scenes(o, tmp / "data");  // same options: kept
  EXPECT_EQ(fs::last_write_time(tmp / "data/BOXES.json"), when);
  const Dataset ds = parse_dataset("fashion-scenes", tmp / "data", {"fashion-scenes", {}});
  EXPECT_EQ(ds.classes, (std::vector<std::string>{"sneaker", "tshirt-top"}));
  ASSERT_EQ(ds.samples.size(), 12u);
  const IdxImages src = read_fashion_mnist(fashion_mnist_dir());
  for (const Sample& s : ds.samples) {
    const int index = std::stoi(fs::path(s.id).filename().string());
    const Scene sc = render_scene(src, o, index);
    EXPECT_EQ(s.boxes, sc.boxes) << s.id;
    EXPECT_EQ(s.width, 128);
    EXPECT_EQ(ds.classes[size_t(s.label)], index % 2 == 0 ? "tshirt-top" : "sneaker");
  }
}

TEST(FashionScenes, MissingOrBrokenIdxGivesClearErrors) {
  TempDir tmp;
  try {
    read_fashion_mnist(tmp / "none");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("dataset-fashion-mnist"), std::string::npos);
  }
  fs::create_directories(tmp / "bad");
  write_file_atomic(tmp / "bad/train-images-idx3-ubyte.gz", "not gzip at all, and no IDX magic either");
  write_file_atomic(tmp / "bad/train-labels-idx1-ubyte.gz", "x");
  try {
    read_fashion_mnist(tmp / "bad");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("train-images-idx3-ubyte.gz: not an IDX image file"), std::string::npos)
        << e.what();
  }
  SceneOptions o;
  o.classes = {"hat"};
  EXPECT_THROW(scene_classes(o), InputError);
}

TEST(Transforms, EvalMatchesTimmResizeAndCentreCrop) {
  TransformOptions o;  // 299, crop_pct 0.8975
  const auto ops = plan_transform(500, 375, o, nullptr);
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].kind, GeomOp::kResize);
  EXPECT_EQ(ops[0].h, 333);  // floor(299 / 0.8975)
  EXPECT_EQ(ops[0].w, 444);  // int(333 * 500 / 375)
  EXPECT_EQ(ops[0].interpolation, cv::INTER_CUBIC);
  EXPECT_EQ(ops[1].kind, GeomOp::kCrop);
  EXPECT_EQ(ops[1].x, 72);  // round((444 - 299) / 2) = round(72.5) = 72 (half to even)
  EXPECT_EQ(ops[1].y, 17);
  // a box: resize by 333/375 then shift by the crop
  const auto boxes = transform_boxes({{0, 0, 374, 374, false}, {490, 10, 499, 20, false}}, 500, 375, ops);
  ASSERT_EQ(boxes.size(), 1u);  // the second one falls outside the crop
  EXPECT_EQ(boxes[0], (Box{0, 0, 260, 298, false}));  // x: ceil(375 * 333/375) - 1 - 72
}

TEST(Transforms, LoaderEvalPixelsEqualTheTimmEvalTransform) {
  // The one eval transform (loader, explain and predict): 500x375 -> shorter side
  // floor(299 / 0.8975) = 333, longer int(333 * 500 / 375) = 444, bicubic; centre crop at
  // left = round_half_even(145 / 2) = 72, top = 17.
  cv::Mat img(375, 500, CV_8UC3);
  cv::randu(img, cv::Scalar::all(0), cv::Scalar::all(255));
  TransformOptions o;
  const cv::Mat a = apply_geometry(img, plan_transform(500, 375, o, nullptr));
  cv::Mat resized;
  cv::resize(img, resized, cv::Size(444, 333), 0, 0, cv::INTER_CUBIC);
  const cv::Mat b = resized(cv::Rect(72, 17, 299, 299));
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(cv::norm(a, b, cv::NORM_INF), 0.0);
}

TEST(Transforms, FlipAndCropMoveBoxesWithThePixels) {
  // a white rectangle on black: after any transform its box must still frame the white pixels
  cv::Mat img(60, 80, CV_8UC3, cv::Scalar(0, 0, 0));
  const Box box{10, 20, 29, 39, false};
  img(cv::Rect(box.xmin, box.ymin, 20, 20)).setTo(cv::Scalar(255, 255, 255));
  TransformOptions o;
  o.input.size = 64;
  o.train = true;
  o.scale_min = 0.5;
  int flips = 0, checked = 0;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    SplitMix64 rng(seed);
    const auto ops = plan_transform(80, 60, o, &rng);
    flips += ops.back().kind == GeomOp::kFlip;
    const cv::Mat out = apply_geometry(img, ops);
    ASSERT_EQ(out.size(), cv::Size(64, 64));
    const auto boxes = transform_boxes({box}, 80, 60, ops);
    cv::Mat mask;
    cv::inRange(out, cv::Scalar(128, 128, 128), cv::Scalar(255, 255, 255), mask);
    if (cv::countNonZero(mask) == 0) {
      EXPECT_TRUE(boxes.empty());
      continue;
    }
    ASSERT_EQ(boxes.size(), 1u);
    const cv::Rect white = cv::boundingRect(mask);
    // the transformed box covers the white pixels, within one pixel of interpolation blur
    EXPECT_LE(boxes[0].xmin, white.x + 1);
    EXPECT_LE(boxes[0].ymin, white.y + 1);
    EXPECT_GE(boxes[0].xmax, white.x + white.width - 2);
    EXPECT_GE(boxes[0].ymax, white.y + white.height - 2);
    EXPECT_GE(boxes[0].xmin, white.x - 2);
    EXPECT_LE(boxes[0].xmax, white.x + white.width + 1);
    ++checked;
  }
  EXPECT_GT(flips, 5);
  EXPECT_LT(flips, 35);
  EXPECT_GT(checked, 20);
}

TEST(Loader, BatchesAreNormalisedDeterministicAndSkipBadImages) {
  TempDir tmp;
  Dataset ds;
  ds.classes = {"a", "b"};
  for (int i = 0; i < 7; ++i) {
    Sample s;
    s.id = std::to_string(i);
    s.path = tmp / (s.id + ".jpg");
    s.label = i % 2;
    s.width = 80, s.height = 60;
    s.boxes = {{10, 10, 49, 39, false}};
    write_file_atomic(s.path, test::make_jpeg(80, 60, i));
    ds.samples.push_back(s);
  }
  write_file_atomic(ds.samples[3].path, "broken after parsing");  // goes bad mid-run
  LoaderOptions o;
  o.transform.input.size = 32;
  o.transform.train = true;
  o.batch_size = 3;
  o.shuffle = true;
  o.seed = 5;
  const auto run_epoch = [&](int threads) {
    o.threads = threads;
    Loader loader(ds, {0, 1, 2, 3, 4, 5, 6}, o);
    loader.start_epoch(1);
    std::vector<Batch> out;
    while (auto b = loader.next()) out.push_back(*b);
    EXPECT_EQ(loader.skipped(), 1);
    return out;
  };
  const auto one = run_epoch(1), two = run_epoch(2);
  ASSERT_GE(one.size(), 2u);  // 7 items in batches of 3; a batch holding only the bad image is dropped
  ASSERT_LE(one.size(), 3u);
  ASSERT_EQ(one.size(), two.size());
  size_t total = 0;
  for (size_t k = 0; k < one.size(); ++k) {
    total += one[k].indices.size();
    EXPECT_EQ(one[k].images.sizes(), (std::vector<int64_t>{int64_t(one[k].indices.size()), 3, 32, 32}));
    EXPECT_EQ(one[k].images.dtype(), torch::kFloat32);
    EXPECT_TRUE(torch::equal(one[k].images, two[k].images));  // same batches on 1 and 2 threads
    EXPECT_EQ(one[k].indices, two[k].indices);
    EXPECT_EQ(one[k].boxes, two[k].boxes);
    EXPECT_GE(one[k].images.min().item<float>(), -1.0f);
    EXPECT_LE(one[k].images.max().item<float>(), 1.0f);
    for (size_t i = 0; i < one[k].indices.size(); ++i)
      EXPECT_EQ(one[k].labels[int64_t(i)].item<int64_t>(), ds.samples[one[k].indices[i]].label);
  }
  EXPECT_EQ(total, 6u);

  // eval transform: pixel values are (rgb / 255 - 0.5) / 0.5 of the centre-cropped image
  LoaderOptions e;
  e.transform.input.size = 48;
  Loader eval(ds, {0}, e);
  const Batch b = eval.load({0});
  cv::Mat rgb = read_rgb(ds.samples[0].path);
  const cv::Mat ref = apply_geometry(rgb, plan_transform(80, 60, e.transform, nullptr));
  EXPECT_NEAR(b.images[0][1][10][20].item<float>(), (ref.at<cv::Vec3b>(10, 20)[1] / 255.0 - 0.5) / 0.5, 1e-6);
  EXPECT_EQ(b.boxes[0], transform_boxes(ds.samples[0].boxes, 80, 60, plan_transform(80, 60, e.transform, nullptr)));
}

}  // namespace
}  // namespace entcam
