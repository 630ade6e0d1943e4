#pragma once
// Plugs the data layer's TBB Loader (src/data/loader.h) into the trainer's TrainData.
#include <cstddef>
#include <vector>

#include "data/dataset.h"
#include "data/loader.h"
#include "train/trainer.h"

namespace entcam {

// `train_options` should have transform.train = true and shuffle = true; `test_options` the
// eval transform. Each epoch builds a Loader seeded with the trainer's seed, so the batches are
// a pure function of (seed, epoch) as TrainData requires (the Loader's randomness is per
// (seed, epoch, sample), independent of its thread count). Batch sizes come from the trainer.
// `dataset` must outlive the returned TrainData.
TrainData loader_data(const Dataset& dataset, std::vector<size_t> train_indices, std::vector<size_t> test_indices,
                      LoaderOptions train_options, LoaderOptions test_options);

}  // namespace entcam
