//===- CompileModel.cpp - A model file compiled in memory -----------------===//

#include "compiler/compile/CompileModel.h"

#include "compiler/driver/Driver.h"
#include "compiler/driver/EscapedDiagnostics.h"
#include "compiler/targets/Targets.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

LogicalResult heed::compileModel(StringRef path, const PipelineOptions &options, StringRef target,
                                 std::string &bytes) {
  DialectRegistry registry;
  registerHeedDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::SourceMgr sourceMgr;
  heed::EscapedDiagnosticHandler handler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = loadModel(path, sourceMgr, context);
  if (!module)
    return failure();
  PassManager pm(&context);
  buildHeedPipeline(pm, options);
  if (failed(pm.run(*module)))
    return failure();
  return serializeModule(*module, target, bytes);
}
