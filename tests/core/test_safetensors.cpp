#include <gtest/gtest.h>

#include <cstring>

#include "core/error.h"
#include "core/safetensors.h"

using namespace entcam;

namespace {
std::string with_header(const std::string& json, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = json.size();
  std::memcpy(out.data(), &n, 8);
  return out + json + data;
}
std::string floats(std::initializer_list<float> v) {
  return std::string(reinterpret_cast<const char*>(std::data(v)), v.size() * 4);
}
void expect_error(const std::string& bytes, const std::string& fragment) {
  try {
    SafeTensorsFile::parse(bytes, "m.safetensors");
    FAIL() << "no error for " << fragment;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("m.safetensors: "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}
}  // namespace

TEST(SafeTensors, RoundTripWithMetadata) {
  const float a[6] = {1, 2, 3, 4, 5, 6};
  const float b[2] = {-1, 0.25f};
  std::string bytes = encode_safetensors({{"z.weight", {2, 3}, a}, {"a.bias", {2}, b}}, {{"arch", "xception"}});
  SafeTensorsFile f = SafeTensorsFile::parse(bytes, "x");
  EXPECT_EQ(f.metadata().at("arch"), "xception");
  EXPECT_EQ(f.info("z.weight").shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(f.read_f32("z.weight"), std::vector<float>(a, a + 6));
  EXPECT_EQ(f.read_f32("a.bias"), std::vector<float>(b, b + 2));
  EXPECT_EQ(f.info("a.bias").begin, 0u);  // sorted by key, like the reference writer
}

TEST(SafeTensors, ConvertsHalfBfloatAndDouble) {
  // F16 1.0 = 0x3c00, -2.0 = 0xc000; BF16 1.5 = 0x3fc0; F64 0.1.
  const uint16_t f16[2] = {0x3c00, 0xc000};
  const uint16_t bf16[1] = {0x3fc0};
  const double f64[1] = {0.1};
  std::string data(reinterpret_cast<const char*>(f16), 4);
  data.append(reinterpret_cast<const char*>(bf16), 2);
  data.append(2, '\0');
  data.append(reinterpret_cast<const char*>(f64), 8);
  std::string json = R"({"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},)"
                     R"("b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]},)"
                     R"("pad":{"dtype":"BF16","shape":[1],"data_offsets":[6,8]},)"
                     R"("d":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}})";
  SafeTensorsFile f = SafeTensorsFile::parse(with_header(json, data), "x");
  EXPECT_EQ(f.read_f32("h"), (std::vector<float>{1.0f, -2.0f}));
  EXPECT_EQ(f.read_f32("b"), (std::vector<float>{1.5f}));
  EXPECT_FLOAT_EQ(f.read_f32("d")[0], 0.1f);
}

TEST(SafeTensors, RejectsMalformedFiles) {
  const std::string d = floats({1, 2});
  expect_error("abc", "shorter than its 8-byte header length");
  expect_error(with_header("{", d).substr(0, 8) + "{", "not valid JSON");
  std::string huge(8, '\xff');
  expect_error(huge + "{}", "exceeds the file size");
  expect_error(with_header(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", d), "lie outside the data buffer");
  expect_error(with_header(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", d), "need 12");
  expect_error(with_header(R"({"t":{"dtype":"Q8","shape":[2],"data_offsets":[0,8]}})", d), "unsupported dtype Q8");
  expect_error(with_header(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", d), "hole in the data buffer");
  expect_error(with_header(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"u":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", d),
               "overlap");
  expect_error(with_header(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", d), "unindexed trailing bytes");
  expect_error(with_header(R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", d), "bad shape");
  expect_error(with_header(R"([1,2])", d), "not a JSON object");
}
