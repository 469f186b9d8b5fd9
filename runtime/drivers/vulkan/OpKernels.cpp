//===- OpKernels.cpp - One plan op as Vulkan dispatches ---------------------===//

#include "runtime/core/IndexArith.h"
#include "runtime/drivers/vulkan/VulkanDriver.h"

#include <algorithm>
#include <cstring>
#include <tuple>

namespace heed::rt::vk {

std::vector<int64_t> contiguousStrides(const std::vector<int64_t> &shape) {
  std::vector<int64_t> s(shape.size());
  int64_t acc = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

std::vector<int64_t> broadcastStrides(const std::vector<int64_t> &shape,
                                      const std::vector<int64_t> &out) {
  std::vector<int64_t> st(out.size(), 0);
  int64_t acc = 1;
  size_t off = out.size() - shape.size();
  for (size_t i = shape.size(); i-- > 0;) {
    st[off + i] = shape[i] == 1 ? 0 : acc;
    acc *= shape[i];
  }
  return st;
}

void append(std::vector<int32_t> &push, const std::vector<int64_t> &v) {
  for (int64_t x : v)
    push.push_back(int32_t(x));
}

void VulkanDriver::runOp(ModuleState &ms, const Module &module, const Function &function,
                         const PlanOp &op, std::vector<Slot> &slots, const fb::VkOp *vkop) {
  std::string where = (op.loc.empty() ? function.name : op.loc) + ": '" + op.kind + "'";
  auto opFail = [&](const std::string &m) -> void { fail(ErrorKind::runtime, where + " " + m); };
  auto in = [&](size_t i) -> const DTensor & {
    if (i >= op.operands.size())
      opFail("is missing operand " + std::to_string(i));
    const Slot &s = slots[size_t(op.operands[i])];
    if (!s.set || s.scalar)
      opFail("operand " + std::to_string(i) + " is not a tensor");
    return s.t;
  };
  auto scalar = [&](size_t i) -> int64_t {
    const Slot &s = slots[size_t(op.operands[i])];
    if (!s.set || !s.scalar)
      opFail("operand " + std::to_string(i) + " is not a scalar");
    return s.s;
  };
  // An attention mask operand against the scores' dims sDims (B first): key lengths must be
  // [B] integers; other masks broadcast to sDims, and their element strides land in
  // strides[pos[i]] (0 where the mask has size 1).
  auto checkMask = [&](const DTensor &m, int64_t bits, int64_t B, const std::vector<int64_t> &sDims,
                       const std::vector<int> &pos, int64_t *strides) {
    if (bits & 4) {
      if (m.rank() != 1 || m.shape[0] != B)
        opFail("expects key lengths [" + std::to_string(B) + "], got " +
               shapeString(m.shape, m.type));
      if (m.type != ElemType::i32 && m.type != ElemType::i64)
        opFail("expects integer key lengths");
      return;
    }
    if (m.rank() > int64_t(sDims.size()))
      opFail("mask " + shapeString(m.shape, m.type) + " has a higher rank than the scores");
    int64_t st = 1;
    size_t off = sDims.size() - size_t(m.rank());
    for (size_t i = size_t(m.rank()); i-- > 0;) {
      int64_t d = m.shape[i], want = sDims[off + i];
      if (d != want && d != 1)
        opFail("mask " + shapeString(m.shape, m.type) + " does not broadcast to the scores");
      strides[pos[off + i]] = d == 1 ? 0 : st;
      st *= d;
    }
    if ((bits & 1) && m.type != ElemType::f32)
      opFail("expects an f32 additive mask");
    if ((bits & 2) && m.type != ElemType::boolean)
      opFail("expects an i1 boolean mask");
  };
  auto resultType = [&](size_t i) -> const ValueType & {
    return function.values[size_t(op.results[i])];
  };
  auto out = [&](size_t i, DTensor t) {
    const ValueType &vt = resultType(i);
    bool ok = !vt.scalar && vt.type == t.type && vt.dims.size() == t.shape.size();
    for (size_t d = 0; ok && d < vt.dims.size(); ++d)
      ok = vt.dims[d] < 0 || vt.dims[d] == t.shape[d];
    if (!ok)
      opFail("produced " + shapeString(t.shape, t.type) + " but its result is declared " +
             vt.str());
    Slot &s = slots[size_t(op.results[i])];
    s.t = std::move(t);
    s.scalar = false;
    s.set = true;
  };
  auto outScalar = [&](size_t i, int64_t v) {
    Slot &s = slots[size_t(op.results[i])];
    s = Slot();
    s.s = v;
    s.scalar = true;
    s.set = true;
  };
  auto kernel = [&](size_t i) -> const Pipeline & {
    if (!vkop->kernels() || i >= vkop->kernels()->size())
      opFail("has no vulkan kernel " + std::to_string(i));
    const Pipeline &p = ms.pipelines[size_t(vkop->kernels()->Get(uint32_t(i)))];
    if (!p.available())
      opFail("needs vulkan kernel '" + p.name + "', which this device cannot run");
    return p;
  };
  // Kernel i when the module has it and the device can run it (variants).
  auto variant = [&](size_t i) -> const Pipeline * {
    if (!vkop->kernels() || i >= vkop->kernels()->size())
      return nullptr;
    const Pipeline &p = ms.pipelines[size_t(vkop->kernels()->Get(uint32_t(i)))];
    return p.available() ? &p : nullptr;
  };
  // Softmax, layer_norm and additive attention: kernel 1, when the module has
  // it and the device can run it, is kernel 0 with subgroup row reductions.
  auto rowKernel = [&]() -> const Pipeline & {
    const Pipeline *sg = variant(1);
    note(where + ": " + (sg ? "subgroup" : "shared-memory") + " row reductions");
    return sg ? *sg : kernel(0);
  };
  auto axisOf = [&](int64_t a, int64_t rank) {
    int64_t r = a < 0 ? a + rank : a;
    if (r < 0 || r >= rank)
      opFail("axis " + std::to_string(a) + " is out of range for rank " + std::to_string(rank));
    return r;
  };
  const std::string &k = op.kind;

  // Index arithmetic and shapes: host side, exactly as the CPU driver.
  if (k.rfind("arith.", 0) == 0) {
    if (k == "arith.constant")
      return outScalar(0, op.getInt("value", 0));
    if (k == "arith.index_cast")
      return outScalar(0, scalar(0));
    if (k == "arith.select")
      return outScalar(0, scalar(0) ? scalar(1) : scalar(2));
    int64_t r = 0;
    std::string error = evalIndexBinary(k, op.getInt("predicate", 0), scalar(0), scalar(1), r);
    if (!error.empty())
      opFail(error);
    return outScalar(0, r);
  }
  if (k == "heed.dim") {
    const DTensor &t = in(0);
    return outScalar(0, t.shape[size_t(axisOf(op.getInt("dim", 0), t.rank()))]);
  }
  if (k == "heed.constant" || k == "heed.weight") {
    size_t idx = size_t(op.getInt("constant", 0));
    const Tensor &c = module.constants.at(idx);
    auto &buf = ms.constants[idx];
    if (!buf) {
      // Outside the pool: a pooled buffer could still be in use by a dispatch
      // recorded earlier in this command buffer when the host writes it.
      buf = ownBuffer(c.bytes());
      upload(*buf, c.data, c.bytes());
      newConstants.push_back(idx);
    }
    DTensor t;
    t.buf = buf;
    t.type = c.type;
    t.shape = c.shape;
    return out(0, t);
  }
  if (k == "heed.reshape") {
    const DTensor &x = in(0);
    const Attr *spec = op.attr("shape");
    if (!spec)
      opFail("has no shape");
    std::vector<int64_t> shape;
    int64_t inferAt = -1, known = 1;
    for (size_t i = 0; i < spec->ints.size(); ++i) {
      int64_t d = spec->ints[i];
      if (d == 0) {
        if (i >= x.shape.size())
          opFail("copies a dim the input lacks");
        d = x.shape[i];
      } else if (d == -1) {
        if (inferAt >= 0)
          opFail("has more than one -1");
        inferAt = int64_t(i);
        shape.push_back(1);
        continue;
      } else if (d < 0) {
        opFail("has an invalid dim " + std::to_string(d));
      }
      shape.push_back(d);
      known = checkedMul(known, d, "reshape");
    }
    int64_t count = x.count();
    if (inferAt >= 0) {
      if (known == 0 || count % known != 0)
        opFail("cannot reshape " + shapeString(x.shape, x.type) + " with a -1");
      shape[size_t(inferAt)] = count / known;
    } else if (known != count) {
      opFail("cannot reshape " + shapeString(x.shape, x.type) + " into " +
             shapeString(shape, x.type));
    }
    DTensor y = x;
    y.shape = shape;
    return out(0, y);
  }

  // Elementwise family.
  static const char *ew[] = {
      "heed.abs",   "heed.erf",   "heed.exp",     "heed.log",  "heed.neg",  "heed.reciprocal",
      "heed.relu",  "heed.rsqrt", "heed.sigmoid", "heed.sqrt", "heed.tanh", "heed.gelu",
      "heed.not",   "heed.cast",  "heed.add",     "heed.sub",  "heed.mul",  "heed.div",
      "heed.max",   "heed.min",   "heed.pow",     "heed.and",  "heed.or",   "heed.compare",
      "heed.where", "heed.full"};
  if (std::find_if(std::begin(ew), std::end(ew), [&](const char *e) { return k == e; }) !=
      std::end(ew)) {
    const ValueType &vt = resultType(0);
    std::vector<const DTensor *> ins;
    std::vector<int64_t> shape;
    if (k == "heed.full") {
      size_t next = 0;
      for (int64_t d : vt.dims) {
        if (d >= 0) {
          shape.push_back(d);
          continue;
        }
        if (next >= op.operands.size())
          opFail("has fewer dynamic dims than its type needs");
        int64_t v = scalar(next++);
        if (v < 0)
          opFail("got negative dimension " + std::to_string(v));
        shape.push_back(v);
      }
    } else {
      for (size_t i = 0; i < op.operands.size(); ++i)
        ins.push_back(&in(i));
      size_t rank = 0;
      for (const DTensor *t : ins)
        rank = std::max(rank, t->shape.size());
      shape.assign(rank, 1);
      for (const DTensor *t : ins) {
        size_t off = rank - t->shape.size();
        for (size_t i = 0; i < t->shape.size(); ++i) {
          int64_t d = t->shape[i], &o = shape[off + i];
          if (d == o || d == 1)
            continue;
          if (o != 1) {
            std::string shapes;
            for (const DTensor *u : ins)
              shapes += (shapes.empty() ? "" : " and ") + shapeString(u->shape, u->type);
            opFail("cannot broadcast operands of shapes " + shapes);
          }
          o = d;
        }
      }
    }
    DTensor y = alloc(vt.type, shape, where);
    std::vector<int32_t> push{int32_t(y.count())};
    append(push, shape);
    std::vector<const Buffer *> bufs;
    for (const DTensor *t : ins) {
      append(push, broadcastStrides(t->shape, shape));
      bufs.push_back(t->buf.get());
    }
    bufs.push_back(y.buf.get());
    const Pipeline &p = kernel(0);
    dispatch(p, bufs, push, ceilDiv(uint64_t(y.count()), p.local));
    return out(0, y);
  }

  // Strided copies.
  auto copy = [&](const DTensor &src, const DTensor &dst, const std::vector<int64_t> &dims,
                  const std::vector<int64_t> &inStrides, const std::vector<int64_t> &outStrides,
                  int64_t inBase, int64_t outBase) {
    int64_t n = elementCount(dims);
    std::vector<int32_t> push{int32_t(n), int32_t(inBase), int32_t(outBase)};
    append(push, dims);
    append(push, inStrides);
    append(push, outStrides);
    const Pipeline &p = kernel(0);
    dispatch(p, {src.buf.get(), dst.buf.get()}, push, ceilDiv(uint64_t(n), p.local));
  };
  if (k == "heed.transpose") {
    const DTensor &x = in(0);
    const Attr *perm = op.attr("permutation");
    if (!perm || int64_t(perm->ints.size()) != x.rank())
      opFail("has a permutation that does not match rank " + std::to_string(x.rank()));
    size_t rank = size_t(x.rank());
    std::vector<int64_t> shape(rank), permStride(rank), inStride = contiguousStrides(x.shape);
    std::vector<bool> seen(rank, false);
    for (size_t i = 0; i < rank; ++i) {
      int64_t p = perm->ints[i];
      if (p < 0 || p >= int64_t(rank) || seen[size_t(p)])
        opFail("has an invalid permutation");
      seen[size_t(p)] = true;
      shape[i] = x.shape[size_t(p)];
      permStride[i] = inStride[size_t(p)];
    }
    DTensor y = alloc(x.type, shape, where);
    copy(x, y, shape, permStride, contiguousStrides(shape), 0, 0);
    return out(0, y);
  }
  if (k == "heed.broadcast") {
    const DTensor &x = in(0), &like = in(1);
    size_t rank = std::max(x.shape.size(), like.shape.size());
    std::vector<int64_t> shape(rank, 1);
    for (const DTensor *t : {&x, &like}) {
      size_t off = rank - t->shape.size();
      for (size_t i = 0; i < t->shape.size(); ++i) {
        int64_t d = t->shape[i], &o = shape[off + i];
        if (d == o || d == 1)
          continue;
        if (o != 1)
          opFail("cannot broadcast " + shapeString(x.shape, x.type) + " like " +
                 shapeString(like.shape, like.type));
        o = d;
      }
    }
    DTensor y = alloc(x.type, shape, where);
    copy(x, y, shape, broadcastStrides(x.shape, shape), contiguousStrides(shape), 0, 0);
    return out(0, y);
  }
  if (k == "heed.slice") {
    const DTensor &x = in(0);
    if (x.rank() == 0)
      opFail("cannot slice a scalar");
    int64_t axis = axisOf(op.getInt("axis", 0), x.rank());
    int64_t n = x.shape[size_t(axis)];
    int64_t start = op.getInt("start", 0);
    int64_t end = op.getInt("end", std::numeric_limits<int64_t>::max());
    int64_t step = op.getInt("step", 1);
    if (step <= 0)
      opFail("expects a positive step");
    auto clampIdx = [n](int64_t v) {
      if (v < 0)
        v = v < -n ? 0 : v + n;
      return std::min(v, n);
    };
    start = clampIdx(start);
    end = clampIdx(end);
    int64_t len = end > start ? (end - start + step - 1) / step : 0;
    std::vector<int64_t> shape = x.shape;
    shape[size_t(axis)] = len;
    DTensor y = alloc(x.type, shape, where);
    std::vector<int64_t> inStride = contiguousStrides(x.shape);
    int64_t base = start * inStride[size_t(axis)];
    inStride[size_t(axis)] *= step;
    copy(x, y, shape, inStride, contiguousStrides(shape), base, 0);
    return out(0, y);
  }
  if (k == "heed.concat") {
    if (op.operands.empty())
      opFail("has no operands");
    const DTensor &first = in(0);
    if (first.rank() == 0)
      opFail("cannot concatenate scalars");
    int64_t axis = axisOf(op.getInt("axis", 0), first.rank());
    std::vector<int64_t> shape = first.shape;
    shape[size_t(axis)] = 0;
    for (size_t i = 0; i < op.operands.size(); ++i) {
      const DTensor &t = in(i);
      if (t.rank() != first.rank() || t.type != first.type)
        opFail("operand " + std::to_string(i) + " has type " + shapeString(t.shape, t.type) +
               ", unlike operand 0 " + shapeString(first.shape, first.type));
      for (int64_t d = 0; d < t.rank(); ++d)
        if (d != axis && t.shape[size_t(d)] != first.shape[size_t(d)])
          opFail("operand " + std::to_string(i) + " has shape " + shapeString(t.shape, t.type) +
                 ", which differs from operand 0 off the concatenation axis");
      shape[size_t(axis)] += t.shape[size_t(axis)];
    }
    DTensor y = alloc(first.type, shape, where);
    std::vector<int64_t> outStride = contiguousStrides(shape);
    int64_t at = 0;
    for (size_t i = 0; i < op.operands.size(); ++i) {
      const DTensor &t = in(i);
      copy(t, y, t.shape, contiguousStrides(t.shape), outStride, 0, at * outStride[size_t(axis)]);
      at += t.shape[size_t(axis)];
    }
    return out(0, y);
  }

  if (k == "heed.matmul") {
    const DTensor &a = in(0), &b = in(1);
    if (a.rank() < 2 || b.rank() < 2)
      opFail("expects operands of rank >= 2");
    bool ta = op.getBool("transpose_a", false), tb = op.getBool("transpose_b", false);
    int64_t M = ta ? a.shape[a.shape.size() - 1] : a.shape[a.shape.size() - 2];
    int64_t K = ta ? a.shape[a.shape.size() - 2] : a.shape[a.shape.size() - 1];
    int64_t Kb = tb ? b.shape[b.shape.size() - 1] : b.shape[b.shape.size() - 2];
    int64_t N = tb ? b.shape[b.shape.size() - 2] : b.shape[b.shape.size() - 1];
    if (K != Kb)
      opFail("contracts lhs " + shapeString(a.shape, a.type) + " with rhs " +
             shapeString(b.shape, b.type) + ": inner dims differ");
    std::vector<int64_t> ab(a.shape.begin(), a.shape.end() - 2),
        bb(b.shape.begin(), b.shape.end() - 2);
    size_t rank = std::max(ab.size(), bb.size());
    std::vector<int64_t> ob(rank, 1);
    for (auto *s : {&ab, &bb}) {
      size_t off = rank - s->size();
      for (size_t i = 0; i < s->size(); ++i) {
        int64_t d = (*s)[i], &o = ob[off + i];
        if (d == o || d == 1)
          continue;
        if (o != 1)
          opFail("cannot broadcast the batch dims of " + shapeString(a.shape, a.type) + " and " +
                 shapeString(b.shape, b.type));
        o = d;
      }
    }
    auto strides = [&](const std::vector<int64_t> &s, int64_t mat) {
      std::vector<int64_t> st = broadcastStrides(s, ob);
      for (int64_t &x : st)
        x *= mat;
      return st;
    };
    std::vector<int64_t> shape = ob;
    shape.push_back(M);
    shape.push_back(N);
    DTensor y = alloc(ElemType::f32, shape, where);
    std::vector<int32_t> push{int32_t(M), int32_t(N), int32_t(K), int32_t(y.count())};
    append(push, ob);
    append(push, strides(ab, M * K));
    append(push, strides(bb, K * N));
    const Pipeline &p = kernel(0);
    dispatch(p, {a.buf.get(), b.buf.get(), y.buf.get()}, push,
             ceilDiv(uint64_t(y.count()), p.local));
    return out(0, y);
  }
  if (k == "heed.linear") {
    const DTensor &x = in(0), &w = in(1);
    bool tw = op.getBool("transpose_weight", true);
    if (x.rank() < 1 || w.rank() != 2)
      opFail("expects input of rank >= 1 and a 2-D weight");
    int64_t K = x.shape.back();
    int64_t N = tw ? w.shape[0] : w.shape[1], Kw = tw ? w.shape[1] : w.shape[0];
    if (K != Kw)
      opFail("multiplies input " + shapeString(x.shape, x.type) + " by weight " +
             shapeString(w.shape, w.type));
    std::vector<int64_t> shape = x.shape;
    shape.back() = N;
    DTensor y = alloc(ElemType::f32, shape, where);
    int64_t M = elementCount(std::vector<int64_t>(x.shape.begin(), x.shape.end() - 1));
    std::vector<const Buffer *> bufs{x.buf.get(), w.buf.get()};
    if (op.operands.size() > 2) {
      const DTensor &b = in(2);
      if (b.rank() != 1 || b.shape[0] != N)
        opFail("bias has shape " + shapeString(b.shape, b.type) + ", expected [" +
               std::to_string(N) + "]");
      bufs.push_back(b.buf.get());
    }
    bufs.push_back(y.buf.get());
    const Pipeline &p = kernel(0);
    dispatch(p, bufs, {int32_t(M), int32_t(N), int32_t(K), int32_t(y.count())},
             ceilDiv(uint64_t(y.count()), p.local));
    return out(0, y);
  }
  if (k == "heed.softmax" || k == "heed.log_softmax") {
    const DTensor &x = in(0);
    if (x.rank() == 0)
      opFail("expects rank >= 1");
    int64_t axis = axisOf(op.getInt("axis", -1), x.rank());
    int64_t outer = 1, inner = 1, n = x.shape[size_t(axis)];
    for (int64_t d = 0; d < axis; ++d)
      outer *= x.shape[size_t(d)];
    for (int64_t d = axis + 1; d < x.rank(); ++d)
      inner *= x.shape[size_t(d)];
    DTensor y = alloc(ElemType::f32, x.shape, where);
    dispatch(rowKernel(), {x.buf.get(), y.buf.get()},
             {int32_t(outer * inner), int32_t(n), int32_t(inner)}, uint64_t(outer * inner));
    return out(0, y);
  }
  if (k == "heed.layer_norm") {
    const DTensor &x = in(0);
    auto [scaleAt, hasScale] = op.segment(1);
    auto [biasAt, hasBias] = op.segment(2);
    if (x.rank() == 0)
      opFail("expects rank >= 1");
    int64_t axis = axisOf(op.getInt("axis", -1), x.rank());
    int64_t outer = 1, n = 1;
    for (int64_t d = 0; d < axis; ++d)
      outer *= x.shape[size_t(d)];
    std::vector<int64_t> trailing(x.shape.begin() + axis, x.shape.end());
    for (int64_t d : trailing)
      n *= d;
    std::vector<const Buffer *> bufs{x.buf.get()};
    if (hasScale) {
      const DTensor &s = in(scaleAt);
      if (s.shape != trailing)
        opFail("scale has shape " + shapeString(s.shape, s.type) + ", expected " +
               shapeString(trailing, x.type));
      bufs.push_back(s.buf.get());
    }
    if (hasBias) {
      const DTensor &s = in(biasAt);
      if (s.shape != trailing)
        opFail("bias has shape " + shapeString(s.shape, s.type) + ", expected " +
               shapeString(trailing, x.type));
      bufs.push_back(s.buf.get());
    }
    DTensor y = alloc(ElemType::f32, x.shape, where);
    bufs.push_back(y.buf.get());
    dispatch(rowKernel(), bufs, {int32_t(outer), int32_t(n)}, uint64_t(outer));
    return out(0, y);
  }
  if (k == "heed.reduce") {
    const DTensor &x = in(0);
    const Attr *axes = op.attr("axes");
    if (!axes || axes->ints.empty())
      opFail("has no axes");
    std::vector<bool> reduced(size_t(x.rank()), false);
    for (int64_t a : axes->ints)
      reduced[size_t(axisOf(a, x.rank()))] = true;
    bool keep = op.getBool("keep_dims", false);
    std::vector<int64_t> shape, keptDims, keptStrides, redDims, redStrides,
        st = contiguousStrides(x.shape);
    int64_t count = 1;
    for (int64_t d = 0; d < x.rank(); ++d) {
      bool r = reduced[size_t(d)];
      if (!r)
        shape.push_back(x.shape[size_t(d)]);
      else if (keep)
        shape.push_back(1);
      keptDims.push_back(r ? 1 : x.shape[size_t(d)]);
      keptStrides.push_back(r ? 0 : st[size_t(d)]);
      redDims.push_back(r ? x.shape[size_t(d)] : 1);
      redStrides.push_back(r ? st[size_t(d)] : 0);
      if (r)
        count *= x.shape[size_t(d)];
    }
    int64_t kind = op.getInt("kind", 0);
    if ((kind == 2 || kind == 3) && count == 0)
      opFail("reduces an empty axis with max/min");
    DTensor y = alloc(x.type, shape, where);
    std::vector<int32_t> push{int32_t(y.count())};
    append(push, keptDims);
    append(push, keptStrides);
    append(push, redDims);
    append(push, redStrides);
    push.push_back(int32_t(count));
    const Pipeline &p = kernel(0);
    dispatch(p, {x.buf.get(), y.buf.get()}, push, ceilDiv(uint64_t(y.count()), p.local));
    return out(0, y);
  }
  if (k == "heed.argmax" || k == "heed.top_k") {
    const DTensor &x = in(0);
    if (x.rank() == 0)
      opFail("expects rank >= 1");
    int64_t axis = axisOf(op.getInt("axis", -1), x.rank());
    int64_t outer = 1, inner = 1, n = x.shape[size_t(axis)];
    for (int64_t d = 0; d < axis; ++d)
      outer *= x.shape[size_t(d)];
    for (int64_t d = axis + 1; d < x.rank(); ++d)
      inner *= x.shape[size_t(d)];
    const Pipeline &p = kernel(0);
    uint64_t rows = uint64_t(outer * inner);
    if (k == "heed.argmax") {
      if (n == 0)
        opFail("takes the argmax of an empty axis");
      std::vector<int64_t> shape = x.shape;
      if (op.getBool("keep_dims", false))
        shape[size_t(axis)] = 1;
      else
        shape.erase(shape.begin() + axis);
      DTensor y = alloc(ElemType::i64, shape, where);
      dispatch(p, {x.buf.get(), y.buf.get()}, {int32_t(rows), int32_t(n), int32_t(inner)},
               ceilDiv(rows, p.local));
      return out(0, y);
    }
    int64_t kk = op.getInt("k", 1);
    if (kk > n)
      opFail("k = " + std::to_string(kk) + " exceeds the axis size " + std::to_string(n));
    if (kk < 0)
      opFail("has a negative k");
    std::vector<int64_t> shape = x.shape;
    shape[size_t(axis)] = kk;
    DTensor vals = alloc(ElemType::f32, shape, where), idxs = alloc(ElemType::i64, shape, where);
    if (kk > 0)
      dispatch(p, {x.buf.get(), vals.buf.get(), idxs.buf.get()},
               {int32_t(rows), int32_t(n), int32_t(inner), int32_t(kk)}, ceilDiv(rows, p.local));
    out(0, vals);
    return out(1, idxs);
  }
  if (k == "heed.gather" || k == "heed.embedding") {
    const DTensor &x = in(0), &ids = in(1);
    bool embedding = k == "heed.embedding";
    if (embedding && x.rank() != 2)
      opFail("expects a [vocab, dim] table");
    if (x.rank() == 0)
      opFail("cannot gather from a scalar");
    if (ids.type != ElemType::i32 && ids.type != ElemType::i64)
      opFail("expects integer indices");
    int64_t axis = embedding ? 0 : axisOf(op.getInt("axis", 0), x.rank());
    int64_t n = x.shape[size_t(axis)];
    std::vector<int64_t> shape(x.shape.begin(), x.shape.begin() + axis);
    shape.insert(shape.end(), ids.shape.begin(), ids.shape.end());
    shape.insert(shape.end(), x.shape.begin() + axis + 1, x.shape.end());
    int64_t inner = 1, m = ids.count();
    for (int64_t d = axis + 1; d < x.rank(); ++d)
      inner *= x.shape[size_t(d)];
    DTensor y = alloc(x.type, shape, where);
    if (y.count() > 0) {
      Check c = newCheck();
      c.where = where;
      c.ids = ids;
      c.n = n;
      c.embedding = embedding;
      const Pipeline &p = kernel(0);
      dispatch(p, {x.buf.get(), ids.buf.get(), y.buf.get(), c.status.get()},
               {int32_t(y.count()), int32_t(m), int32_t(inner), int32_t(n), int32_t(c.slot)},
               ceilDiv(uint64_t(y.count()), p.local));
      checks.push_back(std::move(c));
    }
    return out(0, y);
  }
  if (k == "heed.sequence_mask" || k == "heed.causal_mask" || k == "heed.range" ||
      k == "heed.sinusoidal_positions") {
    std::vector<int32_t> push;
    std::vector<const Buffer *> bufs;
    DTensor y;
    auto small = [&](int64_t v, const char *what) {
      if (v < INT32_MIN || v > INT32_MAX)
        opFail(std::string("has a ") + what + " beyond the vulkan kernel's 32-bit range");
      return int32_t(v);
    };
    if (k == "heed.sequence_mask") {
      const DTensor &len = in(0);
      int64_t n = scalar(1);
      if (len.rank() != 1)
        opFail("expects lengths of rank 1");
      if (n < 0)
        opFail("got a negative max_length " + std::to_string(n));
      y = alloc(ElemType::boolean, {len.shape[0], n}, where);
      push = {int32_t(y.count()), int32_t(n)};
      bufs = {len.buf.get(), y.buf.get()};
    } else if (k == "heed.causal_mask") {
      int64_t lq = scalar(0), lk = scalar(1);
      if (lq < 0 || lk < 0)
        opFail("got a negative length");
      int64_t shift = op.getInt("align", 0) == 1 ? lk - lq : 0;
      y = alloc(ElemType::boolean, {lq, lk}, where);
      push = {int32_t(y.count()), int32_t(lk), small(shift, "shift")};
      bufs = {y.buf.get()};
    } else if (k == "heed.range") {
      int64_t start = scalar(0), limit = scalar(1), step = scalar(2);
      if (step == 0)
        opFail("has step 0");
      int64_t n = 0;
      if ((step > 0 && limit > start) || (step < 0 && limit < start))
        n = (limit - start + step + (step > 0 ? -1 : 1)) / step;
      y = alloc(ElemType::i64, {n}, where);
      push = {int32_t(n), small(start, "start"), small(step, "step")};
      bufs = {y.buf.get()};
    } else {
      int64_t offset = scalar(0), length = scalar(1);
      if (length < 0)
        opFail("got a negative length " + std::to_string(length));
      y = alloc(ElemType::f32, {length, op.getInt("dim", 0)}, where);
      small(offset + length, "position");
      push = {int32_t(y.count()), int32_t(offset)};
      bufs = {y.buf.get()};
    }
    const Pipeline &p = kernel(0);
    dispatch(p, bufs, push, ceilDiv(uint64_t(y.count()), p.local));
    return out(0, y);
  }
  if (k == "heed.attention") {
    const DTensor &q = in(0), &kk = in(1), &v = in(2);
    for (const DTensor *t : {&q, &kk, &v})
      if (t->type != ElemType::f32)
        opFail("supports only f32 query, key and value");
    // Strides (batch, head, row) of q, k, v, out; the same layouts as the CPU driver.
    int64_t B, H, Hkv, Lq, Lk, D, Dv;
    int64_t qs[3], ks[3], vs[3], os[3];
    std::vector<int64_t> outShape, sDims;
    std::vector<int> pos;
    int64_t heads = op.getInt("num_heads", 0);
    if (heads > 0) {
      if (q.rank() != 3 || kk.rank() != 3 || v.rank() != 3)
        opFail("with num_heads expects [B, L, H*D] query, key and value");
      int64_t kvHeads = op.getInt("num_kv_heads", 0);
      if (kvHeads <= 0)
        kvHeads = heads;
      if (heads % kvHeads != 0)
        opFail("num_kv_heads " + std::to_string(kvHeads) + " does not divide num_heads " +
               std::to_string(heads));
      if (q.shape[2] % heads || kk.shape[2] % kvHeads || v.shape[2] % kvHeads)
        opFail("has feature dims not divisible by the head counts");
      B = q.shape[0];
      H = heads;
      Hkv = kvHeads;
      Lq = q.shape[1];
      Lk = kk.shape[1];
      D = q.shape[2] / heads;
      Dv = v.shape[2] / kvHeads;
      if (kk.shape[0] != B || v.shape[0] != B || v.shape[1] != Lk || kk.shape[2] / kvHeads != D)
        opFail("has inconsistent query, key and value shapes");
      int64_t q_[3] = {Lq * q.shape[2], D, q.shape[2]}, k_[3] = {Lk * kk.shape[2], D, kk.shape[2]},
              v_[3] = {Lk * v.shape[2], Dv, v.shape[2]}, o_[3] = {Lq * H * Dv, Dv, H * Dv};
      std::copy(q_, q_ + 3, qs);
      std::copy(k_, k_ + 3, ks);
      std::copy(v_, v_ + 3, vs);
      std::copy(o_, o_ + 3, os);
      outShape = {B, Lq, H * Dv};
      sDims = {B, H, Lq, Lk};
      pos = {0, 1, 2, 3};
    } else {
      int64_t r = q.rank();
      if (r < 2 || r > 4 || kk.rank() != r || v.rank() != r)
        opFail("expects query, key and value of the same rank 2, 3 or 4");
      auto dimOr1 = [&](const DTensor &t, int64_t fromEnd) {
        return t.rank() >= fromEnd ? t.shape[size_t(t.rank() - fromEnd)] : 1;
      };
      B = r >= 3 ? q.shape[0] : 1;
      H = r == 4 ? q.shape[1] : 1;
      int64_t kb = r >= 3 ? kk.shape[0] : 1, kh = r == 4 ? kk.shape[1] : 1;
      Lq = dimOr1(q, 2);
      Lk = dimOr1(kk, 2);
      D = dimOr1(q, 1);
      Dv = dimOr1(v, 1);
      if ((kb != B && kb != 1) || (kh == 0 || H % kh != 0) || (r >= 3 && v.shape[0] != kb) ||
          (r == 4 && v.shape[1] != kh) || dimOr1(kk, 1) != D || dimOr1(v, 2) != Lk)
        opFail("has inconsistent query " + shapeString(q.shape, q.type) + ", key " +
               shapeString(kk.shape, kk.type) + " and value " + shapeString(v.shape, v.type));
      Hkv = kh;
      int64_t q_[3] = {H * Lq * D, Lq * D, D}, k_[3] = {kb == 1 ? 0 : kh * Lk * D, Lk * D, D},
              v_[3] = {kb == 1 ? 0 : kh * Lk * Dv, Lk * Dv, Dv}, o_[3] = {H * Lq * Dv, Lq * Dv, Dv};
      std::copy(q_, q_ + 3, qs);
      std::copy(k_, k_ + 3, ks);
      std::copy(v_, v_ + 3, vs);
      std::copy(o_, o_ + 3, os);
      outShape.assign(q.shape.begin(), q.shape.end() - 1);
      outShape.push_back(Dv);
      sDims.assign(q.shape.begin(), q.shape.end() - 1);
      sDims.push_back(Lk);
      pos = r == 2   ? std::vector<int>{2, 3}
            : r == 3 ? std::vector<int>{0, 2, 3}
                     : std::vector<int>{0, 1, 2, 3};
    }
    if (D > 128 || Dv > 128)
      opFail("has a head dim above 128 (the vulkan attention kernel's limit)");
    int64_t bits = op.getInt("mask_kind", 0);
    int64_t ms4[4] = {0, 0, 0, 0};
    std::vector<const Buffer *> bufs{q.buf.get(), kk.buf.get(), v.buf.get()};
    if (bits & 7) {
      if (op.operands.size() < 4)
        opFail("has a mask kind that needs a mask operand");
      const DTensor &m = in(3);
      checkMask(m, bits, B, sDims, pos, ms4);
      bufs.push_back(m.buf.get());
    }
    DTensor out0 = alloc(ElemType::f32, outShape, where);
    bufs.push_back(out0.buf.get());
    DTensor w;
    bool wantWeights = op.results.size() > 1;
    if (wantWeights) {
      w = alloc(ElemType::f32, sDims, where);
      bufs.push_back(w.buf.get());
    }
    int64_t shift = op.getInt("causal_align", 0) == 1 ? Lk - Lq : 0;
    int64_t nqb = (Lq + 15) / 16;
    std::vector<int32_t> push;
    for (int64_t x : {B, H, H / std::max<int64_t>(Hkv, 1), Lq, Lk, D, Dv, shift})
      push.push_back(int32_t(x));
    for (const int64_t *st : {qs, ks, vs, os})
      for (int i = 0; i < 3; ++i)
        push.push_back(int32_t(st[i]));
    for (int i = 0; i < 4; ++i)
      push.push_back(int32_t(ms4[i]));
    push.push_back(int32_t(nqb));
    // Kernels: 0 flash, 1 flash with subgroup reductions, 2-3 split-K, 4 the
    // split kernel with subgroup reductions (AttentionKernels.cpp). Split-K pays off when few query
    // rows leave most of a flash workgroup idle while it walks many keys (decoding);
    // HEED_VULKAN_SPLIT_K=0 never uses it, =1 whenever the op has it.
    constexpr int64_t kSplitKeys = 256;
    const Pipeline *splitSg = variant(4), *split = splitSg ? splitSg : variant(2),
                   *combine = variant(3);
    bool splitK = split && combine && !wantWeights && !envIs("HEED_VULKAN_SPLIT_K", "0") &&
                  (envIs("HEED_VULKAN_SPLIT_K", "1") || (Lq <= 4 && Lk > kSplitKeys));
    if (B * H * Lq == 0) {
      // Nothing to compute.
    } else if (splitK) {
      int64_t splits = std::max<int64_t>(1, (Lk + kSplitKeys - 1) / kSplitKeys);
      note(where + ": split-K attention, " + std::to_string(splits) + " splits of " +
           std::to_string(kSplitKeys) + " keys, " +
           (splitSg ? "subgroup reductions" : "shared-memory reductions"));
      push.push_back(int32_t(kSplitKeys));
      push.push_back(int32_t(splits));
      // Per (batch, head, row, split): max, sum, NaN seen, Dv accumulators.
      DTensor scratch = alloc(ElemType::f32, {B * H * Lq * splits, Dv + 3}, where);
      std::vector<const Buffer *> splitBufs = bufs; // q, k, v, [mask], scratch
      splitBufs.back() = scratch.buf.get();
      dispatch(*split, splitBufs, push, uint64_t(B * H * Lq * splits));
      dispatch(*combine, {scratch.buf.get(), out0.buf.get()}, push,
               ceilDiv(uint64_t(B * H * Lq * Dv), combine->local));
    } else {
      const Pipeline *flash = variant(1);
      note(where + ": flash attention, " +
           (flash ? "subgroup reductions" : "shared-memory reductions"));
      dispatch(flash ? *flash : kernel(0), bufs, push, uint64_t(B * H * nqb));
    }
    out(0, out0);
    if (wantWeights)
      out(1, w);
    return;
  }
  if (k == "heed.additive_attention") {
    if (op.operands.size() < 5)
      opFail("expects query, keys_proj, values, w_query and v");
    const DTensor &q = in(0), &kp = in(1), &vals = in(2), &wq = in(3), &v = in(4);
    for (const DTensor *t : {&q, &kp, &vals, &wq, &v})
      if (t->type != ElemType::f32)
        opFail("supports only f32 operands");
    bool step = q.rank() == 2;
    if ((q.rank() != 2 && q.rank() != 3) || kp.rank() != 3 || vals.rank() != 3 || wq.rank() != 2 ||
        v.rank() != 1)
      opFail("expects query [B, Dq] or [B, Lq, Dq], keys_proj [B, Lk, A], values [B, Lk, Dv], "
             "w_query [A, Dq] and v [A]");
    int64_t B = q.shape[0], Lq = step ? 1 : q.shape[1], Dq = q.shape.back(), Lk = kp.shape[1],
            A = kp.shape[2], Dv = vals.shape[2];
    if (kp.shape[0] != B || vals.shape[0] != B || vals.shape[1] != Lk || wq.shape[0] != A ||
        wq.shape[1] != Dq || v.shape[0] != A)
      opFail("has inconsistent shapes: query " + shapeString(q.shape, q.type) + ", keys_proj " +
             shapeString(kp.shape, kp.type) + ", values " + shapeString(vals.shape, vals.type) +
             ", w_query " + shapeString(wq.shape, wq.type) + ", v " + shapeString(v.shape, v.type));
    if (A > 1024 || Dv > 1024)
      opFail("has an attention or value dim above 1024 (the vulkan kernel's limit)");
    std::vector<const Buffer *> bufs{q.buf.get(), kp.buf.get(), vals.buf.get(), wq.buf.get(),
                                     v.buf.get()};
    int64_t bits = op.getInt("mask_kind", 0);
    int64_t ms[3] = {0, 0, 0};
    if (bits & 7) {
      if (op.operands.size() < 6)
        opFail("has a mask kind that needs a mask operand");
      const DTensor &m = in(5);
      checkMask(m, bits, B, step ? std::vector<int64_t>{B, Lk} : std::vector<int64_t>{B, Lq, Lk},
                step ? std::vector<int>{0, 2} : std::vector<int>{0, 1, 2}, ms);
      bufs.push_back(m.buf.get());
    }
    DTensor o = alloc(ElemType::f32,
                      step ? std::vector<int64_t>{B, Dv} : std::vector<int64_t>{B, Lq, Dv}, where);
    bufs.push_back(o.buf.get());
    DTensor w;
    bool wantWeights = op.results.size() > 1;
    if (wantWeights) {
      w = alloc(ElemType::f32, step ? std::vector<int64_t>{B, Lk} : std::vector<int64_t>{B, Lq, Lk},
                where);
      bufs.push_back(w.buf.get());
    }
    if (B * Lq > 0)
      dispatch(rowKernel(), bufs,
               {int32_t(B), int32_t(Lq), int32_t(Dq), int32_t(Lk), int32_t(A), int32_t(Dv),
                int32_t(ms[0]), int32_t(ms[1]), int32_t(ms[2])},
               uint64_t(B * Lq));
    out(0, o);
    if (wantWeights)
      out(1, w);
    return;
  }
  if (k == "heed.rnn_cell" || k == "heed.gru_cell" || k == "heed.lstm_cell") {
    bool lstm = k == "heed.lstm_cell";
    int64_t G = lstm ? 4 : k == "heed.gru_cell" ? 3 : 1;
    size_t wAt = lstm ? 3 : 2;
    if (op.operands.size() != wAt + 2 && op.operands.size() != wAt + 4)
      opFail("expects either no biases or both b_ih and b_hh");
    const DTensor &x = in(0), &h = in(1);
    if (x.rank() != 2 || h.rank() != 2)
      opFail("expects input [B, I] and hidden [B, H]");
    int64_t B = x.shape[0], I = x.shape[1], H = h.shape[1];
    auto expect = [&](const DTensor &t, std::vector<int64_t> shape, const std::string &what) {
      if (t.type != ElemType::f32)
        opFail(what + " must be f32, got " + elemTypeName(t.type));
      if (t.shape != shape)
        opFail(what + " has shape " + shapeString(t.shape, t.type) + ", expected " +
               shapeString(shape, ElemType::f32));
    };
    expect(h, {B, H}, "hidden");
    if (lstm)
      expect(in(2), {B, H}, "cell");
    expect(x, {B, I}, "input");
    expect(in(wAt), {G * H, I}, "w_ih");
    expect(in(wAt + 1), {G * H, H}, "w_hh");
    if (op.operands.size() == wAt + 4) {
      expect(in(wAt + 2), {G * H}, "b_ih");
      expect(in(wAt + 3), {G * H}, "b_hh");
    }
    std::vector<const Buffer *> bufs;
    for (size_t i = 0; i < op.operands.size(); ++i)
      bufs.push_back(in(i).buf.get());
    DTensor ho = alloc(ElemType::f32, {B, H}, where), co;
    bufs.push_back(ho.buf.get());
    if (lstm) {
      co = alloc(ElemType::f32, {B, H}, where);
      bufs.push_back(co.buf.get());
    }
    const Pipeline &p = kernel(0);
    dispatch(p, bufs, {int32_t(B * H), int32_t(I), int32_t(H)}, ceilDiv(uint64_t(B * H), p.local));
    out(0, ho);
    if (lstm)
      out(1, co);
    return;
  }
  if (k == "heed.rnn" || k == "heed.gru" || k == "heed.lstm") {
    bool lstm = k == "heed.lstm";
    int64_t G = lstm ? 4 : k == "heed.gru" ? 3 : 1;
    size_t g = 0;
    auto [xAt, nx] = op.segment(g++);
    auto [h0At, nh0] = op.segment(g++);
    size_t c0At = 0, nc0 = 0;
    if (lstm)
      std::tie(c0At, nc0) = op.segment(g++);
    auto [lenAt, nlen] = op.segment(g++);
    auto [wAt, nw] = op.segment(g++);
    (void)nx;
    const DTensor &xin = in(xAt);
    if (xin.rank() != 3)
      opFail("expects a rank-3 input, got " + shapeString(xin.shape, xin.type));
    if (xin.type != ElemType::f32)
      opFail("supports only f32 input");
    bool batchFirst = op.getBool("batch_first", false);
    int64_t T = batchFirst ? xin.shape[1] : xin.shape[0],
            B = batchFirst ? xin.shape[0] : xin.shape[1];
    int64_t I = xin.shape[2], H = op.getInt("hidden_size", 0);
    int64_t L = op.getInt("num_layers", 1), D = op.getBool("bidirectional", false) ? 2 : 1;
    bool bias = op.getBool("has_biases", true);
    size_t perDir = bias ? 4 : 2;
    if (nw != size_t(L * D) * perDir)
      opFail("expects " + std::to_string(size_t(L * D) * perDir) + " weights, got " +
             std::to_string(nw));
    auto expect = [&](const DTensor &t, std::vector<int64_t> shape, const std::string &what) {
      if (t.type != ElemType::f32)
        opFail(what + " must be f32, got " + elemTypeName(t.type));
      if (t.shape != shape)
        opFail(what + " has shape " + shapeString(t.shape, t.type) + ", expected " +
               shapeString(shape, ElemType::f32));
    };
    std::vector<int64_t> stateShape{L * D, B, H};
    if (nh0)
      expect(in(h0At), stateShape, "initial hidden state");
    if (nc0)
      expect(in(c0At), stateShape, "initial cell state");
    const DTensor *lens = nullptr;
    if (nlen) {
      lens = &in(lenAt);
      if (lens->rank() != 1 || lens->shape[0] != B)
        opFail("expects lengths [" + std::to_string(B) + "], got " +
               shapeString(lens->shape, lens->type));
    }
    DTensor hN = alloc(ElemType::f32, stateShape, where), cN;
    if (lstm)
      cN = alloc(ElemType::f32, stateShape, where);
    Check check;
    if (lens) {
      check = newCheck();
      check.where = where;
      check.ids = *lens;
      check.n = T;
      check.lengths = true;
    }
    if (T == 0)
      opFail("has an empty sequence (T = 0 is unimplemented on vulkan)");
    const Pipeline &step = kernel(0);
    std::shared_ptr<Buffer> status = lens ? check.status : acquire(4);
    DTensor X = xin, Y;
    int64_t inDim = I, xsT = batchFirst ? I : B * I, xsB = batchFirst ? T * I : I;
    DTensor hA = alloc(ElemType::f32, {B, H}, where), hB = alloc(ElemType::f32, {B, H}, where);
    DTensor cA, cB;
    if (lstm) {
      cA = alloc(ElemType::f32, {B, H}, where);
      cB = alloc(ElemType::f32, {B, H}, where);
    }
    for (int64_t l = 0; l < L; ++l) {
      Y = alloc(ElemType::f32, {T, B, D * H}, where);
      for (int64_t d = 0; d < D; ++d) {
        size_t w = wAt + size_t(l * D + d) * perDir;
        std::string which = "layer " + std::to_string(l) + (d ? " reverse " : " ");
        expect(in(w), {G * H, inDim}, which + "w_ih");
        expect(in(w + 1), {G * H, H}, which + "w_hh");
        if (bias) {
          expect(in(w + 2), {G * H}, which + "b_ih");
          expect(in(w + 3), {G * H}, which + "b_hh");
        }
        int64_t state = (l * D + d) * B * H;
        const DTensor *hPrev = nh0 ? &in(h0At) : &hA, *cPrev = nc0 ? &in(c0At) : &cA;
        int64_t hBase = nh0 ? state : 0, cBase = nc0 ? state : 0;
        bool zeroH = !nh0, zeroC = !nc0;
        for (int64_t sIdx = 0; sIdx < T; ++sIdx) {
          int64_t t = d == 0 ? sIdx : T - 1 - sIdx;
          DTensor &hNext = (sIdx % 2 == 0) ? hB : hA;
          DTensor &cNext = (sIdx % 2 == 0) ? cB : cA;
          std::vector<const Buffer *> bufs{X.buf.get(), hPrev->buf.get()};
          if (lstm)
            bufs.push_back(cPrev->buf.get());
          for (size_t i = 0; i < perDir; ++i)
            bufs.push_back(in(w + i).buf.get());
          if (lens)
            bufs.push_back(lens->buf.get());
          bufs.push_back(Y.buf.get());
          bufs.push_back(hNext.buf.get());
          if (lstm)
            bufs.push_back(cNext.buf.get());
          bufs.push_back(hN.buf.get());
          if (lstm)
            bufs.push_back(cN.buf.get());
          bufs.push_back(status.get());
          dispatch(step, bufs,
                   {int32_t(B * H), int32_t(inDim), int32_t(H), int32_t(t), int32_t(xsT),
                    int32_t(xsB), int32_t(hBase), zeroH ? 1 : 0, int32_t(D * H), int32_t(d * H),
                    int32_t(state), int32_t(cBase), zeroC ? 1 : 0, int32_t(T),
                    int32_t(lens ? check.slot : 0)},
                   ceilDiv(uint64_t(B * H), step.local));
          hPrev = &hNext;
          cPrev = &cNext;
          hBase = cBase = 0;
          zeroH = zeroC = false;
        }
      }
      X = Y;
      inDim = D * H;
      xsT = B * D * H;
      xsB = D * H;
    }
    if (lens)
      checks.push_back(check);
    DTensor result = Y;
    if (batchFirst) {
      result = alloc(ElemType::f32, {B, T, D * H}, where);
      std::vector<int64_t> dims{B, T, D * H}, inSt{D * H, B * D * H, 1};
      int64_t n = elementCount(dims);
      std::vector<int32_t> push{int32_t(n), 0, 0};
      append(push, dims);
      append(push, inSt);
      append(push, contiguousStrides(dims));
      const Pipeline &cp = kernel(1);
      dispatch(cp, {Y.buf.get(), result.buf.get()}, push, ceilDiv(uint64_t(n), cp.local));
    }
    out(0, result);
    out(1, hN);
    if (lstm)
      out(2, cN);
    return;
  }
  opFail("is unimplemented on vulkan");
}

} // namespace heed::rt::vk
