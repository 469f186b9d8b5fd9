#!/usr/bin/python3
"""forge_module.py IN OUT ACTION ARGS...: copies a module file with one field of its FlatBuffer
rewritten in place, then rewrites the header CRC32 (as fix_crc.py), so the forged value reaches the
loader's and the driver's checks. Reads the FlatBuffer by hand (no flatbuffers package here):
field numbers follow runtime/module/heed_module.fbs.

Actions:
  spirv-bound K        vulkan kernel K's SPIR-V id bound becomes 0xFFFFFFFF
  spirv-garbage K      vulkan kernel K's SPIR-V instructions become garbage words
  local-size K N       vulkan kernel K's local_size becomes N
  workgroup K N        vulkan kernel K's local_size and its SPIR-V LocalSize x both become N
  shared N             the first vulkan kernel with a shared (Workgroup) array: the length
                       constant of that array becomes N
  attr KIND NAME N     the first plan op of kind KIND with an integer attribute NAME gets N
  loc-control          every op location starts with ESC and NUL (its first two bytes)
"""
import struct
import sys
import zlib

# Field numbers (declaration order in heed_module.fbs).
MODULE_FUNCTIONS, MODULE_VULKAN = 2, 4
VULKAN_KERNELS = 0
KERNEL_SPIRV, KERNEL_LOCAL_SIZE = 1, 3
FUNCTION_PLAN = 5
PLAN_OPS = 1
OP_KIND, OP_ATTRS, OP_LOC, OP_BODY = 0, 3, 4, 5
ATTR_NAME, ATTR_INTS = 0, 1

data = bytearray(open(sys.argv[1], "rb").read())
BASE = struct.unpack_from("<Q", data, 16)[0]  # payload offset


def u32(at):
    return struct.unpack_from("<I", data, at)[0]


def field(table, index):
    """Absolute position of field `index` of the table at `table`, or None when absent."""
    vtable = table - struct.unpack_from("<i", data, table)[0]
    vsize = struct.unpack_from("<H", data, vtable)[0]
    if 4 + 2 * index >= vsize:
        return None
    off = struct.unpack_from("<H", data, vtable + 4 + 2 * index)[0]
    return table + off if off else None


def ref(table, index):
    """The table, vector or string that field `index` points to, or None."""
    at = field(table, index)
    return None if at is None else at + u32(at)


def tables(vector):
    return [vector + 4 + 4 * i + u32(vector + 4 + 4 * i) for i in range(u32(vector))] if vector else []


def string(s):
    return bytes(data[s + 4:s + 4 + u32(s)]).decode("latin-1")


root = BASE + u32(BASE)


def kernel(k):
    return tables(ref(ref(root, MODULE_VULKAN), VULKAN_KERNELS))[k]


def ops(plan):
    for op in tables(ref(plan, PLAN_OPS)) if plan else []:
        yield op
        yield from ops(ref(op, OP_BODY))


def all_ops():
    for fn in tables(ref(root, MODULE_FUNCTIONS)):
        yield from ops(ref(fn, FUNCTION_PLAN))


action, args = sys.argv[3], sys.argv[4:]
if action in ("spirv-bound", "spirv-garbage"):
    words = ref(kernel(int(args[0])), KERNEL_SPIRV) + 4
    if action == "spirv-bound":
        struct.pack_into("<I", data, words + 12, 0xFFFFFFFF)
    else:
        for i in range(5, u32(words - 4)):
            struct.pack_into("<I", data, words + 4 * i, (0x9E3779B9 * i) & 0xFFFFFFFF)
elif action == "workgroup":
    k = kernel(int(args[0]))
    words = ref(k, KERNEL_SPIRV) + 4
    at, end = words + 20, words + 4 * u32(words - 4)
    while at < end:  # OpExecutionMode (16) %main LocalSize (17) x y z
        n, opcode = u32(at) >> 16, u32(at) & 0xFFFF
        if opcode == 16 and u32(at + 8) == 17:
            struct.pack_into("<I", data, at + 12, int(args[1]))
        at += 4 * max(n, 1)
    struct.pack_into("<i", data, field(k, KERNEL_LOCAL_SIZE), int(args[1]))
elif action == "shared":
    def instructions(words):
        at, end = words + 20, words + 4 * u32(words - 4)
        while at < end:
            n = max(u32(at) >> 16, 1)
            yield u32(at) & 0xFFFF, [u32(at + 4 * i) for i in range(1, n)], at
            at += 4 * n
    for k in tables(ref(ref(root, MODULE_VULKAN), VULKAN_KERNELS)):
        words = ref(k, KERNEL_SPIRV) + 4
        insts = list(instructions(words))
        pointers = {ops[0]: ops[2] for op, ops, _ in insts if op == 32}  # OpTypePointer
        arrays = {ops[0]: ops[2] for op, ops, _ in insts if op == 28}    # OpTypeArray
        constants = {ops[1]: at for op, ops, at in insts if op == 43 and len(ops) == 3}
        shared = [ops[0] for op, ops, _ in insts if op == 59 and ops[2] == 4]  # OpVariable Workgroup
        lengths = [arrays[pointers[t]] for t in shared if pointers.get(t) in arrays]
        if lengths and lengths[0] in constants:
            struct.pack_into("<I", data, constants[lengths[0]] + 12, int(args[0]))
            break
    else:
        sys.exit("forge_module.py: no vulkan kernel with a shared array")
elif action == "local-size":
    struct.pack_into("<i", data, field(kernel(int(args[0])), KERNEL_LOCAL_SIZE), int(args[1]))
elif action == "attr":
    for op in all_ops():
        if string(ref(op, OP_KIND)) != args[0]:
            continue
        found = [a for a in tables(ref(op, OP_ATTRS)) if string(ref(a, ATTR_NAME)) == args[1]]
        if found and ref(found[0], ATTR_INTS) and u32(ref(found[0], ATTR_INTS)):
            struct.pack_into("<q", data, ref(found[0], ATTR_INTS) + 4, int(args[2]))
            break
    else:
        sys.exit("forge_module.py: no op %s with integer attribute %s" % (args[0], args[1]))
elif action == "loc-control":
    for op in all_ops():
        loc = ref(op, OP_LOC)
        if loc and u32(loc) > 2:
            data[loc + 4:loc + 6] = b"\x1b\x00"
else:
    sys.exit("forge_module.py: unknown action " + action)

data[12:16] = struct.pack("<I", zlib.crc32(bytes(data[64:])) & 0xFFFFFFFF)
open(sys.argv[2], "wb").write(bytes(data))
