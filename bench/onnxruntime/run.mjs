// Times one ONNX model in onnxruntime (the CPU execution provider of onnxruntime-node) the way a
// user would run it: all graph optimisations, intra-op threads = Heed's threads.
//
//   node run.mjs MODEL.onnx OUT_DIR THREADS MIN_SECONDS IN_0.npy [IN_1.npy ...]
//
// Inputs are .npy files in the graph's input order (f32, f64, i32, i64, bool). Writes each output
// as OUT_DIR/ort_out_<i>.npy (for the agreement check) and prints one JSON line:
// {"median_ms": ..., "runs": N}. Benchmark-only: the build and the tests never need it.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ort = require(process.env.HEED_ORT_MODULE || 'onnxruntime-node');

const DTYPES = {
  '<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array],
  '<i4': ['int32', Int32Array], '<i8': ['int64', BigInt64Array], '|b1': ['bool', Uint8Array],
};

function readNpy(path) {
  const b = readFileSync(path);
  const headerLength = b.readUInt16LE(8);
  const header = b.toString('latin1', 10, 10 + headerLength);
  const descr = /'descr': '([^']+)'/.exec(header)[1];
  const shape = /'shape': \(([^)]*)\)/.exec(header)[1].split(',').filter((s) => s.trim())
    .map((s) => parseInt(s, 10));
  if (!DTYPES[descr] || /'fortran_order': True/.test(header))
    throw new Error(`${path}: unsupported .npy (${descr})`);
  const [type, Array] = DTYPES[descr];
  const data = b.subarray(10 + headerLength);
  const copy = new Uint8Array(data.length);
  copy.set(data);
  const values = type === 'bool' ? copy : new Array(copy.buffer);
  return new ort.Tensor(type, values, shape);
}

function writeNpy(path, tensor) {
  const descr = { float32: '<f4', float64: '<f8', int32: '<i4', int64: '<i8', bool: '|b1' }[tensor.type];
  const dims = tensor.dims.length === 1 ? `${tensor.dims[0]},` : tensor.dims.join(', ');
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix.writeUInt16LE(header.length, 8);
  const data = tensor.type === 'bool' ? Buffer.from(tensor.data.map((v) => (v ? 1 : 0)))
    : Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  writeFileSync(path, Buffer.concat([prefix, Buffer.from(header, 'latin1'), data]));
}

const [model, outDir, threads, minSeconds, ...inputs] = process.argv.slice(2);
const session = await ort.InferenceSession.create(model, {
  intraOpNumThreads: parseInt(threads, 10), interOpNumThreads: 1,
  graphOptimizationLevel: 'all', executionProviders: ['cpu'],
});
const feeds = {};
session.inputNames.forEach((name, i) => { feeds[name] = readNpy(inputs[i]); });
let results;
for (let i = 0; i < 3; ++i) results = await session.run(feeds); // warm-up
const times = [];
const start = process.hrtime.bigint();
while (times.length < 5 || (Number(process.hrtime.bigint() - start) / 1e9 < parseFloat(minSeconds)
                            && times.length < 1000)) {
  const t0 = process.hrtime.bigint();
  results = await session.run(feeds);
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
session.outputNames.forEach((name, i) => writeNpy(`${outDir}/ort_out_${i}.npy`, results[name]));
times.sort((a, b) => a - b);
console.log(JSON.stringify({ median_ms: times[Math.floor(times.length / 2)], runs: times.length }));
