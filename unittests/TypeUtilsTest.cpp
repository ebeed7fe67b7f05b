//===- TypeUtilsTest.cpp - shape and quantized-type helpers ---------------===//
//
// Part of quantc. Tests of qc/Dialect/QC/IR/QCTypeUtils.h, including the
// exact diagnostics, since op verifiers forward them to users.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QCTypeUtils.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace mlir;

namespace {

constexpr int64_t kDyn = ShapedType::kDynamic;

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

TEST(ShapeToString, Shapes) {
  EXPECT_EQ(qc::shapeToString({}), "scalar");
  EXPECT_EQ(qc::shapeToString({5}), "5");
  EXPECT_EQ(qc::shapeToString({0}), "0");
  EXPECT_EQ(qc::shapeToString({2, 3}), "2x3");
  EXPECT_EQ(qc::shapeToString({2, kDyn, 3}), "2x?x3");
  EXPECT_EQ(qc::shapeToString({kDyn}), "?");
  EXPECT_EQ(qc::shapeToString({kDyn, kDyn}), "?x?");
}

SmallVector<int64_t> broadcastOk(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  std::string why;
  FailureOr<SmallVector<int64_t>> r = qc::broadcastShapes(a, b, &why);
  EXPECT_TRUE(succeeded(r))
      << qc::shapeToString(a) << " vs " << qc::shapeToString(b) << ": " << why;
  return succeeded(r) ? *r : SmallVector<int64_t>{};
}

std::string broadcastError(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  std::string why;
  FailureOr<SmallVector<int64_t>> r = qc::broadcastShapes(a, b, &why);
  EXPECT_TRUE(failed(r)) << qc::shapeToString(a) << " vs "
                         << qc::shapeToString(b);
  return why;
}

using Shape = SmallVector<int64_t>;

TEST(BroadcastShapes, Static) {
  EXPECT_EQ(broadcastOk({2, 3}, {2, 3}), (Shape{2, 3}));
  EXPECT_EQ(broadcastOk({2, 3}, {3}), (Shape{2, 3}));
  EXPECT_EQ(broadcastOk({3}, {2, 3}), (Shape{2, 3}));
  EXPECT_EQ(broadcastOk({4, 1, 3}, {2, 1}), (Shape{4, 2, 3}));
  EXPECT_EQ(broadcastOk({1}, {7}), (Shape{7}));
  EXPECT_EQ(broadcastOk({}, {5, 6}), (Shape{5, 6}));
  EXPECT_EQ(broadcastOk({}, {}), Shape{});
  EXPECT_EQ(broadcastOk({1, 1}, {}), (Shape{1, 1}));
  EXPECT_EQ(broadcastOk({0}, {1}), (Shape{0}));
  EXPECT_EQ(broadcastOk({1, 0}, {3, 1}), (Shape{3, 0}));
}

TEST(BroadcastShapes, Dynamic) {
  // A dynamic dim broadcasts against 1 (staying dynamic), against a static
  // size (taking it), and against another dynamic dim.
  EXPECT_EQ(broadcastOk({kDyn}, {1}), (Shape{kDyn}));
  EXPECT_EQ(broadcastOk({1}, {kDyn}), (Shape{kDyn}));
  EXPECT_EQ(broadcastOk({kDyn}, {5}), (Shape{5}));
  EXPECT_EQ(broadcastOk({5}, {kDyn}), (Shape{5}));
  EXPECT_EQ(broadcastOk({kDyn}, {kDyn}), (Shape{kDyn}));
  EXPECT_EQ(broadcastOk({kDyn, 3}, {2, 1}), (Shape{2, 3}));
  EXPECT_EQ(broadcastOk({kDyn, 1}, {4}), (Shape{kDyn, 4}));
  EXPECT_EQ(broadcastOk({2, kDyn, 3}, {kDyn, 1}), (Shape{2, kDyn, 3}));
}

TEST(BroadcastShapes, FailureNamesTheFirstBadPair) {
  EXPECT_EQ(broadcastError({2, 3}, {4, 3}), "dimension 0 has sizes 2 and 4");
  EXPECT_EQ(broadcastError({2, 3}, {2, 4}), "dimension 1 has sizes 3 and 4");
  // Dimensions are numbered in the (right-aligned) result.
  EXPECT_EQ(broadcastError({3}, {2, 4}), "dimension 1 has sizes 3 and 4");
  EXPECT_EQ(broadcastError({2, 3, 4}, {5}), "dimension 2 has sizes 4 and 5");
  // The first bad pair, not the last.
  EXPECT_EQ(broadcastError({2, 3}, {5, 6}), "dimension 0 has sizes 2 and 5");
  EXPECT_EQ(broadcastError({kDyn, 2}, {7, 3}), "dimension 1 has sizes 2 and 3");
  // The reason is optional.
  EXPECT_TRUE(failed(qc::broadcastShapes({2}, {3})));
}

TEST(IsCompatibleShape, Shapes) {
  EXPECT_TRUE(qc::isCompatibleShape({}, {}));
  EXPECT_TRUE(qc::isCompatibleShape({2, 3}, {2, 3}));
  EXPECT_TRUE(qc::isCompatibleShape({2, kDyn}, {2, 3}));
  EXPECT_TRUE(qc::isCompatibleShape({kDyn, kDyn}, {4, 5}));
  EXPECT_TRUE(qc::isCompatibleShape({kDyn}, {kDyn}));
  EXPECT_FALSE(qc::isCompatibleShape({2, 3}, {3, 2}));
  EXPECT_FALSE(qc::isCompatibleShape({2, kDyn}, {3, 5}));
  // No broadcasting: ranks must agree, and 1 matches only 1.
  EXPECT_FALSE(qc::isCompatibleShape({3}, {1, 3}));
  EXPECT_FALSE(qc::isCompatibleShape({1}, {3}));
  EXPECT_FALSE(qc::isCompatibleShape({}, {1}));
}

TEST(NormalizeAxis, Axes) {
  auto norm = [](int64_t axis, int64_t rank) -> int64_t {
    FailureOr<int64_t> r = qc::normalizeAxis(axis, rank);
    return succeeded(r) ? *r : -999;
  };
  EXPECT_EQ(norm(0, 3), 0);
  EXPECT_EQ(norm(2, 3), 2);
  EXPECT_EQ(norm(-1, 3), 2);
  EXPECT_EQ(norm(-3, 3), 0);
  EXPECT_TRUE(failed(qc::normalizeAxis(3, 3)));
  EXPECT_TRUE(failed(qc::normalizeAxis(-4, 3)));
  EXPECT_TRUE(failed(qc::normalizeAxis(0, 0)));
  EXPECT_TRUE(failed(qc::normalizeAxis(-1, 0)));
  EXPECT_EQ(norm(0, 1), 0);
  EXPECT_EQ(norm(-1, 1), 0);
}

//===----------------------------------------------------------------------===//
// Quantized types
//===----------------------------------------------------------------------===//

class QuantTypeTest : public ::testing::Test {
protected:
  QuantTypeTest() : b(&ctx) {
    ctx.loadDialect<quant::QuantDialect>();
    i8 = b.getIntegerType(8);
    f32 = b.getF32Type();
  }

  quant::UniformQuantizedType perTensor(Type expressed) {
    return quant::UniformQuantizedType::get(quant::QuantizationFlags::Signed,
                                            i8, expressed, 0.5, 3, -128, 127);
  }

  quant::UniformQuantizedPerAxisType perAxis(int32_t axis, int64_t n,
                                             Type expressed = {}) {
    SmallVector<double> scales(n, 0.25);
    SmallVector<int64_t> zps(n, 0);
    return quant::UniformQuantizedPerAxisType::get(
        quant::QuantizationFlags::Signed, i8, expressed ? expressed : f32,
        scales, zps, axis, -128, 127);
  }

  /// Sub-channel type with a scale tensor of shape `scaleShape` and blocks
  /// `blockSizes` along `dims`.
  quant::UniformQuantizedSubChannelType subChannel(ArrayRef<int64_t> scaleShape,
                                                   ArrayRef<int32_t> dims,
                                                   ArrayRef<int64_t> blockSizes,
                                                   Type expressed = {}) {
    Type fp = expressed ? expressed : f32;
    return quant::UniformQuantizedSubChannelType::get(
        quant::QuantizationFlags::Signed, i8, fp, scalesAttr(scaleShape, fp),
        zeroPointsAttr(scaleShape), dims, blockSizes, -128, 127);
  }

  /// Every scale 0.125, every zero point 0.
  DenseElementsAttr scalesAttr(ArrayRef<int64_t> shape, Type fp) {
    auto type = RankedTensorType::get(shape, fp);
    SmallVector<Attribute> values(type.getNumElements(),
                                  b.getFloatAttr(fp, 0.125));
    return DenseElementsAttr::get(type, values);
  }
  DenseElementsAttr zeroPointsAttr(ArrayRef<int64_t> shape) {
    auto type = RankedTensorType::get(shape, i8);
    SmallVector<Attribute> values(type.getNumElements(),
                                  b.getIntegerAttr(i8, 0));
    return DenseElementsAttr::get(type, values);
  }

  /// Whether upstream's verifier accepts the sub-channel type `subChannel`
  /// would build. With assertions enabled, `get` runs that verifier and
  /// aborts on failure, so such types can only be tested without them.
  bool upstreamAccepts(ArrayRef<int64_t> scaleShape, ArrayRef<int32_t> dims,
                       ArrayRef<int64_t> blockSizes) {
    ScopedDiagnosticHandler silence(&ctx,
                                    [](Diagnostic &) { return success(); });
    Location loc = UnknownLoc::get(&ctx);
    return succeeded(quant::UniformQuantizedSubChannelType::verifyInvariants(
        [&] { return emitError(loc); }, quant::QuantizationFlags::Signed, i8,
        f32, scalesAttr(scaleShape, f32), zeroPointsAttr(scaleShape), dims,
        blockSizes, -128, 127));
  }

  /// Runs verifyQuantTypeForShape and returns the diagnostics it emitted;
  /// `ok` receives its result.
  std::vector<std::string> verify(Type t, ArrayRef<int64_t> shape, bool &ok) {
    std::vector<std::string> messages;
    ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
      messages.push_back(d.str());
      return success();
    });
    Location loc = UnknownLoc::get(&ctx);
    ok = succeeded(qc::verifyQuantTypeForShape([&] { return emitError(loc); },
                                               t, shape, "operand #0"));
    return messages;
  }

  void expectAccepts(Type t, ArrayRef<int64_t> shape) {
    bool ok = false;
    std::vector<std::string> messages = verify(t, shape, ok);
    EXPECT_TRUE(ok) << "shape " << qc::shapeToString(shape);
    EXPECT_TRUE(messages.empty()) << (messages.empty() ? "" : messages.front());
  }

  void expectRejects(Type t, ArrayRef<int64_t> shape,
                     const std::string &message) {
    bool ok = true;
    std::vector<std::string> messages = verify(t, shape, ok);
    EXPECT_FALSE(ok) << "shape " << qc::shapeToString(shape);
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(messages.front(), message);
  }

  MLIRContext ctx;
  Builder b;
  IntegerType i8;
  FloatType f32;
};

TEST_F(QuantTypeTest, BuiltTypesMatchTheirSyntax) {
  // Guards the builders below: the types are the ones users write.
  EXPECT_EQ(perTensor(f32),
            parseType("!quant.uniform<i8:f32, 5.0e-01:3>", &ctx));
  EXPECT_EQ(perAxis(1, 2),
            parseType("!quant.uniform<i8:f32:1, {2.5e-01, 2.5e-01}>", &ctx));
  EXPECT_EQ(subChannel({1, 2}, {1}, {4}),
            parseType("!quant.uniform<i8:f32:{1:4}, {{1.25e-01:0, "
                      "1.25e-01:0}}>",
                      &ctx));
}

TEST_F(QuantTypeTest, GetExpressedType) {
  Type f16 = b.getF16Type(), bf16 = b.getBF16Type();
  EXPECT_EQ(qc::getExpressedType(f32), f32);
  EXPECT_EQ(qc::getExpressedType(i8), i8);
  EXPECT_EQ(qc::getExpressedType(perTensor(f32)), f32);
  EXPECT_EQ(qc::getExpressedType(perTensor(f16)), f16);
  EXPECT_EQ(qc::getExpressedType(perAxis(0, 3, bf16)), bf16);
  EXPECT_EQ(qc::getExpressedType(subChannel({2, 1}, {0}, {2}, f16)), f16);
  EXPECT_EQ(
      qc::getExpressedType(quant::CalibratedQuantizedType::get(f32, -1.0, 1.0)),
      f32);
  EXPECT_EQ(qc::getExpressedType(quant::AnyQuantizedType::get(
                quant::QuantizationFlags::Signed, i8, f16, -128, 127)),
            f16);
}

TEST_F(QuantTypeTest, IsUniformQuantized) {
  EXPECT_TRUE(qc::isUniformQuantized(perTensor(f32)));
  EXPECT_TRUE(qc::isUniformQuantized(perAxis(0, 4)));
  EXPECT_TRUE(qc::isUniformQuantized(subChannel({2, 1}, {0}, {2})));
  EXPECT_FALSE(qc::isUniformQuantized(f32));
  EXPECT_FALSE(qc::isUniformQuantized(i8));
  EXPECT_FALSE(qc::isUniformQuantized(
      quant::CalibratedQuantizedType::get(f32, -1.0, 1.0)));
  EXPECT_FALSE(qc::isUniformQuantized(quant::AnyQuantizedType::get(
      quant::QuantizationFlags::Signed, i8, f32, -128, 127)));
}

TEST_F(QuantTypeTest, PerTensorFitsAnyShape) {
  expectAccepts(perTensor(f32), {});
  expectAccepts(perTensor(f32), {3});
  expectAccepts(perTensor(f32), {kDyn, 7, 1});
  // Non-quantized element types are not this function's business.
  expectAccepts(f32, {2, 3});
}

TEST_F(QuantTypeTest, PerAxis) {
  expectAccepts(perAxis(1, 3), {2, 3});
  expectAccepts(perAxis(0, 2), {2, 3});
  expectAccepts(perAxis(1, 3), {2, kDyn});    // checked at run time
  expectAccepts(perAxis(1, 3), {2, 3, 4, 5}); // any rank above the axis
  expectRejects(perAxis(1, 3), {2, 4},
                "operand #0: per-axis quantization along dimension 1 has 3 "
                "scales but the dimension has size 4");
  expectRejects(perAxis(0, 3), {1, 3},
                "operand #0: per-axis quantization along dimension 0 has 3 "
                "scales but the dimension has size 1");
  expectRejects(perAxis(1, 3), {3},
                "operand #0: per-axis quantized dimension 1 is out of range "
                "for a tensor of rank 1");
  expectRejects(perAxis(0, 1), {},
                "operand #0: per-axis quantized dimension 0 is out of range "
                "for a tensor of rank 0");
}

TEST_F(QuantTypeTest, SubChannelBlocksTileTheirDimension) {
  // Blocks of 2 x 4 over a 4 x 8 tensor: a 2 x 2 scale tensor.
  auto t = subChannel({2, 2}, {0, 1}, {2, 4});
  expectAccepts(t, {4, 8});
  expectAccepts(t, {kDyn, 8});
  expectAccepts(t, {kDyn, kDyn});
  expectRejects(t, {4, 6},
                "operand #0: dimension 1 of size 6 is not a multiple of its "
                "block size 4");
  expectRejects(t, {5, 8},
                "operand #0: dimension 0 of size 5 is not a multiple of its "
                "block size 2");
  // A multiple, but of the wrong number of blocks.
  expectRejects(t, {6, 8},
                "operand #0: dimension 0 of size 6 in blocks of 2 needs 3 "
                "scales, the type has 2");
  expectRejects(t, {4, 16},
                "operand #0: dimension 1 of size 16 in blocks of 4 needs 4 "
                "scales, the type has 2");
  expectRejects(t, {4, 8, 2},
                "operand #0: sub-channel scales have rank 2 but the tensor "
                "has rank 3");
  expectRejects(t, {8},
                "operand #0: sub-channel scales have rank 2 but the tensor "
                "has rank 1");
}

TEST_F(QuantTypeTest, SubChannelDimensionWithoutBlockIsOneBlock) {
  // Only dimension 1 is blocked; dimension 0 is a single block of any size.
  auto t = subChannel({1, 2}, {1}, {4});
  expectAccepts(t, {5, 8});
  expectAccepts(t, {1, 8});
  expectAccepts(t, {kDyn, 8});
  auto twoRows = subChannel({2, 2}, {1}, {4});
  expectRejects(twoRows, {5, 8},
                "operand #0: dimension 0 of size 5 in blocks of 5 needs 1 "
                "scales, the type has 2");
}

TEST_F(QuantTypeTest, SubChannelInvalidBlocks) {
  // The helper must not rely on the type having passed upstream's verifier
  // (types built with `get` in release builds have not). Cases upstream
  // rejects can only be constructed when `get` does not verify.
  struct Case {
    SmallVector<int64_t> scaleShape;
    int32_t dim;
    int64_t block;
    const char *message;
  } cases[] = {
      {{1, 2},
       2,
       4,
       "operand #0: sub-channel quantized dimension 2 is out of range for a "
       "tensor of rank 2"},
      {{1, 2},
       1,
       0,
       "operand #0: block size 0 along dimension 1 must be positive"},
      {{1, 2},
       1,
       -4,
       "operand #0: block size -4 along dimension 1 must be positive"},
  };
  int tested = 0;
  for (const Case &c : cases) {
#ifndef NDEBUG
    if (!upstreamAccepts(c.scaleShape, {c.dim}, {c.block}))
      continue;
#endif
    expectRejects(subChannel(c.scaleShape, {c.dim}, {c.block}), {4, 8},
                  c.message);
    ++tested;
  }
  if (tested == 0)
    GTEST_SKIP() << "upstream's verifier rejects every case and runs in get()";
}

} // namespace
