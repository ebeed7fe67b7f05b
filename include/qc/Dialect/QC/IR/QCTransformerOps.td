//===- QCTransformerOps.td ---------------------------------------------*- tablegen -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_IR_QCTRANSFORMEROPS_TD
#define QC_DIALECT_QC_IR_QCTRANSFORMEROPS_TD

include "qc/Dialect/QC/IR/QCBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

#endif // QC_DIALECT_QC_IR_QCTRANSFORMEROPS_TD
