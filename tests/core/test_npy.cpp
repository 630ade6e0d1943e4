#include <gtest/gtest.h>

#include "core/error.h"
#include "core/fs.h"
#include "core/npy.h"
#include "support/test_support.h"

using namespace entcam;

namespace {
// Bytes exactly as numpy 1.24 writes np.save(f, np.array([[1,2,3],[4,5,6]], dtype='<f4')).
std::string numpy_written_2x3() {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  header.append(118 - header.size() - 1, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00\x76\x00", 10);
  out += header;
  const float v[6] = {1, 2, 3, 4, 5, 6};
  out.append(reinterpret_cast<const char*>(v), sizeof v);
  return out;
}
}  // namespace

TEST(Npy, ParsesNumpyWrittenFile) {
  NpyArray a = parse_npy(numpy_written_2x3(), "x.npy");
  ASSERT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a.data, (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(Npy, EncodesByteIdenticalToNumpy) {
  const float v[6] = {1, 2, 3, 4, 5, 6};
  EXPECT_EQ(encode_npy({2, 3}, v), numpy_written_2x3());
}

TEST(Npy, RoundTripsOneDimensionalAndScalarShapes) {
  const float v[5] = {0.5f, -1, 2, 3, 4};
  NpyArray a = parse_npy(encode_npy({5}, v), "a.npy");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{5}));
  EXPECT_EQ(a.data[0], 0.5f);
  NpyArray s = parse_npy(encode_npy({}, v), "s.npy");
  EXPECT_TRUE(s.shape.empty());
  EXPECT_EQ(s.data.size(), 1u);
}

TEST(Npy, ReadsVersion2Header) {
  std::string v1 = numpy_written_2x3();
  std::string header = v1.substr(10);
  std::string v2("\x93NUMPY\x02\x00", 8);
  const uint32_t len = 118;
  v2.append(reinterpret_cast<const char*>(&len), 4);
  v2 += v1.substr(10, 118);
  v2 += v1.substr(128);
  // v2 header length differs by 2 bytes from alignment rules, which readers must not require.
  NpyArray a = parse_npy(v2, "v2.npy");
  EXPECT_EQ(a.data[5], 6.0f);
}

TEST(Npy, RejectsMalformedFilesNamingThem) {
  std::string good = numpy_written_2x3();
  auto expect_error = [](const std::string& bytes, const std::string& fragment) {
    try {
      parse_npy(bytes, "bad.npy");
      FAIL() << "no error for " << fragment;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("bad.npy: "), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect_error("hello", "bad magic");
  expect_error(good.substr(0, good.size() - 4), "truncated .npy data: expected 24 bytes, found 20");
  expect_error(good + "xx", "trailing bytes");
  std::string big_endian = good;
  big_endian.replace(big_endian.find("<f4"), 3, ">f4");
  expect_error(big_endian, "dtype '>f4' is not supported");
  std::string fortran = good;
  fortran.replace(fortran.find("False"), 5, "True ");
  expect_error(fortran, "Fortran-order");
  std::string long_header = good;
  long_header[8] = '\x7f';
  long_header[9] = '\x7f';
  expect_error(long_header, "truncated .npy header");
}

TEST(Fs, AtomicWriteLeavesNoTempFiles) {
  test::TempDir dir;
  write_file_atomic(dir / "sub/out.bin", "abc");
  EXPECT_EQ(read_file(dir / "sub/out.bin"), "abc");
  write_file_atomic(dir / "sub/out.bin", "defg");
  EXPECT_EQ(read_file(dir / "sub/out.bin"), "defg");
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir / "sub")) { (void)e; ++files; }
  EXPECT_EQ(files, 1);
}

TEST(Fs, Sha256MatchesKnownDigest) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  test::TempDir dir;
  write_file_atomic(dir / "f", "abc");
  EXPECT_EQ(sha256_file(dir / "f"), sha256_hex("abc"));
}

// Found by fuzz_smoke: a zero-size shape made parse_npy call memcpy(nullptr, src, 0), which
// UBSan reports. numpy writes such files (np.save(f, np.zeros((0, 6), 'f4'))); they parse to
// an empty array and round-trip.
TEST(Npy, ZeroSizeArraysParseAndRoundTrip) {
  NpyArray a = parse_npy(encode_npy({0, 6}, nullptr), "empty.npy");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{0, 6}));
  EXPECT_TRUE(a.data.empty());
  std::string bytes = encode_npy({0, 6}, nullptr);
  EXPECT_EQ(bytes.size() % 64, 0u);
  try {
    parse_npy(bytes + "x", "empty.npy");
    FAIL() << "trailing byte after a zero-size array was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("trailing bytes after .npy data: expected 0 bytes, found 1"),
              std::string::npos)
        << e.what();
  }
}
