//===- VulkanDriver.cpp - Runs a module's plan as Vulkan compute dispatches ===//
//
// The driver walks the same plan the CPU driver interprets, but every tensor
// lives in a device buffer and every op is one or more dispatches of the
// SPIR-V kernels heed-compile embedded in the module's vulkan section. Shapes
// and index scalars are computed on the host while recording (they never
// depend on tensor data); the whole function is recorded into one command
// buffer, submitted once, and only the outputs are read back. An op without a
// kernel is refused at prepare time: there is no CPU fallback mid-graph.
//
// Environment: HEED_VULKAN_VALIDATION=1 enables VK_LAYER_KHRONOS_validation
// with a debug-utils messenger; any validation message fails the call.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/IndexArith.h"
#include "runtime/drivers/Driver.h"
#include "runtime/module/Format.h"
#include "runtime/module/heed_module_generated.h"

#include <vulkan/vulkan.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <tuple>

namespace heed::rt::vk {
namespace {

namespace fb = ::heed::fb;

constexpr int kPushInts = 32;

[[noreturn]] void vkFail(VkResult r, const char *what) {
  fail(ErrorKind::runtime,
       std::string("vulkan: ") + what + " failed (VkResult " + std::to_string(int(r)) + ")");
}
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
  uint8_t *mapped = nullptr;
};

struct Pipeline {
  VkShaderModule shader = VK_NULL_HANDLE;
  VkDescriptorSetLayout setLayout = VK_NULL_HANDLE;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  VkPipeline pipeline = VK_NULL_HANDLE;
  uint32_t bindings = 0, local = 64;
  std::string name;
};

/// A tensor on the device: a whole buffer (views such as reshape share it).
struct DTensor {
  std::shared_ptr<Buffer> buf;
  ElemType type = ElemType::f32;
  std::vector<int64_t> shape;
  int64_t count() const { return elementCount(shape); }
  int64_t rank() const { return int64_t(shape.size()); }
};

struct Slot {
  DTensor t;
  int64_t s = 0;
  bool scalar = false, set = false;
};

VKAPI_ATTR VkBool32 VKAPI_CALL onMessage(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                         VkDebugUtilsMessageTypeFlagsEXT type,
                                         const VkDebugUtilsMessengerCallbackDataEXT *data,
                                         void *user) {
  // Every warning or error fails the run. Info messages are notices such as
  // "Khronos Validation Layer Active", never findings.
  (void)type;
  if (severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
    auto *log = static_cast<std::string *>(user);
    *log += std::string(data->pMessage ? data->pMessage : "?") + "\n";
    // Skip the offending call (the layer honours VK_TRUE for validation
    // errors): the driver fails before anything invalid reaches the device.
    return severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT ? VK_TRUE : VK_FALSE;
  }
  return VK_FALSE;
}

class VulkanDriver : public Driver {
public:
  explicit VulkanDriver(int deviceIndex) { init(deviceIndex); }
  ~VulkanDriver() override;
  const char *name() const override { return "vulkan"; }
  void prepare(const Module &module) override;
  std::vector<Tensor> invoke(const Module &module, const Function &function,
                             const std::vector<Tensor> &inputs, RunStats &stats) override;

private:
  VkInstance instance = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger = VK_NULL_HANDLE;
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  VkQueue queue = VK_NULL_HANDLE;
  uint32_t family = 0, memoryType = 0;
  VkCommandPool commandPool = VK_NULL_HANDLE;
  VkPipelineCache pipelineCache = VK_NULL_HANDLE;
  VkPhysicalDeviceLimits limits{};
  std::string validationLog;

  // Per module (the driver serves one module at a time in practice; keyed anyway).
  struct ModuleState {
    std::vector<Pipeline> pipelines;
    std::vector<std::vector<const fb::VkOp *>> ops; // per function, plan pre-order
    std::map<size_t, std::shared_ptr<Buffer>> constants;
  };
  std::map<const Module *, ModuleState> modules;

  // Buffer pool: free buffers by rounded size.
  std::multimap<VkDeviceSize, Buffer> pool;

  // Recording state of one invoke.
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  std::vector<VkDescriptorPool> descriptorPools;
  uint32_t setsLeft = 0;
  RunStats *stats = nullptr;
  uint64_t liveBytes = 0;

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
    bool lengths = false; // a sequence's lengths: n is T
  };
  std::vector<Check> checks;
  std::shared_ptr<Buffer> statusBuffer;
  int64_t statusUsed = 0;
  Check newCheck();

  void init(int deviceIndex);
  void checkValidation(const char *when);
  Buffer createBuffer(VkDeviceSize size);
  std::shared_ptr<Buffer> acquire(size_t bytes);
  DTensor alloc(ElemType type, std::vector<int64_t> shape, const std::string &where);
  VkDescriptorSet allocateSet(const Pipeline &p);
  void dispatch(const Pipeline &p, const std::vector<const Buffer *> &buffers,
                const std::vector<int32_t> &push, uint64_t groups);
  void runPlan(ModuleState &ms, const Module &module, const Function &function, const Plan &plan,
               std::vector<Slot> &slots, const std::vector<const fb::VkOp *> &vkops,
               size_t &cursor);
  void runScan(ModuleState &ms, const Module &module, const Function &function, const PlanOp &op,
               std::vector<Slot> &slots, const fb::VkOp *vkop,
               const std::vector<const fb::VkOp *> &vkops, size_t &cursor);
  void runOp(ModuleState &ms, const Module &module, const Function &function, const PlanOp &op,
             std::vector<Slot> &slots, const fb::VkOp *vkop);
};

//===----------------------------------------------------------------------===//
// Setup
//===----------------------------------------------------------------------===//

void VulkanDriver::init(int deviceIndex) {
  bool validation = false;
  if (const char *v = std::getenv("HEED_VULKAN_VALIDATION"))
    validation = std::string(v) == "1";
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "heed";
  app.apiVersion = VK_API_VERSION_1_2;
  VkInstanceCreateInfo ici{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  ici.pApplicationInfo = &app;
  const char *layers[] = {"VK_LAYER_KHRONOS_validation"};
  const char *extensions[] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME};
  VkDebugUtilsMessengerCreateInfoEXT mci{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
  mci.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                        VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  mci.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                    VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                    VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  mci.pfnUserCallback = onMessage;
  mci.pUserData = &validationLog;
  if (validation) {
    ici.enabledLayerCount = 1;
    ici.ppEnabledLayerNames = layers;
    ici.enabledExtensionCount = 1;
    ici.ppEnabledExtensionNames = extensions;
    ici.pNext = &mci;
  }
  VkResult r = vkCreateInstance(&ici, nullptr, &instance);
  if (r != VK_SUCCESS)
    fail(ErrorKind::notFound,
         std::string("vulkan: cannot create an instance (VkResult ") + std::to_string(int(r)) +
             (validation ? "; HEED_VULKAN_VALIDATION=1 needs VK_LAYER_KHRONOS_validation" : "") +
             "): no Vulkan driver is installed?");
  if (validation) {
    auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance, "vkCreateDebugUtilsMessengerEXT"));
    if (!create)
      fail(ErrorKind::notFound, "vulkan: VK_EXT_debug_utils is not available");
    HEED_VK(create(instance, &mci, nullptr, &messenger));
  }
  uint32_t count = 0;
  vkEnumeratePhysicalDevices(instance, &count, nullptr);
  std::vector<VkPhysicalDevice> devices(count);
  vkEnumeratePhysicalDevices(instance, &count, devices.data());
  if (count == 0)
    fail(ErrorKind::notFound, "vulkan: no Vulkan device found");
  if (deviceIndex < 0 || uint32_t(deviceIndex) >= count)
    fail(ErrorKind::notFound, "vulkan: no device " + std::to_string(deviceIndex) + " (found " +
                                  std::to_string(count) + ")");
  physical = devices[size_t(deviceIndex)];
  VkPhysicalDeviceProperties props;
  vkGetPhysicalDeviceProperties(physical, &props);
  limits = props.limits;
  if (limits.maxPushConstantsSize < kPushInts * 4)
    fail(ErrorKind::unimplemented, "vulkan: the device allows fewer than 128 push-constant bytes");

  uint32_t qcount = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(physical, &qcount, nullptr);
  std::vector<VkQueueFamilyProperties> qprops(qcount);
  vkGetPhysicalDeviceQueueFamilyProperties(physical, &qcount, qprops.data());
  bool found = false;
  for (uint32_t i = 0; i < qcount && !found; ++i)
    if (qprops[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {
      family = i;
      found = true;
    }
  if (!found)
    fail(ErrorKind::notFound, "vulkan: the device has no compute queue");

  // Features the kernels may use: int64 arithmetic, 8-bit storage (bool tensors).
  VkPhysicalDeviceVulkan12Features f12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  VkPhysicalDeviceFeatures2 f2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  f2.pNext = &f12;
  vkGetPhysicalDeviceFeatures2(physical, &f2);
  VkPhysicalDeviceVulkan12Features e12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  e12.storageBuffer8BitAccess = f12.storageBuffer8BitAccess;
  e12.shaderInt8 = f12.shaderInt8;
  VkPhysicalDeviceFeatures2 e2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  e2.pNext = &e12;
  e2.features.shaderInt64 = f2.features.shaderInt64;

  float priority = 1.0f;
  VkDeviceQueueCreateInfo qci{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  qci.queueFamilyIndex = family;
  qci.queueCount = 1;
  qci.pQueuePriorities = &priority;
  VkDeviceCreateInfo dci{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  dci.pNext = &e2;
  dci.queueCreateInfoCount = 1;
  dci.pQueueCreateInfos = &qci;
  HEED_VK(vkCreateDevice(physical, &dci, nullptr, &device));
  vkGetDeviceQueue(device, family, 0, &queue);

  // Host-visible, coherent memory (device-local too when the device has such a type).
  VkPhysicalDeviceMemoryProperties mp;
  vkGetPhysicalDeviceMemoryProperties(physical, &mp);
  int best = -1;
  VkMemoryPropertyFlags want =
      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  for (uint32_t i = 0; i < mp.memoryTypeCount; ++i) {
    VkMemoryPropertyFlags f = mp.memoryTypes[i].propertyFlags;
    if ((f & want) != want)
      continue;
    if (best < 0 || (f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT))
      best = int(i);
  }
  if (best < 0)
    fail(ErrorKind::unimplemented, "vulkan: the device has no host-visible coherent memory");
  memoryType = uint32_t(best);

  VkCommandPoolCreateInfo cpci{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  cpci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  cpci.queueFamilyIndex = family;
  HEED_VK(vkCreateCommandPool(device, &cpci, nullptr, &commandPool));
  VkPipelineCacheCreateInfo pcci{VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
  HEED_VK(vkCreatePipelineCache(device, &pcci, nullptr, &pipelineCache));
  checkValidation("device creation");
}

VulkanDriver::~VulkanDriver() {
  if (device) {
    vkDeviceWaitIdle(device);
    for (auto &[m, ms] : modules)
      for (Pipeline &p : ms.pipelines) {
        vkDestroyPipeline(device, p.pipeline, nullptr);
        vkDestroyPipelineLayout(device, p.layout, nullptr);
        vkDestroyDescriptorSetLayout(device, p.setLayout, nullptr);
        vkDestroyShaderModule(device, p.shader, nullptr);
      }
    modules.clear(); // constants return to the pool
    for (auto &[size, b] : pool) {
      vkDestroyBuffer(device, b.buffer, nullptr);
      vkFreeMemory(device, b.memory, nullptr);
    }
    vkDestroyPipelineCache(device, pipelineCache, nullptr);
    vkDestroyCommandPool(device, commandPool, nullptr);
    vkDestroyDevice(device, nullptr);
  }
  if (messenger) {
    auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance, "vkDestroyDebugUtilsMessengerEXT"));
    if (destroy)
      destroy(instance, messenger, nullptr);
  }
  if (instance)
    vkDestroyInstance(instance, nullptr);
}

void VulkanDriver::checkValidation(const char *when) {
  if (validationLog.empty())
    return;
  std::string log;
  std::swap(log, validationLog);
  fail(ErrorKind::runtime, std::string("vulkan validation failed during ") + when + ":\n" + log);
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

Buffer VulkanDriver::createBuffer(VkDeviceSize size) {
  Buffer b;
  b.size = size;
  VkBufferCreateInfo bci{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  bci.size = size;
  bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
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
  void *p = nullptr;
  HEED_VK(vkMapMemory(device, b.memory, 0, VK_WHOLE_SIZE, 0, &p));
  b.mapped = static_cast<uint8_t *>(p);
  return b;
}

/// A buffer of at least `bytes` from the pool (sizes rounded to a power of
/// two from 256 B); it returns to the pool when the last tensor using it dies.
std::shared_ptr<Buffer> VulkanDriver::acquire(size_t bytes) {
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
  auto it = pool.find(size);
  if (it != pool.end()) {
    b = it->second;
    pool.erase(it);
    if (stats)
      ++stats->poolHits;
  } else {
    b = createBuffer(size);
  }
  if (stats) {
    stats->bytesAllocated += size;
    liveBytes += size;
    stats->peakBytes = std::max(stats->peakBytes, liveBytes);
  }
  return std::shared_ptr<Buffer>(new Buffer(b), [this](Buffer *p) {
    liveBytes -= std::min<uint64_t>(liveBytes, p->size);
    pool.emplace(p->size, *p);
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

//===----------------------------------------------------------------------===//
// Pipelines, descriptors, dispatches
//===----------------------------------------------------------------------===//

void VulkanDriver::prepare(const Module &module) {
  if (modules.count(&module))
    return;
  const auto *header = reinterpret_cast<const format::Header *>(module.storage.get());
  const fb::Module *m = fb::GetModule(module.storage.get() + header->payloadOffset);
  const fb::VulkanSection *vs = m->vulkan();
  if (!vs || !vs->kernels() || !vs->functions())
    fail(ErrorKind::unimplemented,
         module.name + ": the module has no vulkan kernels; compile it with --target=vulkan or "
                       "--target=all");
  if (vs->functions()->size() != module.functions.size())
    fail(ErrorKind::invalidModule, module.name + ": the vulkan section does not match the plan");
  ModuleState ms;
  // Check the op lists against the plans first: every op must have its kernels.
  for (size_t f = 0; f < module.functions.size(); ++f) {
    const Function &fn = module.functions[f];
    const fb::VkFunction *vf = vs->functions()->Get(uint32_t(f));
    std::vector<const fb::VkOp *> ops;
    if (vf->ops())
      for (const fb::VkOp *o : *vf->ops())
        ops.push_back(o);
    size_t cursor = 0;
    std::function<void(const Plan &)> walk = [&](const Plan &plan) {
      for (const PlanOp &op : plan.ops) {
        if (cursor >= ops.size())
          fail(ErrorKind::invalidModule,
               module.name + ": the vulkan section of '" + fn.name + "' does not match its plan");
        const fb::VkOp *vo = ops[cursor++];
        std::string where = op.loc.empty() ? fn.name : op.loc;
        if (vo->unsupported() && vo->unsupported()->size())
          fail(ErrorKind::unimplemented, where + ": '" + op.kind + "' " + vo->unsupported()->str() +
                                             " (unimplemented on vulkan)");
        if (vo->kernels())
          for (int32_t k : *vo->kernels())
            if (k < 0 || uint32_t(k) >= vs->kernels()->size())
              fail(ErrorKind::invalidModule, where + ": names a missing vulkan kernel");
        if (op.body)
          walk(*op.body);
      }
    };
    walk(fn.plan);
    if (cursor != ops.size())
      fail(ErrorKind::invalidModule,
           module.name + ": the vulkan section of '" + fn.name + "' does not match its plan");
    ms.ops.push_back(std::move(ops));
  }
  for (const fb::VkKernel *k : *vs->kernels()) {
    Pipeline p;
    p.name = k->name() ? k->name()->str() : "?";
    p.bindings = uint32_t(std::max(0, k->bindings()));
    p.local = uint32_t(std::max(1, k->local_size()));
    if (!k->spirv() || k->spirv()->size() == 0 || p.bindings > 16)
      fail(ErrorKind::invalidModule, module.name + ": vulkan kernel '" + p.name + "' is malformed");
    VkShaderModuleCreateInfo smci{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
    smci.codeSize = k->spirv()->size() * 4;
    smci.pCode = k->spirv()->data();
    HEED_VK(vkCreateShaderModule(device, &smci, nullptr, &p.shader));
    std::vector<VkDescriptorSetLayoutBinding> bindings(p.bindings);
    for (uint32_t i = 0; i < p.bindings; ++i) {
      bindings[i] = {};
      bindings[i].binding = i;
      bindings[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
      bindings[i].descriptorCount = 1;
      bindings[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
    }
    VkDescriptorSetLayoutCreateInfo dslci{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    dslci.bindingCount = p.bindings;
    dslci.pBindings = bindings.data();
    HEED_VK(vkCreateDescriptorSetLayout(device, &dslci, nullptr, &p.setLayout));
    VkPushConstantRange range{VK_SHADER_STAGE_COMPUTE_BIT, 0, kPushInts * 4};
    VkPipelineLayoutCreateInfo plci{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    plci.setLayoutCount = 1;
    plci.pSetLayouts = &p.setLayout;
    plci.pushConstantRangeCount = 1;
    plci.pPushConstantRanges = &range;
    HEED_VK(vkCreatePipelineLayout(device, &plci, nullptr, &p.layout));
    VkComputePipelineCreateInfo cpci{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
    cpci.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
    cpci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    cpci.stage.module = p.shader;
    cpci.stage.pName = "main";
    cpci.layout = p.layout;
    HEED_VK(vkCreateComputePipelines(device, pipelineCache, 1, &cpci, nullptr, &p.pipeline));
    ms.pipelines.push_back(p);
  }
  modules[&module] = std::move(ms);
  checkValidation("pipeline creation");
}

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

//===----------------------------------------------------------------------===//
// Ops
//===----------------------------------------------------------------------===//

std::vector<int64_t> contiguousStrides(const std::vector<int64_t> &shape) {
  std::vector<int64_t> s(shape.size());
  int64_t acc = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/// Strides of `shape` broadcast to `out` (0 on broadcast dims).
std::vector<int64_t> broadcastStrides(const std::vector<int64_t> &shape,
                                      const std::vector<int64_t> &out) {
  std::vector<int64_t> st(out.size(), 0);
  int64_t acc = 1;
  size_t off = out.size() - shape.size();
  for (size_t i = shape.size(); i-- > 0;) {
    st[off + i] = shape[i] == 1 ? 0 : acc;
    acc *= shape[i];
  }
  return st;
}

uint64_t ceilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

void append(std::vector<int32_t> &push, const std::vector<int64_t> &v) {
  for (int64_t x : v)
    push.push_back(int32_t(x));
}

void VulkanDriver::runOp(ModuleState &ms, const Module &module, const Function &function,
                         const PlanOp &op, std::vector<Slot> &slots, const fb::VkOp *vkop) {
  std::string where = (op.loc.empty() ? function.name : op.loc) + ": '" + op.kind + "'";
  auto opFail = [&](const std::string &m) -> void { fail(ErrorKind::runtime, where + " " + m); };
  auto in = [&](size_t i) -> const DTensor & {
    if (i >= op.operands.size())
      opFail("is missing operand " + std::to_string(i));
    const Slot &s = slots[size_t(op.operands[i])];
    if (!s.set || s.scalar)
      opFail("operand " + std::to_string(i) + " is not a tensor");
    return s.t;
  };
  auto scalar = [&](size_t i) -> int64_t {
    const Slot &s = slots[size_t(op.operands[i])];
    if (!s.set || !s.scalar)
      opFail("operand " + std::to_string(i) + " is not a scalar");
    return s.s;
  };
  auto resultType = [&](size_t i) -> const ValueType & {
    return function.values[size_t(op.results[i])];
  };
  auto out = [&](size_t i, DTensor t) {
    const ValueType &vt = resultType(i);
    bool ok = !vt.scalar && vt.type == t.type && vt.dims.size() == t.shape.size();
    for (size_t d = 0; ok && d < vt.dims.size(); ++d)
      ok = vt.dims[d] < 0 || vt.dims[d] == t.shape[d];
    if (!ok)
      opFail("produced " + shapeString(t.shape, t.type) + " but its result is declared " +
             vt.str());
    Slot &s = slots[size_t(op.results[i])];
    s.t = std::move(t);
    s.scalar = false;
    s.set = true;
  };
  auto outScalar = [&](size_t i, int64_t v) {
    Slot &s = slots[size_t(op.results[i])];
    s = Slot();
    s.s = v;
    s.scalar = true;
    s.set = true;
  };
  auto kernel = [&](size_t i) -> const Pipeline & {
    if (!vkop->kernels() || i >= vkop->kernels()->size())
      opFail("has no vulkan kernel " + std::to_string(i));
    return ms.pipelines[size_t(vkop->kernels()->Get(uint32_t(i)))];
  };
  auto axisOf = [&](int64_t a, int64_t rank) {
    int64_t r = a < 0 ? a + rank : a;
    if (r < 0 || r >= rank)
      opFail("axis " + std::to_string(a) + " is out of range for rank " + std::to_string(rank));
    return r;
  };
  const std::string &k = op.kind;

  // Index arithmetic and shapes: host side, exactly as the CPU driver.
  if (k.rfind("arith.", 0) == 0) {
    if (k == "arith.constant")
      return outScalar(0, op.getInt("value", 0));
    if (k == "arith.index_cast")
      return outScalar(0, scalar(0));
    if (k == "arith.select")
      return outScalar(0, scalar(0) ? scalar(1) : scalar(2));
    int64_t r = 0;
    std::string error = evalIndexBinary(k, op.getInt("predicate", 0), scalar(0), scalar(1), r);
    if (!error.empty())
      opFail(error);
    return outScalar(0, r);
  }
  if (k == "heed.dim") {
    const DTensor &t = in(0);
    return outScalar(0, t.shape[size_t(axisOf(op.getInt("dim", 0), t.rank()))]);
  }
  if (k == "heed.constant" || k == "heed.weight") {
    size_t idx = size_t(op.getInt("constant", 0));
    const Tensor &c = module.constants.at(idx);
    auto &buf = ms.constants[idx];
    if (!buf) {
      buf = acquire(c.bytes());
      if (c.bytes())
        std::memcpy(buf->mapped, c.data, c.bytes());
    }
    DTensor t;
    t.buf = buf;
    t.type = c.type;
    t.shape = c.shape;
    return out(0, t);
  }
  if (k == "heed.reshape") {
    const DTensor &x = in(0);
    const Attr *spec = op.attr("shape");
    if (!spec)
      opFail("has no shape");
    std::vector<int64_t> shape;
    int64_t inferAt = -1, known = 1;
    for (size_t i = 0; i < spec->ints.size(); ++i) {
      int64_t d = spec->ints[i];
      if (d == 0) {
        if (i >= x.shape.size())
          opFail("copies a dim the input lacks");
        d = x.shape[i];
      } else if (d == -1) {
        if (inferAt >= 0)
          opFail("has more than one -1");
        inferAt = int64_t(i);
        shape.push_back(1);
        continue;
      } else if (d < 0) {
        opFail("has an invalid dim " + std::to_string(d));
      }
      shape.push_back(d);
      known = checkedMul(known, d, "reshape");
    }
    int64_t count = x.count();
    if (inferAt >= 0) {
      if (known == 0 || count % known != 0)
        opFail("cannot reshape " + shapeString(x.shape, x.type) + " with a -1");
      shape[size_t(inferAt)] = count / known;
    } else if (known != count) {
      opFail("cannot reshape " + shapeString(x.shape, x.type) + " into " +
             shapeString(shape, x.type));
    }
    DTensor y = x;
    y.shape = shape;
    return out(0, y);
  }

  // Elementwise family.
  static const char *ew[] = {
      "heed.abs",   "heed.erf",   "heed.exp",     "heed.log",  "heed.neg",  "heed.reciprocal",
      "heed.relu",  "heed.rsqrt", "heed.sigmoid", "heed.sqrt", "heed.tanh", "heed.gelu",
      "heed.not",   "heed.cast",  "heed.add",     "heed.sub",  "heed.mul",  "heed.div",
      "heed.max",   "heed.min",   "heed.pow",     "heed.and",  "heed.or",   "heed.compare",
      "heed.where", "heed.full"};
  if (std::find_if(std::begin(ew), std::end(ew), [&](const char *e) { return k == e; }) !=
      std::end(ew)) {
    const ValueType &vt = resultType(0);
    std::vector<const DTensor *> ins;
    std::vector<int64_t> shape;
    if (k == "heed.full") {
      size_t next = 0;
      for (int64_t d : vt.dims) {
        if (d >= 0) {
          shape.push_back(d);
          continue;
        }
        if (next >= op.operands.size())
          opFail("has fewer dynamic dims than its type needs");
        int64_t v = scalar(next++);
        if (v < 0)
          opFail("got negative dimension " + std::to_string(v));
        shape.push_back(v);
      }
    } else {
      for (size_t i = 0; i < op.operands.size(); ++i)
        ins.push_back(&in(i));
      size_t rank = 0;
      for (const DTensor *t : ins)
        rank = std::max(rank, t->shape.size());
      shape.assign(rank, 1);
      for (const DTensor *t : ins) {
        size_t off = rank - t->shape.size();
        for (size_t i = 0; i < t->shape.size(); ++i) {
          int64_t d = t->shape[i], &o = shape[off + i];
          if (d == o || d == 1)
            continue;
          if (o != 1) {
            std::string shapes;
            for (const DTensor *u : ins)
              shapes += (shapes.empty() ? "" : " and ") + shapeString(u->shape, u->type);
            opFail("cannot broadcast operands of shapes " + shapes);
          }
          o = d;
        }
      }
    }
    DTensor y = alloc(vt.type, shape, where);
    std::vector<int32_t> push{int32_t(y.count())};
    append(push, shape);
    std::vector<const Buffer *> bufs;
    for (const DTensor *t : ins) {
      append(push, broadcastStrides(t->shape, shape));
      bufs.push_back(t->buf.get());
    }
    bufs.push_back(y.buf.get());
    const Pipeline &p = kernel(0);
    dispatch(p, bufs, push, ceilDiv(uint64_t(y.count()), p.local));
    return out(0, y);
  }

  // Strided copies.
  auto copy = [&](const DTensor &src, const DTensor &dst, const std::vector<int64_t> &dims,
                  const std::vector<int64_t> &inStrides, const std::vector<int64_t> &outStrides,
                  int64_t inBase, int64_t outBase) {
    int64_t n = elementCount(dims);
    std::vector<int32_t> push{int32_t(n), int32_t(inBase), int32_t(outBase)};
    append(push, dims);
    append(push, inStrides);
    append(push, outStrides);
    const Pipeline &p = kernel(0);
    dispatch(p, {src.buf.get(), dst.buf.get()}, push, ceilDiv(uint64_t(n), p.local));
  };
  if (k == "heed.transpose") {
    const DTensor &x = in(0);
    const Attr *perm = op.attr("permutation");
    if (!perm || int64_t(perm->ints.size()) != x.rank())
      opFail("has a permutation that does not match rank " + std::to_string(x.rank()));
    size_t rank = size_t(x.rank());
    std::vector<int64_t> shape(rank), permStride(rank), inStride = contiguousStrides(x.shape);
    std::vector<bool> seen(rank, false);
    for (size_t i = 0; i < rank; ++i) {
      int64_t p = perm->ints[i];
      if (p < 0 || p >= int64_t(rank) || seen[size_t(p)])
        opFail("has an invalid permutation");
      seen[size_t(p)] = true;
      shape[i] = x.shape[size_t(p)];
      permStride[i] = inStride[size_t(p)];
    }
    DTensor y = alloc(x.type, shape, where);
    copy(x, y, shape, permStride, contiguousStrides(shape), 0, 0);
    return out(0, y);
  }
  if (k == "heed.broadcast") {
    const DTensor &x = in(0), &like = in(1);
    size_t rank = std::max(x.shape.size(), like.shape.size());
    std::vector<int64_t> shape(rank, 1);
    for (const DTensor *t : {&x, &like}) {
      size_t off = rank - t->shape.size();
      for (size_t i = 0; i < t->shape.size(); ++i) {
        int64_t d = t->shape[i], &o = shape[off + i];
        if (d == o || d == 1)
          continue;
        if (o != 1)
          opFail("cannot broadcast " + shapeString(x.shape, x.type) + " like " +
                 shapeString(like.shape, like.type));
        o = d;
      }
    }
    DTensor y = alloc(x.type, shape, where);
    copy(x, y, shape, broadcastStrides(x.shape, shape), contiguousStrides(shape), 0, 0);
    return out(0, y);
  }
  if (k == "heed.slice") {
    const DTensor &x = in(0);
    if (x.rank() == 0)
      opFail("cannot slice a scalar");
    int64_t axis = axisOf(op.getInt("axis", 0), x.rank());
    int64_t n = x.shape[size_t(axis)];
    int64_t start = op.getInt("start", 0);
    int64_t end = op.getInt("end", std::numeric_limits<int64_t>::max());
    int64_t step = op.getInt("step", 1);
    if (step <= 0)
      opFail("expects a positive step");
    auto clampIdx = [n](int64_t v) {
      if (v < 0)
        v = v < -n ? 0 : v + n;
      return std::min(v, n);
    };
    start = clampIdx(start);
    end = clampIdx(end);
    int64_t len = end > start ? (end - start + step - 1) / step : 0;
    std::vector<int64_t> shape = x.shape;
    shape[size_t(axis)] = len;
    DTensor y = alloc(x.type, shape, where);
    std::vector<int64_t> inStride = contiguousStrides(x.shape);
    int64_t base = start * inStride[size_t(axis)];
    inStride[size_t(axis)] *= step;
    copy(x, y, shape, inStride, contiguousStrides(shape), base, 0);
    return out(0, y);
  }
  if (k == "heed.concat") {
    if (op.operands.empty())
      opFail("has no operands");
    const DTensor &first = in(0);
    if (first.rank() == 0)
      opFail("cannot concatenate scalars");
    int64_t axis = axisOf(op.getInt("axis", 0), first.rank());
    std::vector<int64_t> shape = first.shape;
    shape[size_t(axis)] = 0;
    for (size_t i = 0; i < op.operands.size(); ++i) {
      const DTensor &t = in(i);
      if (t.rank() != first.rank() || t.type != first.type)
        opFail("operand " + std::to_string(i) + " has type " + shapeString(t.shape, t.type) +
               ", unlike operand 0 " + shapeString(first.shape, first.type));
      for (int64_t d = 0; d < t.rank(); ++d)
        if (d != axis && t.shape[size_t(d)] != first.shape[size_t(d)])
          opFail("operand " + std::to_string(i) + " has shape " + shapeString(t.shape, t.type) +
                 ", which differs from operand 0 off the concatenation axis");
      shape[size_t(axis)] += t.shape[size_t(axis)];
    }
    DTensor y = alloc(first.type, shape, where);
    std::vector<int64_t> outStride = contiguousStrides(shape);
    int64_t at = 0;
    for (size_t i = 0; i < op.operands.size(); ++i) {
      const DTensor &t = in(i);
      copy(t, y, t.shape, contiguousStrides(t.shape), outStride, 0, at * outStride[size_t(axis)]);
      at += t.shape[size_t(axis)];
    }
    return out(0, y);
  }

  if (k == "heed.matmul") {
    const DTensor &a = in(0), &b = in(1);
    if (a.rank() < 2 || b.rank() < 2)
      opFail("expects operands of rank >= 2");
    bool ta = op.getBool("transpose_a", false), tb = op.getBool("transpose_b", false);
    int64_t M = ta ? a.shape[a.shape.size() - 1] : a.shape[a.shape.size() - 2];
    int64_t K = ta ? a.shape[a.shape.size() - 2] : a.shape[a.shape.size() - 1];
    int64_t Kb = tb ? b.shape[b.shape.size() - 1] : b.shape[b.shape.size() - 2];
    int64_t N = tb ? b.shape[b.shape.size() - 2] : b.shape[b.shape.size() - 1];
    if (K != Kb)
      opFail("contracts lhs " + shapeString(a.shape, a.type) + " with rhs " +
             shapeString(b.shape, b.type) + ": inner dims differ");
    std::vector<int64_t> ab(a.shape.begin(), a.shape.end() - 2),
        bb(b.shape.begin(), b.shape.end() - 2);
    size_t rank = std::max(ab.size(), bb.size());
    std::vector<int64_t> ob(rank, 1);
    for (auto *s : {&ab, &bb}) {
      size_t off = rank - s->size();
      for (size_t i = 0; i < s->size(); ++i) {
        int64_t d = (*s)[i], &o = ob[off + i];
        if (d == o || d == 1)
          continue;
        if (o != 1)
          opFail("cannot broadcast the batch dims of " + shapeString(a.shape, a.type) + " and " +
                 shapeString(b.shape, b.type));
        o = d;
      }
    }
    auto strides = [&](const std::vector<int64_t> &s, int64_t mat) {
      std::vector<int64_t> st = broadcastStrides(s, ob);
      for (int64_t &x : st)
        x *= mat;
      return st;
    };
    std::vector<int64_t> shape = ob;
    shape.push_back(M);
    shape.push_back(N);
    DTensor y = alloc(ElemType::f32, shape, where);
    std::vector<int32_t> push{int32_t(M), int32_t(N), int32_t(K), int32_t(y.count())};
    append(push, ob);
    append(push, strides(ab, M * K));
    append(push, strides(bb, K * N));
    const Pipeline &p = kernel(0);
    dispatch(p, {a.buf.get(), b.buf.get(), y.buf.get()}, push,
             ceilDiv(uint64_t(y.count()), p.local));
    return out(0, y);
  }
  if (k == "heed.linear") {
    const DTensor &x = in(0), &w = in(1);
    bool tw = op.getBool("transpose_weight", true);
    if (x.rank() < 1 || w.rank() != 2)
      opFail("expects input of rank >= 1 and a 2-D weight");
    int64_t K = x.shape.back();
    int64_t N = tw ? w.shape[0] : w.shape[1], Kw = tw ? w.shape[1] : w.shape[0];
    if (K != Kw)
      opFail("multiplies input " + shapeString(x.shape, x.type) + " by weight " +
             shapeString(w.shape, w.type));
    std::vector<int64_t> shape = x.shape;
    shape.back() = N;
    DTensor y = alloc(ElemType::f32, shape, where);
    int64_t M = elementCount(std::vector<int64_t>(x.shape.begin(), x.shape.end() - 1));
    std::vector<const Buffer *> bufs{x.buf.get(), w.buf.get()};
    if (op.operands.size() > 2) {
      const DTensor &b = in(2);
      if (b.rank() != 1 || b.shape[0] != N)
        opFail("bias has shape " + shapeString(b.shape, b.type) + ", expected [" +
               std::to_string(N) + "]");
      bufs.push_back(b.buf.get());
    }
    bufs.push_back(y.buf.get());
    const Pipeline &p = kernel(0);
    dispatch(p, bufs, {int32_t(M), int32_t(N), int32_t(K), int32_t(y.count())},
             ceilDiv(uint64_t(y.count()), p.local));
    return out(0, y);
  }
  if (k == "heed.softmax" || k == "heed.log_softmax") {
    const DTensor &x = in(0);
    if (x.rank() == 0)
      opFail("expects rank >= 1");
    int64_t axis = axisOf(op.getInt("axis", -1), x.rank());
    int64_t outer = 1, inner = 1, n = x.shape[size_t(axis)];
    for (int64_t d = 0; d < axis; ++d)
      outer *= x.shape[size_t(d)];
    for (int64_t d = axis + 1; d < x.rank(); ++d)
      inner *= x.shape[size_t(d)];
    DTensor y = alloc(ElemType::f32, x.shape, where);
    dispatch(kernel(0), {x.buf.get(), y.buf.get()},
             {int32_t(outer * inner), int32_t(n), int32_t(inner)}, uint64_t(outer * inner));
    return out(0, y);
  }
  if (k == "heed.layer_norm") {
    const DTensor &x = in(0);
    auto [scaleAt, hasScale] = op.segment(1);
    auto [biasAt, hasBias] = op.segment(2);
    if (x.rank() == 0)
      opFail("expects rank >= 1");
    int64_t axis = axisOf(op.getInt("axis", -1), x.rank());
    int64_t outer = 1, n = 1;
    for (int64_t d = 0; d < axis; ++d)
      outer *= x.shape[size_t(d)];
    std::vector<int64_t> trailing(x.shape.begin() + axis, x.shape.end());
    for (int64_t d : trailing)
      n *= d;
    std::vector<const Buffer *> bufs{x.buf.get()};
    if (hasScale) {
      const DTensor &s = in(scaleAt);
      if (s.shape != trailing)
        opFail("scale has shape " + shapeString(s.shape, s.type) + ", expected " +
               shapeString(trailing, x.type));
      bufs.push_back(s.buf.get());
    }
    if (hasBias) {
      const DTensor &s = in(biasAt);
      if (s.shape != trailing)
        opFail("bias has shape " + shapeString(s.shape, s.type) + ", expected " +
               shapeString(trailing, x.type));
      bufs.push_back(s.buf.get());
    }
    DTensor y = alloc(ElemType::f32, x.shape, where);
    bufs.push_back(y.buf.get());
    dispatch(kernel(0), bufs, {int32_t(outer), int32_t(n)}, uint64_t(outer));
    return out(0, y);
  }
  if (k == "heed.reduce") {
    const DTensor &x = in(0);
    const Attr *axes = op.attr("axes");
    if (!axes || axes->ints.empty())
      opFail("has no axes");
    std::vector<bool> reduced(size_t(x.rank()), false);
    for (int64_t a : axes->ints)
      reduced[size_t(axisOf(a, x.rank()))] = true;
    bool keep = op.getBool("keep_dims", false);
    std::vector<int64_t> shape, keptDims, keptStrides, redDims, redStrides,
        st = contiguousStrides(x.shape);
    int64_t count = 1;
    for (int64_t d = 0; d < x.rank(); ++d) {
      bool r = reduced[size_t(d)];
      if (!r)
        shape.push_back(x.shape[size_t(d)]);
      else if (keep)
        shape.push_back(1);
      keptDims.push_back(r ? 1 : x.shape[size_t(d)]);
      keptStrides.push_back(r ? 0 : st[size_t(d)]);
      redDims.push_back(r ? x.shape[size_t(d)] : 1);
      redStrides.push_back(r ? st[size_t(d)] : 0);
      if (r)
        count *= x.shape[size_t(d)];
    }
    int64_t kind = op.getInt("kind", 0);
    if ((kind == 2 || kind == 3) && count == 0)
      opFail("reduces an empty axis with max/min");
    DTensor y = alloc(x.type, shape, where);
    std::vector<int32_t> push{int32_t(y.count())};
    append(push, keptDims);
    append(push, keptStrides);
    append(push, redDims);
    append(push, redStrides);
    push.push_back(int32_t(count));
    const Pipeline &p = kernel(0);
    dispatch(p, {x.buf.get(), y.buf.get()}, push, ceilDiv(uint64_t(y.count()), p.local));
    return out(0, y);
  }
  if (k == "heed.argmax" || k == "heed.top_k") {
    const DTensor &x = in(0);
    if (x.rank() == 0)
      opFail("expects rank >= 1");
    int64_t axis = axisOf(op.getInt("axis", -1), x.rank());
    int64_t outer = 1, inner = 1, n = x.shape[size_t(axis)];
    for (int64_t d = 0; d < axis; ++d)
      outer *= x.shape[size_t(d)];
    for (int64_t d = axis + 1; d < x.rank(); ++d)
      inner *= x.shape[size_t(d)];
    const Pipeline &p = kernel(0);
    uint64_t rows = uint64_t(outer * inner);
    if (k == "heed.argmax") {
      if (n == 0)
        opFail("takes the argmax of an empty axis");
      std::vector<int64_t> shape = x.shape;
      if (op.getBool("keep_dims", false))
        shape[size_t(axis)] = 1;
      else
        shape.erase(shape.begin() + axis);
      DTensor y = alloc(ElemType::i64, shape, where);
      dispatch(p, {x.buf.get(), y.buf.get()}, {int32_t(rows), int32_t(n), int32_t(inner)},
               ceilDiv(rows, p.local));
      return out(0, y);
    }
    int64_t kk = op.getInt("k", 1);
    if (kk > n)
      opFail("k = " + std::to_string(kk) + " exceeds the axis size " + std::to_string(n));
    if (kk < 0)
      opFail("has a negative k");
    std::vector<int64_t> shape = x.shape;
    shape[size_t(axis)] = kk;
    DTensor vals = alloc(ElemType::f32, shape, where), idxs = alloc(ElemType::i64, shape, where);
    if (kk > 0)
      dispatch(p, {x.buf.get(), vals.buf.get(), idxs.buf.get()},
               {int32_t(rows), int32_t(n), int32_t(inner), int32_t(kk)}, ceilDiv(rows, p.local));
    out(0, vals);
    return out(1, idxs);
  }
  if (k == "heed.gather" || k == "heed.embedding") {
    const DTensor &x = in(0), &ids = in(1);
    bool embedding = k == "heed.embedding";
    if (embedding && x.rank() != 2)
      opFail("expects a [vocab, dim] table");
    if (x.rank() == 0)
      opFail("cannot gather from a scalar");
    if (ids.type != ElemType::i32 && ids.type != ElemType::i64)
      opFail("expects integer indices");
    int64_t axis = embedding ? 0 : axisOf(op.getInt("axis", 0), x.rank());
    int64_t n = x.shape[size_t(axis)];
    std::vector<int64_t> shape(x.shape.begin(), x.shape.begin() + axis);
    shape.insert(shape.end(), ids.shape.begin(), ids.shape.end());
    shape.insert(shape.end(), x.shape.begin() + axis + 1, x.shape.end());
    int64_t inner = 1, m = ids.count();
    for (int64_t d = axis + 1; d < x.rank(); ++d)
      inner *= x.shape[size_t(d)];
    DTensor y = alloc(x.type, shape, where);
    if (y.count() > 0) {
      Check c = newCheck();
      c.where = where;
      c.ids = ids;
      c.n = n;
      c.embedding = embedding;
      const Pipeline &p = kernel(0);
      dispatch(p, {x.buf.get(), ids.buf.get(), y.buf.get(), c.status.get()},
               {int32_t(y.count()), int32_t(m), int32_t(inner), int32_t(n), int32_t(c.slot)},
               ceilDiv(uint64_t(y.count()), p.local));
      checks.push_back(std::move(c));
    }
    return out(0, y);
  }
  if (k == "heed.sequence_mask" || k == "heed.causal_mask" || k == "heed.range" ||
      k == "heed.sinusoidal_positions") {
    std::vector<int32_t> push;
    std::vector<const Buffer *> bufs;
    DTensor y;
    auto small = [&](int64_t v, const char *what) {
      if (v < INT32_MIN || v > INT32_MAX)
        opFail(std::string("has a ") + what + " beyond the vulkan kernel's 32-bit range");
      return int32_t(v);
    };
    if (k == "heed.sequence_mask") {
      const DTensor &len = in(0);
      int64_t n = scalar(1);
      if (len.rank() != 1)
        opFail("expects lengths of rank 1");
      if (n < 0)
        opFail("got a negative max_length " + std::to_string(n));
      y = alloc(ElemType::boolean, {len.shape[0], n}, where);
      push = {int32_t(y.count()), int32_t(n)};
      bufs = {len.buf.get(), y.buf.get()};
    } else if (k == "heed.causal_mask") {
      int64_t lq = scalar(0), lk = scalar(1);
      if (lq < 0 || lk < 0)
        opFail("got a negative length");
      int64_t shift = op.getInt("align", 0) == 1 ? lk - lq : 0;
      y = alloc(ElemType::boolean, {lq, lk}, where);
      push = {int32_t(y.count()), int32_t(lk), small(shift, "shift")};
      bufs = {y.buf.get()};
    } else if (k == "heed.range") {
      int64_t start = scalar(0), limit = scalar(1), step = scalar(2);
      if (step == 0)
        opFail("has step 0");
      int64_t n = 0;
      if ((step > 0 && limit > start) || (step < 0 && limit < start))
        n = (limit - start + step + (step > 0 ? -1 : 1)) / step;
      y = alloc(ElemType::i64, {n}, where);
      push = {int32_t(n), small(start, "start"), small(step, "step")};
      bufs = {y.buf.get()};
    } else {
      int64_t offset = scalar(0), length = scalar(1);
      if (length < 0)
        opFail("got a negative length " + std::to_string(length));
      y = alloc(ElemType::f32, {length, op.getInt("dim", 0)}, where);
      small(offset + length, "position");
      push = {int32_t(y.count()), int32_t(offset)};
      bufs = {y.buf.get()};
    }
    const Pipeline &p = kernel(0);
    dispatch(p, bufs, push, ceilDiv(uint64_t(y.count()), p.local));
    return out(0, y);
  }
  if (k == "heed.attention") {
    const DTensor &q = in(0), &kk = in(1), &v = in(2);
    for (const DTensor *t : {&q, &kk, &v})
      if (t->type != ElemType::f32)
        opFail("supports only f32 query, key and value");
    // Strides (batch, head, row) of q, k, v, out; the same layouts as the CPU driver.
    int64_t B, H, Hkv, Lq, Lk, D, Dv;
    int64_t qs[3], ks[3], vs[3], os[3];
    std::vector<int64_t> outShape, sDims;
    std::vector<int> pos;
    int64_t heads = op.getInt("num_heads", 0);
    if (heads > 0) {
      if (q.rank() != 3 || kk.rank() != 3 || v.rank() != 3)
        opFail("with num_heads expects [B, L, H*D] query, key and value");
      int64_t kvHeads = op.getInt("num_kv_heads", 0);
      if (kvHeads <= 0)
        kvHeads = heads;
      if (heads % kvHeads != 0)
        opFail("num_kv_heads " + std::to_string(kvHeads) + " does not divide num_heads " +
               std::to_string(heads));
      if (q.shape[2] % heads || kk.shape[2] % kvHeads || v.shape[2] % kvHeads)
        opFail("has feature dims not divisible by the head counts");
      B = q.shape[0];
      H = heads;
      Hkv = kvHeads;
      Lq = q.shape[1];
      Lk = kk.shape[1];
      D = q.shape[2] / heads;
      Dv = v.shape[2] / kvHeads;
      if (kk.shape[0] != B || v.shape[0] != B || v.shape[1] != Lk || kk.shape[2] / kvHeads != D)
        opFail("has inconsistent query, key and value shapes");
      int64_t q_[3] = {Lq * q.shape[2], D, q.shape[2]}, k_[3] = {Lk * kk.shape[2], D, kk.shape[2]},
              v_[3] = {Lk * v.shape[2], Dv, v.shape[2]}, o_[3] = {Lq * H * Dv, Dv, H * Dv};
      std::copy(q_, q_ + 3, qs);
      std::copy(k_, k_ + 3, ks);
      std::copy(v_, v_ + 3, vs);
      std::copy(o_, o_ + 3, os);
      outShape = {B, Lq, H * Dv};
      sDims = {B, H, Lq, Lk};
      pos = {0, 1, 2, 3};
    } else {
      int64_t r = q.rank();
      if (r < 2 || r > 4 || kk.rank() != r || v.rank() != r)
        opFail("expects query, key and value of the same rank 2, 3 or 4");
      auto dimOr1 = [&](const DTensor &t, int64_t fromEnd) {
        return t.rank() >= fromEnd ? t.shape[size_t(t.rank() - fromEnd)] : 1;
      };
      B = r >= 3 ? q.shape[0] : 1;
      H = r == 4 ? q.shape[1] : 1;
      int64_t kb = r >= 3 ? kk.shape[0] : 1, kh = r == 4 ? kk.shape[1] : 1;
      Lq = dimOr1(q, 2);
      Lk = dimOr1(kk, 2);
      D = dimOr1(q, 1);
      Dv = dimOr1(v, 1);
      if ((kb != B && kb != 1) || (kh == 0 || H % kh != 0) || (r >= 3 && v.shape[0] != kb) ||
          (r == 4 && v.shape[1] != kh) || dimOr1(kk, 1) != D || dimOr1(v, 2) != Lk)
        opFail("has inconsistent query " + shapeString(q.shape, q.type) + ", key " +
               shapeString(kk.shape, kk.type) + " and value " + shapeString(v.shape, v.type));
      Hkv = kh;
      int64_t q_[3] = {H * Lq * D, Lq * D, D}, k_[3] = {kb == 1 ? 0 : kh * Lk * D, Lk * D, D},
              v_[3] = {kb == 1 ? 0 : kh * Lk * Dv, Lk * Dv, Dv}, o_[3] = {H * Lq * Dv, Lq * Dv, Dv};
      std::copy(q_, q_ + 3, qs);
      std::copy(k_, k_ + 3, ks);
      std::copy(v_, v_ + 3, vs);
      std::copy(o_, o_ + 3, os);
      outShape.assign(q.shape.begin(), q.shape.end() - 1);
      outShape.push_back(Dv);
      sDims.assign(q.shape.begin(), q.shape.end() - 1);
      sDims.push_back(Lk);
      pos = r == 2   ? std::vector<int>{2, 3}
            : r == 3 ? std::vector<int>{0, 2, 3}
                     : std::vector<int>{0, 1, 2, 3};
    }
    if (D > 128 || Dv > 128)
      opFail("has a head dim above 128 (the vulkan attention kernel's limit)");
    int64_t bits = op.getInt("mask_kind", 0);
    int64_t ms4[4] = {0, 0, 0, 0};
    std::vector<const Buffer *> bufs{q.buf.get(), kk.buf.get(), v.buf.get()};
    if (bits & 7) {
      if (op.operands.size() < 4)
        opFail("has a mask kind that needs a mask operand");
      const DTensor &m = in(3);
      if (bits & 4) {
        if (m.rank() != 1 || m.shape[0] != B)
          opFail("expects key lengths [" + std::to_string(B) + "], got " +
                 shapeString(m.shape, m.type));
        if (m.type != ElemType::i32 && m.type != ElemType::i64)
          opFail("expects integer key lengths");
      } else {
        if (m.rank() > int64_t(sDims.size()))
          opFail("mask " + shapeString(m.shape, m.type) + " has a higher rank than the scores");
        int64_t st = 1;
        size_t off = sDims.size() - size_t(m.rank());
        for (size_t i = size_t(m.rank()); i-- > 0;) {
          int64_t d = m.shape[i], want = sDims[off + i];
          if (d != want && d != 1)
            opFail("mask " + shapeString(m.shape, m.type) + " does not broadcast to the scores");
          ms4[pos[off + i]] = d == 1 ? 0 : st;
          st *= d;
        }
        if ((bits & 1) && m.type != ElemType::f32)
          opFail("expects an f32 additive mask");
        if ((bits & 2) && m.type != ElemType::boolean)
          opFail("expects an i1 boolean mask");
      }
      bufs.push_back(m.buf.get());
    }
    DTensor out0 = alloc(ElemType::f32, outShape, where);
    bufs.push_back(out0.buf.get());
    DTensor w;
    bool wantWeights = op.results.size() > 1;
    if (wantWeights) {
      w = alloc(ElemType::f32, sDims, where);
      bufs.push_back(w.buf.get());
    }
    int64_t shift = op.getInt("causal_align", 0) == 1 ? Lk - Lq : 0;
    int64_t nqb = (Lq + 15) / 16;
    std::vector<int32_t> push;
    for (int64_t x : {B, H, H / std::max<int64_t>(Hkv, 1), Lq, Lk, D, Dv, shift})
      push.push_back(int32_t(x));
    for (const int64_t *st : {qs, ks, vs, os})
      for (int i = 0; i < 3; ++i)
        push.push_back(int32_t(st[i]));
    for (int i = 0; i < 4; ++i)
      push.push_back(int32_t(ms4[i]));
    push.push_back(int32_t(nqb));
    if (B * H * Lq > 0)
      dispatch(kernel(0), bufs, push, uint64_t(B * H * nqb));
    out(0, out0);
    if (wantWeights)
      out(1, w);
    return;
  }
  if (k == "heed.additive_attention") {
    if (op.operands.size() < 5)
      opFail("expects query, keys_proj, values, w_query and v");
    const DTensor &q = in(0), &kp = in(1), &vals = in(2), &wq = in(3), &v = in(4);
    for (const DTensor *t : {&q, &kp, &vals, &wq, &v})
      if (t->type != ElemType::f32)
        opFail("supports only f32 operands");
    bool step = q.rank() == 2;
    if ((q.rank() != 2 && q.rank() != 3) || kp.rank() != 3 || vals.rank() != 3 || wq.rank() != 2 ||
        v.rank() != 1)
      opFail("expects query [B, Dq] or [B, Lq, Dq], keys_proj [B, Lk, A], values [B, Lk, Dv], "
             "w_query [A, Dq] and v [A]");
    int64_t B = q.shape[0], Lq = step ? 1 : q.shape[1], Dq = q.shape.back(), Lk = kp.shape[1],
            A = kp.shape[2], Dv = vals.shape[2];
    if (kp.shape[0] != B || vals.shape[0] != B || vals.shape[1] != Lk || wq.shape[0] != A ||
        wq.shape[1] != Dq || v.shape[0] != A)
      opFail("has inconsistent shapes: query " + shapeString(q.shape, q.type) + ", keys_proj " +
             shapeString(kp.shape, kp.type) + ", values " + shapeString(vals.shape, vals.type) +
             ", w_query " + shapeString(wq.shape, wq.type) + ", v " + shapeString(v.shape, v.type));
    if (A > 1024 || Dv > 1024)
      opFail("has an attention or value dim above 1024 (the vulkan kernel's limit)");
    std::vector<const Buffer *> bufs{q.buf.get(), kp.buf.get(), vals.buf.get(), wq.buf.get(),
                                     v.buf.get()};
    int64_t bits = op.getInt("mask_kind", 0);
    int64_t ms[3] = {0, 0, 0};
    if (bits & 7) {
      if (op.operands.size() < 6)
        opFail("has a mask kind that needs a mask operand");
      const DTensor &m = in(5);
      if (bits & 4) {
        if (m.rank() != 1 || m.shape[0] != B)
          opFail("expects key lengths [" + std::to_string(B) + "], got " +
                 shapeString(m.shape, m.type));
        if (m.type != ElemType::i32 && m.type != ElemType::i64)
          opFail("expects integer key lengths");
      } else {
        std::vector<int64_t> sDims =
            step ? std::vector<int64_t>{B, Lk} : std::vector<int64_t>{B, Lq, Lk};
        std::vector<int> pos = step ? std::vector<int>{0, 2} : std::vector<int>{0, 1, 2};
        if (m.rank() > int64_t(sDims.size()))
          opFail("mask " + shapeString(m.shape, m.type) + " has a higher rank than the scores");
        int64_t st = 1;
        size_t off = sDims.size() - size_t(m.rank());
        for (size_t i = size_t(m.rank()); i-- > 0;) {
          int64_t d = m.shape[i], want = sDims[off + i];
          if (d != want && d != 1)
            opFail("mask " + shapeString(m.shape, m.type) + " does not broadcast to the scores");
          ms[pos[off + i]] = d == 1 ? 0 : st;
          st *= d;
        }
        if ((bits & 1) && m.type != ElemType::f32)
          opFail("expects an f32 additive mask");
        if ((bits & 2) && m.type != ElemType::boolean)
          opFail("expects an i1 boolean mask");
      }
      bufs.push_back(m.buf.get());
    }
    DTensor o = alloc(ElemType::f32,
                      step ? std::vector<int64_t>{B, Dv} : std::vector<int64_t>{B, Lq, Dv}, where);
    bufs.push_back(o.buf.get());
    DTensor w;
    bool wantWeights = op.results.size() > 1;
    if (wantWeights) {
      w = alloc(ElemType::f32, step ? std::vector<int64_t>{B, Lk} : std::vector<int64_t>{B, Lq, Lk},
                where);
      bufs.push_back(w.buf.get());
    }
    if (B * Lq > 0)
      dispatch(kernel(0), bufs,
               {int32_t(B), int32_t(Lq), int32_t(Dq), int32_t(Lk), int32_t(A), int32_t(Dv),
                int32_t(ms[0]), int32_t(ms[1]), int32_t(ms[2])},
               uint64_t(B * Lq));
    out(0, o);
    if (wantWeights)
      out(1, w);
    return;
  }
  if (k == "heed.rnn_cell" || k == "heed.gru_cell" || k == "heed.lstm_cell") {
    bool lstm = k == "heed.lstm_cell";
    int64_t G = lstm ? 4 : k == "heed.gru_cell" ? 3 : 1;
    size_t wAt = lstm ? 3 : 2;
    if (op.operands.size() != wAt + 2 && op.operands.size() != wAt + 4)
      opFail("expects either no biases or both b_ih and b_hh");
    const DTensor &x = in(0), &h = in(1);
    if (x.rank() != 2 || h.rank() != 2)
      opFail("expects input [B, I] and hidden [B, H]");
    int64_t B = x.shape[0], I = x.shape[1], H = h.shape[1];
    auto expect = [&](const DTensor &t, std::vector<int64_t> shape, const std::string &what) {
      if (t.type != ElemType::f32)
        opFail(what + " must be f32, got " + elemTypeName(t.type));
      if (t.shape != shape)
        opFail(what + " has shape " + shapeString(t.shape, t.type) + ", expected " +
               shapeString(shape, ElemType::f32));
    };
    expect(h, {B, H}, "hidden");
    if (lstm)
      expect(in(2), {B, H}, "cell");
    expect(x, {B, I}, "input");
    expect(in(wAt), {G * H, I}, "w_ih");
    expect(in(wAt + 1), {G * H, H}, "w_hh");
    if (op.operands.size() == wAt + 4) {
      expect(in(wAt + 2), {G * H}, "b_ih");
      expect(in(wAt + 3), {G * H}, "b_hh");
    }
    std::vector<const Buffer *> bufs;
    for (size_t i = 0; i < op.operands.size(); ++i)
      bufs.push_back(in(i).buf.get());
    DTensor ho = alloc(ElemType::f32, {B, H}, where), co;
    bufs.push_back(ho.buf.get());
    if (lstm) {
      co = alloc(ElemType::f32, {B, H}, where);
      bufs.push_back(co.buf.get());
    }
    const Pipeline &p = kernel(0);
    dispatch(p, bufs, {int32_t(B * H), int32_t(I), int32_t(H)}, ceilDiv(uint64_t(B * H), p.local));
    out(0, ho);
    if (lstm)
      out(1, co);
    return;
  }
  if (k == "heed.rnn" || k == "heed.gru" || k == "heed.lstm") {
    bool lstm = k == "heed.lstm";
    int64_t G = lstm ? 4 : k == "heed.gru" ? 3 : 1;
    size_t g = 0;
    auto [xAt, nx] = op.segment(g++);
    auto [h0At, nh0] = op.segment(g++);
    size_t c0At = 0, nc0 = 0;
    if (lstm)
      std::tie(c0At, nc0) = op.segment(g++);
    auto [lenAt, nlen] = op.segment(g++);
    auto [wAt, nw] = op.segment(g++);
    (void)nx;
    const DTensor &xin = in(xAt);
    if (xin.rank() != 3)
      opFail("expects a rank-3 input, got " + shapeString(xin.shape, xin.type));
    if (xin.type != ElemType::f32)
      opFail("supports only f32 input");
    bool batchFirst = op.getBool("batch_first", false);
    int64_t T = batchFirst ? xin.shape[1] : xin.shape[0],
            B = batchFirst ? xin.shape[0] : xin.shape[1];
    int64_t I = xin.shape[2], H = op.getInt("hidden_size", 0);
    int64_t L = op.getInt("num_layers", 1), D = op.getBool("bidirectional", false) ? 2 : 1;
    bool bias = op.getBool("has_biases", true);
    size_t perDir = bias ? 4 : 2;
    if (nw != size_t(L * D) * perDir)
      opFail("expects " + std::to_string(size_t(L * D) * perDir) + " weights, got " +
             std::to_string(nw));
    auto expect = [&](const DTensor &t, std::vector<int64_t> shape, const std::string &what) {
      if (t.type != ElemType::f32)
        opFail(what + " must be f32, got " + elemTypeName(t.type));
      if (t.shape != shape)
        opFail(what + " has shape " + shapeString(t.shape, t.type) + ", expected " +
               shapeString(shape, ElemType::f32));
    };
    std::vector<int64_t> stateShape{L * D, B, H};
    if (nh0)
      expect(in(h0At), stateShape, "initial hidden state");
    if (nc0)
      expect(in(c0At), stateShape, "initial cell state");
    const DTensor *lens = nullptr;
    if (nlen) {
      lens = &in(lenAt);
      if (lens->rank() != 1 || lens->shape[0] != B)
        opFail("expects lengths [" + std::to_string(B) + "], got " +
               shapeString(lens->shape, lens->type));
    }
    DTensor hN = alloc(ElemType::f32, stateShape, where), cN;
    if (lstm)
      cN = alloc(ElemType::f32, stateShape, where);
    Check check;
    if (lens) {
      check = newCheck();
      check.where = where;
      check.ids = *lens;
      check.n = T;
      check.lengths = true;
    }
    if (T == 0)
      opFail("has an empty sequence (T = 0 is unimplemented on vulkan)");
    const Pipeline &step = kernel(0);
    std::shared_ptr<Buffer> status = lens ? check.status : acquire(4);
    DTensor X = xin, Y;
    int64_t inDim = I, xsT = batchFirst ? I : B * I, xsB = batchFirst ? T * I : I;
    DTensor hA = alloc(ElemType::f32, {B, H}, where), hB = alloc(ElemType::f32, {B, H}, where);
    DTensor cA, cB;
    if (lstm) {
      cA = alloc(ElemType::f32, {B, H}, where);
      cB = alloc(ElemType::f32, {B, H}, where);
    }
    for (int64_t l = 0; l < L; ++l) {
      Y = alloc(ElemType::f32, {T, B, D * H}, where);
      for (int64_t d = 0; d < D; ++d) {
        size_t w = wAt + size_t(l * D + d) * perDir;
        std::string which = "layer " + std::to_string(l) + (d ? " reverse " : " ");
        expect(in(w), {G * H, inDim}, which + "w_ih");
        expect(in(w + 1), {G * H, H}, which + "w_hh");
        if (bias) {
          expect(in(w + 2), {G * H}, which + "b_ih");
          expect(in(w + 3), {G * H}, which + "b_hh");
        }
        int64_t state = (l * D + d) * B * H;
        const DTensor *hPrev = nh0 ? &in(h0At) : &hA, *cPrev = nc0 ? &in(c0At) : &cA;
        int64_t hBase = nh0 ? state : 0, cBase = nc0 ? state : 0;
        bool zeroH = !nh0, zeroC = !nc0;
        for (int64_t sIdx = 0; sIdx < T; ++sIdx) {
          int64_t t = d == 0 ? sIdx : T - 1 - sIdx;
          DTensor &hNext = (sIdx % 2 == 0) ? hB : hA;
          DTensor &cNext = (sIdx % 2 == 0) ? cB : cA;
          std::vector<const Buffer *> bufs{X.buf.get(), hPrev->buf.get()};
          if (lstm)
            bufs.push_back(cPrev->buf.get());
          for (size_t i = 0; i < perDir; ++i)
            bufs.push_back(in(w + i).buf.get());
          if (lens)
            bufs.push_back(lens->buf.get());
          bufs.push_back(Y.buf.get());
          bufs.push_back(hNext.buf.get());
          if (lstm)
            bufs.push_back(cNext.buf.get());
          bufs.push_back(hN.buf.get());
          if (lstm)
            bufs.push_back(cN.buf.get());
          bufs.push_back(status.get());
          dispatch(step, bufs,
                   {int32_t(B * H), int32_t(inDim), int32_t(H), int32_t(t), int32_t(xsT),
                    int32_t(xsB), int32_t(hBase), zeroH ? 1 : 0, int32_t(D * H), int32_t(d * H),
                    int32_t(state), int32_t(cBase), zeroC ? 1 : 0, int32_t(T),
                    int32_t(lens ? check.slot : 0)},
                   ceilDiv(uint64_t(B * H), step.local));
          hPrev = &hNext;
          cPrev = &cNext;
          hBase = cBase = 0;
          zeroH = zeroC = false;
        }
      }
      X = Y;
      inDim = D * H;
      xsT = B * D * H;
      xsB = D * H;
    }
    if (lens)
      checks.push_back(check);
    DTensor result = Y;
    if (batchFirst) {
      result = alloc(ElemType::f32, {B, T, D * H}, where);
      std::vector<int64_t> dims{B, T, D * H}, inSt{D * H, B * D * H, 1};
      int64_t n = elementCount(dims);
      std::vector<int32_t> push{int32_t(n), 0, 0};
      append(push, dims);
      append(push, inSt);
      append(push, contiguousStrides(dims));
      const Pipeline &cp = kernel(1);
      dispatch(cp, {Y.buf.get(), result.buf.get()}, push, ceilDiv(uint64_t(n), cp.local));
    }
    out(0, result);
    out(1, hN);
    if (lstm)
      out(2, cN);
    return;
  }
  opFail("is unimplemented on vulkan");
}

VulkanDriver::Check VulkanDriver::newCheck() {
  constexpr int64_t kSlots = 1024;
  if (!statusBuffer || statusUsed == kSlots) {
    statusBuffer = acquire(kSlots * 4);
    std::fill_n(reinterpret_cast<int32_t *>(statusBuffer->mapped), kSlots, INT32_MAX);
    statusUsed = 0;
  }
  Check c;
  c.status = statusBuffer;
  c.slot = statusUsed++;
  return c;
}

/// The number of entries a plan takes in the vulkan section (pre-order).
size_t planEntries(const Plan &plan) {
  size_t n = 0;
  for (const PlanOp &op : plan.ops)
    n += 1 + (op.body ? planEntries(*op.body) : 0);
  return n;
}

/// heed.scan, unrolled while recording: step t's sequence slices are copied
/// out, the body is recorded, and per-step outputs are copied into their
/// stacked results; carried values are passed on by reference.
void VulkanDriver::runScan(ModuleState &ms, const Module &module, const Function &function,
                           const PlanOp &op, std::vector<Slot> &slots, const fb::VkOp *vkop,
                           const std::vector<const fb::VkOp *> &vkops, size_t &cursor) {
  std::string where = (op.loc.empty() ? function.name : op.loc) + ": '" + op.kind + "'";
  auto opFail = [&](const std::string &m) { fail(ErrorKind::runtime, where + " " + m); };
  const Plan &body = *op.body;
  size_t bodyStart = cursor, bodyEntries = planEntries(body);
  auto [initStart, numInit] = op.segment(0);
  auto [seqStart, numSeq] = op.segment(1);
  auto [lenStart, numLen] = op.segment(2);
  auto tensorAt = [&](size_t i) -> const DTensor & {
    const Slot &s = slots[size_t(op.operands.at(i))];
    if (!s.set || s.scalar)
      opFail("operand " + std::to_string(i) + " is not a tensor");
    return s.t;
  };
  int64_t steps = -1;
  for (size_t i = 0; i < numSeq; ++i) {
    const DTensor &s = tensorAt(seqStart + i);
    if (s.rank() < 1)
      opFail("sequence operand " + std::to_string(i) + " has rank 0");
    if (steps >= 0 && s.shape[0] != steps)
      opFail("sequences have different lengths " + std::to_string(steps) + " and " +
             std::to_string(s.shape[0]));
    steps = s.shape[0];
  }
  if (numLen) {
    const Slot &ls = slots[size_t(op.operands.at(lenStart))];
    if (!ls.set || !ls.scalar)
      opFail("step count is not a scalar");
    if (ls.s < 0)
      opFail("got a negative step count " + std::to_string(ls.s));
    if (steps >= 0 && steps != ls.s)
      opFail("step count " + std::to_string(ls.s) + " differs from the sequence length " +
             std::to_string(steps));
    steps = ls.s;
  }
  if (steps < 0)
    opFail("has neither sequences nor a step count");
  if (body.args.size() != numInit + numSeq || body.yields.size() < numInit)
    opFail("has a body that does not match its operands");
  size_t numOut = body.yields.size() - numInit;
  if (!vkop->kernels() || vkop->kernels()->size() != numSeq + numOut)
    opFail("has the wrong number of vulkan kernels");
  auto kernel = [&](size_t i) -> const Pipeline & {
    return ms.pipelines[size_t(vkop->kernels()->Get(uint32_t(i)))];
  };
  auto copyAll = [&](const Pipeline &p, const DTensor &src, const DTensor &dst,
                     const std::vector<int64_t> &dims, int64_t inBase, int64_t outBase) {
    std::vector<int64_t> st = contiguousStrides(dims);
    int64_t n = elementCount(dims);
    std::vector<int32_t> push{int32_t(n), int32_t(inBase), int32_t(outBase)};
    append(push, dims);
    append(push, st);
    append(push, st);
    dispatch(p, {src.buf.get(), dst.buf.get()}, push, ceilDiv(uint64_t(n), p.local));
  };
  std::vector<Slot> carried(numInit);
  for (size_t i = 0; i < numInit; ++i)
    carried[i] = slots[size_t(op.operands.at(initStart + i))];
  std::vector<DTensor> stacked(numOut);
  bool reverse = op.getBool("reverse", false);
  for (int64_t kstep = 0; kstep < steps; ++kstep) {
    int64_t t = reverse ? steps - 1 - kstep : kstep;
    for (size_t i = 0; i < numInit; ++i)
      slots[size_t(body.args[i])] = carried[i];
    for (size_t i = 0; i < numSeq; ++i) {
      const DTensor &s = tensorAt(seqStart + i);
      std::vector<int64_t> stepShape(s.shape.begin() + 1, s.shape.end());
      DTensor view = alloc(s.type, stepShape, where);
      copyAll(kernel(i), s, view, stepShape, t * elementCount(stepShape), 0);
      Slot &slot = slots[size_t(body.args[numInit + i])];
      slot = Slot();
      slot.t = view;
      slot.set = true;
    }
    cursor = bodyStart;
    runPlan(ms, module, function, body, slots, vkops, cursor);
    for (size_t i = 0; i < numInit; ++i)
      carried[i] = slots[size_t(body.yields[i])];
    for (size_t i = 0; i < numOut; ++i) {
      const Slot &y = slots[size_t(body.yields[numInit + i])];
      if (!y.set || y.scalar)
        opFail("per-step output " + std::to_string(i) + " is not a tensor");
      if (kstep == 0) {
        std::vector<int64_t> shape{steps};
        shape.insert(shape.end(), y.t.shape.begin(), y.t.shape.end());
        stacked[i] = alloc(y.t.type, shape, where);
      } else if (y.t.shape !=
                     std::vector<int64_t>(stacked[i].shape.begin() + 1, stacked[i].shape.end()) ||
                 y.t.type != stacked[i].type) {
        opFail("per-step output " + std::to_string(i) + " changed shape at step " +
               std::to_string(t));
      }
      copyAll(kernel(numSeq + i), y.t, stacked[i], y.t.shape, 0, t * y.t.count());
    }
  }
  cursor = bodyStart + bodyEntries;
  for (size_t i = 0; i < numInit; ++i)
    slots[size_t(op.results[i])] = carried[i];
  for (size_t i = 0; i < numOut; ++i) {
    const ValueType &vt = function.values[size_t(op.results[numInit + i])];
    if (steps == 0) {
      std::vector<int64_t> shape;
      for (int64_t d : vt.dims)
        shape.push_back(d < 0 ? 0 : d);
      shape[0] = 0;
      stacked[i] = alloc(vt.type, shape, where);
    }
    Slot &s = slots[size_t(op.results[numInit + i])];
    s = Slot();
    s.t = stacked[i];
    s.set = true;
  }
}

void VulkanDriver::runPlan(ModuleState &ms, const Module &module, const Function &function,
                           const Plan &plan, std::vector<Slot> &slots,
                           const std::vector<const fb::VkOp *> &vkops, size_t &cursor) {
  for (size_t i = 0; i < plan.ops.size(); ++i) {
    const PlanOp &op = plan.ops[i];
    const fb::VkOp *vo = vkops.at(cursor++);
    if (op.body)
      runScan(ms, module, function, op, slots, vo, vkops, cursor);
    else
      runOp(ms, module, function, op, slots, vo);
    for (int32_t id : plan.releaseAfter[i])
      slots[size_t(id)] = Slot();
  }
}

std::vector<Tensor> VulkanDriver::invoke(const Module &module, const Function &function,
                                         const std::vector<Tensor> &inputs, RunStats &runStats) {
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
    ~Reset() {
      d.stats = nullptr;
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
    }
  } reset{*this};

  VkCommandBufferAllocateInfo cbai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  cbai.commandPool = commandPool;
  cbai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  cbai.commandBufferCount = 1;
  HEED_VK(vkAllocateCommandBuffers(device, &cbai, &cmd));
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  HEED_VK(vkBeginCommandBuffer(cmd, &begin));

  std::vector<Slot> slots(function.values.size());
  for (size_t i = 0; i < function.inputs.size(); ++i) {
    Slot &s = slots[size_t(function.inputs[i])];
    const Tensor &t = inputs[i];
    if (function.values[size_t(function.inputs[i])].scalar) {
      s.scalar = true;
      s.s = t.type == ElemType::i32 ? *t.as<int32_t>() : *t.as<int64_t>();
    } else {
      s.t = alloc(t.type, t.shape, function.name + ": input " + std::to_string(i));
      if (t.bytes())
        std::memcpy(s.t.buf->mapped, t.data, t.bytes());
    }
    s.set = true;
  }
  size_t cursor = 0;
  runPlan(ms, module, function, function.plan, slots, ms.ops[fi], cursor);

  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
  mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1,
                       &mb, 0, nullptr, 0, nullptr);
  HEED_VK(vkEndCommandBuffer(cmd));
  checkValidation(("recording '" + function.name + "'").c_str());
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
  checkValidation(("running '" + function.name + "'").c_str());
  for (const Check &c : checks) {
    int32_t pos = reinterpret_cast<const int32_t *>(c.status->mapped)[c.slot];
    if (pos == INT32_MAX)
      continue;
    const uint8_t *p = c.ids.buf->mapped;
    int64_t id = c.ids.type == ElemType::i32 ? reinterpret_cast<const int32_t *>(p)[pos]
                                             : reinterpret_cast<const int64_t *>(p)[pos];
    if (c.lengths)
      fail(ErrorKind::runtime, c.where + " length " + std::to_string(id) + " of row " +
                                   std::to_string(pos) + " is outside [0, " + std::to_string(c.n) +
                                   "]");
    fail(ErrorKind::runtime, c.where + " " + (c.embedding ? "id " : "index ") + std::to_string(id) +
                                 " at position " + std::to_string(pos) + " is out of range [" +
                                 (c.embedding ? "0" : std::to_string(-c.n)) + ", " +
                                 std::to_string(c.n) + ")");
  }

  std::vector<Tensor> outputs;
  for (int32_t id : function.outputs) {
    Slot &s = slots[size_t(id)];
    if (s.scalar) {
      Tensor t = makeTensor(ElemType::i64, {});
      *t.as<int64_t>() = s.s;
      outputs.push_back(std::move(t));
    } else {
      Tensor t = makeTensor(s.t.type, s.t.shape);
      if (t.bytes())
        std::memcpy(t.data, s.t.buf->mapped, t.bytes());
      outputs.push_back(std::move(t));
    }
  }
  return outputs;
}

} // namespace
} // namespace heed::rt::vk

namespace heed::rt {
std::unique_ptr<Driver> createVulkanDriver(int deviceIndex) {
  return std::make_unique<vk::VulkanDriver>(deviceIndex);
}
} // namespace heed::rt
