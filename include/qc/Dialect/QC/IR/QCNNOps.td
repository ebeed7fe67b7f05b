//===- QCNNOps.td ---------------------------------------------*- tablegen -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_IR_QCNNOPS_TD
#define QC_DIALECT_QC_IR_QCNNOPS_TD

include "qc/Dialect/QC/IR/QCBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

#endif // QC_DIALECT_QC_IR_QCNNOPS_TD
