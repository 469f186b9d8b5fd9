//===- Module.cpp - Loading and checking Heed module files ----------------===//

#include "runtime/module/Module.h"

#include "dialects/heed/IR/AttrRules.h"
#include "heed/heed.h"
#include "runtime/core/Escape.h"
#include "runtime/module/Format.h"
#include "runtime/module/heed_module_generated.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iterator>
#include <set>
#include <zlib.h>

namespace heed::rt {

std::string ValueType::str() const {
  if (scalar)
    return "index";
  std::string s = "tensor<";
  for (int64_t d : dims)
    s += (d < 0 ? std::string("?") : std::to_string(d)) + "x";
  return s + elemTypeName(type) + ">";
}

const Attr *PlanOp::attr(const std::string &name) const {
  auto it = attrs.find(name);
  return it == attrs.end() ? nullptr : &it->second;
}

std::pair<size_t, size_t> PlanOp::segment(size_t i) const {
  const Attr *a = attr("operandSegmentSizes");
  if (!a)
    return i < operands.size() ? std::make_pair(i, size_t(1))
                               : std::make_pair(operands.size(), size_t(0));
  size_t start = 0;
  for (size_t j = 0; j < i && j < a->ints.size(); ++j)
    start += size_t(a->ints[j]);
  size_t count = i < a->ints.size() ? size_t(a->ints[i]) : 0;
  return {start, count};
}

const Attr &PlanOp::declaredAttr(ops::AttrId id) const {
  const ops::OpSpec &s = ops::spec(opKind);
  for (size_t i = 0; i < s.numAttrs; ++i)
    if (ops::kAttrSpecs[s.firstAttr + i].id == id) {
      if (i >= declared.size() || !declared[i])
        fail(ErrorKind::runtime, (loc.empty() ? "" : loc + ": ") + "'" + kind +
                                     "' has no attribute '" + ops::name(id) + "'");
      return *declared[i];
    }
  fail(ErrorKind::runtime,
       "internal error: '" + kind + "' declares no attribute '" + ops::name(id) + "'");
}

int64_t PlanOp::getInt(ops::AttrId id) const {
  const Attr &a = declaredAttr(id);
  if (a.ints.empty()) // a Float or Number attribute holding a float: a driver bug
    fail(ErrorKind::runtime,
         "internal error: '" + kind + "' attribute '" + ops::name(id) + "' is not an integer");
  return a.ints[0];
}

double PlanOp::getFloat(ops::AttrId id) const {
  const Attr &a = declaredAttr(id);
  return a.floats.empty() ? double(a.ints.at(0)) : a.floats[0];
}

bool PlanOp::getBool(ops::AttrId id) const { return getInt(id) != 0; }

const std::vector<int64_t> &PlanOp::getInts(ops::AttrId id) const { return declaredAttr(id).ints; }

const std::string &PlanOp::getStr(ops::AttrId id) const { return declaredAttr(id).str; }

bool PlanOp::has(ops::AttrId id) const {
  const ops::OpSpec &s = ops::spec(opKind);
  for (size_t i = 0; i < s.numAttrs; ++i)
    if (ops::kAttrSpecs[s.firstAttr + i].id == id)
      return i < declared.size() && declared[i].has_value();
  fail(ErrorKind::runtime,
       "internal error: '" + kind + "' declares no attribute '" + ops::name(id) + "'");
}

std::optional<ops::OpKind> lookupOpKind(std::string_view name) { return ops::lookup(name); }

namespace {

[[noreturn]] void bad(const std::string &name, const std::string &what) {
  fail(ErrorKind::invalidModule, name + ": invalid module: " + what);
}

/// Vectors of 8-byte scalars: the FlatBuffers verifier checks only the 4-byte
/// length prefix, so a corrupt offset could make the elements misaligned.
/// (Empty vectors are legitimately unaligned: the builder skips padding them.)
template <typename T> void checkAligned(const flatbuffers::Vector<T> *v, const std::string &name) {
  if (v && v->size() != 0 && reinterpret_cast<uintptr_t>(v->data()) % alignof(T) != 0)
    bad(name, "misaligned vector in the plan");
}

// One element type enum: the module format's DType (a file format: its values never change), the
// runtime's ElemType and the C API's heed_dtype share their values, so converting is a cast.
#define HEED_SAME_ELEM_TYPE(elem, fbName, api)                                                     \
  static_assert(uint8_t(ElemType::elem) == uint8_t(fb::DType_##fbName) &&                          \
                    uint8_t(ElemType::elem) == uint8_t(api),                                       \
                "ElemType::" #elem " differs from the module format or the C API");
HEED_SAME_ELEM_TYPE(f32, f32, HEED_F32)
HEED_SAME_ELEM_TYPE(f64, f64, HEED_F64)
HEED_SAME_ELEM_TYPE(i32, i32, HEED_I32)
HEED_SAME_ELEM_TYPE(i64, i64, HEED_I64)
HEED_SAME_ELEM_TYPE(boolean, boolean, HEED_BOOL)
HEED_SAME_ELEM_TYPE(index, index, HEED_INDEX)
HEED_SAME_ELEM_TYPE(f16, f16, HEED_F16)
HEED_SAME_ELEM_TYPE(bf16, bf16, HEED_BF16)
HEED_SAME_ELEM_TYPE(u8, u8, HEED_U8)
HEED_SAME_ELEM_TYPE(u32, u32, HEED_U32)
HEED_SAME_ELEM_TYPE(u64, u64, HEED_U64)
#undef HEED_SAME_ELEM_TYPE
static_assert(fb::DType_MAX == fb::DType_u64 && uint8_t(ElemType::i8) == fb::DType_MAX + 1,
              "a new module element type needs its ElemType and heed_dtype values");

ElemType toElemType(fb::DType t, const std::string &name) {
  if (uint8_t(t) > uint8_t(fb::DType_MAX))
    bad(name, "unknown element type " + std::to_string(int(t)));
  return ElemType(t);
}

/// heed.dims ("B,S,64", as the writer joins it) split into one symbol per dim of `value`.
std::vector<std::string> dimSymbols(const std::string &joined, const ValueType &value) {
  size_t rank = value.scalar ? 0 : value.dims.size();
  std::vector<std::string> names;
  if (!joined.empty()) {
    size_t start = 0;
    for (size_t comma; (comma = joined.find(',', start)) != std::string::npos; start = comma + 1)
      names.push_back(joined.substr(start, comma - start));
    names.push_back(joined.substr(start));
  }
  if (names.size() != rank)
    return std::vector<std::string>(rank);
  for (std::string &n : names)
    if (n == "?" || (!n.empty() && std::isdigit(static_cast<unsigned char>(n[0]))))
      n.clear();
  return names;
}

struct Loader {
  const std::string &name;
  Module &module;
  const Function *function = nullptr;
  std::vector<char> defined;
  int32_t nextIndex = 0; // PlanOp::index, pre-order in the function

  void checkId(int32_t id, const std::string &where) {
    if (id < 0 || size_t(id) >= function->values.size())
      bad(name, where + ": value id " + std::to_string(id) + " out of range (function '" +
                    function->name + "' has " + std::to_string(function->values.size()) + ")");
  }
  void use(int32_t id, const std::string &where) {
    checkId(id, where);
    if (!defined[size_t(id)])
      bad(name, where + ": value " + std::to_string(id) + " used before it is defined");
  }
  void define(int32_t id, const std::string &where) {
    checkId(id, where);
    if (defined[size_t(id)])
      bad(name, where + ": value " + std::to_string(id) + " defined twice");
    defined[size_t(id)] = 1;
  }

  /// Fills p.declared from the file's attributes: each of the kind's declared attributes must
  /// be present (or have an ODS default, filled in) and hold the payload its type needs.
  void resolveAttrs(PlanOp &p, const std::string &where) {
    const ops::OpSpec &s = ops::spec(p.opKind);
    p.declared.assign(s.numAttrs, std::nullopt);
    for (size_t i = 0; i < s.numAttrs; ++i) {
      const ops::AttrSpec &spec = ops::kAttrSpecs[s.firstAttr + i];
      std::string what = where + ": attribute '" + ops::name(spec.id) + "' ";
      auto it = p.attrs.find(ops::name(spec.id));
      if (it == p.attrs.end()) {
        if (spec.presence == ops::Presence::required)
          bad(name, where + ": missing attribute '" + ops::name(spec.id) + "'");
        if (spec.presence == ops::Presence::defaulted) {
          Attr d;
          if (spec.type == ops::AttrType::Float)
            d.floats.push_back(spec.defaultFloat);
          else
            d.ints.push_back(spec.defaultInt);
          p.declared[i] = std::move(d);
        }
        continue;
      }
      const Attr &a = it->second;
      bool one = a.ints.size() + a.floats.size() == 1 && a.str.empty();
      switch (spec.type) {
      case ops::AttrType::Int:
      case ops::AttrType::Bool:
        if (!one || a.ints.empty())
          bad(name, what + "must hold one integer");
        break;
      case ops::AttrType::Float:
      case ops::AttrType::Number:
        if (!one)
          bad(name, what + "must hold one number");
        break;
      case ops::AttrType::Ints:
        if (!a.floats.empty() || !a.str.empty())
          bad(name, what + "must hold integers");
        break;
      case ops::AttrType::Str:
        if (!a.ints.empty() || !a.floats.empty())
          bad(name, what + "must hold a string");
        break;
      }
      p.declared[i] = a;
    }
  }

  static std::string count(int n, const char *what) {
    return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
  }

  /// Operand and result counts as the op table declares them, and a body exactly for ops with
  /// a region.
  void checkArity(const PlanOp &p, bool hasBody, const std::string &where) {
    const ops::OpSpec &s = ops::spec(p.opKind);
    if (s.operands >= 0 && p.operands.size() != size_t(s.operands))
      bad(name, where + ": expects " + count(s.operands, "operand") + ", has " +
                    std::to_string(p.operands.size()));
    if (s.results >= 0 && p.results.size() != size_t(s.results))
      bad(name, where + ": expects " + count(s.results, "result") + ", has " +
                    std::to_string(p.results.size()));
    if (hasBody != s.body)
      bad(name, where + (s.body ? ": has no body" : ": has a body it cannot use"));
  }

  void loadPlan(const fb::Plan *in, Plan &out, int depth) {
    if (depth > 16)
      bad(name, "plans nested too deeply");
    if (!in)
      return;
    if (in->args())
      for (int32_t id : *in->args()) {
        define(id, "function '" + function->name + "'");
        out.args.push_back(id);
      }
    if (in->ops()) {
      for (const fb::Op *op : *in->ops()) {
        PlanOp p;
        p.index = nextIndex++;
        p.kind = op->kind()->str();
        // Locations, function and value names only ever reach messages and traces: stored
        // escaped (Escape.h), so no driver can echo a control byte from the file.
        p.loc = op->loc() ? escapeControls(op->loc()->string_view()) : std::string();
        std::string where =
            (p.loc.empty() ? std::string() : p.loc + ": ") + "'" + escapeControls(p.kind) + "'";
        std::optional<ops::OpKind> kind = lookupOpKind(p.kind);
        if (!kind)
          bad(name, where + ": unknown op kind");
        p.opKind = *kind;
        if (op->attrs())
          for (const fb::Attr *a : *op->attrs()) {
            Attr attr;
            checkAligned(a->ints(), name);
            checkAligned(a->floats(), name);
            if (a->ints())
              attr.ints.assign(a->ints()->begin(), a->ints()->end());
            if (a->floats())
              attr.floats.assign(a->floats()->begin(), a->floats()->end());
            if (a->str())
              attr.str = a->str()->str();
            p.attrs[a->name()->str()] = std::move(attr);
          }
        resolveAttrs(p, where);
        // The dialect's attribute rules (AttrRules.h): a forged value would
        // otherwise reach the drivers, which read it each their own way.
        heed::attr_rules::forEachRule(p.kind, [&](const heed::attr_rules::Rule &rule) {
          const Attr *a = p.attr(rule.attr);
          if (!a)
            return; // the op's default
          std::string what = where + ": attribute '" + rule.attr + "' ";
          if (a->ints.size() != 1)
            bad(name, what + "must hold one integer");
          std::string why = heed::attr_rules::violation(rule, a->ints[0]);
          if (!why.empty())
            bad(name, what + why);
        });
        if (op->operands())
          for (int32_t id : *op->operands()) {
            use(id, where);
            p.operands.push_back(id);
          }
        if (const Attr *seg = p.attr("operandSegmentSizes")) {
          int64_t total = 0;
          for (int64_t n : seg->ints) {
            if (n < 0 || n > int64_t(p.operands.size()))
              bad(name, where + ": bad operand segments");
            total += n;
          }
          if (total != int64_t(p.operands.size()))
            bad(name, where + ": operand segments do not add up to the operand count");
        }
        if (op->body()) {
          p.body = std::make_unique<Plan>();
          loadPlan(op->body(), *p.body, depth + 1);
        }
        if (op->results())
          for (int32_t id : *op->results()) {
            define(id, where);
            p.results.push_back(id);
          }
        checkArity(p, bool(op->body()), where);
        if (p.opKind == ops::OpKind::Constant || p.opKind == ops::OpKind::Weight) {
          int64_t c = p.getInt(ops::AttrId::constant);
          if (c < 0 || size_t(c) >= module.constants.size())
            bad(name, where + ": constant index " + std::to_string(c) + " out of range");
        }
        out.ops.push_back(std::move(p));
      }
    }
    if (in->yields())
      for (int32_t id : *in->yields()) {
        use(id, "a yield of function '" + function->name + "'");
        out.yields.push_back(id);
      }
  }

  /// Liveness: a value defined in `plan` is released after its last use in it
  /// (uses inside nested bodies count at the enclosing op). Yields and function
  /// outputs are kept.
  void computeLiveness(Plan &plan, const std::set<int32_t> &keep,
                       const std::vector<int32_t> &inputs = {}) {
    std::map<int32_t, size_t> last;
    std::set<int32_t> local(plan.args.begin(), plan.args.end());
    local.insert(inputs.begin(), inputs.end());
    std::function<void(const Plan &, size_t)> uses = [&](const Plan &p, size_t at) {
      for (const PlanOp &op : p.ops) {
        for (int32_t id : op.operands)
          last[id] = at;
        if (op.body) {
          uses(*op.body, at);
          for (int32_t id : op.body->yields)
            last[id] = at;
        }
      }
    };
    for (size_t i = 0; i < plan.ops.size(); ++i) {
      for (int32_t id : plan.ops[i].results)
        local.insert(id);
      for (int32_t id : plan.ops[i].operands)
        last[id] = i;
      if (plan.ops[i].body) {
        uses(*plan.ops[i].body, i);
        for (int32_t id : plan.ops[i].body->yields)
          last[id] = i;
      }
    }
    plan.releaseAfter.assign(plan.ops.size(), {});
    for (auto [id, at] : last)
      if (local.count(id) && !keep.count(id))
        plan.releaseAfter[at].push_back(id);
    for (PlanOp &op : plan.ops)
      if (op.body) {
        std::set<int32_t> inner(op.body->yields.begin(), op.body->yields.end());
        computeLiveness(*op.body, inner);
      }
  }
};

} // namespace

std::unique_ptr<Module> loadModule(const void *data, size_t size, const std::string &name,
                                   std::shared_ptr<uint8_t> owner) {
  using namespace format;
  if (size < kHeaderSize)
    bad(name, "file is " + std::to_string(size) + " bytes, shorter than the " +
                  std::to_string(kHeaderSize) + "-byte header (truncated?)");
  Header header;
  std::memcpy(&header, data, sizeof header);
  if (std::memcmp(header.magic, kMagic, sizeof kMagic) != 0)
    bad(name, "not a Heed module (bad magic)");
  if (header.version != kVersion)
    bad(name, "format version " + std::to_string(header.version) + ", this runtime reads version " +
                  std::to_string(kVersion) + "; recompile the model with this heed-compile");
  uint64_t payloadEnd, dataEnd;
  if (header.payloadOffset != kHeaderSize ||
      __builtin_add_overflow(header.payloadOffset, header.payloadSize, &payloadEnd) ||
      header.dataOffset < payloadEnd || header.dataOffset % kDataAlignment != 0 ||
      __builtin_add_overflow(header.dataOffset, header.dataSize, &dataEnd))
    bad(name, "inconsistent section sizes in the header");
  if (dataEnd != size)
    bad(name, "file is " + std::to_string(size) + " bytes but the header says " +
                  std::to_string(dataEnd) + (dataEnd > size ? " (truncated)" : ""));

  auto module = std::make_unique<Module>();
  module->name = name;
  module->size = size;
  uint8_t *bytes;
  if (owner && reinterpret_cast<uintptr_t>(data) % kDataAlignment == 0) {
    module->storage = std::move(owner); // zero-copy: constants view the mapping
    bytes = const_cast<uint8_t *>(static_cast<const uint8_t *>(data));
  } else {
    size_t rounded = (size + 63) / 64 * 64;
    void *p = std::aligned_alloc(64, rounded);
    if (!p)
      throw std::bad_alloc();
    module->storage =
        std::shared_ptr<uint8_t>(static_cast<uint8_t *>(p), [](uint8_t *q) { std::free(q); });
    bytes = module->storage.get();
    std::memcpy(bytes, data, size);
  }

  uLong crc = crc32(0L, Z_NULL, 0);
  for (uint64_t off = kHeaderSize; off < size;) {
    uInt chunk = uInt(std::min<uint64_t>(size - off, 1u << 30));
    crc = crc32(crc, bytes + off, chunk);
    off += chunk;
  }
  if (uint32_t(crc) != header.crc32)
    bad(name, "checksum mismatch (the file is corrupt)");

  const uint8_t *payload = bytes + header.payloadOffset;
  flatbuffers::Verifier verifier(payload, header.payloadSize, /*max_depth=*/128,
                                 /*max_tables=*/10000000);
  if (!fb::VerifyModuleBuffer(verifier))
    bad(name, "the plan does not verify as a FlatBuffer");
  const fb::Module *m = fb::GetModule(payload);
  module->producer = m->producer() ? m->producer()->str() : "";
  module->target = m->target() ? m->target()->str() : "";

  const uint8_t *section = bytes + header.dataOffset;
  if (m->constants())
    for (const fb::Constant *c : *m->constants()) {
      std::string what = "constant '" +
                         (c->name() ? escapeControls(c->name()->string_view()) : std::string()) +
                         "'";
      Tensor t;
      t.type = toElemType(c->dtype(), name);
      if (t.type == ElemType::index)
        bad(name, what + " has type index");
      checkAligned(c->dims(), name);
      if (c->dims())
        t.shape.assign(c->dims()->begin(), c->dims()->end());
      if (t.shape.size() > 16)
        bad(name, what + " has rank above 16");
      uint64_t expected = 0;
      try {
        expected =
            uint64_t(checkedMul(elementCount(t.shape), int64_t(elemTypeSize(t.type)), "size"));
      } catch (const Error &) {
        bad(name, what + " has invalid dims");
      }
      uint64_t end;
      if (c->bytes() != expected)
        bad(name, what + " holds " + std::to_string(c->bytes()) + " bytes, its dims need " +
                      std::to_string(expected));
      if (__builtin_add_overflow(c->offset(), c->bytes(), &end) || end > header.dataSize ||
          c->offset() % 64 != 0)
        bad(name, what + " lies outside the data section");
      t.storage = module->storage;
      t.data = const_cast<uint8_t *>(section + c->offset());
      module->constants.push_back(std::move(t));
    }

  if (!m->functions() || m->functions()->size() == 0)
    bad(name, "no functions");
  for (const fb::Function *f : *m->functions()) {
    Function fn;
    fn.name = escapeControls(f->name()->string_view());
    fn.loc = f->loc() ? escapeControls(f->loc()->string_view()) : "";
    if (f->values())
      for (const fb::ValueType *v : *f->values()) {
        ValueType vt;
        vt.type = toElemType(v->dtype(), name);
        vt.scalar = v->scalar();
        checkAligned(v->dims(), name);
        if (v->dims())
          vt.dims.assign(v->dims()->begin(), v->dims()->end());
        if (vt.dims.size() > 16)
          bad(name, "a value of function '" + fn.name + "' has rank above 16");
        fn.values.push_back(std::move(vt));
      }
    module->functions.push_back(std::move(fn));
    Function &fref = module->functions.back();
    Loader loader{name, *module, &fref, std::vector<char>(fref.values.size(), 0)};
    if (f->inputs())
      for (int32_t id : *f->inputs()) {
        loader.define(id, "inputs of function '" + fref.name + "'");
        fref.inputs.push_back(id);
        fref.inputTypes.push_back(fref.values[size_t(id)].str());
      }
    for (size_t i = 0; i < fref.inputs.size(); ++i)
      fref.inputNames.push_back(
          f->input_names() && i < f->input_names()->size()
              ? escapeControls(f->input_names()->Get(flatbuffers::uoffset_t(i))->string_view())
              : "arg" + std::to_string(i));
    loader.loadPlan(f->plan(), fref.plan, 0);
    if (f->outputs())
      for (int32_t id : *f->outputs()) {
        loader.use(id, "outputs of function '" + fref.name + "'");
        fref.outputs.push_back(id);
        fref.outputTypes.push_back(fref.values[size_t(id)].str());
      }
    auto strings = [](const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>> *v,
                      size_t i) {
      return v && i < v->size() ? escapeControls(v->Get(flatbuffers::uoffset_t(i))->string_view())
                                : std::string();
    };
    for (size_t i = 0; i < fref.inputs.size(); ++i)
      fref.inputDims.push_back(strings(f->input_dims(), i));
    for (size_t i = 0; i < fref.outputs.size(); ++i) {
      fref.outputNames.push_back(strings(f->output_names(), i));
      fref.outputDims.push_back(strings(f->output_dims(), i));
    }
    for (size_t i = 0; i < fref.inputs.size(); ++i)
      fref.inputSymbols.push_back(
          dimSymbols(fref.inputDims[i], fref.values[size_t(fref.inputs[i])]));
    for (size_t i = 0; i < fref.outputs.size(); ++i)
      fref.outputSymbols.push_back(
          dimSymbols(fref.outputDims[i], fref.values[size_t(fref.outputs[i])]));
    std::set<int32_t> keep(fref.outputs.begin(), fref.outputs.end());
    loader.computeLiveness(fref.plan, keep, fref.inputs);
  }
  return module;
}

} // namespace heed::rt
