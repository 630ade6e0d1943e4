#include "metrics/sanity.h"

#include <algorithm>

#include "core/error.h"
#include "core/rng.h"
#include "metrics/localization.h"
#include "metrics/similarity.h"

namespace entcam {
namespace {

// A method's maps [N,h,w] prepared at the input's size W x H and normalised as Quantus does.
std::vector<cv::Mat> prepared(const std::string& id, const torch::Tensor& maps, int64_t W, int64_t H) {
  std::vector<cv::Mat> out;
  const int64_t h = maps.size(1), w = maps.size(2);
  for (int64_t b = 0; b < maps.size(0); ++b) {
    const torch::Tensor one = maps[b].contiguous();
    out.push_back(abs_normalized_by_max(prepare_map(one.data_ptr<float>(), int(h), int(w), int(W), int(H), id)));
  }
  return out;
}

// Maps of every method for all images (in batches), prepared: maps[method][image].
std::map<std::string, std::vector<cv::Mat>> prepared_maps(Classifier& model, const torch::Tensor& input,
                                                          const torch::Tensor& classes, const std::string& layer,
                                                          const std::vector<const CamMethod*>& methods,
                                                          const SanityOptions& opt) {
  const int64_t N = input.size(0), H = input.size(2), W = input.size(3);
  const int64_t bs = std::max<int64_t>(1, opt.images_per_pass);
  std::map<std::string, std::vector<cv::Mat>> out;
  for (int64_t start = 0; start < N; start += bs) {
    const int64_t end = std::min(N, start + bs);
    const torch::Tensor x = input.slice(0, start, end).to(model.device());
    const LayerCapture cap = capture_layer(model, x, layer, classes.slice(0, start, end));
    for (const auto& [id, mm] : run_methods(cap, methods, opt.cam, &model)) {
      std::vector<cv::Mat> batch = prepared(id, mm.maps, W, H);
      out[id].insert(out[id].end(), batch.begin(), batch.end());
    }
  }
  return out;
}

// The original maps: `known` when it holds every method's, else computed.
std::map<std::string, std::vector<cv::Mat>> original_maps(Classifier& model, const torch::Tensor& input,
                                                          const torch::Tensor& classes, const std::string& layer,
                                                          const std::vector<const CamMethod*>& methods,
                                                          const SanityOptions& opt,
                                                          const std::map<std::string, torch::Tensor>& known) {
  const bool all_known = std::all_of(methods.begin(), methods.end(), [&](const CamMethod* m) {
    const auto it = known.find(m->id);
    return it != known.end() && it->second.dim() == 3 && it->second.size(0) == input.size(0);
  });
  if (!all_known) return prepared_maps(model, input, classes, layer, methods, opt);
  std::map<std::string, std::vector<cv::Mat>> out;
  for (const CamMethod* m : methods)
    out[m->id] = prepared(m->id, known.at(m->id).to(torch::kCPU, torch::kFloat), input.size(3), input.size(2));
  return out;
}

}  // namespace

std::vector<std::string> mprt_cascade(const Classifier& model) {
  std::vector<std::string> layers = model.layers();
  std::vector<std::string> out{"classifier"};
  out.insert(out.end(), layers.rbegin(), layers.rend());
  return out;
}

int64_t random_other_class(int64_t cls, int64_t num_classes, uint64_t seed, uint64_t image_key) {
  if (num_classes < 2) throw InputError("random logit: the model needs at least 2 classes, it has " +
                                        std::to_string(num_classes));
  SplitMix64 rng(mix_seed(seed, image_key));
  const int64_t k = int64_t(rng.below(uint64_t(num_classes - 1)));
  return k >= cls ? k + 1 : k;
}

SanityResult sanity_checks(const Classifier& model, const torch::Tensor& input, const torch::Tensor& classes_in,
                           const std::vector<uint64_t>& image_keys, const std::string& layer,
                           const std::vector<const CamMethod*>& methods, const SanityOptions& opt,
                           const std::map<std::string, torch::Tensor>& known_maps) {
  model.check_layer(layer);
  const int64_t N = input.size(0);
  const torch::Tensor classes = classes_in.to(torch::kCPU, torch::kLong).contiguous();
  if (classes.numel() != N || int64_t(image_keys.size()) != N)
    throw InputError("sanity checks: expected one class and one image key per image");
  SanityResult result;
  if (N == 0 || methods.empty()) return result;

  // Everything runs on a copy: the randomisations below never touch `model`.
  std::unique_ptr<Classifier> copy = model.clone();
  const auto original = original_maps(*copy, input, classes, layer, methods, opt, known_maps);

  if (opt.random_logit) {
    const int64_t C = copy->num_classes();
    std::vector<int64_t> other(static_cast<size_t>(N));
    for (int64_t i = 0; i < N; ++i)
      other[size_t(i)] = random_other_class(classes[i].item<int64_t>(), C, opt.seed, image_keys[size_t(i)]);
    result.other_classes = other;
    const auto off = prepared_maps(*copy, input, torch::tensor(other, torch::kLong), layer, methods, opt);
    for (const CamMethod* m : methods)
      for (int64_t i = 0; i < N; ++i)
        result.methods[m->id].random_logit_ssim.push_back(ssim(original.at(m->id)[size_t(i)], off.at(m->id)[size_t(i)]));
  }

  if (opt.mprt) {
    result.layers = mprt_cascade(*copy);
    SplitMix64 seeds(opt.seed);
    for (size_t step = 0; step < result.layers.size(); ++step) {
      const uint64_t layer_seed = seeds.next();
      const bool changed = copy->randomize_layer(result.layers[step], layer_seed) > 0;
      if (!changed && step > 0) {
        for (auto& [id, r] : result.methods) {
          r.spearman.push_back(r.spearman.back());
          r.ssim.push_back(r.ssim.back());
        }
        continue;
      }
      const auto now = changed ? prepared_maps(*copy, input, classes, layer, methods, opt) : original;
      for (const CamMethod* m : methods) {
        std::vector<double> sp, ss;
        for (int64_t i = 0; i < N; ++i) {
          const cv::Mat& a = original.at(m->id)[size_t(i)];
          const cv::Mat& b = now.at(m->id)[size_t(i)];
          sp.push_back(spearman(a, b));
          ss.push_back(ssim(a, b));
        }
        result.methods[m->id].spearman.push_back(std::move(sp));
        result.methods[m->id].ssim.push_back(std::move(ss));
      }
    }
  }
  return result;
}

}  // namespace entcam
