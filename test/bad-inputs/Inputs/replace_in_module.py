#!/usr/bin/python3
"""replace_in_module.py IN OUT OLD NEW: copies a module file with every occurrence of the byte string
OLD replaced by NEW (the same length, so no FlatBuffer offset moves) and the header CRC32
rewritten: a module that no heed-compile would write, but that loads (decode-dims.test)."""
import struct
import sys
import zlib

data = open(sys.argv[1], "rb").read()
old, new = sys.argv[3].encode(), sys.argv[4].encode()
if len(old) != len(new) or old not in data:
    sys.exit("replace_in_module.py: '%s' not in %s, or not as long as '%s'" % (sys.argv[3], sys.argv[1], sys.argv[4]))
data = bytearray(data.replace(old, new))
data[12:16] = struct.pack("<I", zlib.crc32(bytes(data[64:])) & 0xFFFFFFFF)
open(sys.argv[2], "wb").write(bytes(data))
