//===- Widen.cpp - f16/bf16 storage, computed in f32 ----------------------===//
//
// f16 and bf16 are storage types on the CPU: data movement (reshape,
// transpose, concat, slice, broadcast, gather, where, scan, constants) moves
// their bytes as they are, cast converts directly, and every other op runs
// its f32 kernel on exact f32 copies of its f16/bf16 operands, its f32
// results rounded to nearest-even back into the declared type. So each op
// rounds once, as an f32 computation stored in the narrow type would.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/Float16.h"
#include "runtime/drivers/cpu/Executor.h"

#include <cstring>
#include <string>

namespace heed::rt::cpu {

Tensor widenToF32(OpCtx &c, const Tensor &t) {
  Tensor w = c.alloc(ElemType::f32, t.shape);
  const uint16_t *in = t.as<uint16_t>();
  float *out = w.as<float>();
  int64_t n = t.count();
  if (t.type == ElemType::f16)
    for (int64_t i = 0; i < n; ++i)
      out[i] = halfBitsToFloat(in[i]);
  else
    for (int64_t i = 0; i < n; ++i)
      out[i] = bf16BitsToFloat(in[i]);
  return w;
}

Tensor narrowFromF32(OpCtx &c, const Tensor &t, ElemType to) {
  if (t.type != ElemType::f32 || !isNarrowFloat(to))
    c.fail("produced " + shapeString(t.shape, t.type) + " where " + elemTypeName(to) +
           " was declared");
  Tensor r = c.alloc(to, t.shape);
  const float *in = t.as<float>();
  uint16_t *out = r.as<uint16_t>();
  int64_t n = t.count();
  if (to == ElemType::f16)
    for (int64_t i = 0; i < n; ++i)
      out[i] = floatToHalfBits(in[i]);
  else
    for (int64_t i = 0; i < n; ++i)
      out[i] = floatToBf16Bits(in[i]);
  return r;
}

bool movesBytesOnly(OpKind kind) {
  switch (kind) {
  case OpKind::Reshape:
  case OpKind::ReshapeDynamic:
  case OpKind::SliceDynamic:
  case OpKind::Transpose:
  case OpKind::Concat:
  case OpKind::Slice:
  case OpKind::Broadcast:
  case OpKind::Gather:
  case OpKind::Embedding:
  case OpKind::Where:
  case OpKind::Scan:
  case OpKind::Constant:
  case OpKind::Weight:
  case OpKind::Dim:
  case OpKind::Cast:
    return true;
  default:
    return false;
  }
}

void runKernel(Kernel kernel, OpCtx &c, bool bytesOnly) {
  if (bytesOnly) {
    kernel(c);
    return;
  }
  bool narrow = false;
  for (int32_t id : c.op.operands) {
    const Slot &s = c.slots[size_t(id)];
    narrow |= s.set && !s.scalar && isNarrowFloat(s.t.type);
  }
  for (int32_t id : c.op.results)
    narrow |= isNarrowFloat(c.function.values[size_t(id)].type);
  if (!narrow) {
    kernel(c);
    return;
  }
  std::vector<Tensor> operands(c.op.operands.size());
  for (size_t i = 0; i < operands.size(); ++i) {
    const Slot &s = c.slots[size_t(c.op.operands[i])];
    if (s.set && !s.scalar && isNarrowFloat(s.t.type))
      operands[i] = widenToF32(c, s.t);
  }
  std::vector<ValueType> results;
  for (int32_t id : c.op.results) {
    results.push_back(c.function.values[size_t(id)]);
    if (isNarrowFloat(results.back().type))
      results.back().type = ElemType::f32;
  }
  c.wideOperands = &operands;
  c.wideResults = &results;
  kernel(c);
  c.wideOperands = nullptr;
  c.wideResults = nullptr;
}

} // namespace heed::rt::cpu
