#include "train/trainer.h"

#include "models/device.h"

#include <torch/version.h>

#include <ATen/autocast_mode.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>

#include "core/error.h"
#include "core/fs.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/safetensors.h"
#include "models/threads.h"
#include "models/weights.h"
#include "train/checkpoint.h"

namespace entcam {
namespace {

constexpr double kPi = 3.14159265358979323846;

bool matches_prefix(const std::vector<std::string>& prefixes, const std::string& name) {
  for (const auto& p : prefixes)
    if (name.rfind(p, 0) == 0) return true;
  return false;
}

// Mixed precision on CUDA only. The autocast API changed in LibTorch 2.4; both compile.
class AutocastScope {
 public:
  AutocastScope(bool on, at::ScalarType dtype) : on_(on) {
    if (!on_) return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    prev_ = at::autocast::is_autocast_enabled(at::kCUDA);
    at::autocast::set_autocast_enabled(at::kCUDA, true);
    at::autocast::set_autocast_dtype(at::kCUDA, dtype);
#else
    prev_ = at::autocast::is_enabled();
    at::autocast::set_enabled(true);
    at::autocast::set_autocast_gpu_dtype(dtype);
#endif
    at::autocast::increment_nesting();
  }
  ~AutocastScope() {
    if (!on_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_enabled(at::kCUDA, prev_);
#else
    at::autocast::set_enabled(prev_);
#endif
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool on_;
  bool prev_ = false;
};

nlohmann::json to_json(const EpochRecord& r) {
  return {{"epoch", r.epoch},           {"train_loss", r.train_loss}, {"train_accuracy", r.train_accuracy},
          {"test_loss", r.test_loss},   {"test_accuracy", r.test_accuracy}, {"lr", r.lr},
          {"seconds", r.seconds},       {"images_per_second", r.images_per_second}};
}

EpochRecord record_from_json(const nlohmann::json& j) {
  EpochRecord r;
  r.epoch = j.at("epoch").get<int64_t>();
  r.train_loss = j.at("train_loss").get<double>();
  r.train_accuracy = j.at("train_accuracy").get<double>();
  r.test_loss = j.at("test_loss").get<double>();
  r.test_accuracy = j.at("test_accuracy").get<double>();
  r.lr = j.at("lr").get<double>();
  r.seconds = j.at("seconds").get<double>();
  r.images_per_second = j.value("images_per_second", 0.0);
  return r;
}

void write_log(const std::filesystem::path& path, const std::string& config_hash, const std::vector<EpochRecord>& history) {
  nlohmann::json j = {{"config_hash", config_hash}, {"epochs", nlohmann::json::array()}};
  for (const auto& r : history) j["epochs"].push_back(to_json(r));
  write_file_atomic(path, j.dump(2) + "\n");
}

std::vector<EpochRecord> read_log(const std::filesystem::path& path, int64_t upto) {
  std::vector<EpochRecord> out;
  if (!std::filesystem::exists(path)) return out;
  try {
    auto j = nlohmann::json::parse(read_file(path));
    for (const auto& e : j.at("epochs")) {
      EpochRecord r = record_from_json(e);
      if (r.epoch <= upto) out.push_back(r);
    }
  } catch (const nlohmann::json::exception& e) {
    throw file_error(path.string(), std::string("training log is not valid: ") + e.what());
  }
  return out;
}

void zero_grads(torch::nn::Module& m) {
  // Undefined (not zero) gradients: frozen parameters then get no SGD momentum or weight-decay
  // update at all, and nothing is spent zeroing.
  for (auto& p : m.parameters()) p.mutable_grad() = torch::Tensor();
}

}  // namespace

TrainData in_memory_data(torch::Tensor train_images, torch::Tensor train_labels, torch::Tensor test_images,
                         torch::Tensor test_labels, int64_t num_classes, bool hflip) {
  TrainData d;
  d.num_classes = num_classes;
  d.train_size = train_images.size(0);
  d.test_size = test_images.size(0);
  d.train_epoch = [=](uint64_t seed, int64_t epoch, int64_t batch_size, const TrainBatchSink& sink) {
    const int64_t n = train_images.size(0);
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    SplitMix64 rng(stream_seed(seed ^ 0xDA7A, uint64_t(epoch)));
    seeded_shuffle(order, rng);
    for (int64_t b = 0; b < n; b += batch_size) {
      const int64_t e = std::min(n, b + batch_size);
      auto idx = torch::from_blob(order.data() + b, {e - b}, torch::kInt64).clone();
      TrainBatch batch{train_images.index_select(0, idx), train_labels.index_select(0, idx)};
      if (hflip) {
        std::vector<int64_t> flip;
        for (int64_t i = 0; i < e - b; ++i)
          if (rng.next() & 1) flip.push_back(i);
        if (!flip.empty()) {
          auto fi = torch::tensor(flip, torch::kInt64);
          batch.images.index_copy_(0, fi, batch.images.index_select(0, fi).flip({3}));
        }
      }
      sink(batch);
    }
  };
  d.test_set = [=](int64_t batch_size, const TrainBatchSink& sink) {
    const int64_t n = test_images.size(0);
    for (int64_t b = 0; b < n; b += batch_size) {
      const int64_t e = std::min(n, b + batch_size);
      sink(TrainBatch{test_images.slice(0, b, e), test_labels.slice(0, b, e)});
    }
  };
  return d;
}

double learning_rate(const TrainConfig& c, int64_t step, int64_t steps_per_epoch) {
  const double total = static_cast<double>(c.epochs * steps_per_epoch);
  const double warm = c.warmup_epochs * static_cast<double>(steps_per_epoch);
  const double s = static_cast<double>(step);
  if (s < warm) return c.lr * (s + 1) / warm;  // never exactly 0: the first step already moves
  if (c.schedule == "constant") return c.lr;
  if (c.schedule == "step") {
    const int64_t epoch = step / std::max<int64_t>(1, steps_per_epoch);
    return c.lr * std::pow(c.step_gamma, static_cast<double>(epoch / std::max<int64_t>(1, c.step_epochs)));
  }
  // cosine from the end of warm-up to the end of the run
  const double span = std::max(1.0, total - warm);
  const double t = std::min(1.0, (s - warm) / span);
  return c.min_lr + 0.5 * (c.lr - c.min_lr) * (1 + std::cos(kPi * t));
}

EvalResult evaluate(Classifier& model, const TrainData& data, int64_t batch_size, const torch::Device& device) {
  EvalResult r;
  const int64_t k = data.num_classes;
  r.confusion.assign(static_cast<size_t>(k), std::vector<int64_t>(static_cast<size_t>(k), 0));
  torch::NoGradGuard no_grad;
  if (torch::nn::Module* net = model.module()) net->eval();
  double loss_sum = 0;
  data.test_set(batch_size, [&](const TrainBatch& b) {
    auto x = b.images.to(device, torch::kFloat32);
    auto y = b.labels.to(device, torch::kInt64);
    auto logits = model.forward(x).to(torch::kFloat32);
    loss_sum += torch::nn::functional::cross_entropy(logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum)).item<double>();
    auto pred = logits.argmax(1).to(torch::kCPU);
    auto truth = b.labels.to(torch::kCPU, torch::kInt64).contiguous();
    auto p = pred.accessor<int64_t, 1>();
    auto t = truth.accessor<int64_t, 1>();
    for (int64_t i = 0; i < p.size(0); ++i) {
      if (t[i] < 0 || t[i] >= k) throw InputError("test label " + std::to_string(t[i]) + " outside 0.." + std::to_string(k - 1));
      r.confusion[static_cast<size_t>(t[i])][static_cast<size_t>(p[i])]++;
    }
    r.count += p.size(0);
  });
  int64_t correct = 0;
  for (int64_t c = 0; c < k; ++c) {
    const auto& row = r.confusion[static_cast<size_t>(c)];
    const int64_t n = std::accumulate(row.begin(), row.end(), int64_t{0});
    correct += row[static_cast<size_t>(c)];
    r.per_class_accuracy.push_back(n ? static_cast<double>(row[static_cast<size_t>(c)]) / static_cast<double>(n) : NAN);
  }
  r.accuracy = r.count ? static_cast<double>(correct) / static_cast<double>(r.count) : 0.0;
  r.loss = r.count ? loss_sum / static_cast<double>(r.count) : 0.0;
  return r;
}

TrainResult train(const TrainConfig& config_in, const TrainData& data) {
  config_in.validate();
  if (data.num_classes < 2 || !data.train_epoch || !data.test_set || data.train_size <= 0)
    throw InputError("training data: need at least 2 classes, a non-empty training set and a test set");
  TrainConfig cfg = config_in;
  cfg.model.num_classes = data.num_classes;
  set_torch_threads(cfg.threads);
  const torch::Device device = parse_device(cfg.device, "device");
  const bool cuda = device.is_cuda();
  if (!cuda && (cfg.precision != "fp32" || cfg.cudnn_benchmark))
    std::cerr << "note: precision/cudnn_benchmark apply on CUDA only; training on CPU in fp32\n";
  // On the CPU, channels-last is always faster (bench_train: x1.29 for the quickstart's
  // xception-mini, x1.44 for Xception 299): oneDNN's convolutions, depthwise ones above all,
  // then run without reordering. Same arithmetic up to float rounding. On CUDA it is a choice.
  const bool channels_last = cuda ? cfg.channels_last : true;
  const bool amp = cuda && cfg.precision != "fp32";
  const at::ScalarType amp_dtype = cfg.precision == "fp16" ? at::kHalf : at::kBFloat16;
  const bool fp16 = cuda && cfg.precision == "fp16";
  if (cuda && cfg.cudnn_benchmark) at::globalContext().setBenchmarkCuDNN(true);
  const std::string hash = cfg.config_hash();

  // Initial weights: a pure function of the seed, then optionally pretrained ones on top.
  torch::manual_seed(cfg.seed);
  std::shared_ptr<Classifier> model = create_model(cfg.model, "model");
  if (!model->module()) throw InputError("model: architecture '" + cfg.model.arch + "' cannot be trained");
  torch::nn::Module& net = *model->module();
  if (!cfg.init_weights.empty()) {
    SafeTensorsFile file = SafeTensorsFile::load(cfg.init_weights);
    LoadReport rep = load_state(net, file, {"fc."});
    for (const auto& s : rep.skipped)
      std::cerr << "note: " << cfg.init_weights.string() << ": " << s << " re-initialised for "
                << data.num_classes << " classes\n";
  }
  model->to(device);
  if (channels_last) make_weights_channels_last(net);

  // Weight decay on conv/linear weights only; BatchNorm scales and biases are left alone.
  std::vector<torch::Tensor> decay, no_decay;
  for (auto& p : net.named_parameters()) (p.value().dim() > 1 ? decay : no_decay).push_back(p.value());
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  if (cfg.optimizer == "sgd") {
    auto o = torch::optim::SGDOptions(cfg.lr).momentum(cfg.momentum).nesterov(cfg.nesterov);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(decay, std::make_unique<torch::optim::SGDOptions>(torch::optim::SGDOptions(o).weight_decay(cfg.weight_decay)));
    groups.emplace_back(no_decay, std::make_unique<torch::optim::SGDOptions>(torch::optim::SGDOptions(o).weight_decay(0)));
    optimizer = std::make_unique<torch::optim::SGD>(std::move(groups), o);
  } else {
    auto o = torch::optim::AdamWOptions(cfg.lr).betas({cfg.beta1, cfg.beta2}).eps(cfg.eps);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(o).weight_decay(cfg.weight_decay)));
    groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(o).weight_decay(0)));
    optimizer = std::make_unique<torch::optim::AdamW>(std::move(groups), o);
  }

  TrainResult result;
  TrainState st;
  st.seed = cfg.seed;
  st.config_hash = hash;
  st.optimizer = cfg.optimizer;
  st.loss_scale = fp16 ? 65536.0 : 0.0;
  const bool write = !cfg.out_dir.empty();
  if (write) {
    result.last_checkpoint = cfg.out_dir / "last.safetensors";
    result.best_checkpoint = cfg.out_dir / "best.safetensors";
    result.log_file = cfg.out_dir / "train_log.json";
  }
  if (write && cfg.resume && std::filesystem::exists(result.last_checkpoint)) {
    const std::string name = result.last_checkpoint.string();
    auto meta = load_checkpoint_weights(net, result.last_checkpoint);
    st = load_train_state(*optimizer, cfg.optimizer, train_state_path(result.last_checkpoint));
    if (st.config_hash != hash)
      throw file_error(name, "was written by a run with a different configuration (config hash " + st.config_hash +
                                 ", this run " + hash + "); start a new run or restore the configuration");
    auto ep = meta.find("entcam.epoch");
    if (ep == meta.end() || ep->second != std::to_string(st.epoch))
      throw file_error(name, "weights and training state (" + train_state_path(result.last_checkpoint).string() +
                                 ") are from different epochs; the pair is inconsistent");
    result.history = read_log(result.log_file, st.epoch);
    std::cerr << "resuming " << name << " after epoch " << st.epoch << " of " << cfg.epochs << "\n";
  } else if (cfg.resume) {
    std::cerr << "note: nothing to resume in " << cfg.out_dir.string() << "; starting from epoch 1\n";
  }

  const int64_t steps_per_epoch = (data.train_size + cfg.batch_size - 1) / cfg.batch_size;
  auto frozen_modules = [&] {
    std::vector<std::shared_ptr<torch::nn::Module>> out;
    for (auto& m : net.named_modules("", false))
      if (matches_prefix(cfg.freeze_prefixes, m.key() + ".")) out.push_back(m.value());
    return out;
  }();

  int64_t run_this_call = 0;
  for (int64_t epoch = st.epoch + 1; epoch <= cfg.epochs; ++epoch) {
    if (cfg.max_epochs_this_call > 0 && run_this_call >= cfg.max_epochs_this_call) break;
    const auto t0 = std::chrono::steady_clock::now();
    // Every source of randomness is re-seeded from (seed, epoch): resume needs no RNG file.
    torch::manual_seed(stream_seed(cfg.seed, uint64_t(epoch)));
    const bool freezing = epoch <= cfg.freeze_epochs && !cfg.freeze_prefixes.empty();
    for (auto& p : net.named_parameters())
      p.value().set_requires_grad(!(freezing && matches_prefix(cfg.freeze_prefixes, p.key())));
    net.train();
    if (freezing)
      for (auto& m : frozen_modules) m->eval();  // frozen BatchNorm keeps its running statistics

    std::optional<Progress> bar;
    if (cfg.progress) bar.emplace("epoch " + std::to_string(epoch) + "/" + std::to_string(cfg.epochs), steps_per_epoch, "step");
    double loss_sum = 0, lr = 0;
    int64_t correct = 0, seen = 0;
    data.train_epoch(cfg.seed, epoch, cfg.batch_size, [&](const TrainBatch& b) {
      lr = learning_rate(cfg, st.global_step, steps_per_epoch);
      for (auto& g : optimizer->param_groups()) g.options().set_lr(lr);
      auto x = b.images.to(device, torch::kFloat32, /*non_blocking=*/true);
      if (channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
      auto y = b.labels.to(device, torch::kInt64, true);
      zero_grads(net);
      torch::Tensor logits;
      {
        AutocastScope autocast(amp, amp_dtype);
        logits = model->forward(x);
      }
      logits = logits.to(torch::kFloat32);
      auto loss = torch::nn::functional::cross_entropy(
          logits, y, torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(cfg.label_smoothing));
      if (fp16) {
        // Dynamic loss scaling: scale up so small fp16 gradients survive, unscale before the
        // step, skip the step and halve the scale on overflow, double it after 2000 good steps.
        (loss * st.loss_scale).backward();
        std::vector<torch::Tensor> grads;
        for (auto& p : net.parameters())
          if (p.grad().defined()) grads.push_back(p.mutable_grad());
        // One fused unscale + overflow check (CUDA kernel) and a single host sync per step.
        auto found_inf = torch::zeros({1}, torch::TensorOptions().device(device).dtype(torch::kFloat32));
        auto inv_scale = torch::full({1}, 1.0 / st.loss_scale, torch::TensorOptions().device(device).dtype(torch::kFloat32));
        at::_amp_foreach_non_finite_check_and_unscale_(grads, found_inf, inv_scale);
        if (found_inf.item<float>() == 0.0f) {
          optimizer->step();
          if (++st.good_steps >= 2000) st.loss_scale *= 2, st.good_steps = 0;
        } else {
          st.loss_scale /= 2, st.good_steps = 0;
        }
      } else {
        loss.backward();
        optimizer->step();
      }
      ++st.global_step;
      const int64_t n = y.size(0);
      loss_sum += loss.item<double>() * static_cast<double>(n);
      correct += logits.argmax(1).eq(y).sum().item<int64_t>();
      seen += n;
      if (!bar) return;
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      char note[128];
      std::snprintf(note, sizeof note, "loss %.4f acc %.3f %.0f img/s", loss_sum / static_cast<double>(seen),
                    static_cast<double>(correct) / static_cast<double>(seen), static_cast<double>(seen) / std::max(secs, 1e-9));
      if (bar) bar->set_note(note), bar->advance();
    });
    if (bar) bar->finish();
    const double train_secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    result.last_eval = evaluate(*model, data, cfg.batch_size, device);

    EpochRecord rec;
    rec.epoch = epoch;
    rec.train_loss = seen ? loss_sum / static_cast<double>(seen) : 0.0;
    rec.train_accuracy = seen ? static_cast<double>(correct) / static_cast<double>(seen) : 0.0;
    rec.test_loss = result.last_eval.loss;
    rec.test_accuracy = result.last_eval.accuracy;
    rec.lr = lr;
    rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rec.images_per_second = static_cast<double>(seen) / std::max(train_secs, 1e-9);
    result.history.push_back(rec);
    st.epoch = epoch;
    const bool best = rec.test_accuracy > st.best_accuracy;
    if (best) st.best_accuracy = rec.test_accuracy, st.best_epoch = epoch;
    if (cfg.progress)
      std::cerr << "epoch " << epoch << "/" << cfg.epochs << ": train loss " << rec.train_loss << " acc "
                << rec.train_accuracy << ", test loss " << rec.test_loss << " acc " << rec.test_accuracy << ", lr "
                << rec.lr << ", " << format_seconds(rec.seconds) << (best ? " (best)" : "") << "\n";

    if (write) {
      auto meta = model->metadata();
      meta["entcam.epoch"] = std::to_string(epoch);
      meta["entcam.seed"] = std::to_string(cfg.seed);
      meta["entcam.config_hash"] = hash;
      meta["entcam.metrics"] = to_json(rec).dump();
      if (!data.class_names.empty()) meta["entcam.class_names"] = nlohmann::json(data.class_names).dump();
      // Order matters for a crash in between: the state file first, then the weights; resume
      // refuses a pair whose epochs differ.
      save_train_state(*optimizer, st, train_state_path(result.last_checkpoint));
      save_state(net, result.last_checkpoint, meta);
      if (best) save_state(net, result.best_checkpoint, meta);
      write_log(result.log_file, hash, result.history);
    }
    ++run_this_call;
  }
  result.model = model;
  result.epochs_done = st.epoch;
  result.finished = st.epoch >= cfg.epochs;
  result.best_accuracy = st.best_accuracy < 0 ? 0.0 : st.best_accuracy;
  result.best_epoch = st.best_epoch;
  if (result.history.empty() || run_this_call == 0) {
    // Nothing trained in this call (already finished): report the loaded weights.
    if (st.epoch > 0) result.last_eval = evaluate(*model, data, cfg.batch_size, device);
  }
  return result;
}

}  // namespace entcam
