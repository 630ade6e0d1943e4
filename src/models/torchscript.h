#pragma once
// `torchscript:FILE.pt` (docs/spec.md §1): any network exported with two methods, features(x) ->
// [B,K,h,w] and head(a) -> [B,C]; its one target layer is the output of `features`.
#include <memory>
#include <string>

#include "models/registry.h"

namespace entcam {

std::unique_ptr<Classifier> load_torchscript(const ModelEntry& entry, const std::string& path,
                                             const std::string& description);

}  // namespace entcam
