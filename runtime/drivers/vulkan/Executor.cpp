//===- Executor.cpp - Recording and running a plan --------------------------===//

#include "runtime/drivers/rules/DataRules.h"
#include "runtime/drivers/vulkan/OpRun.h"

#include <algorithm>
#include <cstring>

namespace heed::rt::vk {

VkDescriptorSet VulkanDriver::allocateSet(const Pipeline &p) {
  if (setsLeft == 0) {
    VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 256 * 16};
    VkDescriptorPoolCreateInfo dpci{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    dpci.maxSets = 256;
    dpci.poolSizeCount = 1;
    dpci.pPoolSizes = &size;
    VkDescriptorPool dp;
    HEED_VK(vkCreateDescriptorPool(device, &dpci, nullptr, &dp));
    descriptorPools.push_back(dp);
    setsLeft = 256;
  }
  VkDescriptorSetAllocateInfo dsai{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  dsai.descriptorPool = descriptorPools.back();
  dsai.descriptorSetCount = 1;
  dsai.pSetLayouts = &p.setLayout;
  VkDescriptorSet set;
  HEED_VK(vkAllocateDescriptorSets(device, &dsai, &set));
  --setsLeft;
  return set;
}

void VulkanDriver::dispatch(const Pipeline &p, const std::vector<const Buffer *> &buffers,
                            const std::vector<int32_t> &push, uint64_t groups) {
  if (buffers.size() != p.bindings)
    fail(ErrorKind::runtime, "vulkan: kernel '" + p.name + "' takes " + std::to_string(p.bindings) +
                                 " buffers, got " + std::to_string(buffers.size()));
  if (groups == 0)
    return;
  VkDescriptorSet set = allocateSet(p);
  std::vector<VkDescriptorBufferInfo> infos(buffers.size());
  std::vector<VkWriteDescriptorSet> writes(buffers.size());
  for (size_t i = 0; i < buffers.size(); ++i) {
    infos[i] = {buffers[i]->buffer, 0, VK_WHOLE_SIZE};
    writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    writes[i].dstSet = set;
    writes[i].dstBinding = uint32_t(i);
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[i].pBufferInfo = &infos[i];
  }
  vkUpdateDescriptorSets(device, uint32_t(writes.size()), writes.data(), 0, nullptr);
  int32_t pc[kPushInts] = {};
  if (push.size() > kPushInts)
    fail(ErrorKind::runtime, "vulkan: kernel '" + p.name + "' got too many push constants");
  std::copy(push.begin(), push.end(), pc);
  vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p.pipeline);
  vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p.layout, 0, 1, &set, 0, nullptr);
  vkCmdPushConstants(cmd, p.layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof pc, pc);
  uint64_t maxX = std::min<uint64_t>(limits.maxComputeWorkGroupCount[0], 65535);
  uint64_t x = std::min(groups, maxX), y = (groups + x - 1) / x;
  if (y > limits.maxComputeWorkGroupCount[1])
    fail(ErrorKind::runtime, "vulkan: kernel '" + p.name + "' needs too many workgroups");
  vkCmdDispatch(cmd, uint32_t(x), uint32_t(y), 1);
  // Every dispatch sees the writes of the ones before it (and buffers can be reused).
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_SHADER_READ_BIT;
  mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
  vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                       VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &mb, 0, nullptr, 0, nullptr);
  if (stats)
    ++stats->opsExecuted;
}

VulkanDriver::Check VulkanDriver::newCheck() {
  constexpr int64_t kSlots = 1024;
  if (!statusBuffer || statusUsed == kSlots) {
    statusBuffer = acquire(kSlots * 4, /*host=*/true);
    // Filled on the device, in command order, never by the host now: the pool may hand back a
    // buffer that dispatches recorded earlier in this command buffer still read or write (with
    // unified memory tensors share its pool class). A host fill once turned a transpose's input
    // into NaN, and a matmul writing the recycled buffer later sent the index check below off
    // into memory (test/e2e/gather_scalar.mlir).
    transferBarrier();
    vkCmdFillBuffer(cmd, statusBuffer->buffer, 0, kSlots * 4, uint32_t(INT32_MAX));
    transferBarrier();
    statusUsed = 0;
  }
  Check c;
  c.status = statusBuffer;
  c.slot = statusUsed++;
  return c;
}

/// A scan step's copies: kernel `i` of the scan's vulkan op copies the contiguous `dims` of src
/// (from element inBase) into dst (from outBase).
void VulkanDriver::scanCopy(const OpFrame<DTensor> &scan, size_t i, const DTensor &src,
                            const DTensor &dst, const std::vector<int64_t> &dims, int64_t inBase,
                            int64_t outBase) {
  const fb::VkOp *vkop = vkOpOf(scan.op);
  if (!vkop->kernels() || i >= vkop->kernels()->size())
    scan.fail("has the wrong number of vulkan kernels");
  std::vector<int64_t> strides = contiguousStrides(dims);
  OpRun(*this, *running.state, *running.module, scan.function, scan.op, scan.slots, vkop)
      .copy(src, dst, dims, strides, strides, inBase, outBase, i);
}

DTensor VulkanDriver::stepSlice(const OpFrame<DTensor> &scan, size_t seq, const DTensor &s,
                                int64_t t) {
  std::vector<int64_t> stepShape(s.shape.begin() + 1, s.shape.end());
  DTensor view = alloc(s.type, stepShape, scan.where());
  scanCopy(scan, seq, s, view, stepShape, t * elementCount(stepShape), 0);
  return view;
}

void VulkanDriver::storeStep(const OpFrame<DTensor> &scan, size_t out, DTensor &stacked,
                             const DTensor &y, int64_t t) {
  size_t numSeq = scan.op.segment(1).second;
  scanCopy(scan, numSeq + out, y, stacked, y.shape, 0, t * y.count());
}

const fb::VkOp *VulkanDriver::vkOpOf(const PlanOp &op) const {
  if (size_t(op.index) >= running.ops->size())
    fail(ErrorKind::invalidModule,
         "vulkan: the vulkan section has no entry for op " + std::to_string(op.index));
  return (*running.ops)[size_t(op.index)];
}

void VulkanDriver::runOp(const Function &function, const PlanOp &op, std::vector<Slot> &slots) {
  OpRun(*this, *running.state, *running.module, function, op, slots, vkOpOf(op)).run();
}

void VulkanDriver::beginRecording() {
  VkCommandBufferAllocateInfo cbai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  cbai.commandPool = commandPool;
  cbai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  cbai.commandBufferCount = 1;
  HEED_VK(vkAllocateCommandBuffers(device, &cbai, &cmd));
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  HEED_VK(vkBeginCommandBuffer(cmd, &begin));
}

void VulkanDriver::submitRecorded(const std::string &functionName) {
  for (Check &c : checks)
    if (c.ids.buf && !c.ids.buf->mapped && !c.idsHost)
      c.idsHost = recordDownload(*c.ids.buf, size_t(c.ids.count()) * elemTypeSize(c.ids.type));
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                       VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, nullptr, 0, nullptr);
  HEED_VK(vkEndCommandBuffer(cmd));
  checkValidation(("recording '" + functionName + "'").c_str());
  VkFenceCreateInfo fci{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  VkFence fence;
  HEED_VK(vkCreateFence(device, &fci, nullptr, &fence));
  VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  si.commandBufferCount = 1;
  si.pCommandBuffers = &cmd;
  VkResult r = vkQueueSubmit(queue, 1, &si, fence);
  if (r == VK_SUCCESS)
    r = vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX);
  vkDestroyFence(device, fence, nullptr);
  if (r != VK_SUCCESS)
    vkFail(r, "running the command buffer");
  checkValidation(("running '" + functionName + "'").c_str());
}

void VulkanDriver::reportChecks() {
  for (const Check &c : checks) {
    int32_t pos = reinterpret_cast<const int32_t *>(c.status->mapped)[c.slot];
    if (pos == INT32_MAX)
      continue;
    if (!c.message.empty())
      fail(ErrorKind::runtime, c.where + " " + c.message);
    if (pos < 0 || pos >= c.ids.count())
      fail(ErrorKind::runtime, c.where + " internal error: the device reported position " +
                                   std::to_string(pos) + " of " + std::to_string(c.ids.count()));
    const uint8_t *p = c.idsHost ? c.idsHost->mapped : c.ids.buf->mapped;
    int64_t id = c.ids.type == ElemType::i32 ? reinterpret_cast<const int32_t *>(p)[pos]
                                             : reinterpret_cast<const int64_t *>(p)[pos];
    if (c.lengths)
      fail(ErrorKind::runtime, c.where + " length " + std::to_string(id) + " of row " +
                                   std::to_string(pos) + " is outside [0, " + std::to_string(c.n) +
                                   "]");
    fail(ErrorKind::runtime, c.where + " " + gatherIdOutOfRange(c.embedding, id, pos, c.n));
  }
}

std::vector<uint8_t> VulkanDriver::readBackNow(const DTensor &t, const std::string &functionName) {
  size_t bytes = size_t(t.count()) * elemTypeSize(t.type);
  std::shared_ptr<Buffer> host = t.buf->mapped ? nullptr : recordDownload(*t.buf, bytes);
  submitRecorded(functionName);
  vkFreeCommandBuffers(device, commandPool, 1, &cmd);
  cmd = VK_NULL_HANDLE;
  beginRecording();
  // What ran so far is checked now: a bad id upstream is the error, not what it led to.
  reportChecks();
  const uint8_t *p = host ? host->mapped : t.buf->mapped;
  return std::vector<uint8_t>(p, p + bytes);
}

std::vector<Tensor> VulkanDriver::invoke(const Module &module, const Function &function,
                                         const std::vector<Tensor> &inputs, RunStats &runStats) {
  std::lock_guard<std::recursive_mutex> lock(callMutex);
  prepare(module);
  ModuleState &ms = modules.at(&module);
  size_t fi = size_t(&function - module.functions.data());
  if (fi >= module.functions.size())
    fail(ErrorKind::invalidArgument, "vulkan: the function is not part of the module");
  runStats = RunStats();
  stats = &runStats;
  liveBytes = 0;
  struct Reset {
    VulkanDriver &d;
    ModuleState &ms;
    bool submitted = false;
    ~Reset() {
      // Constants whose upload was recorded but never ran are uploaded again.
      if (!submitted)
        for (size_t idx : d.newConstants)
          ms.constants.erase(idx);
      d.newConstants.clear();
      d.inFlight.clear();
      d.stats = nullptr;
      d.running = {};
      d.checks.clear();
      d.statusBuffer.reset();
      d.statusUsed = 0;
      for (VkDescriptorPool p : d.descriptorPools)
        vkDestroyDescriptorPool(d.device, p, nullptr);
      d.descriptorPools.clear();
      d.setsLeft = 0;
      if (d.cmd)
        vkFreeCommandBuffers(d.device, d.commandPool, 1, &d.cmd);
      d.cmd = VK_NULL_HANDLE;
      d.endTrace();
    }
  } reset{*this, ms};

  beginRecording();
  beginTrace();

  std::vector<Slot> slots(function.values.size());
  for (size_t i = 0; i < function.inputs.size(); ++i) {
    Slot &s = slots[size_t(function.inputs[i])];
    const Tensor &t = inputs[i];
    if (function.values[size_t(function.inputs[i])].scalar) {
      s.scalar = true;
      s.s = t.type == ElemType::i32 ? *t.as<int32_t>() : *t.as<int64_t>();
    } else {
      s.t = alloc(t.type, t.shape, function.name + ": input " + std::to_string(i));
      upload(*s.t.buf, t.data, t.bytes());
    }
    s.set = true;
  }
  running = {&ms, &module, &ms.ops[fi]};
  PlanRunner<VulkanDriver, DTensor>(*this).run(function, function.plan, slots);

  // Staging: the outputs (and ids a check may name) are copied to host-visible buffers.
  std::vector<std::shared_ptr<Buffer>> readBack(function.outputs.size());
  for (size_t o = 0; o < function.outputs.size(); ++o) {
    const Slot &s = slots[size_t(function.outputs[o])];
    if (!s.scalar && s.t.buf && !s.t.buf->mapped)
      readBack[o] = recordDownload(*s.t.buf, size_t(s.t.count()) * elemTypeSize(s.t.type));
  }
  submitRecorded(function.name);
  reset.submitted = true;
  finishTrace();
  reportChecks();

  std::vector<Tensor> outputs;
  for (size_t o = 0; o < function.outputs.size(); ++o) {
    Slot &s = slots[size_t(function.outputs[o])];
    if (s.scalar) {
      Tensor t = makeTensor(ElemType::i64, {});
      *t.as<int64_t>() = s.s;
      outputs.push_back(std::move(t));
    } else {
      Tensor t = makeTensor(s.t.type, s.t.shape);
      if (t.bytes())
        std::memcpy(t.data, readBack[o] ? readBack[o]->mapped : s.t.buf->mapped, t.bytes());
      outputs.push_back(std::move(t));
    }
  }
  return outputs;
}

} // namespace heed::rt::vk
