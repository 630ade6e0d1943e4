#pragma once
// STAND-IN, for the training tests and benchmarks only: a small in-memory "fashion scenes"
// generator (1-4 Fashion-MNIST items of one class on a canvas), reading Debian's gzipped IDX
// files with zlib. The real data set, manifests and loader live in src/data (another
// branch); this exists so src/train can be tested and tuned without it. Header-only so that
// bench/ can include it too.
#include <torch/torch.h>
#include <zlib.h>

#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace entcam::standin {

inline const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

struct Idx {
  std::vector<uint8_t> images;  // n x 28 x 28
  std::vector<uint8_t> labels;  // n
  int64_t n = 0;
};

inline std::vector<uint8_t> gunzip_prefix(const std::string& path, size_t max_bytes) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error(path + ": cannot open");
  std::vector<uint8_t> out(max_bytes);
  size_t got = 0;
  while (got < max_bytes) {
    const int r = gzread(f, out.data() + got, static_cast<unsigned>(std::min<size_t>(max_bytes - got, 1 << 20)));
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  gzclose(f);
  out.resize(got);
  return out;
}

// The first `limit` items of the train (or t10k) split.
inline Idx read_fashion_mnist(bool train, int64_t limit) {
  const std::string stem = std::string(kFashionMnistDir) + "/" + (train ? "train" : "t10k");
  Idx d;
  auto img = gunzip_prefix(stem + "-images-idx3-ubyte.gz", 16 + static_cast<size_t>(limit) * 784);
  auto lab = gunzip_prefix(stem + "-labels-idx1-ubyte.gz", 8 + static_cast<size_t>(limit));
  if (img.size() < 16 || lab.size() < 8) throw std::runtime_error(stem + ": truncated IDX file");
  d.n = std::min<int64_t>(static_cast<int64_t>((img.size() - 16) / 784), static_cast<int64_t>(lab.size() - 8));
  d.images.assign(img.begin() + 16, img.begin() + 16 + d.n * 784);
  d.labels.assign(lab.begin() + 8, lab.begin() + 8 + d.n);
  return d;
}

struct Scenes {
  torch::Tensor images;  // [N,3,S,S], normalised with mean = std = 0.5
  torch::Tensor labels;  // [N] int64
};

// `count` scenes of `size` px: each picks a class, then 1..max_items items of that class
// (scaled 0.8-1.4x, tinted) at random places, max-blended over a dark noisy background.
// Items are drawn from `pool` so train and test scenes never share an item.
inline Scenes make_scenes(const Idx& pool, int64_t count, int64_t size, uint64_t seed, int64_t max_items = 4,
                          int64_t num_classes = 10) {
  std::vector<std::vector<int64_t>> by_class(static_cast<size_t>(num_classes));
  for (int64_t i = 0; i < pool.n; ++i)
    if (pool.labels[static_cast<size_t>(i)] < num_classes) by_class[pool.labels[static_cast<size_t>(i)]].push_back(i);
  Scenes s;
  s.images = torch::zeros({count, 3, size, size});
  s.labels = torch::zeros({count}, torch::kInt64);
  auto out = s.images.accessor<float, 4>();
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  for (int64_t n = 0; n < count; ++n) {
    const int64_t c = static_cast<int64_t>(rng() % static_cast<uint64_t>(num_classes));
    s.labels[n] = c;
    for (int64_t ch = 0; ch < 3; ++ch)
      for (int64_t y = 0; y < size; ++y)
        for (int64_t x = 0; x < size; ++x) out[n][ch][y][x] = 0.08f * u(rng);
    const int64_t items = 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(max_items));
    for (int64_t k = 0; k < items; ++k) {
      const auto& list = by_class[static_cast<size_t>(c)];
      const int64_t idx = list[rng() % list.size()];
      const int64_t side = std::min<int64_t>(size, static_cast<int64_t>(28 * (0.8f + 0.6f * u(rng))));
      const int64_t ox = static_cast<int64_t>(rng() % static_cast<uint64_t>(size - side + 1));
      const int64_t oy = static_cast<int64_t>(rng() % static_cast<uint64_t>(size - side + 1));
      const float tint[3] = {0.5f + 0.5f * u(rng), 0.5f + 0.5f * u(rng), 0.5f + 0.5f * u(rng)};
      const uint8_t* src = pool.images.data() + idx * 784;
      for (int64_t y = 0; y < side; ++y)
        for (int64_t x = 0; x < side; ++x) {
          // nearest-neighbour scaling: cheap and enough for a stand-in
          const float v = src[(y * 28 / side) * 28 + (x * 28 / side)] / 255.f;
          for (int64_t ch = 0; ch < 3; ++ch) {
            float& o = out[n][ch][oy + y][ox + x];
            o = std::max(o, v * tint[ch]);
          }
        }
    }
  }
  s.images.sub_(0.5).div_(0.5);
  return s;
}

}  // namespace entcam::standin
