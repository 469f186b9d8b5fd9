//===- heed-compile.cpp - Compiles a model into a Heed module -------------===//
//
//   heed-compile MODEL [-o OUT.heedm] [--target=cpu|vulkan|all]
//                [--emit=mlir|mlir-input|module] [--fusion-report]
//                [--masked-rows=zero|nan] [--no-fusion]
//                [MLIR's --mlir-print-ir-* / --mlir-timing]
//
// Exit status 0 on success, 1 on any user error (reported with its location).
//
//===----------------------------------------------------------------------===//

#include "compiler/driver/Driver.h"
#include "compiler/driver/EncoderDecoder.h"
#include "compiler/driver/EscapedDiagnostics.h"
#include "compiler/driver/Pipeline.h"
#include "compiler/tools/support/CommandLine.h"
#include "compiler/tools/support/ToolVersion.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"

#ifdef HEED_HAVE_TARGETS
#include "compiler/targets/Targets.h"
#endif

using namespace mlir;
namespace cl = llvm::cl;

namespace {
enum class Emit { mlirInput, mlir, module };

cl::OptionCategory category("heed-compile options");

cl::opt<std::string> inputPath(cl::Positional, cl::desc("<model .heed|.onnx|.mlir>"), cl::Required,
                               cl::cat(category));
cl::opt<std::string> outputPath("o",
                                cl::desc("Output file (default: MODEL with .heedm, or stdout "
                                         "for --emit=mlir*)"),
                                cl::value_desc("file"), cl::cat(category));
cl::opt<Emit>
    emit("emit", cl::desc("What to produce"), cl::init(Emit::module),
         cl::values(clEnumValN(Emit::mlirInput, "mlir-input", "heed IR as the frontend built it"),
                    clEnumValN(Emit::mlir, "mlir", "heed IR after the fusion pipeline"),
                    clEnumValN(Emit::module, "module", "a Heed module file")),
         cl::cat(category));
cl::opt<std::string> target("target", cl::desc("cpu, vulkan or all"), cl::init("cpu"),
                            cl::cat(category));
cl::opt<bool>
    fusionReport("fusion-report",
                 cl::desc("Print, for every softmax, the op it was fused into or why not"),
                 cl::cat(category));
cl::opt<std::string> maskedRows("masked-rows",
                                cl::desc("Fully masked attention rows give zero (default) or nan"),
                                cl::init("zero"), cl::cat(category));
cl::opt<std::string> decoderPath("decoder",
                                 cl::desc("A decoder model: MODEL is then the encoder, and the "
                                          "module gets encode and decode_step (docs/decoding.md)"),
                                 cl::value_desc("DECODER.onnx"), cl::cat(category));
cl::list<std::string> binds("bind",
                            cl::desc("With --decoder: decoder output OUT feeds decoder input IN "
                                     "at the next step (repeatable)"),
                            cl::value_desc("OUT:IN"), cl::cat(category));
cl::opt<bool> noFusion("no-fusion",
                       cl::desc("Keep the decomposed graph: no attention canonicalization or "
                                "fusion (the pipeline's fuse=false)"),
                       cl::cat(category));

/// "file:line:col" for a .heed/.mlir position, "file: node 'x' (Op)" for an
/// ONNX node (a NameLoc around the model file), whatever MLIR prints otherwise.
std::string describe(Location loc) {
  if (auto file = dyn_cast<FileLineColLoc>(loc)) {
    std::string text = file.getFilename().str();
    if (file.getLine() != 0)
      text += ":" + std::to_string(file.getLine()) + ":" + std::to_string(file.getColumn());
    return text;
  }
  if (auto name = dyn_cast<NameLoc>(loc)) {
    if (isa<UnknownLoc>(name.getChildLoc()))
      return name.getName().str();
    return describe(name.getChildLoc()) + ": " + name.getName().str();
  }
  if (auto fused = dyn_cast<FusedLoc>(loc))
    if (!fused.getLocations().empty())
      return describe(fused.getLocations().front());
  std::string text;
  llvm::raw_string_ostream(text) << loc;
  return text;
}

/// Prints remarks as one line each ("file:line:col: remark text") on stdout,
/// which is what --fusion-report promises; other diagnostics fall through.
LogicalResult printRemarkLine(Diagnostic &diag) {
  if (diag.getSeverity() != DiagnosticSeverity::Remark)
    return failure();
  // Locations and messages quote model names: control bytes escaped.
  heed::EscapingStream escaped(llvm::outs());
  escaped << describe(diag.getLocation()) << ": " << diag.str() << "\n";
  return success();
}

int fail(const Twine &message) {
  llvm::errs() << "heed-compile: " << message << "\n";
  return 1;
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  heed::tools::installVersionPrinter("heed-compile");
  // LLVM's backend flags and MLIR's debugging options stay reachable through --help-hidden.
  cl::HideUnrelatedOptions(category);
  heed::tools::refuseHelpLookalikes(argc, argv);
  cl::ParseCommandLineOptions(
      argc, argv,
      "Heed model compiler: a .heed, .onnx or .mlir model into a Heed module (.heedm)\n\n"
      "  heed-compile model.onnx -o model.heedm              # for the CPU\n"
      "  heed-compile model.heed --target=all -o m.heedm     # CPU and Vulkan kernels\n"
      "  heed-compile model.onnx --emit=mlir --fusion-report # the fused IR, and why not\n"
      "  heed-compile enc.onnx --decoder=dec.onnx -o m.heedm  # for heed-run translate\n\n"
      "MLIR's --mlir-print-ir-after-all, --mlir-timing and the rest: --help-hidden.\n");

  if (target != "cpu" && target != "vulkan" && target != "all")
    return fail("unknown --target '" + target + "'; expected cpu, vulkan or all");
  if (maskedRows != "zero" && maskedRows != "nan")
    return fail("unknown --masked-rows '" + maskedRows + "'; expected zero or nan");

  DialectRegistry registry;
  heed::registerHeedDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::SourceMgr sourceMgr;
  heed::EscapedDiagnosticHandler sourceHandler(sourceMgr, &context);
  heed::ModelDiagnosticHandler modelHandler(&context, sourceHandler.escapedStream());
  std::optional<ScopedDiagnosticHandler> remarkHandler;
  if (fusionReport)
    remarkHandler.emplace(&context, printRemarkLine);

  if (!binds.empty() && decoderPath.empty())
    return fail("--bind needs --decoder");
  OwningOpRef<ModuleOp> module =
      decoderPath.empty()
          ? heed::loadModel(inputPath, sourceMgr, context)
          : heed::loadEncoderDecoder(inputPath, decoderPath,
                                     std::vector<std::string>(binds.begin(), binds.end()),
                                     sourceMgr, context);
  if (!module)
    return 1;

  // IR text: to stdout by default, else through writeOutputFile (a device, FIFO, directory or
  // link is refused, not replaced).
  auto writeIR = [&]() {
    std::string text, error;
    llvm::raw_string_ostream os(text);
    module->print(os);
    os << "\n";
    if (!heed::writeOutputFile(outputPath.empty() ? "-" : outputPath.getValue(), text, error))
      return fail(error);
    return 0;
  };
  if (emit == Emit::mlirInput)
    return writeIR();

  PassManager pm(&context);
  if (failed(applyPassManagerCLOptions(pm)))
    return 1;
  applyDefaultTimingPassManagerCLOptions(pm);
  heed::PipelineOptions options;
  options.fuse = !noFusion;
  options.fusionReport = fusionReport;
  options.maskedRows = maskedRows;
  heed::buildHeedPipeline(pm, options);
  if (failed(pm.run(*module)))
    return 1;
  if (emit == Emit::mlir)
    return writeIR();

#ifdef HEED_HAVE_TARGETS
  std::string out = outputPath;
  if (out.empty()) {
    llvm::SmallString<256> path(inputPath.getValue());
    llvm::sys::path::replace_extension(path, ".heedm");
    out = std::string(path);
  }
  if (failed(heed::writeModuleFile(*module, target, out)))
    return 1;
  return 0;
#else
  return fail("this build cannot write modules yet (no code generation target); use "
              "--emit=mlir or --emit=mlir-input");
#endif
}
