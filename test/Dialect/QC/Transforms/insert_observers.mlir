// RUN: quant-opt %s -split-input-file --qc-insert-observers="scheme=w8a8" | FileCheck %s --check-prefix=W8A8
// RUN: quant-opt %s -split-input-file --qc-insert-observers="scheme=w4a16" | FileCheck %s --check-prefix=W4A16
// RUN: quant-opt %s -split-input-file --qc-insert-observers="scheme=w4a16-g32 protect-first-last=false keep-float=^fc2$" | FileCheck %s --check-prefix=KEEP
// RUN: quant-opt %s -split-input-file --qc-insert-observers="scheme=w8a8 layer-scheme=conv=w8a8-dynamic,fc2=w2a16-pt protect-first-last=false" | FileCheck %s --check-prefix=LAYER
// RUN: quant-opt %s -split-input-file --qc-insert-observers="scheme=w4a16-g32 protect-first-last=false" -o /dev/null 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: not quant-opt %s -split-input-file --qc-insert-observers="scheme=w9a8" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not quant-opt %s -split-input-file --qc-insert-observers="scheme=w8a8 layer-scheme=fc" 2>&1 | FileCheck %s --check-prefix=BADLAYER

// A conv -> relu -> max pool -> reshape -> linear -> linear chain.

// W8A8-LABEL: func @cnn
// The graph input is observed once, as a per-tensor asymmetric int8 value.
// W8A8: %[[X:.*]] = qc.observe %arg0 {name = "image", storage = i8}
// W8A8: %[[W1:.*]] = qc.observe %{{.*}} {axis = 0 : i64, name = "conv.weight", narrow_range, storage = i8, symmetric} : tensor<4x1x3x3xf32>
// W8A8: %[[C:.*]] = qc.conv2d %[[X]], %[[W1]], %{{.*}}
// The conv's only user is a ReLU: the ReLU's output is observed, not the conv's.
// W8A8-NEXT: %[[R:.*]] = qc.relu %[[C]]
// W8A8-NEXT: %[[RO:.*]] = qc.observe %[[R]] {name = "relu", storage = i8}
// Max pooling and reshape carry the ReLU's quantized values: no new observer.
// W8A8-NEXT: %[[P:.*]] = qc.pool2d %[[RO]]
// W8A8-NEXT: %[[F:.*]] = qc.reshape %[[P]]
// W8A8: %[[W2:.*]] = qc.observe %{{.*}} {axis = 0 : i64, name = "fc1.weight", narrow_range, storage = i8, symmetric} : tensor<8x64xf32>
// W8A8: %[[L1:.*]] = qc.linear %[[F]], %[[W2]]
// W8A8-NEXT: qc.observe %[[L1]] {name = "fc1", storage = i8}
// W8A8: qc.observe %{{.*}} {axis = 0 : i64, name = "fc2.weight", narrow_range, storage = i8, symmetric} : tensor<2x8xf32>
// The model's output stays float.
// W8A8: %[[L2:.*]] = qc.linear
// W8A8-NEXT: return %[[L2]]

// Weight-only: no activation observers; 4-bit groups of 32 on the middle
// layer, the first and last layers keep 8 bits per channel.
// W4A16-LABEL: func @cnn
// W4A16-NOT: qc.observe %arg0
// W4A16: qc.observe %{{.*}} {axis = 0 : i64, name = "conv.weight", narrow_range, storage = i8, symmetric}
// W4A16: qc.observe %{{.*}} {axis = 0 : i64, block_axis = 1 : i64, block_size = 32 : i64, name = "fc1.weight", narrow_range, storage = i4, symmetric}
// W4A16: qc.observe %{{.*}} {axis = 0 : i64, name = "fc2.weight", narrow_range, storage = i8, symmetric}
// W4A16-NOT: qc.observe

// Without protection, the conv's reduction dimension (1 input channel) is not
// a multiple of 32: per channel, with 8 bits (the partial-block rule). fc2
// stays float.
// KEEP-LABEL: func @cnn
// KEEP: qc.observe %{{.*}} {axis = 0 : i64, name = "conv.weight", narrow_range, storage = i8, symmetric}
// KEEP: qc.observe %{{.*}} {axis = 0 : i64, block_axis = 1 : i64, block_size = 32 : i64, name = "fc1.weight", narrow_range, storage = i4, symmetric}
// KEEP-NOT: qc.observe

// The first matching entry wins; "conv" also matches "conv.weight".
// LAYER-LABEL: func @cnn
// LAYER: %[[XD:.*]] = qc.observe %arg0 {dynamic, name = "conv.input", narrow_range, storage = i8, symmetric}
// LAYER: qc.conv2d %[[XD]]
// A dynamic conv output is not observed; the next static op observes its input.
// LAYER-NOT: name = "relu"
// LAYER: qc.observe %{{.*}} {name = "flatten", storage = i8}
// LAYER: qc.observe %{{.*}} {axis = 0 : i64, name = "fc1.weight", narrow_range, storage = i8, symmetric}
// fc2 is weight-only, so fc1's result, which only fc2 reads, stays float.
// LAYER-NOT: name = "fc1"
// Two bits, per tensor, asymmetric (the default below 4 bits).
// LAYER: qc.observe %{{.*}} {name = "fc2.weight", storage = i2} : tensor<2x8xf32>

// REMARK: remark: 2 of 3 quantized ops have a reduction dimension that is not a multiple of the group size and are quantized per channel with at least 8 bits: conv (1), fc2 (8)

// BAD: error: invalid quantization scheme 'w9a8': weight bits must be 2 to 8
// BADLAYER: error: invalid layer-scheme 'fc': expected REGEX=SCHEME

func.func @cnn(%x: tensor<2x1x8x8xf32> {qc.name = "image"}) -> tensor<2x2xf32> {
  %w1 = qc.constant dense<0.5> : tensor<4x1x3x3xf32> loc("conv.weight")
  %b1 = qc.constant dense<0.1> : tensor<4xf32>
  %c = qc.conv2d %x, %w1, %b1 {pads = array<i64: 1, 1, 1, 1>} : (tensor<2x1x8x8xf32>, tensor<4x1x3x3xf32>, tensor<4xf32>) -> tensor<2x4x8x8xf32> loc("conv")
  %r = qc.relu %c : tensor<2x4x8x8xf32> loc("relu")
  %p = qc.pool2d %r {kernel = array<i64: 2, 2>, kind = #qc<pool_kind max>, strides = array<i64: 2, 2>} : tensor<2x4x8x8xf32> -> tensor<2x4x4x4xf32> loc("pool")
  %f = qc.reshape %p : tensor<2x4x4x4xf32> -> tensor<2x64xf32> loc("flatten")
  %w2 = qc.constant dense<0.25> : tensor<8x64xf32> loc("fc1.weight")
  %l1 = qc.linear %f, %w2 : (tensor<2x64xf32>, tensor<8x64xf32>) -> tensor<2x8xf32> loc("fc1")
  %w3 = qc.constant dense<0.125> : tensor<2x8xf32> loc("fc2.weight")
  %l2 = qc.linear %l1, %w3 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x2xf32> loc("fc2")
  return %l2 : tensor<2x2xf32>
}

// -----

// A conv whose result goes through float math (a scale and a shift, as in a
// learnable affine block) before the next conv: only the next conv's input is
// rounded to int8; the first conv's result stays float.
// W4A16-LABEL: func @affine_between
// KEEP-LABEL: func @affine_between
// LAYER-LABEL: func @affine_between
// W8A8-LABEL: func @affine_between
// W8A8: %[[X:.*]] = qc.observe %arg0 {name = "x", storage = i8}
// W8A8: %[[C1:.*]] = qc.conv2d %[[X]]
// W8A8-NEXT: qc.constant
// W8A8-NEXT: %[[M:.*]] = qc.mul %[[C1]]
// W8A8-NEXT: qc.constant
// W8A8-NEXT: %[[A:.*]] = qc.add %[[M]]
// W8A8-NEXT: %[[AO:.*]] = qc.observe %[[A]] {name = "shift", storage = i8}
// W8A8: qc.conv2d %[[AO]]
// W8A8-NOT: qc.observe
// W8A8: return
func.func @affine_between(%x: tensor<1x2x4x4xf32> {qc.name = "x"}) -> tensor<1x2x4x4xf32> {
  %w1 = qc.constant dense<0.5> : tensor<2x2x1x1xf32> loc("conv1.weight")
  %c1 = qc.conv2d %x, %w1 : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32> loc("conv1")
  %s = qc.constant dense<0.9> : tensor<1xf32>
  %m = qc.mul %c1, %s : (tensor<1x2x4x4xf32>, tensor<1xf32>) -> tensor<1x2x4x4xf32> loc("scale")
  %t = qc.constant dense<0.1> : tensor<1xf32>
  %a = qc.add %m, %t : (tensor<1x2x4x4xf32>, tensor<1xf32>) -> tensor<1x2x4x4xf32> loc("shift")
  %w2 = qc.constant dense<0.25> : tensor<2x2x1x1xf32> loc("conv2.weight")
  %c2 = qc.conv2d %a, %w2 : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32> loc("conv2")
  return %c2 : tensor<1x2x4x4xf32>
}
