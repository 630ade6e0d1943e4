#include "core/safetensors.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/fs.h"

namespace entcam {
using nlohmann::json;

int64_t SafeTensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

namespace {

size_t dtype_size(const std::string& dtype) {
  if (dtype == "F32" || dtype == "I32") return 4;
  if (dtype == "F16" || dtype == "BF16") return 2;
  if (dtype == "F64" || dtype == "I64") return 8;
  return 0;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float v;
  if (exp == 0) v = std::ldexp(static_cast<float>(mant), -24);
  else if (exp == 31) v = mant ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  else v = std::ldexp(static_cast<float>(mant | 0x400), static_cast<int>(exp) - 25);
  return sign ? -v : v;
}

}  // namespace

SafeTensorsFile SafeTensorsFile::parse(std::string bytes, const std::string& name) {
  SafeTensorsFile f;
  f.name_ = name;
  if (bytes.size() < 8) throw file_error(name, "not a safetensors file: shorter than its 8-byte header length");
  uint64_t header_len = 0;
  for (int i = 0; i < 8; ++i) header_len |= uint64_t(static_cast<unsigned char>(bytes[i])) << (8 * i);
  if (header_len > bytes.size() - 8)
    throw file_error(name, "safetensors header length " + std::to_string(header_len) + " exceeds the file size " +
                               std::to_string(bytes.size()));
  json header;
  try {
    header = json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(header_len));
  } catch (const json::exception& e) {
    throw file_error(name, std::string("safetensors header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) throw file_error(name, "safetensors header is not a JSON object");
  f.data_start_ = 8 + header_len;
  const size_t buffer_size = bytes.size() - f.data_start_;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    if (key == "__metadata__") {
      if (!v.is_object()) throw file_error(name, "__metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) throw file_error(name, "__metadata__ value for '" + m.key() + "' is not a string");
        f.metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets") ||
        !v["dtype"].is_string() || !v["shape"].is_array() || !v["data_offsets"].is_array() ||
        v["data_offsets"].size() != 2)
      throw file_error(name, "tensor '" + key + "' needs dtype, shape and two data_offsets");
    SafeTensorInfo info;
    info.dtype = v["dtype"].get<std::string>();
    const size_t item = dtype_size(info.dtype);
    if (item == 0) throw file_error(name, "tensor '" + key + "' has unsupported dtype " + info.dtype);
    uint64_t n = 1;
    for (const json& d : v["shape"]) {
      if (!d.is_number_unsigned()) throw file_error(name, "tensor '" + key + "' has a bad shape");
      const uint64_t dim = d.get<uint64_t>();
      if (dim > 0 && n > (uint64_t(1) << 60) / dim) throw file_error(name, "tensor '" + key + "' shape is too large");
      n *= dim;
      info.shape.push_back(static_cast<int64_t>(dim));
    }
    for (const json& o : v["data_offsets"])
      if (!o.is_number_unsigned()) throw file_error(name, "tensor '" + key + "' has bad data_offsets");
    info.begin = v["data_offsets"][0].get<uint64_t>();
    info.end = v["data_offsets"][1].get<uint64_t>();
    if (info.end < info.begin || info.end > buffer_size)
      throw file_error(name, "tensor '" + key + "' data_offsets [" + std::to_string(info.begin) + ", " +
                                 std::to_string(info.end) + "] lie outside the data buffer of " +
                                 std::to_string(buffer_size) + " bytes");
    if (info.end - info.begin != n * item)
      throw file_error(name, "tensor '" + key + "' spans " + std::to_string(info.end - info.begin) +
                                 " bytes but its shape and dtype need " + std::to_string(n * item));
    f.tensors_[key] = std::move(info);
  }
  // The buffer must be indexed entirely: no overlapping tensors and no holes.
  std::vector<std::pair<size_t, size_t>> spans;
  for (const auto& [k, t] : f.tensors_) spans.emplace_back(t.begin, t.end);
  std::sort(spans.begin(), spans.end());
  size_t pos = 0;
  for (const auto& [b, e] : spans) {
    if (b < pos) throw file_error(name, "tensors overlap in the data buffer at byte " + std::to_string(b));
    if (b > pos) throw file_error(name, "hole in the data buffer at bytes " + std::to_string(pos) + ".." + std::to_string(b));
    pos = e;
  }
  if (pos != buffer_size)
    throw file_error(name, "data buffer has " + std::to_string(buffer_size - pos) + " unindexed trailing bytes");
  f.bytes_ = std::move(bytes);
  return f;
}

SafeTensorsFile SafeTensorsFile::load(const std::filesystem::path& path) {
  return parse(read_file(path), path.string());
}

const SafeTensorInfo& SafeTensorsFile::info(const std::string& key) const {
  auto it = tensors_.find(key);
  if (it == tensors_.end()) throw file_error(name_, "no tensor named '" + key + "'");
  return it->second;
}

std::vector<float> SafeTensorsFile::read_f32(const std::string& key) const {
  std::vector<float> out(static_cast<size_t>(info(key).numel()));
  read_f32_into(key, out.data());
  return out;
}

void SafeTensorsFile::read_f32_into(const std::string& key, float* out) const {
  const SafeTensorInfo& t = info(key);
  const size_t n = static_cast<size_t>(t.numel());
  const char* src = bytes_.data() + data_start_ + t.begin;
  if (t.dtype == "F32") {
    std::memcpy(out, src, n * 4);
  } else if (t.dtype == "F64") {
    for (size_t i = 0; i < n; ++i) { double v; std::memcpy(&v, src + 8 * i, 8); out[i] = static_cast<float>(v); }
  } else if (t.dtype == "F16") {
    for (size_t i = 0; i < n; ++i) { uint16_t v; std::memcpy(&v, src + 2 * i, 2); out[i] = half_to_float(v); }
  } else if (t.dtype == "BF16") {
    for (size_t i = 0; i < n; ++i) {
      uint16_t v; std::memcpy(&v, src + 2 * i, 2);
      const uint32_t bits = uint32_t(v) << 16;
      std::memcpy(&out[i], &bits, 4);
    }
  } else if (t.dtype == "I64") {
    for (size_t i = 0; i < n; ++i) { int64_t v; std::memcpy(&v, src + 8 * i, 8); out[i] = static_cast<float>(v); }
  } else {  // I32
    for (size_t i = 0; i < n; ++i) { int32_t v; std::memcpy(&v, src + 4 * i, 4); out[i] = static_cast<float>(v); }
  }
}

std::string encode_safetensors(const std::vector<SafeTensorView>& tensors,
                               const std::map<std::string, std::string>& metadata) {
  std::vector<const SafeTensorView*> sorted;
  for (const auto& t : tensors) sorted.push_back(&t);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->key < b->key; });
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  size_t offset = 0;
  for (const auto* t : sorted) {
    int64_t n = 1;
    for (int64_t d : t->shape) n *= d;
    const size_t bytes = static_cast<size_t>(n) * 4;
    header[t->key] = {{"dtype", "F32"}, {"shape", t->shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');  // keep the buffer 8-byte aligned, as the reference writer does
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((uint64_t(h.size()) >> (8 * i)) & 0xff);
  out += h;
  out.reserve(out.size() + offset);
  for (const auto* t : sorted) {
    int64_t n = 1;
    for (int64_t d : t->shape) n *= d;
    out.append(reinterpret_cast<const char*>(t->data), static_cast<size_t>(n) * 4);
  }
  return out;
}

void write_safetensors(const std::filesystem::path& path, const std::vector<SafeTensorView>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  write_file_atomic(path, encode_safetensors(tensors, metadata));
}

}  // namespace entcam
