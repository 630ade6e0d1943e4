#include "data/imagenet.h"

#include <regex>
#include <sstream>

#include "core/error.h"
#include "core/fs.h"
#include "data/manifest.h"

namespace entcam {
namespace fs = std::filesystem;

int ImageNetClasses::index_of(const std::string& wnid) const {
  const auto it = index_by_wnid.find(wnid);
  return it == index_by_wnid.end() ? -1 : it->second;
}

ImageNetClasses load_imagenet_classes(const fs::path& file) {
  if (!fs::is_regular_file(file)) throw file_error(file.string(), "ImageNet class table not found (expected <index> TAB <WNID> TAB <name> lines)");
  std::istringstream in(read_file(file));
  ImageNetClasses t;
  std::string line;
  int line_no = 0;
  static const std::regex row("([0-9]+)\t(n[0-9]{8})\t([^\t]+)");
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::smatch m;
    const std::string where = file.string() + ":" + std::to_string(line_no);
    if (!std::regex_match(line, m, row))
      throw InputError(where + ": expected <index> TAB <WNID like n01443537> TAB <name>, got '" + line + "'");
    if (std::stoul(m[1].str()) != t.wnids.size())
      throw InputError(where + ": index " + m[1].str() + " out of order; expected " + std::to_string(t.wnids.size()));
    if (!t.index_by_wnid.emplace(m[2].str(), int(t.wnids.size())).second)
      throw InputError(where + ": WNID " + m[2].str() + " listed twice; expected each class once");
    t.wnids.push_back(m[2].str());
    t.names.push_back(m[3].str());
  }
  if (t.wnids.empty()) throw file_error(file.string(), "no classes (expected <index> TAB <WNID> TAB <name> lines)");
  return t;
}

fs::path shipped_imagenet_classes() {
  const fs::path dir = shipped_datasets_dir();
  if (dir.empty() || !fs::is_regular_file(dir / "imagenet-1k.tsv"))
    throw InputError("label_space imagenet: the ImageNet class table datasets/imagenet-1k.tsv was not found; "
                     "expected entcam's datasets/ folder beside the working directory or the binary");
  return dir / "imagenet-1k.tsv";
}

}  // namespace entcam
