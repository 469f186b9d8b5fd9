#!/usr/bin/python3
"""rows_equal.py CLEAN.npy NAN.npy: batch row 1 of both outputs must be bitwise equal and finite
(a NaN placed in row 0 of an input must not leak into row 1)."""
import sys

import numpy as np

clean, dirty = np.load(sys.argv[1]), np.load(sys.argv[2])
assert clean.shape == dirty.shape, (clean.shape, dirty.shape)
if not np.all(np.isfinite(clean[1])):
    sys.exit("row 1 of the clean output is not finite")
if not np.array_equal(clean[1], dirty[1]):
    sys.exit("row 1 differs: the NaN in row 0 leaked (max diff %s)" % np.nanmax(np.abs(clean[1] - dirty[1])))
print("row 1 equal; row 0 has %d NaN" % int(np.isnan(dirty[0]).sum()))
