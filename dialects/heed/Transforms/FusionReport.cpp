//===- FusionReport.cpp - Why each remaining softmax was not fused --------===//
//
// The fusion passes remark at the softmaxes they fuse, before the softmax
// disappears; this pass, run after them, remarks at every softmax left,
// with the first soundness rule the matchers found violated. Which matcher
// speaks: the additive one when it found v^T tanh(...) scoring, else the
// dot-product one.
//
//===----------------------------------------------------------------------===//

#include "dialects/heed/Transforms/AttentionMatch.h"
#include "dialects/heed/Transforms/Passes.h"
#include "dialects/heed/Transforms/Patterns.h"

namespace mlir::heed {
#define GEN_PASS_DEF_HEEDFUSIONREPORT
#include "dialects/heed/Transforms/Passes.h.inc"
} // namespace mlir::heed

using namespace mlir;
using namespace mlir::heed;

std::string heed::explainUnfusedSoftmax(SoftmaxOp softmax, MaskedRows maskedRows) {
  std::string dotReason, additiveReason;
  bool recognized = false;
  if (succeeded(fusion::matchSdpa(softmax, dotReason, maskedRows)) ||
      succeeded(fusion::matchAdditive(softmax, additiveReason, recognized, maskedRows)))
    return "";
  return recognized ? additiveReason : dotReason;
}

namespace {
struct FusionReportPass : heed::impl::HeedFusionReportBase<FusionReportPass> {
  using Base::Base;
  void runOnOperation() override {
    FailureOr<FusionOptions> options = parseFusionOptions(getOperation(), false, maskedRows);
    if (failed(options))
      return signalPassFailure();
    getOperation().walk([&](SoftmaxOp softmax) {
      std::string reason = fusionDisabled ? "fusion is disabled"
                                          : explainUnfusedSoftmax(softmax, options->maskedRows);
      if (reason.empty())
        reason = "no fusion pass ran";
      softmax.emitRemark("softmax not fused: ") << reason;
    });
  }
};
} // namespace
