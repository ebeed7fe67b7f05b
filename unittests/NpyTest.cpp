//===- NpyTest.cpp - .npy reader and writer -------------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Executor/Npy.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace mlir;
using namespace mlir::qc;

namespace {

std::string npyWithHeader(StringRef dict, size_t payloadBytes, char fill = 0) {
  std::string header = dict.str();
  size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
  header.append(total - 10 - header.size() - 1, ' ');
  header.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  out += header;
  out.append(payloadBytes, fill);
  return out;
}

TEST(Npy, RoundTripsEveryDType) {
  for (DType t : {DType::F32, DType::F64, DType::F16, DType::Bool, DType::I8,
                  DType::U8, DType::I16, DType::U16, DType::I32, DType::U32,
                  DType::I64, DType::U64}) {
    Tensor x(t, {2, 3});
    for (int64_t i = 0; i < 6; ++i)
      x.setFromDouble(i, t == DType::Bool ? i % 2 : i + 1);
    std::string bytes = writeNpy(x);
    EXPECT_EQ((bytes.size() - x.byteSize()) % 64, 0u) << dtypeName(t).str();
    std::string error;
    FailureOr<Tensor> y = parseNpy(bytes, "mem", error);
    ASSERT_TRUE(succeeded(y)) << error;
    EXPECT_EQ(y->dtype(), t);
    EXPECT_EQ(y->shape(), x.shape());
    EXPECT_EQ(0, std::memcmp(x.raw(), y->raw(), x.byteSize())) << dtypeName(t).str();
  }
}

TEST(Npy, ScalarAndVectorShapes) {
  std::string error;
  Tensor s(DType::F32, {});
  s.setFromDouble(0, 2.5);
  FailureOr<Tensor> r = parseNpy(writeNpy(s), "mem", error);
  ASSERT_TRUE(succeeded(r)) << error;
  EXPECT_EQ(r->rank(), 0);
  EXPECT_EQ(r->getAsDouble(0), 2.5);
  Tensor v(DType::I64, {5});
  std::string bytes = writeNpy(v);
  EXPECT_NE(bytes.find("'shape': (5,)"), std::string::npos);
}

TEST(Npy, ParsesNumpyWrittenHeader) {
  // The exact header numpy 1.24 writes for np.zeros((2, 3), np.float32).
  std::string bytes = npyWithHeader(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24);
  std::string error;
  FailureOr<Tensor> t = parseNpy(bytes, "a.npy", error);
  ASSERT_TRUE(succeeded(t)) << error;
  EXPECT_EQ(t->shape(), ArrayRef<int64_t>({2, 3}));
}

struct BadCase {
  const char *dict;
  size_t payload;
  const char *message;
};

TEST(Npy, RejectsMalformedFiles) {
  const BadCase cases[] = {
      {"{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8,
       "unsupported dtype '>f4'"},
      {"{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", 16,
       "unsupported dtype '<c8'"},
      {"{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16,
       "Fortran-ordered arrays are not supported"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 20,
       "data holds 20 bytes, shape and dtype need 24"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
       0, "shape is too large"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", 0,
       "bad dimension '-2'"},
      {"{'descr': '<f4', 'fortran_order': False}", 0, "header has no 'shape'"},
      {"{'fortran_order': False, 'shape': (2,), }", 8, "header has no 'descr'"},
      {"{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", 2,
       "bool element 0 is neither 0 nor 1"},
  };
  for (const BadCase &c : cases) {
    std::string error;
    std::string bytes = npyWithHeader(c.dict, c.payload,
                                      StringRef(c.dict).contains("b1") ? 7 : 0);
    EXPECT_TRUE(failed(parseNpy(bytes, "bad.npy", error))) << c.dict;
    EXPECT_NE(error.find(c.message), std::string::npos)
        << "got: " << error << "\nwant: " << c.message;
    EXPECT_EQ(error.rfind("bad.npy: ", 0), 0u) << error;
  }
}

TEST(Npy, RejectsTruncatedAndForeignFiles) {
  std::string error;
  EXPECT_TRUE(failed(parseNpy("PK\x03\x04", "x.npz", error)));
  EXPECT_NE(error.find("bad magic"), std::string::npos);
  std::string good = npyWithHeader(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8);
  EXPECT_TRUE(failed(parseNpy(StringRef(good).take_front(20), "t.npy", error)));
  EXPECT_NE(error.find("header length"), std::string::npos) << error;
  std::string v9 = good;
  v9[6] = 9;
  EXPECT_TRUE(failed(parseNpy(v9, "t.npy", error)));
  EXPECT_NE(error.find("unsupported .npy version 9"), std::string::npos);
}

TEST(Npy, BF16CannotBeWritten) {
  std::string error;
  EXPECT_TRUE(failed(writeNpyFile("/nonexistent/x.npy", Tensor(DType::BF16, {1}), error)));
  EXPECT_NE(error.find("NumPy has no such dtype"), std::string::npos);
}

} // namespace
