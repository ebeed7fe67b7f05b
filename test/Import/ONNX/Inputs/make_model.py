#!/usr/bin/env python3
# ===- make_model.py - build the ONNX models of the importer tests -------=== #
#
# Part of quantc. The models live in the .test files themselves, as Python
# in comment lines, so that each test shows what it imports:
#
#   # MODEL conv
#   #| x = inp("x", F, [1, 3, 8, 8])
#   #| save([node("Relu", ["x"], ["y"])], [x], [out("y")])
#
# `make_model.py TEST NAME OUT.onnx` runs section NAME of TEST and writes the
# model it saves to OUT.onnx (external-data files go beside it).
#
# ===----------------------------------------------------------------------=== #

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT
I64 = TensorProto.INT64
I32 = TensorProto.INT32
I8 = TensorProto.INT8
U8 = TensorProto.UINT8
B = TensorProto.BOOL
F16 = TensorProto.FLOAT16

_out_path = None


def inp(name, elem=F, shape=None):
    return helper.make_tensor_value_info(name, elem, shape)


def out(name, elem=F, shape=None):
    return helper.make_tensor_value_info(name, elem, shape)


def node(op, inputs, outputs, name=None, **attrs):
    return helper.make_node(op, inputs, outputs, name=name or outputs[0], **attrs)


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def const(name, array):
    """A Constant node holding `array`."""
    return helper.make_node("Constant", [], [name], name=name,
                            value=numpy_helper.from_array(np.asarray(array)))


def make(nodes, inputs, outputs, inits=(), opset=17, ir_version=8):
    graph = helper.make_graph(nodes, "test", inputs, outputs, list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                             ir_version=ir_version)


def save(nodes, inputs, outputs, inits=(), opset=17, external=None, **kw):
    """Writes the model; `external` moves initializers to that file."""
    model = make(nodes, inputs, outputs, inits, opset, **kw)
    if external:
        onnx.external_data_helper.convert_model_to_external_data(
            model, all_tensors_to_one_file=True, location=external,
            size_threshold=0)
    onnx.save_model(model, _out_path)
    return model


def save_raw(data):
    """Writes arbitrary bytes (malformed-model tests)."""
    with open(_out_path, "wb") as f:
        f.write(data)


def section(test_file, name):
    lines, active = [], False
    with open(test_file) as f:
        for line in f:
            s = line.strip()
            if s.startswith("# MODEL "):
                active = s.split()[2] == name
            elif active and s.startswith("#|"):
                lines.append(line.split("#|", 1)[1][1:] if s != "#|" else "\n")
    if not lines:
        sys.exit("make_model.py: no section '%s' in %s" % (name, test_file))
    return "".join(lines)


def main():
    global _out_path
    test_file, name, _out_path = sys.argv[1:4]
    os.makedirs(os.path.dirname(os.path.abspath(_out_path)), exist_ok=True)
    exec(compile(section(test_file, name), "%s:%s" % (test_file, name), "exec"),
         globals())


if __name__ == "__main__":
    main()
