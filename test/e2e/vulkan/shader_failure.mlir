// A Vulkan shader that does not compile (a generator bug; HEED_VULKAN_BREAK_KERNEL breaks one
// on purpose): --target=vulkan is a located compile error; --target=all warns at the op, records
// it as unimplemented on vulkan and still writes the module, which the CPU runs and
// --device=vulkan refuses naming the op (docs/cli.md). Both name the model's node: file:line:col
// here, "model.onnx: node 'NAME' (Op)" for ONNX. --target=all once aborted the whole compile,
// and ONNX ops were reported at "model.onnx:0:0".
// REQUIRES: vulkan
// RUN: env HEED_VULKAN_BREAK_KERNEL=exp_f32_r1 not heed-compile %s --target=vulkan -o %t.v 2>&1 \
// RUN:   | FileCheck %s --check-prefix=STRICT
// STRICT: shader_failure.mlir:{{[0-9]+}}:8: error: internal error: vulkan shader 'exp_f32_r1' does not compile: {{.*}}broken on purpose
// RUN: env HEED_VULKAN_BREAK_KERNEL=exp_f32_r1 heed-compile %s --target=all -o %t.heedm 2>&1 \
// RUN:   | FileCheck %s --check-prefix=ALL
// ALL: shader_failure.mlir:{{[0-9]+}}:8: warning: internal error: vulkan shader 'exp_f32_r1' does not compile: {{.*}} (recorded as unimplemented on vulkan)
// RUN: heed-run %t.heedm --input="2xf32=[0 0]" --expected-output="2xf32=[1 1]"
// RUN: not heed-run %t.heedm --device=vulkan --input="2xf32=[0 0]" 2>&1 | FileCheck %s --check-prefix=LOAD
// LOAD: heed-run: {{.*}}shader_failure.mlir:{{[0-9]+}}:8: 'heed.exp' has no vulkan shader: internal error: vulkan shader 'exp_f32_r1' does not compile: {{.*}} (unimplemented on vulkan)
// ONNX: the same at the node.
// RUN: %python -c "import onnx; from onnx import helper as h, TensorProto as T; \
// RUN:   v = lambda n: h.make_tensor_value_info(n, T.FLOAT, [2]); \
// RUN:   onnx.save(h.make_model(h.make_graph([h.make_node('Exp', ['x'], ['y'], name='exp_node')], \
// RUN:   'g', [v('x')], [v('y')]), opset_imports=[h.make_opsetid('', 17)]), '%t.onnx')"
// RUN: env HEED_VULKAN_BREAK_KERNEL=exp_f32_r1 not heed-compile %t.onnx --target=vulkan -o %t.v 2>&1 \
// RUN:   | FileCheck %s --check-prefix=ONNX-STRICT
// ONNX-STRICT: .onnx: node 'exp_node' (Exp): error: internal error: vulkan shader 'exp_f32_r1' does not compile
// RUN: env HEED_VULKAN_BREAK_KERNEL=exp_f32_r1 heed-compile %t.onnx --target=all -o %t.onnx.heedm 2>&1 \
// RUN:   | FileCheck %s --check-prefix=ONNX-ALL
// ONNX-ALL: .onnx: node 'exp_node' (Exp): warning: internal error: vulkan shader 'exp_f32_r1' does not compile
// RUN: heed-run %t.onnx.heedm --input="2xf32=[0 0]" --expected-output="2xf32=[1 1]"
// RUN: not heed-run %t.onnx.heedm --device=vulkan --input="2xf32=[0 0]" 2>&1 | FileCheck %s --check-prefix=ONNX-LOAD
// ONNX-LOAD: heed-run: {{.*}}.onnx:0:0 (node 'exp_node' (Exp)): 'heed.exp' has no vulkan shader: internal error: vulkan shader 'exp_f32_r1'

func.func @main(%x: tensor<2xf32>) -> tensor<2xf32> {
  %y = heed.exp %x : (tensor<2xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}
