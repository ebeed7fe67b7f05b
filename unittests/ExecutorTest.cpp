//===- ExecutorTest.cpp - the reference executor's core -------------------===//
//
// Part of quantc. Kernel families have their own tests; these cover what the
// core does: constants, observers, names, argument checking, diagnostics.
//
//===----------------------------------------------------------------------===//

#include "Executor/ExecutorTestUtil.h"

#include "qc/Dialect/QC/IR/QCOps.h"

using namespace mlir;
using namespace mlir::qc;

namespace {
/// These tests create executors themselves; they use the shared fixture for
/// its context, parse() and the collected `diagnostics`.
using ExecutorTest = mlir::qc::testing::ExecutorFixture;

TEST_F(ExecutorTest, ConstantsObserversAndNames) {
  func::FuncOp fn = parse(R"mlir(
    func.func @main(%x: tensor<3xf32> {qc.name = "in"}) -> (tensor<3xf32> {qc.name = "out"}, tensor<2xi8>, tensor<2x!quant.uniform<i8:f32, 0.5>>, tensor<2xi1>) {
      %0 = qc.observe %x {name = "seen"} : tensor<3xf32>
      %1 = qc.constant dense<[-3, 7]> : tensor<2xi8>
      %2 = qc.constant dense<[-128, 127]> : tensor<2xi8> -> tensor<2x!quant.uniform<i8:f32, 0.5>>
      %3 = qc.constant dense<[true, false]> : tensor<2xi1>
      return %0, %1, %2, %3 : tensor<3xf32>, tensor<2xi8>, tensor<2x!quant.uniform<i8:f32, 0.5>>, tensor<2xi1>
    })mlir");
  ASSERT_TRUE(fn) << diagnostics;
  FailureOr<std::unique_ptr<Executor>> exe = Executor::create(fn);
  ASSERT_TRUE(succeeded(exe)) << diagnostics;
  EXPECT_EQ((*exe)->inputNames()[0], "in");
  EXPECT_EQ((*exe)->outputNames()[0], "out");
  EXPECT_EQ((*exe)->outputNames()[1], "output1");

  std::vector<std::string> seen;
  (*exe)->setObserver([&](ObserveOp op, const Tensor &t) {
    seen.push_back(op.getName()->str() + ":" + t.describe());
  });
  Tensor x(DType::F32, {3});
  for (int i = 0; i < 3; ++i)
    x.setFromDouble(i, i * 1.5);
  std::string error;
  FailureOr<std::vector<Tensor>> out = (*exe)->run({x}, error);
  ASSERT_TRUE(succeeded(out)) << error;
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], "seen:f32[3]");
  EXPECT_EQ((*out)[0].getAsDouble(2), 3.0);
  EXPECT_EQ((*out)[1].dtype(), DType::I8);
  EXPECT_EQ((*out)[1].getAsDouble(0), -3.0);
  EXPECT_EQ((*out)[2].dtype(), DType::I8);
  EXPECT_EQ((*out)[2].getAsDouble(0), -128.0);
  EXPECT_EQ((*out)[2].getAsDouble(1), 127.0);
  EXPECT_EQ((*out)[3].dtype(), DType::Bool);
  EXPECT_EQ((*out)[3].getAsDouble(0), 1.0);
  EXPECT_EQ((*out)[3].getAsDouble(1), 0.0);
}

TEST_F(ExecutorTest, UnsignedAndSubByteConstants) {
  func::FuncOp fn = parse(R"mlir(
    func.func @main() -> (tensor<2x!quant.uniform<u8:f32, 0.5:128>>, tensor<3x!quant.uniform<i4:f32, 0.5>>) {
      %0 = qc.constant dense<[0, -1]> : tensor<2xi8> -> tensor<2x!quant.uniform<u8:f32, 0.5:128>>
      %1 = qc.constant dense<[-8, 7, -1]> : tensor<3xi4> -> tensor<3x!quant.uniform<i4:f32, 0.5>>
      return %0, %1 : tensor<2x!quant.uniform<u8:f32, 0.5:128>>, tensor<3x!quant.uniform<i4:f32, 0.5>>
    })mlir");
  ASSERT_TRUE(fn) << diagnostics;
  FailureOr<std::unique_ptr<Executor>> exe = Executor::create(fn);
  ASSERT_TRUE(succeeded(exe)) << diagnostics;
  std::string error;
  FailureOr<std::vector<Tensor>> out = (*exe)->run({}, error);
  ASSERT_TRUE(succeeded(out)) << error;
  EXPECT_EQ((*out)[0].dtype(), DType::U8);
  EXPECT_EQ((*out)[0].getAsDouble(1), 255.0); // the bits of -1 as u8
  EXPECT_EQ((*out)[1].dtype(), DType::I8);    // i4 held sign-extended
  EXPECT_EQ((*out)[1].getAsDouble(0), -8.0);
  EXPECT_EQ((*out)[1].getAsDouble(2), -1.0);
}

TEST_F(ExecutorTest, RejectsBadInputs) {
  func::FuncOp fn = parse(R"mlir(
    func.func @main(%x: tensor<2x3xf32> {qc.name = "x"}) -> tensor<2x3xf32> {
      return %x : tensor<2x3xf32>
    })mlir");
  ASSERT_TRUE(fn);
  FailureOr<std::unique_ptr<Executor>> exe = Executor::create(fn);
  ASSERT_TRUE(succeeded(exe));
  std::string error;
  EXPECT_TRUE(failed((*exe)->run({}, error)));
  EXPECT_EQ(error, "expected 1 inputs, got 0");
  EXPECT_TRUE(failed((*exe)->run({Tensor(DType::F32, {3, 2})}, error)));
  EXPECT_EQ(error, "input 'x' is f32[3x2], expected f32[2x3]");
  EXPECT_TRUE(failed((*exe)->run({Tensor(DType::F64, {2, 3})}, error)));
  EXPECT_EQ(error, "input 'x' is f64[2x3], expected f32[2x3]");
  EXPECT_TRUE(failed((*exe)->run({Tensor()}, error)));
  EXPECT_EQ(error, "input 'x' is missing, expected f32[2x3]");
}

TEST_F(ExecutorTest, RejectsDynamicShapes) {
  func::FuncOp fn = parse(R"mlir(
    func.func @main(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
      return %x : tensor<?x3xf32>
    })mlir");
  ASSERT_TRUE(fn);
  EXPECT_TRUE(failed(Executor::create(fn)));
  EXPECT_NE(diagnostics.find("must be a statically shaped tensor (fix dynamic "
                             "dims with --input-shape)"),
            std::string::npos)
      << diagnostics;
}

TEST_F(ExecutorTest, RejectsOpsWithoutKernels) {
  func::FuncOp fn = parse(R"mlir(
    func.func @main(%x: tensor<3xf32>) -> tensor<3xf32> {
      %0 = tensor.empty() : tensor<3xf32>
      return %0 : tensor<3xf32>
    })mlir");
  ASSERT_TRUE(fn) << diagnostics;
  EXPECT_TRUE(failed(Executor::create(fn)));
  EXPECT_NE(diagnostics.find("executor: no kernel for 'tensor.empty'"),
            std::string::npos)
      << diagnostics;
}

TEST_F(ExecutorTest, FreesValuesAfterLastUseButKeepsConstants) {
  // Running twice must give the same answer: constants are not freed by the
  // first run's liveness bookkeeping.
  func::FuncOp fn = parse(R"mlir(
    func.func @main(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
      %c = qc.constant dense<[4.0, 5.0]> : tensor<2xf32>
      %0 = qc.observe %c : tensor<2xf32>
      return %0, %x : tensor<2xf32>, tensor<2xf32>
    })mlir");
  ASSERT_TRUE(fn);
  FailureOr<std::unique_ptr<Executor>> exe = Executor::create(fn);
  ASSERT_TRUE(succeeded(exe)) << diagnostics;
  std::string error;
  for (int run = 0; run < 2; ++run) {
    FailureOr<std::vector<Tensor>> out =
        (*exe)->run({Tensor(DType::F32, {2})}, error);
    ASSERT_TRUE(succeeded(out)) << error;
    EXPECT_EQ((*out)[0].getAsDouble(1), 5.0);
  }
}
} // namespace
