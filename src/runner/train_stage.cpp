#include <chrono>

#include "core/error.h"
#include "core/fs.h"
#include "core/safetensors.h"
#include "data/loader.h"
#include "models/model_spec.h"
#include "models/weights.h"
#include "runner/stages.h"

namespace entcam {
namespace fs = std::filesystem;

namespace {

// Top-1 accuracy on the test split, with per-class accuracy and the confusion matrix.
nlohmann::json evaluate_accuracy(Classifier& model, const DatasetRun& run, const ExperimentSettings& s) {
  LoaderOptions lo;
  lo.transform.size = int(s.model.input_size);
  lo.transform.crop_pct = run.crop_pct;
  lo.batch_size = 64;
  Loader loader(run.prepared.dataset, run.test, lo);
  const size_t C = run.prepared.dataset.classes.size();
  std::vector<std::vector<int64_t>> confusion(C, std::vector<int64_t>(C, 0));
  torch::NoGradGuard g;
  int64_t correct = 0, total = 0;
  loader.start_epoch(0);
  while (auto batch = loader.next()) {
    auto pred = model.forward(batch->images.to(model.device())).argmax(1).cpu();
    for (int64_t i = 0; i < pred.size(0); ++i) {
      const int64_t t = batch->labels[i].item<int64_t>(), p = pred[i].item<int64_t>();
      ++confusion[size_t(t)][size_t(p)];
      correct += t == p;
      ++total;
    }
  }
  std::vector<double> per_class(C, 0.0);
  for (size_t c = 0; c < C; ++c) {
    int64_t n = 0;
    for (int64_t v : confusion[c]) n += v;
    per_class[c] = n ? double(confusion[c][c]) / double(n) : 0.0;
  }
  return {{"test_accuracy", total ? double(correct) / double(total) : 0.0}, {"n_test", total},
          {"per_class_accuracy", per_class}, {"confusion_matrix", confusion}};
}

}  // namespace

nlohmann::json train_stage(const ExperimentSettings& s, const DatasetRun& run, const fs::path& dir, bool resume) {
  const auto start = std::chrono::steady_clock::now();
  XceptionConfig config = s.model;
  config.num_classes = int64_t(run.prepared.dataset.classes.size());
  torch::manual_seed(s.seed);
  Xception model(config);
  nlohmann::json info = {{"pretrained", s.pretrained}};
  if (s.pretrained != "none" && !s.pretrained.empty()) {
    if (!fs::exists(s.pretrained)) throw file_error(s.pretrained, "pretrained weights do not exist");
    auto report = load_state(*model, SafeTensorsFile::load(s.pretrained), {"fc."});
    info["reinitialised"] = report.skipped;
  }
  const int epochs = s.train.value("epochs", 0);
  if (epochs > 0)
    throw InputError("train.epochs = " + std::to_string(epochs) +
                     ": fine-tuning is not available in this build yet; set train.epochs: 0 to explain the initial model");
  model->eval();
  auto classifier = xception_classifier(model, "xception");
  info.update(evaluate_accuracy(*classifier, run, s));
  info["epochs"] = 0;
  info["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  (void)resume;
  auto meta = config.to_metadata();
  meta["entcam.seed"] = std::to_string(s.seed);
  save_state(*model, dir / "model.safetensors", meta);
  write_file_atomic(dir / "training.json", info.dump(2) + "\n");
  return info;
}

}  // namespace entcam
