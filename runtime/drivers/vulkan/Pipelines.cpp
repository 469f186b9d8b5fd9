//===- Pipelines.cpp - Shader modules and compute pipelines -----------------===//

#include "runtime/drivers/vulkan/KernelChecks.h"
#include "runtime/drivers/vulkan/VulkanDriver.h"
#include "runtime/module/Format.h"

#include <algorithm>
#include <functional>

namespace heed::rt::vk {

void VulkanDriver::prepare(const Module &module) {
  std::lock_guard<std::recursive_mutex> lock(callMutex);
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
          for (int32_t k : *vo->kernels()) {
            if (k < 0 || uint32_t(k) >= vs->kernels()->size())
              fail(ErrorKind::invalidModule, where + ": names a missing vulkan kernel");
            std::string missing = missingFeatures(*vs->kernels()->Get(uint32_t(k)));
            if (!missing.empty())
              fail(ErrorKind::unimplemented, where + ": '" + op.kind + "' needs " + missing +
                                                 ", which this vulkan device lacks");
          }
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
  std::string cachePath;
  size_t cacheLoaded = 0;
  uint64_t cacheKey = 0;
  ms.cache = openPipelineCache(*vs, cachePath, cacheLoaded, cacheKey);
  // Registered now so that the destructor frees what exists if a step fails.
  ModuleState &state = modules[&module] = std::move(ms);
  try {
    createPipelines(module, *vs, state);
  } catch (...) {
    destroy(state);
    modules.erase(&module);
    throw;
  }
  checkValidation("pipeline creation");
  savePipelineCache(state.cache, cachePath, cacheLoaded, cacheKey);
}

void VulkanDriver::destroy(ModuleState &state) {
  for (Pipeline &p : state.pipelines) {
    vkDestroyPipeline(device, p.pipeline, nullptr);
    vkDestroyPipelineLayout(device, p.layout, nullptr);
    vkDestroyDescriptorSetLayout(device, p.setLayout, nullptr);
    vkDestroyShaderModule(device, p.shader, nullptr);
  }
  state.pipelines.clear();
  vkDestroyPipelineCache(device, state.cache, nullptr);
  state.cache = VK_NULL_HANDLE;
}

void VulkanDriver::createPipelines(const Module &module, const fb::VulkanSection &section,
                                   ModuleState &state) {
  for (const fb::VkKernel *k : *section.kernels()) {
    Pipeline p;
    p.name = k->name() ? k->name()->str() : "?";
    // Nothing of the file reaches the driver unchecked (KernelChecks.h).
    p.local = checkKernel(*k, module.name, limits);
    p.bindings = uint32_t(k->bindings());
    p.subgroupOps = subgroupOpsOf(k->spirv()->data(), k->spirv()->size());
    // Kernels of no op (none today) that need a missing feature: prepare refused the others.
    if (!missingFeatures(*k).empty()) {
      note("kernel " + p.name + ": not created (needs " + missingFeatures(*k) + ")");
      state.pipelines.push_back(p);
      continue;
    }
    if (p.subgroupOps & ~subgroupOps) {
      // A variant for devices with more subgroup support: its op falls back.
      note("kernel " + p.name + ": not created (needs subgroup operations 0x" + hex(p.subgroupOps) +
           ")");
      state.pipelines.push_back(p);
      continue;
    }
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
    // The subgroup kernels split work by gl_SubgroupSize lanes: every lane must exist.
    if (p.subgroupOps && fullSubgroups)
      cpci.stage.flags = VK_PIPELINE_SHADER_STAGE_CREATE_REQUIRE_FULL_SUBGROUPS_BIT;
    cpci.layout = p.layout;
    state.pipelines.push_back(p);
    HEED_VK(vkCreateComputePipelines(device, state.cache, 1, &cpci, nullptr,
                                     &state.pipelines.back().pipeline));
  }
}

namespace {
/// Calls f(capability) for each OpCapability of a SPIR-V module.
template <class F> void forEachCapability(const uint32_t *words, size_t count, F f) {
  // SPIR-V: a 5-word header, then instructions (word count << 16 | opcode).
  constexpr uint32_t kOpCapability = 17;
  for (size_t at = 5; at < count;) {
    uint32_t n = words[at] >> 16, opcode = words[at] & 0xffff;
    if (n == 0 || at + n > count)
      break;
    if (opcode == kOpCapability && n >= 2)
      f(words[at + 1]);
    at += n;
  }
}
} // namespace

uint32_t subgroupOpsOf(const uint32_t *words, size_t count) {
  uint32_t ops = 0;
  forEachCapability(words, count, [&](uint32_t cap) {
    // GroupNonUniform (61) ... GroupNonUniformQuad (68), in the order of
    // VkSubgroupFeatureFlagBits (basic, vote, arithmetic, ballot, shuffle,
    // shuffle relative, clustered, quad).
    if (cap >= 61 && cap <= 68)
      ops |= 1u << (cap - 61);
  });
  return ops;
}

std::vector<std::string> featuresOf(const uint32_t *words, size_t count) {
  static const std::pair<uint32_t, const char *> kFeatures[] = {{9, "shaderFloat16"},
                                                                {10, "shaderFloat64"},
                                                                {11, "shaderInt64"},
                                                                {22, "shaderInt16"},
                                                                {39, "shaderInt8"},
                                                                {4433, "storageBuffer16BitAccess"},
                                                                {4448, "storageBuffer8BitAccess"}};
  std::vector<std::string> names;
  forEachCapability(words, count, [&](uint32_t cap) {
    for (const auto &[c, name] : kFeatures)
      if (c == cap && std::find(names.begin(), names.end(), name) == names.end())
        names.push_back(name);
  });
  return names;
}

std::string VulkanDriver::missingFeatures(const fb::VkKernel &k) const {
  std::string missing;
  if (!k.spirv())
    return missing;
  for (const std::string &f : featuresOf(k.spirv()->data(), k.spirv()->size()))
    if (!features.count(f))
      missing += (missing.empty() ? "" : ", ") + f;
  return missing;
}

} // namespace heed::rt::vk
