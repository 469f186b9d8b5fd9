#!/usr/bin/env python3
"""Writes OpTable.h, the runtime's MLIR-free view of the heed dialect, from HeedOps.td.

Input: the JSON dump of the dialect's records (`llvm-tblgen --dump-json HeedOps.td`), so the op
list, each op's operand/result counts and attributes (kind, required, optional or defaulted, and
the ODS default) and the enum attributes' cases come from the .td files and nowhere else. The
module writer, the loader, both drivers and the tests use the header; adding an op to HeedOps.td
adds its OpKind, and every switch over OpKind without a default stops compiling
(-Werror=switch) until the op is handled or declined.

Usage: gen_op_table.py RECORDS.json OUT.h
"""

import json
import re
import sys

# Plan ops that are not heed ops: the index arithmetic the module writer keeps from arith.
ARITH_OPS = {
    'addi': {}, 'subi': {}, 'muli': {}, 'divsi': {}, 'divui': {}, 'remsi': {}, 'remui': {},
    'ceildivsi': {}, 'floordivsi': {}, 'maxsi': {}, 'minsi': {}, 'index_cast': {},
    'cmpi': {'predicate': ('Int', 'required', None)},
    'select': {},
    'constant': {'value': ('Int', 'required', None)},
}
# Plan attributes the module writer writes in place of an op's ODS attributes: constants and
# weights become an index into the module's constant table.
WRITER_ATTRS = {
    'constant': {'constant': ('Int', 'required', None)},
    'weight': {'constant': ('Int', 'required', None)},
}
# ODS attribute kinds as the module file stores them (compiler/targets/ModuleWriter.cpp).
ATTR_TYPES = {
    'BoolAttr': 'Bool', 'UnitAttr': 'Bool', 'I64Attr': 'Int', 'I32Attr': 'Int',
    'F32Attr': 'Float', 'F64Attr': 'Float', 'DenseI64ArrayAttr': 'Ints', 'StrAttr': 'Str',
    'TypeAttr': 'Str', 'TypedAttrInterface': 'Number',
}
# C++ spellings of ODS defaults that are not plain literals.
DEFAULT_LITERALS = {'std::numeric_limits<int64_t>::max()': 'INT64_MAX'}


def fail(message):
    sys.exit('gen_op_table.py: ' + message)


def camel(name):
    return ''.join(part[:1].upper() + part[1:] for part in name.split('_'))


def enum_of(records, attr_def):
    """The EnumAttrInfo record behind an EnumAttr def, or None."""
    rec = records[attr_def]
    if 'EnumAttr' not in rec['!superclasses']:
        return None
    return rec['enum']['def']


def attr_spec(records, enums, name, type_def):
    """(kind, presence, default) of one ODS attribute argument."""
    rec = records[type_def]
    supers = rec['!superclasses']
    presence = 'required'
    default = None
    if 'DefaultValuedAttr' in supers:
        presence, default = 'defaulted', rec['defaultValue']
        type_def = rec['baseAttr']['def']
    elif 'OptionalAttr' in supers:
        presence = 'optional'
        type_def = rec['baseAttr']['def']
    if type_def == 'UnitAttr':
        presence, default = 'defaulted', 'false'
    enum = enum_of(records, type_def)
    if enum:
        cases = enums[enum]
        if default is not None:
            case = default.split('::')[-1]
            if case not in cases:
                fail(f"attribute '{name}': default {default} is not a case of {enum}")
            default = str(cases[case])
        return 'Int', presence, default, records[enum]['className']
    kind = ATTR_TYPES.get(type_def)
    if kind is None:
        if type_def == 'ElementsAttr':
            return None  # a constant's payload: the writer replaces it (WRITER_ATTRS)
        fail(f"attribute '{name}' has ODS type {type_def}, which the module format cannot carry")
    if default is not None:
        default = DEFAULT_LITERALS.get(default, default)
        if kind == 'Bool':
            default = {'true': '1', 'false': '0'}[default]
        elif kind == 'Float':
            float(default)  # must parse
        elif not re.fullmatch(r'-?[0-9]+|INT64_MAX', default):
            fail(f"attribute '{name}': cannot read the default {default}")
    return kind, presence, default, None


def main():
    records = json.load(open(sys.argv[1]))
    enums = {}
    for name in records['!instanceof'].get('EnumInfo', []):
        rec = records[name]
        if not rec.get('cppNamespace', '').endswith('heed'):
            continue
        enums[name] = {records[c['def']]['symbol']: records[c['def']]['value']
                       for c in rec['enumerants']}
    ops = []
    for name in records['!instanceof']['Op']:
        rec = records[name]
        if rec['opDialect']['def'] != 'Heed_Dialect':
            continue
        traits = [t['def'] for t in rec['traits']]
        if 'Terminator' in traits:
            continue  # heed.yield ends a body; plans list yields instead
        args = rec['arguments']['args']
        operands, variadic, attrs = 0, False, {}
        for type_ref, arg_name in args:
            trec = records[type_ref['def']]
            if 'AttrConstraint' in trec['!superclasses']:
                spec = attr_spec(records, enums, arg_name, type_ref['def'])
                if spec:
                    attrs[arg_name] = spec
            elif {'Variadic', 'Optional'} & set(trec['!superclasses']):
                variadic = True
            else:
                operands += 1
        mnemonic = rec['opName']
        if mnemonic in WRITER_ATTRS:
            attrs = {k: v + (None,) for k, v in WRITER_ATTRS[mnemonic].items()}
        if 'AttrSizedOperandSegments' in traits:
            attrs['operandSegmentSizes'] = ('Ints', 'required', None, None)
        results = rec['results']['args']
        res_variadic = any({'Variadic', 'Optional'} & set(records[t['def']]['!superclasses'])
                           for t, _ in results)
        body = bool(rec['regions']['args'])
        family = rec.get('heedFamily') or fail(f"heed.{mnemonic} declares no heedFamily "
                                               "(HeedBase.td says what it is for)")
        ops.append(('heed.' + mnemonic, camel(mnemonic), -1 if variadic else operands,
                    -1 if res_variadic else len(results), body, attrs, family))
    for mnemonic, attrs in ARITH_OPS.items():
        results = 1
        operands = {'constant': 0, 'index_cast': 1, 'select': 3}.get(mnemonic, 2)
        ops.append(('arith.' + mnemonic, 'Arith' + camel(mnemonic), operands, results, False,
                    {k: v + (None,) for k, v in attrs.items()}, 'index'))
    ops.sort(key=lambda o: o[0])
    attr_names = sorted({a for op in ops for a in op[5]})
    families = sorted({op[6] for op in ops})

    out = []
    w = out.append
    w('//===- OpTable.h - The plan ops, generated from HeedOps.td -------*- C++ -*-===//')
    w('//')
    w('// GENERATED by runtime/module/gen_op_table.py from the heed dialect\'s TableGen records:')
    w('// do not edit. What the module writer, the loader and both drivers know of an op.')
    w('//')
    w('//===----------------------------------------------------------------------===//')
    w('')
    w('#ifndef HEED_RUNTIME_MODULE_OPTABLE_H')
    w('#define HEED_RUNTIME_MODULE_OPTABLE_H')
    w('')
    w('#include <algorithm>')
    w('#include <cstddef>')
    w('#include <cstdint>')
    w('#include <optional>')
    w('#include <string_view>')
    w('')
    w('namespace heed::ops {')
    w('')
    w('/// Every op a module plan may contain, sorted by name.')
    w('enum class OpKind : uint16_t {')
    for op in ops:
        w(f'  {op[1]}, // {op[0]}')
    w('};')
    w(f'inline constexpr size_t kNumOpKinds = {len(ops)};')
    w('')
    w('/// How the drivers group op kinds (heedFamily in HeedOps.td): one Vulkan kernel generator and')
    w('/// one driver routine per family. Dispatch switches over it have no default.')
    w('enum class Family : uint8_t {')
    for f in families:
        w(f'  {camel(f)},')
    w('};')
    w('')
    w('/// Every attribute name a plan op may carry.')
    w('enum class AttrId : uint16_t {')
    for a in attr_names:
        w(f'  {a},')
    w('};')
    w(f'inline constexpr size_t kNumAttrIds = {len(attr_names)};')
    w('inline constexpr const char *kAttrNames[] = {')
    for a in attr_names:
        w(f'    "{a}",')
    w('};')
    w('')
    w('/// How an attribute travels in the module file (Attr table): Int and Bool in `ints[0]`, Ints')
    w('/// in `ints`, Float in `floats[0]`, Str in `str`, Number (a fill value) in either.')
    w('enum class AttrType : uint8_t { Int, Bool, Ints, Float, Str, Number };')
    w('/// required: the loader refuses an op without it; defaulted: the loader fills the ODS')
    w('/// default in; optional: absent means "not set" (PlanOp::has).')
    w('enum class Presence : uint8_t { required, defaulted, optional };')
    w('')
    w('struct AttrSpec {')
    w('  AttrId id;')
    w('  AttrType type;')
    w('  Presence presence;')
    w('  int64_t defaultInt;   // the ODS default of an Int or Bool attribute')
    w('  double defaultFloat;  // of a Float attribute')
    w('};')
    w('')
    w('struct OpSpec {')
    w('  const char *name;')
    w('  int16_t operands; // -1: variadic (or optional) operands')
    w('  int16_t results;  // -1: variadic results')
    w('  bool body;        // a nested plan (heed.scan)')
    w('  Family family;')
    w('  uint16_t firstAttr, numAttrs; // its AttrSpecs in kAttrSpecs')
    w('};')
    w('')
    w('inline constexpr AttrSpec kAttrSpecs[] = {')
    first = []
    n = 0
    for op in ops:
        first.append(n)
        for a, (kind, presence, default, _enum) in sorted(op[5].items()):
            dfloat = default if kind == 'Float' and default else '0'
            dint = default if kind != 'Float' and default else '0'
            w(f'    {{AttrId::{a}, AttrType::{kind}, Presence::{presence}, {dint}, {dfloat}}}, // '
              + op[0])
            n += 1
    w('};')
    w('')
    w('inline constexpr OpSpec kOpSpecs[] = {')
    for op, f in zip(ops, first):
        w(f'    {{"{op[0]}", {op[2]}, {op[3]}, {"true" if op[4] else "false"}, '
          f'Family::{camel(op[6])}, {f}, {len(op[5])}}},')
    w('};')
    w('static_assert(sizeof(kOpSpecs) / sizeof(kOpSpecs[0]) == kNumOpKinds);')
    w('')
    w('inline constexpr const OpSpec &spec(OpKind kind) { return kOpSpecs[size_t(kind)]; }')
    w('inline constexpr const char *name(OpKind kind) { return spec(kind).name; }')
    w('inline constexpr Family family(OpKind kind) { return spec(kind).family; }')
    w('inline constexpr const char *name(AttrId id) { return kAttrNames[size_t(id)]; }')
    w('')
    w('/// The op kind named `name` ("heed.matmul"), or nullopt for one the table lacks.')
    w('inline std::optional<OpKind> lookup(std::string_view name) {')
    w('  const OpSpec *begin = kOpSpecs, *end = kOpSpecs + kNumOpKinds;')
    w('  const OpSpec *it = std::lower_bound(')
    w('      begin, end, name, [](const OpSpec &s, std::string_view n) { return s.name < n; });')
    w('  if (it == end || it->name != name)')
    w('    return std::nullopt;')
    w('  return OpKind(it - begin);')
    w('}')
    w('')
    w('/// The heed dialect\'s enum attributes, with the values the module file stores.')
    for enum, cases in sorted(enums.items()):
        cls = records[enum]['className']
        bits = 'BitEnumBase' in records[enum]['!superclasses']
        w(f'enum class {cls} : int64_t {{' + (' // bits' if bits else ''))
        for case, value in cases.items():
            w(f'  {case} = {value},')
        w('};')
    w('')
    w('} // namespace heed::ops')
    w('')
    w('#endif // HEED_RUNTIME_MODULE_OPTABLE_H')
    text = '\n'.join(out) + '\n'
    try:
        if open(sys.argv[2]).read() == text:
            return  # unchanged: dependents need not rebuild
    except OSError:
        pass
    with open(sys.argv[2], 'w') as f:
        f.write(text)


if __name__ == '__main__':
    main()
