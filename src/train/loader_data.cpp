#include "train/loader_data.h"

namespace entcam {

TrainData loader_data(const Dataset& dataset, std::vector<size_t> train_indices, std::vector<size_t> test_indices,
                      LoaderOptions train_options, LoaderOptions test_options) {
  TrainData d;
  d.num_classes = static_cast<int64_t>(dataset.classes.size());
  d.class_names = dataset.classes;
  d.train_size = static_cast<int64_t>(train_indices.size());
  d.test_size = static_cast<int64_t>(test_indices.size());
  const Dataset* ds = &dataset;
  d.train_epoch = [ds, train_indices, train_options](uint64_t seed, int64_t epoch, int64_t batch_size,
                                                     const TrainBatchSink& sink) {
    LoaderOptions o = train_options;
    o.seed = seed;
    o.batch_size = static_cast<int>(batch_size);
    Loader loader(*ds, train_indices, o);
    loader.start_epoch(static_cast<int>(epoch));
    while (auto b = loader.next()) sink(TrainBatch{b->images, b->labels});
  };
  d.test_set = [ds, test_indices, test_options](int64_t batch_size, const TrainBatchSink& sink) {
    LoaderOptions o = test_options;
    o.shuffle = false;
    o.transform.train = false;
    o.batch_size = static_cast<int>(batch_size);
    Loader loader(*ds, test_indices, o);
    loader.start_epoch(0);
    while (auto b = loader.next()) sink(TrainBatch{b->images, b->labels});
  };
  return d;
}

}  // namespace entcam
