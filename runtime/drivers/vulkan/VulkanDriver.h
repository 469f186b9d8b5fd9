//===- VulkanDriver.h - The Vulkan driver's internal interface --*- C++ -*-===//
//
// The driver walks the same plan the CPU driver interprets, but every tensor
// lives in a device buffer and every op is one or more dispatches of the
// SPIR-V kernels heed-compile embedded in the module's vulkan section. Shapes
// and index scalars are computed on the host while recording; the whole
// function is recorded into one command buffer, submitted once, and only the
// outputs are read back, except where an index comes from tensor data
// (heed.extract): what is recorded up to it is submitted and waited for, the
// tensor read back, and recording goes on in a new command buffer. An op without a
// kernel is refused at prepare time: there is no CPU fallback mid-graph.
//
// The implementation, one file per concern:
//   DeviceSetup.cpp  instance, device, queue, features and memory types
//   MemoryPool.cpp   buffers, the size-class pool, tensors
//   Pipelines.cpp    shader modules, pipelines, kernel capabilities
//   PipelineCache.cpp  the pipeline cache on disk
//   Executor.cpp     descriptor sets, dispatches, invoke, and the hooks of the
//                    plan runner both drivers share (../PlanRunner.h): a scan
//                    step's slices and stacked outputs are copy kernels
//   OpKernels.cpp    one plan op -> its dispatches (push constants, buffers);
//                    NnOps.cpp, AttentionOps.cpp and RecurrentOps.cpp by topic (OpRun.h)
//
// Environment: HEED_VULKAN_VALIDATION=1 enables VK_LAYER_KHRONOS_validation
// with a debug-utils messenger; any validation message fails the call.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_VULKAN_VULKANDRIVER_H
#define HEED_RUNTIME_DRIVERS_VULKAN_VULKANDRIVER_H

#include "runtime/drivers/Driver.h"
#include "runtime/drivers/PlanRunner.h"
#include "runtime/drivers/vulkan/abi/PushBlock.h"
#include "runtime/module/heed_module_generated.h"

#include <vulkan/vulkan.h>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace heed::rt::vk {

namespace fb = ::heed::fb;
using ::heed::ops::AttrId;
using ::heed::ops::Family;
using ::heed::ops::OpKind;

constexpr int kPushInts = vkabi::kPushInts; // the 128-byte block every kernel takes

[[noreturn]] void vkFail(VkResult r, const char *what);
/// Whether environment variable `name` is set to exactly `value`.
bool envIs(const char *name, const char *value);
std::string hex(uint64_t v);
#define HEED_VK(call)                                                                              \
  do {                                                                                             \
    VkResult r_ = (call);                                                                          \
    if (r_ != VK_SUCCESS)                                                                          \
      vkFail(r_, #call);                                                                           \
  } while (0)

struct Buffer {
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  VkDeviceSize size = 0;
  uint8_t *mapped = nullptr; // null for device-local memory (the staging path)
  bool host = true;          // host-visible memory type
};

struct Pipeline {
  VkShaderModule shader = VK_NULL_HANDLE;
  VkDescriptorSetLayout setLayout = VK_NULL_HANDLE;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  VkPipeline pipeline = VK_NULL_HANDLE;
  uint32_t bindings = 0, local = 64;
  std::string name;
  /// The subgroup operations (VkSubgroupFeatureFlags) the SPIR-V declares.
  uint32_t subgroupOps = 0;
  /// False when the device lacks what the kernel needs: no pipeline exists
  /// and the driver uses the kernel's fallback.
  bool available() const { return pipeline != VK_NULL_HANDLE; }
};

/// The subgroup operations (VkSubgroupFeatureFlagBits) a SPIR-V module's
/// OpCapability instructions require; unknown capabilities add nothing.
uint32_t subgroupOpsOf(const uint32_t *words, size_t count);

/// The device features (named as in VkPhysicalDevice*Features) that a SPIR-V
/// module's OpCapability instructions need, among those the kernels may use:
/// shaderFloat64, shaderInt64, shaderInt16, shaderInt8, shaderFloat16,
/// storageBuffer16BitAccess and storageBuffer8BitAccess.
std::vector<std::string> featuresOf(const uint32_t *words, size_t count);

/// A tensor on the device: a whole buffer (views such as reshape share it).
struct DTensor {
  std::shared_ptr<Buffer> buf;
  ElemType type = ElemType::f32;
  std::vector<int64_t> shape;
  int64_t count() const { return elementCount(shape); }
  int64_t rank() const { return int64_t(shape.size()); }
};

using Slot = PlanSlot<DTensor>;

class OpRun;

class VulkanDriver : public Driver {
public:
  explicit VulkanDriver(int deviceIndex) { init(deviceIndex); }
  ~VulkanDriver() override;
  const char *name() const override { return "vulkan"; }
  void setTracing(bool enabled) override { tracing = enabled; }
  void prepare(const Module &module) override;
  std::vector<Tensor> invoke(const Module &module, const Function &function,
                             const std::vector<Tensor> &inputs, RunStats &stats) override;

private:
  friend class OpRun; // records one op with the driver's buffers, dispatches and checks
  friend class PlanRunner<VulkanDriver, DTensor>; // walks plans through the hooks below
  VkInstance instance = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger = VK_NULL_HANDLE;
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  VkQueue queue = VK_NULL_HANDLE;
  uint32_t family = 0;
  uint32_t timestampBits = 0; // of the queue family; 0: no GPU timestamps (ops traced untimed)
  VkCommandPool commandPool = VK_NULL_HANDLE;
  VkPhysicalDeviceProperties properties{};
  VkPhysicalDeviceLimits limits{};
  std::string validationLog;
  /// HEED_VULKAN_DEBUG=1: one stderr line per driver decision (kernel
  /// variants, staging, pipeline cache), for tests and bug reports.
  bool debug = false;
  void note(const std::string &line) const;

  // Memory: tensors live in `deviceType`; with `staging` (device-local memory
  // that the host cannot map, or HEED_VULKAN_FORCE_STAGING=1) inputs,
  // constants and outputs go through host-visible staging buffers of
  // `hostType`, copied in the same submission. Otherwise both are one type.
  uint32_t hostType = 0, deviceType = 0;
  bool staging = false;

  // Subgroups: the operations usable in compute kernels (0 when the device
  // lacks full subgroups of at most 64 lanes, or HEED_VULKAN_NO_SUBGROUPS=1).
  uint32_t subgroupOps = 0;
  /// The featuresOf names enabled at device creation (those the device has, less
  /// HEED_VULKAN_DISABLE_FEATURES): a kernel needing another is refused at load.
  std::set<std::string> features;
  /// The features kernel `k` needs that the device lacks (comma-separated), or "".
  std::string missingFeatures(const fb::VkKernel &k) const;
  bool fullSubgroups = false; // VK_PIPELINE_SHADER_STAGE_CREATE_REQUIRE_FULL_SUBGROUPS_BIT
  uint8_t deviceUUID[VK_UUID_SIZE] = {};

  // Per module (the driver serves one module at a time in practice; keyed anyway).
  struct ModuleState {
    std::vector<Pipeline> pipelines;
    std::vector<std::vector<const fb::VkOp *>> ops; // per function, plan pre-order
    std::map<size_t, std::shared_ptr<Buffer>> constants;
    VkPipelineCache cache = VK_NULL_HANDLE;
  };
  std::map<const Module *, ModuleState> modules;

  // One invoke (or prepare) at a time per driver, as the CPU driver: an invoke records into the
  // members below, so two threads calling one runtime would share a command buffer, descriptor
  // pools and staging buffers (crashes and wrong numbers, found by test/fresh-trials). Recursive:
  // invoke prepares, and a buffer returning to the pool during an invoke locks it again.
  std::recursive_mutex callMutex;

  // Buffer pool: free buffers by (rounded size, host-visible).
  std::multimap<std::pair<VkDeviceSize, bool>, Buffer> pool;

  // Recording state of one invoke.
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  std::vector<VkDescriptorPool> descriptorPools;
  uint32_t setsLeft = 0;
  RunStats *stats = nullptr;
  uint64_t liveBytes = 0;
  std::vector<std::shared_ptr<Buffer>> inFlight; // staging buffers of this submission
  std::vector<size_t> newConstants;              // uploaded by this (unsubmitted) recording

  /// A data-dependent error a kernel may find (an index out of range): the
  /// kernel writes the first bad position into `status[slot]` (initially
  /// INT32_MAX) and the driver reports it after the run, as the CPU does.
  struct Check {
    std::shared_ptr<Buffer> status;
    int64_t slot = 0;
    std::string where;
    DTensor ids; // kept alive so the bad id can be named
    int64_t n = 0;
    bool embedding = false;
    bool lengths = false;            // a sequence's lengths: n is T
    std::string message;             // else: the error itself (a zero divisor), no ids
    std::shared_ptr<Buffer> idsHost; // the ids read back (staging path)
  };
  std::vector<Check> checks;
  std::shared_ptr<Buffer> statusBuffer;
  int64_t statusUsed = 0;
  Check newCheck();

  // Tracing (Tracing.cpp): a GPU timestamp before and after each op's commands, resolved into
  // RunStats::trace after the submission.
  bool tracing = false;
  VkQueryPool queries = VK_NULL_HANDLE;
  uint32_t queriesUsed = 0;
  struct TracedOp {
    TraceEvent event;   // times filled in from the queries
    uint32_t query = 0; // its start timestamp; the end is query + 1
    bool timed = false;
  };
  std::vector<TracedOp> traced;
  void beginTrace();
  uint32_t traceOpStart();
  void traceOpEnd(const PlanOp &op, const std::vector<Slot> &slots, uint32_t query, int depth);
  void finishTrace();
  void endTrace();

  void init(int deviceIndex);
  void selectSubgroups(bool canRequireFull);
  void selectMemory();
  void checkValidation(const char *when);
  Buffer createBuffer(VkDeviceSize size, bool host);
  /// A pooled buffer: host-visible if `host`, else where tensors live.
  std::shared_ptr<Buffer> acquire(size_t bytes, bool host);
  std::shared_ptr<Buffer> acquire(size_t bytes) { return acquire(bytes, !staging); }
  /// A buffer outside the pool (module constants: they live as long as the module).
  std::shared_ptr<Buffer> ownBuffer(size_t bytes);
  /// Fills `dst` with `bytes` of `data`: a copy now when it is mapped, else a
  /// staging buffer and a recorded copy ordered against the dispatches around it.
  void upload(const Buffer &dst, const void *data, size_t bytes);
  /// Records a copy of `bytes` of `src` into a new host-visible buffer,
  /// readable once the submission is done.
  std::shared_ptr<Buffer> recordDownload(const Buffer &src, size_t bytes);
  void transferBarrier();
  /// Starts recording into a new command buffer `cmd`.
  void beginRecording();
  /// Ends `cmd`, submits it and waits for it (the checks' ids downloaded first).
  void submitRecorded(const std::string &functionName);
  /// Fails with the first error a check's kernel reported in what has run.
  void reportChecks();
  /// Tensor `t`'s bytes on the host, mid-function (heed.extract of a device value): what is
  /// recorded so far is submitted and waited for, the checks reported, and recording goes on in
  /// a new command buffer.
  std::vector<uint8_t> readBackNow(const DTensor &t, const std::string &functionName);
  /// The module's pipeline cache, from its file when that is valid (PipelineCache.cpp).
  VkPipelineCache openPipelineCache(const fb::VulkanSection &section, std::string &path,
                                    size_t &loaded, uint64_t &fileKey);
  void savePipelineCache(VkPipelineCache cache, const std::string &path, size_t loaded,
                         uint64_t fileKey);
  DTensor alloc(ElemType type, std::vector<int64_t> shape, const std::string &where);
  VkDescriptorSet allocateSet(const Pipeline &p);
  void dispatch(const Pipeline &p, const std::vector<const Buffer *> &buffers,
                const std::vector<int32_t> &push, uint64_t groups);
  void createPipelines(const Module &module, const fb::VulkanSection &section, ModuleState &state);
  void destroy(ModuleState &state);

  // The invoke being recorded, and PlanRunner's hooks (Executor.cpp).
  struct Running {
    ModuleState *state = nullptr;
    const Module *module = nullptr;
    const std::vector<const fb::VkOp *> *ops = nullptr; // the function's, by PlanOp::index
  } running;
  const fb::VkOp *vkOpOf(const PlanOp &op) const;
  void runOp(const Function &function, const PlanOp &op, std::vector<Slot> &slots);
  uint32_t opStarted(const PlanOp &) { return traceOpStart(); }
  void opFinished(const PlanOp &op, const std::vector<Slot> &slots, uint32_t query, int depth) {
    traceOpEnd(op, slots, query, depth);
  }
  void release(Slot &slot) { slot = Slot(); }
  DTensor alloc(const OpFrame<DTensor> &c, ElemType type, std::vector<int64_t> shape) {
    return alloc(type, std::move(shape), c.where());
  }
  /// heed.scan on the device: a step's slice of a sequence and a step's output are copies by
  /// the scan's own kernels (0.. for the sequences, then one per stacked output).
  DTensor stepSlice(const OpFrame<DTensor> &scan, size_t seq, const DTensor &s, int64_t t);
  void storeStep(const OpFrame<DTensor> &scan, size_t out, DTensor &stacked, const DTensor &y,
                 int64_t t);
  void scanCopy(const OpFrame<DTensor> &scan, size_t i, const DTensor &src, const DTensor &dst,
                const std::vector<int64_t> &dims, int64_t inBase, int64_t outBase);
};

std::vector<int64_t> contiguousStrides(const std::vector<int64_t> &shape);
/// Strides of `shape` broadcast to `out` (0 on broadcast dims).
std::vector<int64_t> broadcastStrides(const std::vector<int64_t> &shape,
                                      const std::vector<int64_t> &out);
inline uint64_t ceilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

} // namespace heed::rt::vk

#endif // HEED_RUNTIME_DRIVERS_VULKAN_VULKANDRIVER_H
