#pragma once
// NumPy .npy files (format 1.0/2.0/3.0), float32 little-endian C order (docs/spec.md §1).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace entcam {

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;  // C order
  int64_t numel() const;
};

// Parses .npy bytes. `name` is used in error messages. Accepts '<f4' and, converted to
// float32, '<f8'; anything else (big-endian, Fortran order, other dtypes, truncated
// data, a malformed header) throws InputError naming `name` and the problem.
NpyArray parse_npy(const std::string& bytes, const std::string& name);
NpyArray read_npy(const std::filesystem::path& path);

// Serialises as format 1.0 ('<f4', C order); `data.size()` must equal the shape's product.
std::string encode_npy(const std::vector<int64_t>& shape, const float* data);
void write_npy(const std::filesystem::path& path, const std::vector<int64_t>& shape, const float* data);

}  // namespace entcam
