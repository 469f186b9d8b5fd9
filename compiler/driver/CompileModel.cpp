//===- CompileModel.cpp - A model file compiled in memory -----------------===//

#include "compiler/driver/CompileModel.h"

#include "compiler/driver/Driver.h"
#include "compiler/driver/EncoderDecoder.h"
#include "compiler/driver/EscapedDiagnostics.h"
#include "compiler/targets/Targets.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

LogicalResult heed::compileModel(StringRef path, const PipelineOptions &options, StringRef target,
                                 std::string &bytes, llvm::raw_ostream *diagnostics,
                                 StringRef decoderPath, ArrayRef<std::string> binds) {
  DialectRegistry registry;
  registerHeedDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::SourceMgr sourceMgr;
  llvm::raw_ostream &os = diagnostics ? *diagnostics : llvm::errs();
  // Model text in messages is escaped (EscapedDiagnostics.h), for both handlers.
  heed::EscapedDiagnosticHandler handler(sourceMgr, &context, os);
  ModelDiagnosticHandler modelHandler(&context, handler.escapedStream());
  OwningOpRef<ModuleOp> module =
      decoderPath.empty() ? loadModel(path, sourceMgr, context)
                          : loadEncoderDecoder(path, decoderPath,
                                               std::vector<std::string>(binds.begin(), binds.end()),
                                               sourceMgr, context);
  if (!module)
    return failure();
  PassManager pm(&context);
  buildHeedPipeline(pm, options);
  if (failed(pm.run(*module)))
    return failure();
  return serializeModule(*module, target, bytes);
}
