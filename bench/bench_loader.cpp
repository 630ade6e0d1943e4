// Loader throughput: decode + training augmentation (RandomResizedCrop 299, flip,
// normalise) of 299x299 JPEGs on 1 and 2 TBB threads. Prints images/s and the ratio;
// never asserts on time.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <unistd.h>

#include "data/loader.h"
#include "data/split.h"

using namespace entcam;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
  const int n_images = argc > 1 ? std::atoi(argv[1]) : 128;
  const int epochs = argc > 2 ? std::atoi(argv[2]) : 3;
  // OpenCV's own worker threads would blur the 1-vs-2 comparison: the loader's TBB threads
  // are the parallelism measured here.
  cv::setNumThreads(1);
  const fs::path dir = fs::temp_directory_path() / ("entcam-bench-loader-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  Dataset ds;
  ds.classes = {"a"};
  SplitMix64 rng(1);
  for (int i = 0; i < n_images; ++i) {
    // textured content so the JPEG is photo-sized (~30-60 KB), not a flat colour
    cv::Mat img(299, 299, CV_8UC3);
    for (int y = 0; y < 299; ++y)
      for (int x = 0; x < 299; ++x)
        img.at<cv::Vec3b>(y, x) = cv::Vec3b(uint8_t((x * y + i) % 256), uint8_t(rng.below(256)), uint8_t((x + 3 * y) % 256));
    Sample s;
    s.id = std::to_string(i);
    s.path = dir / (s.id + ".jpg");
    s.label = 0;
    s.width = s.height = 299;
    s.boxes = {{50, 60, 200, 250, false}};
    cv::imwrite(s.path.string(), img, {cv::IMWRITE_JPEG_QUALITY, 90});
    ds.samples.push_back(s);
  }
  std::vector<size_t> all(ds.samples.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  double rate[3] = {0, 0, 0};
  for (int threads : {1, 2}) {
    LoaderOptions o;
    o.transform.input.size = 299;
    o.transform.train = true;
    o.batch_size = 32;
    o.shuffle = true;
    o.threads = threads;
    o.prefetch = false;  // measure the decoding threads alone
    Loader loader(ds, all, o);
    loader.start_epoch(0);
    while (loader.next()) {  // warm-up: page cache, allocator
    }
    const auto t0 = std::chrono::steady_clock::now();
    int64_t images = 0;
    for (int e = 1; e <= epochs; ++e) {
      loader.start_epoch(e);
      while (auto b = loader.next()) images += int64_t(b->indices.size());
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rate[threads] = double(images) / s;
    std::printf("loader threads=%d: %lld images in %.2f s = %.1f images/s (299x299 JPEG decode + augment)\n", threads,
                static_cast<long long>(images), s, rate[threads]);
  }
  std::printf("speed-up 2 threads vs 1: %.2fx\n", rate[2] / rate[1]);
  fs::remove_all(dir);
  return 0;
}
