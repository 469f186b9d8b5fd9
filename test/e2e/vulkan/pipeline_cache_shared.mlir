// The pipeline cache in a directory other users can write (HEED_CACHE_DIR shared): a symbolic
// link planted at the cache file's name is neither read nor written through (the old writer
// followed links at its temporary name and overwrote their targets), a FIFO there does not
// hang the run, the file is 0600 and a directory Heed creates 0700. A planted temporary name
// is covered by test/unit/runtime/SafeFilesTest.cpp (NeverWritesThroughAPlantedTemporaryName).
// REQUIRES: vulkan
// RUN: heed-compile %s --target=vulkan -o %t.heedm
// RUN: rm -rf %t.cache %t.victim && printf 'keep me' > %t.victim
// DEFINE: %{run} = env HEED_CACHE_DIR=%t.cache/sub HEED_VULKAN_PIPELINE_CACHE=1 HEED_VULKAN_DEBUG=1 \
// DEFINE:   timeout 60 heed-run %t.heedm --device=vulkan --input="3xf32=[1 2 3]" --expected-output="3xf32=[2 4 6]"
// RUN: %{run} 2>&1 | FileCheck %s --check-prefix=FIRST
// FIRST: pipeline cache: saved {{[0-9]+}} bytes to {{.*}}.cache/sub/vulkan-
// RUN: %python %S/corrupt_cache.py modes %t.cache/sub | FileCheck %s --check-prefix=MODES
// MODES: 700 600
// RUN: %python %S/corrupt_cache.py symlink %t.cache/sub %t.victim
// RUN: %{run} 2>&1 | FileCheck %s --check-prefix=LINK
// LINK: pipeline cache: ignored {{.*}}vulkan-{{[0-9a-f]+}}.pcache ({{.*}}: is a symbolic link, not a regular file)
// LINK: pipeline cache: not saved: {{.*}}: is a symbolic link, not a regular file; refusing to replace it
// RUN: FileCheck %s --check-prefix=VICTIM --input-file=%t.victim
// VICTIM: {{^}}keep me{{$}}
// RUN: %python %S/corrupt_cache.py fifo %t.cache/sub
// RUN: %{run} 2>&1 | FileCheck %s --check-prefix=FIFO
// FIFO: pipeline cache: ignored {{.*}} ({{.*}}: is a FIFO, not a regular file)
// FIFO: pipeline cache: not saved: {{.*}}: is a FIFO, not a regular file; refusing to replace it

func.func @main(%x: tensor<?xf32>) -> tensor<?xf32> {
  %y = heed.add %x, %x : (tensor<?xf32>, tensor<?xf32>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}
