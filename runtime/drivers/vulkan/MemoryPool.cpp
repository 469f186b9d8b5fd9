//===- MemoryPool.cpp - Device buffers and their pool -----------------------===//

#include "runtime/drivers/vulkan/VulkanDriver.h"

#include <algorithm>
#include <cstring>

namespace heed::rt::vk {

Buffer VulkanDriver::createBuffer(VkDeviceSize size, bool host) {
  uint32_t memoryType = host ? hostType : deviceType;
  Buffer b;
  b.size = size;
  b.host = host;
  VkBufferCreateInfo bci{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  bci.size = size;
  bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
              VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  bci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  HEED_VK(vkCreateBuffer(device, &bci, nullptr, &b.buffer));
  VkMemoryRequirements req;
  vkGetBufferMemoryRequirements(device, b.buffer, &req);
  if (!(req.memoryTypeBits & (1u << memoryType)))
    fail(ErrorKind::runtime, "vulkan: storage buffers cannot use the chosen memory type");
  VkMemoryAllocateInfo mai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  mai.allocationSize = req.size;
  mai.memoryTypeIndex = memoryType;
  VkResult r = vkAllocateMemory(device, &mai, nullptr, &b.memory);
  if (r != VK_SUCCESS) {
    vkDestroyBuffer(device, b.buffer, nullptr);
    fail(ErrorKind::runtime,
         "vulkan: out of device memory allocating " + std::to_string(size) + " bytes");
  }
  HEED_VK(vkBindBufferMemory(device, b.buffer, b.memory, 0));
  // With forced staging on a unified-memory device the tensors' memory type
  // is host-visible, but the driver treats it as if it were not.
  if (!host && staging)
    return b;
  void *p = nullptr;
  HEED_VK(vkMapMemory(device, b.memory, 0, VK_WHOLE_SIZE, 0, &p));
  b.mapped = static_cast<uint8_t *>(p);
  return b;
}

/// A buffer of at least `bytes` from the pool (sizes rounded to a power of
/// two from 256 B); it returns to the pool when the last tensor using it dies.
std::shared_ptr<Buffer> VulkanDriver::acquire(size_t bytes, bool host) {
  VkDeviceSize size = 256;
  while (size < bytes)
    size *= 2;
  if (size > limits.maxStorageBufferRange && bytes <= limits.maxStorageBufferRange)
    size = limits.maxStorageBufferRange;
  if (bytes > limits.maxStorageBufferRange)
    fail(ErrorKind::runtime, "vulkan: a tensor of " + std::to_string(bytes) +
                                 " bytes exceeds the device's storage buffer range of " +
                                 std::to_string(limits.maxStorageBufferRange));
  Buffer b;
  auto it = pool.find({size, host});
  if (it != pool.end()) {
    b = it->second;
    pool.erase(it);
    if (stats)
      ++stats->poolHits;
  } else {
    b = createBuffer(size, host);
  }
  if (stats) {
    stats->bytesAllocated += size;
    liveBytes += size;
    stats->peakBytes = std::max(stats->peakBytes, liveBytes);
  }
  return std::shared_ptr<Buffer>(new Buffer(b), [this](Buffer *p) {
    std::lock_guard<std::recursive_mutex> lock(callMutex);
    liveBytes -= std::min<uint64_t>(liveBytes, p->size);
    pool.emplace(std::make_pair(p->size, p->host), *p);
    delete p;
  });
}

DTensor VulkanDriver::alloc(ElemType type, std::vector<int64_t> shape, const std::string &where) {
  for (int64_t d : shape)
    if (d < 0)
      fail(ErrorKind::runtime, where + " would create a tensor with a negative dimension");
  DTensor t;
  t.type = type;
  t.shape = std::move(shape);
  int64_t n = 0;
  try {
    n = t.count();
  } catch (const Error &e) {
    fail(ErrorKind::runtime, where + " would create a tensor that is too large: " + e.what());
  }
  if (n >= (int64_t(1) << 31))
    fail(ErrorKind::runtime, where + " would create a tensor of 2^31 or more elements");
  t.buf = acquire(size_t(n) * elemTypeSize(type));
  return t;
}

std::shared_ptr<Buffer> VulkanDriver::ownBuffer(size_t bytes) {
  if (bytes > limits.maxStorageBufferRange)
    fail(ErrorKind::runtime, "vulkan: a constant of " + std::to_string(bytes) +
                                 " bytes exceeds the device's storage buffer range of " +
                                 std::to_string(limits.maxStorageBufferRange));
  Buffer b = createBuffer(std::max<size_t>(bytes, 4), !staging);
  VkDevice dev = device;
  return std::shared_ptr<Buffer>(new Buffer(b), [dev](Buffer *p) {
    vkDestroyBuffer(dev, p->buffer, nullptr);
    vkFreeMemory(dev, p->memory, nullptr);
    delete p;
  });
}

/// A full barrier between compute and transfer work: staging copies are
/// recorded between dispatches and may reuse pooled buffers.
void VulkanDriver::transferBarrier() {
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_SHADER_READ_BIT |
                     VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT;
  mb.dstAccessMask = mb.srcAccessMask;
  VkPipelineStageFlags stages =
      VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
  vkCmdPipelineBarrier(cmd, stages, stages, 0, 1, &mb, 0, nullptr, 0, nullptr);
}

void VulkanDriver::upload(const Buffer &dst, const void *data, size_t bytes) {
  if (bytes == 0)
    return;
  if (dst.mapped) {
    std::memcpy(dst.mapped, data, bytes);
    return;
  }
  std::shared_ptr<Buffer> stage = acquire(bytes, /*host=*/true);
  std::memcpy(stage->mapped, data, bytes);
  inFlight.push_back(stage);
  transferBarrier();
  VkBufferCopy region{0, 0, bytes};
  vkCmdCopyBuffer(cmd, stage->buffer, dst.buffer, 1, &region);
  transferBarrier();
}

std::shared_ptr<Buffer> VulkanDriver::recordDownload(const Buffer &src, size_t bytes) {
  std::shared_ptr<Buffer> stage = acquire(std::max<size_t>(bytes, 4), /*host=*/true);
  if (bytes) {
    transferBarrier();
    VkBufferCopy region{0, 0, bytes};
    vkCmdCopyBuffer(cmd, src.buffer, stage->buffer, 1, &region);
  }
  return stage;
}

} // namespace heed::rt::vk
