#pragma once
// The ImageNet-1k class table (datasets/imagenet-1k.tsv): the 1000 WNIDs in the index order
// of torchvision's and timm's pretrained classifiers, with their names.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace entcam {

struct ImageNetClasses {
  std::vector<std::string> wnids;  // index = output index of a 1000-way ImageNet classifier
  std::vector<std::string> names;
  std::map<std::string, int> index_by_wnid;

  // -1 when the WNID is not one of the table's classes.
  int index_of(const std::string& wnid) const;
};

// Reads "<index>\t<wnid>\t<name>" lines ('#' lines are comments). A malformed line, an index
// out of order or a repeated WNID throws InputError naming the file and line.
ImageNetClasses load_imagenet_classes(const std::filesystem::path& file);

// The shipped table: <datasets dir>/imagenet-1k.tsv (throws InputError when it is missing).
std::filesystem::path shipped_imagenet_classes();

}  // namespace entcam
