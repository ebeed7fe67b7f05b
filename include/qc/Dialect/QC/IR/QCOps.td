//===- QCOps.td - qc dialect operations ------------------------*- tablegen -*-===//
//
// Part of quantc. One file per op family; this file only gathers them.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_IR_QCOPS_TD
#define QC_DIALECT_QC_IR_QCOPS_TD

include "qc/Dialect/QC/IR/QCBase.td"
include "qc/Dialect/QC/IR/QCQuantOps.td"
include "qc/Dialect/QC/IR/QCElementwiseOps.td"
include "qc/Dialect/QC/IR/QCLinalgOps.td"
include "qc/Dialect/QC/IR/QCNNOps.td"
include "qc/Dialect/QC/IR/QCShapeOps.td"
include "qc/Dialect/QC/IR/QCTransformerOps.td"
include "qc/Dialect/QC/IR/QCBlockOps.td"

#endif // QC_DIALECT_QC_IR_QCOPS_TD
