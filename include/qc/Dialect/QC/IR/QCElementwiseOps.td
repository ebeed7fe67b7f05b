//===- QCElementwiseOps.td - elementwise ops -------------------*- tablegen -*-===//
//
// Part of quantc. Binary ops broadcast their operands with NumPy/ONNX rules:
// shapes are aligned on the right and a dimension of size 1 stretches.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_IR_QCELEMENTWISEOPS_TD
#define QC_DIALECT_QC_IR_QCELEMENTWISEOPS_TD

include "qc/Dialect/QC/IR/QCBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

class QC_UnaryOp<string mnemonic, string math, Type T = QC_FloatTensor,
                 list<Trait> traits = []>
    : QC_Op<mnemonic, !listconcat([Pure, SameOperandsAndResultType], traits)> {
  let summary = "elementwise `" # math # "`";
  let description = [{
    Applies `y = }] # math # [{` to every element; the result has the
    operand's type.

    ```mlir
    %y = qc.}] # mnemonic # [{ %x : tensor<2x8xf32>
    ```
  }];
  let arguments = (ins T:$input);
  let results = (outs T:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def QC_ReluOp : QC_UnaryOp<"relu", "max(x, 0)", QC_AnyTensor> {
  let hasFolder = 1;
}
def QC_SigmoidOp : QC_UnaryOp<"sigmoid", "1 / (1 + exp(-x))">;
def QC_TanhOp : QC_UnaryOp<"tanh", "tanh(x)">;
def QC_SiluOp : QC_UnaryOp<"silu", "x * sigmoid(x)">;
def QC_HardSwishOp : QC_UnaryOp<"hardswish", "x * max(0, min(1, x / 6 + 1 / 2))">;
def QC_SoftplusOp : QC_UnaryOp<"softplus", "log(1 + exp(x))">;
def QC_ExpOp : QC_UnaryOp<"exp", "exp(x)">;
def QC_LogOp : QC_UnaryOp<"log", "log(x)">;
def QC_SqrtOp : QC_UnaryOp<"sqrt", "sqrt(x)">;
def QC_RsqrtOp : QC_UnaryOp<"rsqrt", "1 / sqrt(x)">;
def QC_ReciprocalOp : QC_UnaryOp<"reciprocal", "1 / x">;
def QC_ErfOp : QC_UnaryOp<"erf", "erf(x)">;
def QC_SinOp : QC_UnaryOp<"sin", "sin(x)">;
def QC_CosOp : QC_UnaryOp<"cos", "cos(x)">;
def QC_FloorOp : QC_UnaryOp<"floor", "floor(x)">;
def QC_CeilOp : QC_UnaryOp<"ceil", "ceil(x)">;
def QC_RoundOp : QC_UnaryOp<"round", "round_half_to_even(x)">;
def QC_NegOp : QC_UnaryOp<"neg", "-x", QC_FloatOrIntTensor> {
  let hasFolder = 1;
}
def QC_AbsOp : QC_UnaryOp<"abs", "|x|", QC_FloatOrIntTensor>;
def QC_SignOp : QC_UnaryOp<"sign", "sign(x)", QC_FloatOrIntTensor>;
def QC_NotOp : QC_UnaryOp<"not", "!x", QC_BoolTensor>;

def QC_GeluOp : QC_Op<"gelu", [Pure, SameOperandsAndResultType]> {
  let summary = "elementwise Gaussian error linear unit";
  let description = [{
    `approximate = none`: `y = 0.5 * x * (1 + erf(x / sqrt(2)))`.
    `approximate = tanh`: `y = 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))`.

    ```mlir
    %y = qc.gelu %x {approximate = #qc<gelu_approx tanh>} : tensor<4x16xf32>
    ```
  }];
  let arguments = (ins QC_FloatTensor:$input,
                       DefaultValuedAttr<QC_GeluApproxAttr, "GeluApprox::None">:$approximate);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def QC_LeakyReluOp : QC_Op<"leaky_relu", [Pure, SameOperandsAndResultType]> {
  let summary = "elementwise leaky rectifier";
  let description = [{
    `y = x >= 0 ? x : alpha * x`.

    ```mlir
    %y = qc.leaky_relu %x {alpha = 0.01 : f64} : tensor<8xf32>
    ```
  }];
  let arguments = (ins QC_FloatTensor:$input, DefaultValuedAttr<F64Attr, "0.01">:$alpha);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def QC_EluOp : QC_Op<"elu", [Pure, SameOperandsAndResultType]> {
  let summary = "elementwise exponential linear unit";
  let description = [{
    `y = x >= 0 ? x : alpha * (exp(x) - 1)`.

    ```mlir
    %y = qc.elu %x {alpha = 1.0 : f64} : tensor<8xf32>
    ```
  }];
  let arguments = (ins QC_FloatTensor:$input, DefaultValuedAttr<F64Attr, "1.0">:$alpha);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def QC_HardSigmoidOp : QC_Op<"hardsigmoid", [Pure, SameOperandsAndResultType]> {
  let summary = "elementwise piecewise-linear sigmoid";
  let description = [{
    `y = max(0, min(1, alpha * x + beta))`. ONNX's defaults are
    `alpha = 0.2`, `beta = 0.5`; PyTorch's `hardsigmoid` is `alpha = 1/6`.

    ```mlir
    %y = qc.hardsigmoid %x {alpha = 0.2 : f64, beta = 0.5 : f64} : tensor<8xf32>
    ```
  }];
  let arguments = (ins QC_FloatTensor:$input,
                       DefaultValuedAttr<F64Attr, "0.2">:$alpha,
                       DefaultValuedAttr<F64Attr, "0.5">:$beta);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def QC_ClipOp : QC_Op<"clip", [Pure, SameOperandsAndResultType]> {
  let summary = "elementwise clamp to [min, max]";
  let description = [{
    `y = min(max(x, min), max)`; an absent bound is unbounded. On a quantized
    tensor the bounds are real numbers and the clamp is applied to the stored
    integers after mapping the bounds through the tensor's scale and zero point
    (rounded half to even), which keeps the op exact on the integer grid.
    The verifier requires `min <= max`.

    ```mlir
    %y = qc.clip %x {min = 0.0 : f64, max = 6.0 : f64} : tensor<1x8x4x4xf32>
    ```
  }];
  let arguments = (ins QC_AnyTensor:$input,
                       OptionalAttr<F64Attr>:$min,
                       OptionalAttr<F64Attr>:$max);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def QC_CastOp : QC_Op<"cast", [Pure, SameOperandsAndResultShape]> {
  let summary = "elementwise conversion between float, integer and boolean";
  let description = [{
    Converts each element to the result element type with ONNX `Cast`
    semantics: float to integer truncates toward zero (out-of-range values are
    undefined, as in ONNX), integer to float rounds to nearest, anything to
    `i1` is `x != 0`, `i1` to anything is 0 or 1. Quantized types are not
    accepted: use `quant.qcast`/`quant.dcast`.

    ```mlir
    %y = qc.cast %x : tensor<4xi64> -> tensor<4xf32>
    ```
  }];
  let arguments = (ins QC_FloatOrIntTensor:$input);
  let results = (outs QC_FloatOrIntTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Binary (broadcasting)
//===----------------------------------------------------------------------===//

class QC_BinaryOp<string mnemonic, string math, Type T = QC_FloatOrIntTensor,
                  Type R = T, list<Trait> traits = []>
    : QC_Op<mnemonic, !listconcat([Pure], traits)> {
  let summary = "elementwise `" # math # "` with broadcasting";
  let description = [{
    Computes `z = }] # math # [{` element by element after broadcasting `lhs`
    and `rhs` to the result shape (NumPy rules: align on the right, a
    dimension of size 1 stretches). Both operands have the same element type.

    ```mlir
    %z = qc.}] # mnemonic # [{ %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
    ```
  }];
  let arguments = (ins T:$lhs, T:$rhs);
  let results = (outs R:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` `(` type($lhs) `,` type($rhs) `)` `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

// Arithmetic that also accepts per-tensor quantized operands: the real-valued
// result is requantized to the result's scale and zero point.
def QC_AddOp : QC_BinaryOp<"add", "lhs + rhs", QC_AnyTensor, QC_AnyTensor, [Commutative]>;
def QC_SubOp : QC_BinaryOp<"sub", "lhs - rhs", QC_AnyTensor>;
def QC_MulOp : QC_BinaryOp<"mul", "lhs * rhs", QC_AnyTensor, QC_AnyTensor, [Commutative]>;
def QC_DivOp : QC_BinaryOp<"div", "lhs / rhs (integers truncate toward zero)">;
def QC_PowOp : QC_BinaryOp<"pow", "lhs ^ rhs", QC_FloatTensor>;
def QC_MaxOp : QC_BinaryOp<"max", "max(lhs, rhs)", QC_AnyTensor, QC_AnyTensor, [Commutative]>;
def QC_MinOp : QC_BinaryOp<"min", "min(lhs, rhs)", QC_AnyTensor, QC_AnyTensor, [Commutative]>;
def QC_ModOp : QC_BinaryOp<"mod", "lhs mod rhs (sign of rhs, as Python and ONNX fmod=0)">;

def QC_EqualOp : QC_BinaryOp<"equal", "lhs == rhs", QC_FloatOrIntTensor, QC_BoolTensor, [Commutative]>;
def QC_LessOp : QC_BinaryOp<"less", "lhs < rhs", QC_FloatOrIntTensor, QC_BoolTensor>;
def QC_LessEqualOp : QC_BinaryOp<"less_equal", "lhs <= rhs", QC_FloatOrIntTensor, QC_BoolTensor>;
def QC_GreaterOp : QC_BinaryOp<"greater", "lhs > rhs", QC_FloatOrIntTensor, QC_BoolTensor>;
def QC_GreaterEqualOp : QC_BinaryOp<"greater_equal", "lhs >= rhs", QC_FloatOrIntTensor, QC_BoolTensor>;

def QC_AndOp : QC_BinaryOp<"and", "lhs && rhs", QC_BoolTensor, QC_BoolTensor, [Commutative]>;
def QC_OrOp : QC_BinaryOp<"or", "lhs || rhs", QC_BoolTensor, QC_BoolTensor, [Commutative]>;
def QC_XorOp : QC_BinaryOp<"xor", "lhs != rhs", QC_BoolTensor, QC_BoolTensor, [Commutative]>;

def QC_WhereOp : QC_Op<"where", [Pure]> {
  let summary = "elementwise select with broadcasting";
  let description = [{
    `z = cond ? lhs : rhs`, after broadcasting all three operands to the
    result shape. `lhs`, `rhs` and the result share an element type.

    ```mlir
    %z = qc.where %c, %a, %b : (tensor<4xi1>, tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
    ```
  }];
  let arguments = (ins QC_BoolTensor:$condition, QC_FloatOrIntTensor:$lhs,
                       QC_FloatOrIntTensor:$rhs);
  let results = (outs QC_FloatOrIntTensor:$result);
  let assemblyFormat = "$condition `,` $lhs `,` $rhs attr-dict `:` `(` type($condition) `,` "
                       "type($lhs) `,` type($rhs) `)` `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

#endif // QC_DIALECT_QC_IR_QCELEMENTWISEOPS_TD
