//===- DeviceSetup.cpp - Vulkan instance, device and queue ------------------===//

#include "runtime/drivers/vulkan/VulkanDriver.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/lsan_interface.h>
#define HEED_LSAN 1
#endif
#endif

namespace heed::rt::vk {

namespace {
/// Mesa's lavapipe (22.3.6, Debian 12) leaks 128 bytes while it sets up (in
/// vkEnumeratePhysicalDevices, or wherever the validation layer makes it enumerate), in a
/// library the loader unloads before LeakSanitizer reports, so no suppression can name it: a bare
/// C program that only creates an instance and enumerates the devices leaks the same. The
/// sanitizer build ignores allocations made inside the setup calls (instance, enumeration,
/// device); everything else, and all that Heed allocates, is still checked.
struct DriverLeaksIgnored {
#ifdef HEED_LSAN
  DriverLeaksIgnored() { __lsan_disable(); }
  ~DriverLeaksIgnored() { __lsan_enable(); }
#endif
};
} // namespace

bool envIs(const char *name, const char *value) {
  const char *v = std::getenv(name);
  return v && std::string(v) == value;
}

std::string hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
  return buf;
}

[[noreturn]] void vkFail(VkResult r, const char *what) {
  fail(ErrorKind::runtime,
       std::string("vulkan: ") + what + " failed (VkResult " + std::to_string(int(r)) + ")");
}

static VKAPI_ATTR VkBool32 VKAPI_CALL onMessage(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
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

void VulkanDriver::init(int deviceIndex) {
  bool validation = envIs("HEED_VULKAN_VALIDATION", "1");
  debug = envIs("HEED_VULKAN_DEBUG", "1");
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "heed";
  // 1.3 where the device has it (full subgroups); the kernels need only 1.2.
  app.apiVersion = VK_API_VERSION_1_3;
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
  VkResult r;
  {
    DriverLeaksIgnored ignored;
    r = vkCreateInstance(&ici, nullptr, &instance);
  }
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
  std::vector<VkPhysicalDevice> devices;
  {
    DriverLeaksIgnored ignored;
    vkEnumeratePhysicalDevices(instance, &count, nullptr);
    devices.resize(count);
    vkEnumeratePhysicalDevices(instance, &count, devices.data());
  }
  if (count == 0)
    fail(ErrorKind::notFound, "vulkan: no Vulkan device found");
  if (deviceIndex < 0 || uint32_t(deviceIndex) >= count)
    fail(ErrorKind::notFound, "vulkan: no device " + std::to_string(deviceIndex) + " (found " +
                                  std::to_string(count) + ")");
  physical = devices[size_t(deviceIndex)];
  vkGetPhysicalDeviceProperties(physical, &properties);
  limits = properties.limits;
  if (properties.apiVersion < VK_API_VERSION_1_2)
    fail(ErrorKind::unimplemented, "vulkan: the device does not support Vulkan 1.2");
  bool v13 = properties.apiVersion >= VK_API_VERSION_1_3;
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
      timestampBits = qprops[i].timestampValidBits;
      found = true;
    }
  if (!found)
    fail(ErrorKind::notFound, "vulkan: the device has no compute queue");

  // Features the kernels may use (featuresOf): 64-bit and 16/8-bit types, and full subgroups
  // for the subgroup kernel variants. Each is enabled where the device has it; a kernel that
  // needs a missing one is refused when its module loads (prepare).
  VkPhysicalDeviceVulkan13Features f13{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES};
  VkPhysicalDeviceVulkan12Features f12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  VkPhysicalDeviceVulkan11Features f11{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
  VkPhysicalDeviceFeatures2 f2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  f2.pNext = &f11;
  f11.pNext = &f12;
  if (v13)
    f12.pNext = &f13;
  vkGetPhysicalDeviceFeatures2(physical, &f2);
  // A test hook: pretend the device lacks the features named (comma-separated).
  std::string disabled = std::getenv("HEED_VULKAN_DISABLE_FEATURES")
                             ? "," + std::string(std::getenv("HEED_VULKAN_DISABLE_FEATURES")) + ","
                             : "";
  auto take = [&](const char *name, VkBool32 has, VkBool32 &enable) {
    enable = has && disabled.find("," + std::string(name) + ",") == std::string::npos;
    if (enable)
      features.insert(name);
  };
  VkPhysicalDeviceVulkan13Features e13{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES};
  e13.computeFullSubgroups = f13.computeFullSubgroups;
  VkPhysicalDeviceVulkan12Features e12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  take("storageBuffer8BitAccess", f12.storageBuffer8BitAccess, e12.storageBuffer8BitAccess);
  take("shaderInt8", f12.shaderInt8, e12.shaderInt8);
  take("shaderFloat16", f12.shaderFloat16, e12.shaderFloat16);
  VkPhysicalDeviceVulkan11Features e11{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
  take("storageBuffer16BitAccess", f11.storageBuffer16BitAccess, e11.storageBuffer16BitAccess);
  e11.pNext = &e12;
  if (v13)
    e12.pNext = &e13;
  VkPhysicalDeviceFeatures2 e2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  e2.pNext = &e11;
  take("shaderInt64", f2.features.shaderInt64, e2.features.shaderInt64);
  take("shaderFloat64", f2.features.shaderFloat64, e2.features.shaderFloat64);
  take("shaderInt16", f2.features.shaderInt16, e2.features.shaderInt16);
  selectSubgroups(v13 && f13.computeFullSubgroups);

  float priority = 1.0f;
  VkDeviceQueueCreateInfo qci{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  qci.queueFamilyIndex = family;
  qci.queueCount = 1;
  qci.pQueuePriorities = &priority;
  VkDeviceCreateInfo dci{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  dci.pNext = &e2;
  dci.queueCreateInfoCount = 1;
  dci.pQueueCreateInfos = &qci;
  {
    DriverLeaksIgnored ignored;
    HEED_VK(vkCreateDevice(physical, &dci, nullptr, &device));
  }
  vkGetDeviceQueue(device, family, 0, &queue);

  selectMemory();
  VkCommandPoolCreateInfo cpci{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  cpci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  cpci.queueFamilyIndex = family;
  HEED_VK(vkCreateCommandPool(device, &cpci, nullptr, &commandPool));
  checkValidation("device creation");
}

VulkanDriver::~VulkanDriver() {
  if (device) {
    vkDeviceWaitIdle(device);
    for (auto &[m, ms] : modules)
      destroy(ms);
    modules.clear(); // constants return to the pool
    for (auto &[size, b] : pool) {
      vkDestroyBuffer(device, b.buffer, nullptr);
      vkFreeMemory(device, b.memory, nullptr);
    }
    vkDestroyCommandPool(device, commandPool, nullptr);
    vkDestroyDevice(device, nullptr);
  }
  if (messenger) {
    auto destroyMessenger = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance, "vkDestroyDebugUtilsMessengerEXT"));
    if (destroyMessenger)
      destroyMessenger(instance, messenger, nullptr);
  }
  if (instance)
    vkDestroyInstance(instance, nullptr);
}

void VulkanDriver::note(const std::string &line) const {
  if (debug)
    std::fprintf(stderr, "heed-vulkan: %s\n", line.c_str());
}

/// Subgroup operations for the kernel variants that use them: only with
/// full subgroups (the kernels split work by gl_SubgroupSize lanes) whose
/// size divides the 64-invocation workgroups.
void VulkanDriver::selectSubgroups(bool canRequireFull) {
  VkPhysicalDeviceSubgroupSizeControlProperties sizes{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES};
  VkPhysicalDeviceSubgroupProperties sub{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
  VkPhysicalDeviceIDProperties ids{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES};
  sub.pNext = &ids;
  if (canRequireFull)
    ids.pNext = &sizes;
  VkPhysicalDeviceProperties2 p2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  p2.pNext = &sub;
  vkGetPhysicalDeviceProperties2(physical, &p2);
  std::memcpy(deviceUUID, ids.deviceUUID, VK_UUID_SIZE);
  uint32_t maxSize = canRequireFull ? sizes.maxSubgroupSize : sub.subgroupSize;
  std::string why;
  if (envIs("HEED_VULKAN_NO_SUBGROUPS", "1"))
    why = "HEED_VULKAN_NO_SUBGROUPS=1";
  else if (!(sub.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT))
    why = "no subgroup operations in compute shaders";
  else if (!canRequireFull)
    why = "no computeFullSubgroups (Vulkan 1.3)";
  else if (maxSize == 0 || maxSize > 64 || 64 % maxSize != 0)
    why = "subgroups of up to " + std::to_string(maxSize) + " lanes do not divide 64";
  if (why.empty()) {
    subgroupOps = sub.supportedOperations;
    fullSubgroups = true;
  }
  note("subgroups: " + (why.empty() ? "operations 0x" + hex(subgroupOps) + ", up to " +
                                          std::to_string(maxSize) + " lanes"
                                    : "off (" + why + ")"));
}

/// Tensors go in device-local memory; when the host cannot map it, inputs
/// and outputs travel through host-visible staging buffers.
void VulkanDriver::selectMemory() {
  VkPhysicalDeviceMemoryProperties mp;
  vkGetPhysicalDeviceMemoryProperties(physical, &mp);
  int host = -1, local = -1;
  VkMemoryPropertyFlags coherent =
      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  for (uint32_t i = 0; i < mp.memoryTypeCount; ++i) {
    VkMemoryPropertyFlags f = mp.memoryTypes[i].propertyFlags;
    if ((f & coherent) == coherent && (host < 0 || (f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)))
      host = int(i);
    if ((f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) && !(f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) &&
        local < 0)
      local = int(i);
  }
  if (host < 0)
    fail(ErrorKind::unimplemented, "vulkan: the device has no host-visible coherent memory");
  hostType = deviceType = uint32_t(host);
  if (local >= 0) {
    deviceType = uint32_t(local);
    staging = true;
  }
  if (envIs("HEED_VULKAN_FORCE_STAGING", "1"))
    staging = true;
  note(std::string("memory: ") +
       (staging ? "device-local tensors, staging copies" +
                      std::string(local < 0 ? " (forced; the same memory type)" : "")
                : "host-visible tensors, no staging") +
       ", memory type " + std::to_string(deviceType));
}

void VulkanDriver::checkValidation(const char *when) {
  if (validationLog.empty())
    return;
  std::string log;
  std::swap(log, validationLog);
  fail(ErrorKind::runtime, std::string("vulkan validation failed during ") + when + ":\n" + log);
}

} // namespace heed::rt::vk

namespace heed::rt {
std::unique_ptr<Driver> createVulkanDriver(int deviceIndex) {
  return std::make_unique<vk::VulkanDriver>(deviceIndex);
}
} // namespace heed::rt
