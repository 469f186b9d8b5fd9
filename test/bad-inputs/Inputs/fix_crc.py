#!/usr/bin/python3
"""fix_crc.py IN OUT: copies a module file, rewriting its header CRC32 (as fuzz-module does), so
that a fuzzer's input reaches the checks behind the checksum."""
import struct
import sys
import zlib

data = bytearray(open(sys.argv[1], "rb").read())
if len(data) >= 64:
    data[12:16] = struct.pack("<I", zlib.crc32(bytes(data[64:])) & 0xFFFFFFFF)
open(sys.argv[2], "wb").write(bytes(data))
