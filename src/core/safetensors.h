#pragma once
// safetensors read/write (https://github.com/huggingface/safetensors format):
// 8-byte little-endian header length, a JSON header, then one contiguous byte buffer.
// Reading converts F32, F16, BF16, F64 (and I64/I32 for counters) to float32.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace entcam {

struct SafeTensorInfo {
  std::string dtype;  // "F32", "F16", "BF16", "F64", "I64", "I32"
  std::vector<int64_t> shape;
  size_t begin = 0, end = 0;  // offsets into the data buffer
  int64_t numel() const;
};

class SafeTensorsFile {
 public:
  // Validates everything a reader relies on: header length and JSON, known dtypes,
  // shape x item size == byte span, offsets within the buffer, no overlap, no holes.
  // Errors throw InputError naming `name`.
  static SafeTensorsFile parse(std::string bytes, const std::string& name);
  static SafeTensorsFile load(const std::filesystem::path& path);

  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::map<std::string, SafeTensorInfo>& tensors() const { return tensors_; }
  bool contains(const std::string& key) const { return tensors_.count(key) > 0; }
  const SafeTensorInfo& info(const std::string& key) const;
  std::vector<float> read_f32(const std::string& key) const;
  // The same into `out`, which has room for the tensor's numel() floats.
  void read_f32_into(const std::string& key, float* out) const;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::string bytes_;
  size_t data_start_ = 0;
  std::map<std::string, std::string> metadata_;
  std::map<std::string, SafeTensorInfo> tensors_;
};

struct SafeTensorView {
  std::string key;
  std::vector<int64_t> shape;
  const float* data;  // numel(shape) float32 values
};

// Serialises float32 tensors (sorted by key, as the reference writer does) with metadata.
std::string encode_safetensors(const std::vector<SafeTensorView>& tensors,
                               const std::map<std::string, std::string>& metadata);
void write_safetensors(const std::filesystem::path& path, const std::vector<SafeTensorView>& tensors,
                       const std::map<std::string, std::string>& metadata);

}  // namespace entcam
