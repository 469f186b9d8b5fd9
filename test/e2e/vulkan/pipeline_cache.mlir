// The on-disk pipeline cache: the first run saves it, the second loads it; a flipped byte, a
// truncated, short, empty or foreign file, and a driver header for another device are each ignored (the
// run still succeeds) and the file is rewritten; HEED_VULKAN_PIPELINE_CACHE=0 neither reads nor
// writes; without HEED_CACHE_DIR the file goes under $XDG_CACHE_HOME/heed.
// REQUIRES: vulkan
// RUN: heed-compile %s --target=vulkan -o %t.heedm
// RUN: rm -rf %t.cache %t.off %t.xdg
// DEFINE: %{run} = env HEED_VULKAN_PIPELINE_CACHE=1 HEED_VULKAN_DEBUG=1 heed-run %t.heedm --device=vulkan \
// DEFINE:   --input="3xf32=[1 2 3]" --expected-output="3xf32=[2 4 6]"
// RUN: env HEED_CACHE_DIR=%t.cache %{run} 2>&1 | FileCheck %s --check-prefix=FIRST
// FIRST: pipeline cache: ignored {{.*}}.cache/vulkan-{{[0-9a-f]+}}.pcache (no file)
// FIRST: pipeline cache: saved {{[0-9]+}} bytes to {{.*}}.cache/vulkan-{{[0-9a-f]+}}.pcache
// RUN: env HEED_CACHE_DIR=%t.cache %{run} 2>&1 | FileCheck %s --check-prefix=SECOND
// SECOND: pipeline cache: loaded {{[0-9]+}} bytes from {{.*}}.cache/vulkan-
// SECOND-NOT: ignored
// RUN: %python %S/corrupt_cache.py flip %t.cache
// RUN: env HEED_CACHE_DIR=%t.cache %{run} 2>&1 | FileCheck %s --check-prefix=FLIP
// FLIP: pipeline cache: ignored {{.*}} (checksum mismatch)
// FLIP: pipeline cache: saved
// RUN: env HEED_CACHE_DIR=%t.cache %{run} 2>&1 | FileCheck %s --check-prefix=SECOND
// RUN: %python %S/corrupt_cache.py truncate %t.cache
// RUN: env HEED_CACHE_DIR=%t.cache %{run} 2>&1 | FileCheck %s --check-prefix=TRUNC
// TRUNC: pipeline cache: ignored {{.*}} (truncated data)
// RUN: %python %S/corrupt_cache.py short %t.cache
// RUN: env HEED_CACHE_DIR=%t.cache %{run} 2>&1 | FileCheck %s --check-prefix=SHORT
// SHORT: pipeline cache: ignored {{.*}} (truncated or oversized file)
// RUN: %python %S/corrupt_cache.py garbage %t.cache
// RUN: env HEED_CACHE_DIR=%t.cache %{run} 2>&1 | FileCheck %s --check-prefix=GARBAGE
// GARBAGE: pipeline cache: ignored {{.*}} (not a heed pipeline cache of this version)
// RUN: %python %S/corrupt_cache.py empty %t.cache
// RUN: env HEED_CACHE_DIR=%t.cache %{run} 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: pipeline cache: ignored {{.*}} (truncated or oversized file)
// EMPTY: pipeline cache: saved
// RUN: %python %S/corrupt_cache.py header %t.cache
// RUN: env HEED_CACHE_DIR=%t.cache %{run} 2>&1 | FileCheck %s --check-prefix=DEVICE
// DEVICE: pipeline cache: ignored {{.*}} (driver header for another device or driver)
// RUN: env HEED_CACHE_DIR=%t.cache %{run} 2>&1 | FileCheck %s --check-prefix=SECOND
// RUN: mkdir %t.off && env HEED_CACHE_DIR=%t.off HEED_VULKAN_PIPELINE_CACHE=0 HEED_VULKAN_DEBUG=1 \
// RUN:   heed-run %t.heedm --device=vulkan --input="3xf32=[1 2 3]" 2>&1 | FileCheck %s --check-prefix=OFF
// OFF: pipeline cache: off
// RUN: ls %t.off | count 0
// RUN: env -u HEED_CACHE_DIR XDG_CACHE_HOME=%t.xdg %{run} 2>&1 | FileCheck %s --check-prefix=XDG
// XDG: pipeline cache: saved {{[0-9]+}} bytes to {{.*}}.xdg/heed/vulkan-

func.func @main(%x: tensor<?xf32>) -> tensor<?xf32> {
  %y = heed.add %x, %x : (tensor<?xf32>, tensor<?xf32>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}
