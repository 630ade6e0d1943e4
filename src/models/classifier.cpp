#include "models/classifier.h"

#include <algorithm>

#include "core/error.h"

namespace entcam {

void Classifier::check_layer(const std::string& layer) const {
  const auto names = layers();
  if (std::find(names.begin(), names.end(), layer) != names.end()) return;
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  throw InputError("--layer '" + layer + "' is not a layer of " + description() + " (expected one of: " + list + ")");
}

}  // namespace entcam
