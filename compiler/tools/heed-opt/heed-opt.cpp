//===- heed-opt.cpp - The heed optimizer driver ---------------------------===//
//
// mlir-opt for Heed: the heed dialect, the upstream dialects Heed uses, every
// heed pass and pipeline, and the upstream passes tests rely on (canonicalize,
// cse). --help shows the passes and the options one uses with them; LLVM's
// backend flags (which libLLVM registers in every tool) and MLIR's debugging
// options stay usable and are listed by --help-hidden.
//
//===----------------------------------------------------------------------===//

#include "compiler/driver/OptMain.h"
#include "compiler/driver/Pipeline.h"
#include "compiler/tools/support/CommandLine.h"
#include "compiler/tools/support/ToolVersion.h"
#include "dialects/heed/IR/HeedDialect.h"
#include "dialects/heed/Transforms/Passes.h"

#include "mlir/Debug/Counter.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"

namespace {
/// The options --help shows besides the pass list; everything else is hidden.
constexpr llvm::StringLiteral kShown[] = {"help",
                                          "version",
                                          "o",
                                          "pass-pipeline",
                                          "split-input-file",
                                          "verify-diagnostics",
                                          "list-passes",
                                          "verify-roundtrip",
                                          "allow-unregistered-dialect",
                                          "mlir-timing",
                                          "mlir-print-ir-after-all",
                                          "mlir-print-debuginfo"};

/// Registers MLIR's driver options now (MlirOptMain registers them again: each is a
/// ManagedStatic, made once) so that they can be hidden before the command line is parsed.
void hideUnrelatedOptions(mlir::DialectRegistry &registry) {
  mlir::MlirOptMainConfig::registerCLOptions(registry);
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  mlir::tracing::DebugCounter::registerCLOptions();
  auto &options = llvm::cl::getRegisteredOptions();
  // Every pass name is a key of the one option that lists the passes.
  llvm::cl::Option *passList = options.lookup("heed-pipeline");
  for (auto &[name, option] : options)
    if (option != passList && !llvm::is_contained(kShown, name))
      option->setHiddenFlag(llvm::cl::Hidden);
}
} // namespace

int main(int argc, char **argv) {
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::heed::registerHeedPasses();
  mlir::heed::registerHeedPipelines();

  mlir::DialectRegistry registry;
  registry.insert<mlir::heed::HeedDialect, mlir::arith::ArithDialect, mlir::func::FuncDialect>();
  hideUnrelatedOptions(registry);
  mlir::heed::tools::installVersionPrinter("heed-opt");
  mlir::heed::tools::refuseHelpLookalikes(argc, argv);
  // Refuses .mlir nested past the limit before MLIR parses it (compiler/driver/OptMain.h).
  return mlir::heed::optMain(
      argc, argv,
      "Heed optimizer driver: runs heed passes on .mlir files\n\n"
      "  heed-opt model.mlir --heed-pipeline            # the whole compile pipeline\n"
      "  heed-opt model.mlir --heed-fuse-attention      # one pass\n"
      "  heed-opt model.mlir --verify-roundtrip         # parse, print, parse again\n",
      registry);
}
