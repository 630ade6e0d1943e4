// Issue 13 (hardening), the cases in the core readers: each test is named after its case and
// failed before the fix.
#include <gtest/gtest.h>

#include <functional>

#include "core/error.h"
#include "core/fs.h"
#include "core/npy.h"
#include "core/text.h"
#include "support/test_support.h"

using namespace entcam;
using test::error_of;

namespace {

// A version 1.0 .npy of one float32 value with the given header dict text.
std::string npy_with_header(std::string header, float value) {
  header.append(size_t(118 - 10 - header.size() - 1) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += char(header.size() & 0xFF);
  out += char(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
  return out;
}

}  // namespace

TEST(Issue13Core, Case06_AFolderWhereAFileIsExpectedIsNamed) {
  test::TempDir dir;
  // libstdc++ opened the folder and failed on the first read with
  // "basic_filebuf::underflow error reading the file: Is a directory"
  EXPECT_EQ(error_of([&] { read_file(dir.path()); }), dir.path().string() + ": is a folder; expected a file");
  EXPECT_EQ(error_of([&] { read_npy(dir.path()); }), dir.path().string() + ": is a folder; expected a file");
}

TEST(ReadFile, WholeFilesOfKnownAndUnknownSize) {
  test::TempDir dir;
  // A file over one 64 KiB chunk with every byte value, read in one piece.
  std::string bytes(200000, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = char((i * 7919) % 256);
  write_file_atomic(dir.path() / "big.bin", bytes);
  EXPECT_EQ(read_file(dir.path() / "big.bin"), bytes);
  write_file_atomic(dir.path() / "empty.bin", "");
  EXPECT_EQ(read_file(dir.path() / "empty.bin"), "");
  // /proc files report size 0 yet have content: read on to the end.
  const std::string status = read_file("/proc/self/status");
  EXPECT_EQ(status.rfind("Name:", 0), 0u);
  EXPECT_NE(status.find("\nPid:"), std::string::npos);
  EXPECT_EQ(error_of([&] { read_file(dir.path() / "missing.bin"); }),
            (dir.path() / "missing.bin").string() + ": cannot open for reading (No such file or directory)");
}

TEST(Issue13Core, Case12_NpyHeaderKeysAreFoundOnlyWhereKeysAre) {
  // 'descr' inside another value used to be taken for the key: '<f8' was read, and the
  // 4 data bytes were then "truncated"
  const std::string bytes =
      npy_with_header("{\"note\": \"'descr': '<f8'\", 'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 1.5f);
  const NpyArray a = parse_npy(bytes, "x.npy");
  ASSERT_EQ(a.shape, (std::vector<int64_t>{1}));
  EXPECT_EQ(a.data, (std::vector<float>{1.5f}));
  EXPECT_EQ(error_of([&] { parse_npy(npy_with_header("{'shape': (1,), 'fortran_order': False, }", 1.f), "y.npy"); }),
            "y.npy: npy header lacks 'descr'");
  EXPECT_EQ(error_of([&] {
              parse_npy(npy_with_header("{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", 1.f),
                        "z.npy");
            }),
            "z.npy: npy header is malformed: key 'descr' appears twice");
}

TEST(Issue13Core, Case08_Utf8CheckAndPrintableMessages) {
  EXPECT_TRUE(is_valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x95"));
  EXPECT_FALSE(is_valid_utf8("caf\xe9"));          // Latin-1
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));         // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));     // surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));         // cut short
  EXPECT_EQ(printable("a\xff" "b\n\xc3\xa9"), "a\\xFFb\\x0A\xc3\xa9");
}
