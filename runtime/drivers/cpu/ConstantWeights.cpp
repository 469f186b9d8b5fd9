//===- ConstantWeights.cpp - Transposed copies of constant weights --------===//
//
// Linear layers and recurrent cells hold their weights as W [N, K] (torch's and ONNX's layout)
// and compute x W^T. For the few rows of a decoder step or a recurrence over a small batch,
// oneDNN's sgemm reads W^T stored as [K, N] 1.4-3x faster than W read transposed (measured in
// docs/performance.md), so the executor keeps a transposed copy of each constant weight, made on
// first use: what ONNX Runtime and CTranslate2 call pre-packing. Only module constants qualify:
// they never change, so the copy cannot go stale; anything computed at run time is used as is.
// fromConstants keeps other things made from constants the same way (the recurrent weights
// packed for oneDNN's RNN primitives, DnnlRecurrent.h).
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/cpu/Executor.h"

#include <algorithm>

namespace heed::rt::cpu {

namespace {

/// dst[K, N] = src[N, K]^T, in cache-sized tiles.
void transpose(const float *src, int64_t N, int64_t K, float *dst) {
  constexpr int64_t tile = 32;
  for (int64_t n0 = 0; n0 < N; n0 += tile)
    for (int64_t k0 = 0; k0 < K; k0 += tile)
      for (int64_t n = n0; n < std::min(N, n0 + tile); ++n)
        for (int64_t k = k0; k < std::min(K, k0 + tile); ++k)
          dst[k * N + n] = src[n * K + k];
}

} // namespace

const Tensor *Executor::transposedConstant(const Module &module, const Tensor &w) {
  if (w.type != ElemType::f32 || w.rank() != 2 || !w.storage)
    return nullptr;
  auto it = transposed.find(w.data);
  if (it != transposed.end()) {
    // The same address may now belong to another module's constant: check the owner is alive
    // and is this tensor's.
    std::shared_ptr<uint8_t> owner = it->second.storage.lock();
    if (owner && owner.get() == w.storage.get() && it->second.shape == w.shape)
      return &it->second.t;
  }
  if (!immutable(module, w))
    return nullptr;
  // Forget copies whose constants are gone before adding one.
  for (auto e = transposed.begin(); e != transposed.end();)
    e = e->second.storage.expired() ? transposed.erase(e) : std::next(e);
  Tensor t = makeTensor(ElemType::f32, {w.dim(1), w.dim(0)});
  transpose(w.as<float>(), w.dim(0), w.dim(1), t.as<float>());
  Transposed &entry = transposed[w.data];
  entry = Transposed{w.storage, w.shape, std::move(t)};
  return &entry.t;
}

std::shared_ptr<void> Executor::fromConstants(const Module &module, const std::string &kind,
                                              const std::vector<const Tensor *> &sources,
                                              const std::function<std::shared_ptr<void>()> &make) {
  std::string key = kind;
  for (const Tensor *s : sources)
    key += ":" + std::to_string(reinterpret_cast<uintptr_t>(s->data));
  auto it = fromConstantsMade.find(key);
  if (it != fromConstantsMade.end()) {
    // The same addresses may now belong to another module's constants: check that each owner is
    // alive and is the source's.
    bool same = true;
    for (size_t i = 0; i < sources.size() && same; ++i) {
      std::shared_ptr<uint8_t> owner = it->second.storages[i].lock();
      same = owner && owner.get() == sources[i]->storage.get() &&
             it->second.shapes[i] == sources[i]->shape;
    }
    if (same)
      return it->second.value;
  }
  for (const Tensor *s : sources)
    if (!immutable(module, *s))
      return nullptr;
  // Forget what was made from constants that are gone before adding more.
  for (auto e = fromConstantsMade.begin(); e != fromConstantsMade.end();) {
    bool gone = std::any_of(e->second.storages.begin(), e->second.storages.end(),
                            [](const std::weak_ptr<uint8_t> &w) { return w.expired(); });
    e = gone ? fromConstantsMade.erase(e) : std::next(e);
  }
  FromConstants entry;
  for (const Tensor *s : sources) {
    entry.storages.push_back(s->storage);
    entry.shapes.push_back(s->shape);
  }
  entry.value = make();
  return (fromConstantsMade[key] = std::move(entry)).value;
}

bool Executor::immutable(const Module &module, const Tensor &t) const {
  if (!t.storage)
    return false;
  if (std::any_of(module.constants.begin(), module.constants.end(),
                  [&](const Tensor &k) { return k.storage == t.storage; }))
    return true;
  for (const auto &[op, f] : folded)
    for (const Tensor &r : f.results)
      if (r.storage == t.storage)
        return true;
  return false;
}

namespace {

/// The ops whose results are kept when their operands are immutable: they only move elements,
/// so their results cost no more memory than the constants they come from.
bool foldable(OpKind k) {
  return k == OpKind::Slice || k == OpKind::Concat || k == OpKind::Reshape ||
         k == OpKind::Transpose;
}

/// Whether a plan op's results are safe to share between calls: none is a function output (the
/// caller owns those).
bool keptResultsSafe(const Function &function, const PlanOp &op) {
  for (int32_t r : op.results)
    if (std::find(function.outputs.begin(), function.outputs.end(), r) != function.outputs.end())
      return false;
  return true;
}

} // namespace

bool Executor::reuseFoldedOp(const Function &, const PlanOp &op, std::vector<Slot> &slots) {
  if (!foldable(op.opKind))
    return false;
  auto it = folded.find(&op);
  if (it == folded.end())
    return false;
  const FoldedOp &f = it->second;
  for (size_t i = 0; i < op.operands.size(); ++i) {
    const Slot &s = slots[size_t(op.operands[i])];
    std::shared_ptr<uint8_t> owner = f.storages[i].lock();
    // The same op address may now belong to another module: the operands must be the same.
    if (s.scalar || !owner || owner != s.t.storage || s.t.data != f.data[i] ||
        s.t.shape != f.shapes[i])
      return false;
  }
  for (size_t i = 0; i < op.results.size(); ++i) {
    Slot &s = slots[size_t(op.results[i])];
    s.t = f.results[i];
    s.set = true;
  }
  return true;
}

void Executor::keepFoldedOp(const Function &function, const PlanOp &op,
                            const std::vector<Slot> &slots) {
  if (!foldable(op.opKind) || !running || !keptResultsSafe(function, op))
    return;
  FoldedOp f;
  for (int32_t o : op.operands) {
    const Slot &s = slots[size_t(o)];
    if (s.scalar || !immutable(*running, s.t))
      return;
    f.storages.push_back(s.t.storage);
    f.data.push_back(s.t.data);
    f.shapes.push_back(s.t.shape);
  }
  for (int32_t r : op.results) {
    const Slot &s = slots[size_t(r)];
    if (s.scalar || !s.set)
      return;
    f.results.push_back(s.t);
  }
  // Forget what was kept for operands that are gone before keeping more.
  for (auto e = folded.begin(); e != folded.end();) {
    bool gone = std::any_of(e->second.storages.begin(), e->second.storages.end(),
                            [](const std::weak_ptr<uint8_t> &w) { return w.expired(); });
    e = gone ? folded.erase(e) : std::next(e);
  }
  folded[&op] = std::move(f);
}

GemmWeight OpCtx::weight(size_t i, int64_t M) const {
  const Tensor &w = in(i);
  // One row: sgemm's transposed (dot-product) path is as fast, and nothing is copied.
  if (M > 1)
    if (const Tensor *t = ex.transposedConstant(module, w))
      return GemmWeight{t->as<float>(), t->dim(1), true};
  return GemmWeight{w.as<float>(), w.rank() == 2 ? w.dim(1) : 0, false};
}

} // namespace heed::rt::cpu
