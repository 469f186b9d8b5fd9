//===- Tracing.cpp - Per-op GPU times for heed-run --trace ----------------===//
//
// The whole graph is one command buffer, so host clocks see only the submission. While tracing
// is on, each op's commands are bracketed by two timestamp queries (written when all earlier
// work has finished; the barriers after every dispatch serialise the ops), and the times are
// read back after the fence: the trace then shows where the GPU spends the call, op by op. A
// queue family without timestamps (timestampValidBits = 0) still gets every op's event, with
// zero durations.
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/vulkan/VulkanDriver.h"

namespace heed::rt::vk {

namespace {
/// Two queries per op: a call past 4096 traced ops leaves the later ones untimed.
constexpr uint32_t kMaxQueries = 8192;
} // namespace

void VulkanDriver::beginTrace() {
  traced.clear();
  queriesUsed = 0;
  if (!tracing || timestampBits == 0)
    return;
  VkQueryPoolCreateInfo qpci{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
  qpci.queryType = VK_QUERY_TYPE_TIMESTAMP;
  qpci.queryCount = kMaxQueries;
  HEED_VK(vkCreateQueryPool(device, &qpci, nullptr, &queries));
  vkCmdResetQueryPool(cmd, queries, 0, kMaxQueries);
}

uint32_t VulkanDriver::traceOpStart() {
  if (!tracing || !queries || queriesUsed + 2 > kMaxQueries)
    return UINT32_MAX;
  uint32_t q = queriesUsed;
  queriesUsed += 2;
  vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries, q);
  return q;
}

void VulkanDriver::traceOpEnd(const PlanOp &op, const std::vector<Slot> &slots, uint32_t query,
                              int depth) {
  if (!tracing)
    return;
  if (query != UINT32_MAX)
    vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries, query + 1);
  TracedOp t;
  t.event.kind = op.kind;
  t.event.loc = op.loc;
  t.event.inputs = slotShapes(slots, op.operands);
  t.event.outputs = slotShapes(slots, op.results);
  t.event.depth = depth;
  t.query = query;
  t.timed = query != UINT32_MAX;
  traced.push_back(std::move(t));
}

void VulkanDriver::finishTrace() {
  if (!tracing || !stats)
    return;
  std::vector<uint64_t> ticks(queriesUsed);
  if (queries && queriesUsed)
    HEED_VK(vkGetQueryPoolResults(device, queries, 0, queriesUsed, ticks.size() * 8, ticks.data(),
                                  8, VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT));
  const uint64_t mask = timestampBits >= 64 ? ~uint64_t(0) : (uint64_t(1) << timestampBits) - 1;
  const double usPerTick = double(limits.timestampPeriod) / 1000.0;
  const uint64_t origin = ticks.empty() ? 0 : ticks[0] & mask;
  for (TracedOp &t : traced) {
    if (t.timed) {
      uint64_t a = ticks[t.query] & mask, b = ticks[t.query + 1] & mask;
      t.event.startUs = double((a - origin) & mask) * usPerTick;
      t.event.durationUs = double((b - a) & mask) * usPerTick;
    }
    stats->trace.push_back(std::move(t.event));
  }
}

void VulkanDriver::endTrace() {
  if (queries)
    vkDestroyQueryPool(device, queries, nullptr);
  queries = VK_NULL_HANDLE;
  queriesUsed = 0;
  traced.clear();
}

} // namespace heed::rt::vk
