# Damages the one pipeline cache file in DIR for pipeline_cache.mlir:
#   flip      flip one byte of the driver's data (checksum mismatch)
#   truncate  drop the last 8 bytes (our header intact, the data short)
#   short     keep less than our header
#   garbage   replace it with bytes that are not a heed cache
#   empty     make it empty
#   header    keep our header valid but claim another device in the driver's header
#   symlink   replace it with a symbolic link to the file named after DIR (pipeline_cache_shared)
#   fifo      replace it with a FIFO
#   modes     print the octal modes of DIR and of the file
import glob
import os
import struct
import sys


def fnv(data):
    h = 1469598103934665603
    for b in data:
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def main(mode, d, *rest):
    (path,) = glob.glob(d + "/vulkan-*.pcache")
    if mode in ("symlink", "fifo"):
        os.remove(path)
        os.symlink(rest[0], path) if mode == "symlink" else os.mkfifo(path)
        return
    if mode == "modes":
        print("%o %o" % (os.stat(d).st_mode & 0o777, os.stat(path).st_mode & 0o777))
        return
    b = bytearray(open(path, "rb").read())
    if mode == "flip":
        b[-1] ^= 0xFF
    elif mode == "truncate":
        b = b[:-8]
    elif mode == "short":
        b = b[:20]
    elif mode == "garbage":
        b = bytearray(b"\xde\xad\xbe\xef" * 64)
    elif mode == "empty":
        b = bytearray()
    elif mode == "header":
        # Our header is 40 bytes; the driver's starts with length, version, vendor, device.
        data = b[40:]
        data[12:16] = struct.pack("<I", struct.unpack("<I", data[12:16])[0] ^ 0x5A5A)
        b = b[:40] + data
        b[32:40] = struct.pack("<Q", fnv(data))
    else:
        sys.exit("unknown mode " + mode)
    open(path, "wb").write(b)


if __name__ == "__main__":
    main(*sys.argv[1:])
