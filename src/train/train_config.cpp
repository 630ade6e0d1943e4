#include "train/train_config.h"

#include <sstream>

#include "core/error.h"
#include "core/fs.h"

namespace entcam {

void TrainConfig::validate() const {
  auto bad = [](const std::string& key, const std::string& what) { return InputError("train." + key + ": " + what); };
  if (optimizer != "sgd" && optimizer != "adamw") throw bad("optimizer", "'" + optimizer + "' is not sgd or adamw");
  if (schedule != "cosine" && schedule != "step" && schedule != "constant")
    throw bad("schedule", "'" + schedule + "' is not cosine, step or constant");
  if (precision != "fp32" && precision != "bf16" && precision != "fp16")
    throw bad("precision", "'" + precision + "' is not fp32, bf16 or fp16");
  if (!(lr > 0)) throw bad("lr", "must be > 0");
  if (momentum < 0 || momentum >= 1) throw bad("momentum", "must be in [0, 1)");
  if (nesterov && optimizer == "sgd" && momentum <= 0) throw bad("nesterov", "needs momentum > 0");
  if (weight_decay < 0) throw bad("weight_decay", "must be >= 0");
  if (warmup_epochs < 0) throw bad("warmup_epochs", "must be >= 0");
  if (step_epochs < 1) throw bad("step_epochs", "must be >= 1");
  if (label_smoothing < 0 || label_smoothing >= 1) throw bad("label_smoothing", "must be in [0, 1)");
  if (epochs < 1) throw bad("epochs", "must be >= 1");
  if (batch_size < 1) throw bad("batch_size", "must be >= 1");
  if (freeze_epochs < 0) throw bad("freeze_epochs", "must be >= 0");
  if (threads < 0) throw bad("threads", "must be >= 0");
  if (max_epochs_this_call < 0) throw bad("max_epochs_this_call", "must be >= 0");
}

std::string TrainConfig::config_hash() const {
  std::ostringstream s;
  s.precision(17);
  s << "arch=" << model.arch << ";classes=" << model.num_classes << ';';
  for (const auto& kv : model.options) s << kv.first << '=' << kv.second << ';';
  s << "init=" << init_weights.string() << ";opt=" << optimizer << ";lr=" << lr << ";mom=" << momentum
    << ";nest=" << nesterov << ";betas=" << beta1 << ',' << beta2 << ";eps=" << eps << ";wd=" << weight_decay
    << ";sched=" << schedule << ";warm=" << warmup_epochs << ";min_lr=" << min_lr << ";step=" << step_epochs << ','
    << step_gamma << ";ls=" << label_smoothing << ";epochs=" << epochs << ";bs=" << batch_size << ";freeze=";
  for (const auto& p : freeze_prefixes) s << p << ',';
  s << ";freeze_epochs=" << freeze_epochs << ";seed=" << seed;
  return sha256_hex(s.str()).substr(0, 16);
}

}  // namespace entcam
