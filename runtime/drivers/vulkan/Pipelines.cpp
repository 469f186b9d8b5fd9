//===- Pipelines.cpp - Shader modules and compute pipelines -----------------===//

#include "runtime/drivers/vulkan/VulkanDriver.h"
#include "runtime/module/Format.h"

#include <algorithm>
#include <functional>

namespace heed::rt::vk {

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

} // namespace heed::rt::vk
