//===- PipelineCache.cpp - VkPipelineCache data kept on disk ---------------===//
//
// Creating pipelines compiles SPIR-V to the device's ISA; the driver's
// VkPipelineCache data is saved after prepare and handed back on the next
// run. One file per (device, driver version, module kernels):
//   $HEED_CACHE_DIR, else $XDG_CACHE_HOME/heed, else $HOME/.cache/heed,
//   file vulkan-<key>.pcache; HEED_VULKAN_PIPELINE_CACHE=0 turns it off.
// The file is our header (magic, version, key, size, FNV-1a checksum) and
// the driver's data. A file that is truncated, corrupt, for another key or
// with a driver header for another device is ignored (a note with
// HEED_VULKAN_DEBUG=1), never handed to the driver. The directory may be
// shared with other users (HEED_CACHE_DIR): a cache file that is a symbolic
// link, a FIFO or anything but a regular file of ours is ignored, and writes
// go through files::writeFileReplacing (a fresh O_EXCL | O_NOFOLLOW temporary
// file, mode 0600, renamed over the old one, so readers never see half a
// file and no planted link is written through). A directory Heed creates is
// 0700.
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/vulkan/VulkanDriver.h"
#include "runtime/files/SafeFiles.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>

namespace heed::rt::vk {
namespace {

struct CacheFileHeader {
  char magic[8];     // "HEEDVKPC"
  uint32_t version;  // kCacheVersion
  uint32_t reserved; // 0
  uint64_t key;      // the hash the file is named after
  uint64_t dataBytes;
  uint64_t checksum; // FNV-1a of the data
};
constexpr char kMagic[8] = {'H', 'E', 'E', 'D', 'V', 'K', 'P', 'C'};
constexpr uint32_t kCacheVersion = 1;
constexpr uint64_t kMaxCacheBytes = uint64_t(256) << 20;

struct Fnv {
  uint64_t h = 1469598103934665603ull;
  void add(const void *data, size_t n) {
    const auto *p = static_cast<const uint8_t *>(data);
    for (size_t i = 0; i < n; ++i) {
      h ^= p[i];
      h *= 1099511628211ull;
    }
  }
  template <typename T> void add(const T &v) { add(&v, sizeof v); }
};

std::string cacheDir() {
  if (const char *d = std::getenv("HEED_CACHE_DIR"); d && *d)
    return d;
  if (const char *d = std::getenv("XDG_CACHE_HOME"); d && *d)
    return std::string(d) + "/heed";
  if (const char *d = std::getenv("HOME"); d && *d)
    return std::string(d) + "/.cache/heed";
  return "";
}

} // namespace

VkPipelineCache VulkanDriver::openPipelineCache(const fb::VulkanSection &section, std::string &path,
                                                size_t &loaded, uint64_t &fileKey) {
  loaded = 0;
  path.clear();
  VkPipelineCacheCreateInfo pcci{VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
  VkPipelineCache cache = VK_NULL_HANDLE;
  std::string dir = cacheDir();
  if (envIs("HEED_VULKAN_PIPELINE_CACHE", "0") || dir.empty()) {
    note("pipeline cache: off");
    HEED_VK(vkCreatePipelineCache(device, &pcci, nullptr, &cache));
    return cache;
  }
  // The key: the device and driver, what the driver was asked to build
  // (subgroup flags), and every kernel of the module.
  Fnv key;
  key.add(kCacheVersion);
  key.add(properties.vendorID);
  key.add(properties.deviceID);
  key.add(properties.driverVersion);
  key.add(properties.pipelineCacheUUID, VK_UUID_SIZE);
  key.add(deviceUUID, VK_UUID_SIZE);
  key.add(subgroupOps);
  key.add(fullSubgroups);
  for (const fb::VkKernel *k : *section.kernels()) {
    if (k->name())
      key.add(k->name()->data(), k->name()->size());
    key.add(k->bindings());
    key.add(k->local_size());
    if (k->spirv())
      key.add(k->spirv()->data(), k->spirv()->size() * 4);
  }
  fileKey = key.h;
  path = dir + "/vulkan-" + hex(key.h) + ".pcache";

  std::string why; // why the file is not used
  std::string bytes, error;
  if (!files::readRegularFile(path, bytes, error, "pipeline cache",
                              files::noFollow | files::ownedByUser, kMaxCacheBytes))
    why = errno == ENOENT ? "no file" : error;
  else if (bytes.size() < sizeof(CacheFileHeader))
    why = "truncated or oversized file";
  const char *data = nullptr;
  size_t dataBytes = 0;
  if (why.empty()) {
    CacheFileHeader h;
    std::memcpy(&h, bytes.data(), sizeof h);
    data = bytes.data() + sizeof h;
    dataBytes = bytes.size() - sizeof h;
    Fnv sum;
    sum.add(data, dataBytes);
    if (std::memcmp(h.magic, kMagic, sizeof kMagic) || h.version != kCacheVersion)
      why = "not a heed pipeline cache of this version";
    else if (h.key != key.h)
      why = "written for another key";
    else if (h.dataBytes != dataBytes)
      why = "truncated data";
    else if (h.checksum != sum.h)
      why = "checksum mismatch";
  }
  if (why.empty()) {
    // The driver's own header (VkPipelineCacheHeaderVersionOne) must name this device.
    uint32_t fields[4] = {};
    if (dataBytes < 16 + VK_UUID_SIZE) {
      why = "no driver header";
    } else {
      std::memcpy(fields, data, sizeof fields);
      if (fields[0] < 16 + VK_UUID_SIZE || fields[0] > dataBytes ||
          fields[1] != VK_PIPELINE_CACHE_HEADER_VERSION_ONE || fields[2] != properties.vendorID ||
          fields[3] != properties.deviceID ||
          std::memcmp(data + 16, properties.pipelineCacheUUID, VK_UUID_SIZE))
        why = "driver header for another device or driver";
    }
  }
  if (why.empty()) {
    pcci.initialDataSize = dataBytes;
    pcci.pInitialData = data;
    if (vkCreatePipelineCache(device, &pcci, nullptr, &cache) == VK_SUCCESS) {
      loaded = dataBytes;
      note("pipeline cache: loaded " + std::to_string(dataBytes) + " bytes from " + path);
      return cache;
    }
    why = "refused by the driver";
    pcci.initialDataSize = 0;
    pcci.pInitialData = nullptr;
  }
  note("pipeline cache: ignored " + path + " (" + why + ")");
  HEED_VK(vkCreatePipelineCache(device, &pcci, nullptr, &cache));
  return cache;
}

void VulkanDriver::savePipelineCache(VkPipelineCache cache, const std::string &path, size_t loaded,
                                     uint64_t fileKey) {
  if (path.empty())
    return;
  size_t size = 0;
  if (vkGetPipelineCacheData(device, cache, &size, nullptr) != VK_SUCCESS || size == 0)
    return;
  if (size == loaded) {
    note("pipeline cache: unchanged");
    return;
  }
  std::vector<char> data(size);
  if (vkGetPipelineCacheData(device, cache, &size, data.data()) != VK_SUCCESS)
    return;
  data.resize(size);
  CacheFileHeader h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kCacheVersion;
  h.key = fileKey;
  h.dataBytes = data.size();
  Fnv sum;
  sum.add(data.data(), data.size());
  h.checksum = sum.h;
  std::string error, dir = path.substr(0, path.find_last_of('/'));
  files::WriteOptions privateFile;
  privateFile.mode = 0600;
  if (!files::makeDirectories(dir, 0700, error) ||
      !files::writeFileReplacing(path,
                                 {std::string_view(reinterpret_cast<const char *>(&h), sizeof h),
                                  std::string_view(data.data(), data.size())},
                                 error, privateFile)) {
    note("pipeline cache: not saved: " + error);
    return;
  }
  note("pipeline cache: saved " + std::to_string(data.size()) + " bytes to " + path);
}

} // namespace heed::rt::vk
