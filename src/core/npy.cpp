#include "core/npy.h"

#include <cstring>
#include <limits>
#include <map>

#include "core/error.h"
#include "core/fs.h"

namespace entcam {

int64_t NpyArray::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

namespace {

// The header's Python dict literal, read as one: {'key': value, ...} with string, tuple or
// bare-word values, so that a key is only found where a key is (never inside a value).
std::map<std::string, std::string> header_dict(const std::string& h, const std::string& name) {
  const auto bad = [&](const std::string& what) { return file_error(name, "npy header is malformed: " + what); };
  size_t i = 0;
  const auto skip_ws = [&] {
    while (i < h.size() && (h[i] == ' ' || h[i] == '\n')) ++i;
  };
  const auto quoted = [&]() {
    const char q = h[i];
    const size_t end = h.find(q, i + 1);
    if (end == std::string::npos) throw bad("an unclosed string");
    const std::string text = h.substr(i, end + 1 - i);
    i = end + 1;
    return text;
  };
  std::map<std::string, std::string> out;
  skip_ws();
  if (i >= h.size() || h[i] != '{') throw bad("expected a dict {...}");
  ++i;
  for (;;) {
    skip_ws();
    if (i < h.size() && h[i] == '}') return out;
    if (i >= h.size() || (h[i] != '\'' && h[i] != '"')) throw bad("expected a quoted key");
    std::string key = quoted();
    key = key.substr(1, key.size() - 2);
    skip_ws();
    if (i >= h.size() || h[i] != ':') throw bad("expected ':' after '" + key + "'");
    ++i;
    skip_ws();
    std::string value;
    if (i < h.size() && (h[i] == '\'' || h[i] == '"')) {
      value = quoted();
    } else if (i < h.size() && h[i] == '(') {
      const size_t end = h.find(')', i);
      if (end == std::string::npos) throw bad("an unclosed shape tuple");
      value = h.substr(i, end + 1 - i);
      i = end + 1;
    } else {
      const size_t b = i;
      while (i < h.size() && h[i] != ',' && h[i] != '}' && h[i] != ' ') ++i;
      value = h.substr(b, i - b);
    }
    if (!out.emplace(key, value).second) throw bad("key '" + key + "' appears twice");
    skip_ws();
    if (i < h.size() && h[i] == ',') ++i;
    else if (i >= h.size() || h[i] != '}') throw bad("expected ',' or '}' after '" + key + "'");
  }
}

std::string header_value(const std::map<std::string, std::string>& dict, const std::string& key, const std::string& name) {
  const auto it = dict.find(key);
  if (it == dict.end()) throw file_error(name, "npy header lacks '" + key + "'");
  return it->second;
}

std::vector<int64_t> parse_shape(const std::string& text, const std::string& name) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')')
    throw file_error(name, "npy shape is not a tuple: " + text);
  std::vector<int64_t> shape;
  std::string inner = text.substr(1, text.size() - 2);
  size_t i = 0;
  while (i < inner.size()) {
    while (i < inner.size() && (inner[i] == ' ' || inner[i] == ',')) ++i;
    if (i >= inner.size()) break;
    size_t j = i;
    while (j < inner.size() && inner[j] >= '0' && inner[j] <= '9') ++j;
    if (j == i || j - i > 12) throw file_error(name, "npy shape has a bad dimension: " + text);
    shape.push_back(std::stoll(inner.substr(i, j - i)));
    i = j;
    while (i < inner.size() && inner[i] == ' ') ++i;
    if (i < inner.size() && inner[i] != ',') throw file_error(name, "npy shape is malformed: " + text);
  }
  return shape;
}

}  // namespace

NpyArray parse_npy(const std::string& bytes, const std::string& name) {
  static const char kMagic[] = "\x93NUMPY";
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0)
    throw file_error(name, "not a .npy file (bad magic)");
  const auto major = static_cast<unsigned char>(bytes[6]);
  size_t header_len = 0, header_start = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw file_error(name, "truncated .npy header");
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= size_t(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    header_start = 12;
  } else {
    throw file_error(name, "unsupported .npy format version " + std::to_string(major));
  }
  if (header_start + header_len > bytes.size()) throw file_error(name, "truncated .npy header");
  const auto header = header_dict(bytes.substr(header_start, header_len), name);
  const std::string descr = header_value(header, "descr", name);
  const std::string fortran = header_value(header, "fortran_order", name);
  NpyArray out;
  out.shape = parse_shape(header_value(header, "shape", name), name);
  if (fortran != "False") throw file_error(name, "Fortran-order .npy arrays are not supported (expected C order)");
  size_t item = 0;
  if (descr == "'<f4'") item = 4;
  else if (descr == "'<f8'") item = 8;
  else throw file_error(name, "dtype " + descr + " is not supported (expected '<f4' float32 little-endian)");
  // Guard the product against overflow before trusting it.
  uint64_t n = 1;
  for (int64_t d : out.shape) {
    if (d < 0 || (d > 0 && n > std::numeric_limits<uint64_t>::max() / 8 / uint64_t(d)))
      throw file_error(name, "npy shape is too large");
    n *= uint64_t(d);
  }
  const size_t data_start = header_start + header_len;
  const size_t available = bytes.size() - data_start;
  if (available < n * item)
    throw file_error(name, "truncated .npy data: expected " + std::to_string(n * item) + " bytes, found " +
                               std::to_string(available));
  if (available > n * item)
    throw file_error(name, "trailing bytes after .npy data: expected " + std::to_string(n * item) + " bytes, found " +
                               std::to_string(available));
  out.data.resize(n);
  const char* src = bytes.data() + data_start;
  if (n == 0) return out;  // a zero-size array: data() may be null, and memcpy(null, ..., 0) is UB
  if (item == 4) {
    std::memcpy(out.data.data(), src, n * 4);
  } else {
    for (size_t i = 0; i < n; ++i) {
      double v;
      std::memcpy(&v, src + 8 * i, 8);
      out.data[i] = static_cast<float>(v);
    }
  }
  return out;
}

NpyArray read_npy(const std::filesystem::path& path) { return parse_npy(read_file(path), path.string()); }

std::string encode_npy(const std::vector<int64_t>& shape, const float* data) {
  std::string dims;
  int64_t n = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) dims += ", ";
    dims += std::to_string(shape[i]);
    n *= shape[i];
  }
  if (shape.size() == 1) dims += ",";  // Python's one-element tuple: (5,)
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Pad with spaces so that magic+len+header+'\n' is a multiple of 64.
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  if (n > 0) out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n) * 4);
  return out;
}

void write_npy(const std::filesystem::path& path, const std::vector<int64_t>& shape, const float* data) {
  write_file_atomic(path, encode_npy(shape, data));
}

}  // namespace entcam
