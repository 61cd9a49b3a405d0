/**
 * Convolution: forward, input gradient and weight gradient for cnn-small's two layers,
 * (64,1,28,28)->32 and (64,32,14,14)->64, 3x3, stride 1, pad 1 (issue 3's target: >= 35% of the
 * adapter's FMA ceiling). Per kernel: ours (backend calls, no autograd around them), with the
 * subgroup kernels and without (what Deno gets), the float64 CPU reference timed on a batch of 2 and
 * scaled by N, and TF.js WebGPU on the same device: tf.conv2d for the forward and, for the
 * gradients, the two kernels tf.grad runs for conv2d (Conv2DBackpropInput, Conv2DBackpropFilter),
 * called directly so that its forward is not timed with them. Before timing, ours, TF.js's direct
 * kernels and tf.grads must agree on the same data. Short kernels are repeated within a timed run
 * (harness.timeGpuCalls); the ms are per call.
 */
import type { ConvGeom } from '../src/types.js';
import type { Backend } from '../src/backend/types.js';
import { cpu, getBackend } from '../src/engine.js';
import { convVariants } from '../src/kernels/conv.js';
import { Rng } from '../src/random.js';
import { tfjsWebGpu, timeTfjs, type TfPeer } from './peers/tfjs.js';
import { timeCpu, timeGpuCalls, type BenchContext, type Row } from './harness.js';

type Kernel = 'forward' | 'input gradient' | 'weight gradient';
const KERNELS: readonly Kernel[] = ['forward', 'input gradient', 'weight gradient'];

const geom = (N: number, C: number, H: number, W: number, O: number): ConvGeom => ({ N, C, H, W, O, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1, OH: H, OW: W });
const flops = (g: ConvGeom): number => 2 * g.N * g.O * g.OH * g.OW * g.C * g.KH * g.KW;
const describe = (g: ConvGeom): string => `(${g.N},${g.C},${g.H},${g.W})->${g.O} 3x3 pad 1`;

/** Host data in our layouts: x [N, C, H, W], w [O, C, 3, 3], bias [O], gy [N, O, OH, OW]. */
function hostData(g: ConvGeom, seed: number) {
  const rng = new Rng(seed);
  return {
    x: Float32Array.from(rng.fillNormal(g.N * g.C * g.H * g.W)),
    w: Float32Array.from(rng.fillNormal(g.O * g.C * g.KH * g.KW, 0, 0.1)),
    bias: Float32Array.from(rng.fillNormal(g.O)),
    gy: Float32Array.from(rng.fillNormal(g.N * g.O * g.OH * g.OW)),
  };
}

function call<S>(b: Backend<S>, k: Kernel, g: ConvGeom, t: { x: S; w: S; bias: S; gy: S }): S {
  if (k === 'forward') return b.conv2d(t.x, t.w, t.bias, g);
  if (k === 'input gradient') return b.conv2dBackwardInput(t.gy, t.w, g);
  return b.conv2dBackwardWeight(t.x, t.gy, g);
}

export async function benchConv(ctx: BenchContext, batch = 64, cpuBatch = 2): Promise<Row[]> {
  const { rt } = ctx;
  const b = getBackend() as Backend<GPUBuffer>;
  const rows: Row[] = [];
  const tf = await tfjsWebGpu(rt);
  const subgroups = rt.device.features.has('subgroups');
  for (const g of [geom(batch, 1, 28, 28, 32), geom(batch, 32, 14, 14, 64)]) {
    const host = hostData(g, 1);
    const t = { x: b.fromData(host.x, 'float32'), w: b.fromData(host.w, 'float32'), bias: b.fromData(host.bias, 'float32'), gy: b.fromData(host.gy, 'float32') };
    const peer = tf ? tfConv(tf, g, host) : null;
    try {
      if (peer) await peer.check(b, t);
      // The float64 reference on a small batch; its cost is linear in N.
      const small = { ...g, N: cpuBatch };
      const cs = { x: cpu.fromData(host.x.subarray(0, cpuBatch * g.C * g.H * g.W), 'float32'), w: cpu.fromData(host.w, 'float32'), bias: cpu.fromData(host.bias, 'float32'), gy: cpu.fromData(host.gy.subarray(0, cpuBatch * g.O * g.OH * g.OW), 'float32') };
      for (const k of KERNELS) {
        const work = flops(g);
        const cpuMs = ((await timeCpu(() => cpu.free(call(cpu, k, small, cs)), 1)) * g.N) / cpuBatch;
        const tfT = peer ? await timeTfjs(peer.tf, () => peer.run(k), ctx.reps, 'auto') : undefined;
        const variants: [string, boolean][] = subgroups ? [['', true], [' (no subgroups)', false]] : [['', false]];
        for (const [suffix, sg] of variants) {
          convVariants.subgroups = sg;
          try {
            const r = await timeGpuCalls(rt, () => {
              const out = call(b, k, g, t);
              return [{ dispose: () => b.free(out) }];
            }, ctx.reps, { calls: 'auto' });
            const rate = work / r.ms / 1e6;
            rows.push({
              adapter: ctx.adapter, op: `conv2d ${k}${suffix}`, shape: describe(g), ms: r.ms, compileMs: r.compileMs, rate, unit: 'GFLOP/s',
              vsCpu: cpuMs / r.ms, cpuNote: `scaled from batch ${cpuBatch}`,
              vsTfjs: tfT ? tfT.ms / r.ms : undefined, tfjsMs: tfT?.ms,
              note: `${r.calls} calls per run${tfT ? `; TF.js ${(work / tfT.ms / 1e6).toFixed(2)} GFLOP/s (${tfT.calls} per run)` : ''}`,
            });
          } finally {
            convVariants.subgroups = true;
          }
        }
      }
      for (const s of Object.values(cs)) cpu.free(s);
    } finally {
      for (const s of Object.values(t)) b.free(s);
      peer?.dispose();
    }
  }
  return rows;
}

/**
 * TF.js's side for one shape, in NHWC: x [N, H, W, C], filter [3, 3, C, O], dy [N, OH, OW, O],
 * holding the same numbers as ours.
 */
function tfConv(peer: TfPeer, g: ConvGeom, host: ReturnType<typeof hostData>) {
  const { tf } = peer;
  type T4 = import('@tensorflow/tfjs').Tensor4D;
  const x = tf.tidy(() => tf.transpose(tf.tensor4d(host.x, [g.N, g.C, g.H, g.W]), [0, 2, 3, 1])) as T4;
  const filter = tf.tidy(() => tf.transpose(tf.tensor4d(host.w, [g.O, g.C, g.KH, g.KW]), [2, 3, 1, 0])) as T4;
  const bias = tf.tensor1d(host.bias);
  const dy = tf.tidy(() => tf.transpose(tf.tensor4d(host.gy, [g.N, g.O, g.OH, g.OW]), [0, 2, 3, 1])) as T4;
  const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] };
  const run = (k: Kernel): import('@tensorflow/tfjs').Tensor => {
    if (k === 'forward') return tf.conv2d(x, filter, 1, 'same');
    if (k === 'input gradient') return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: x.shape }) as T4;
    return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: filter.shape }) as T4;
  };
  /** Ours (NCHW, OIHW) against TF.js's direct kernels and tf.grads, on the full shape. */
  const check = async (b: Backend<GPUBuffer>, t: { x: GPUBuffer; w: GPUBuffer; bias: GPUBuffer; gy: GPUBuffer }): Promise<void> => {
    const [gx, gw] = tf.grads((a: import('@tensorflow/tfjs').Tensor, f: import('@tensorflow/tfjs').Tensor) => tf.conv2d(a as T4, f as T4, 1, 'same'))([x, filter], dy);
    const theirs: Record<Kernel, import('@tensorflow/tfjs').Tensor> = {
      forward: tf.tidy(() => tf.transpose(tf.add(run('forward'), bias), [0, 3, 1, 2])),
      'input gradient': tf.tidy(() => tf.transpose(run('input gradient'), [0, 3, 1, 2])),
      'weight gradient': tf.tidy(() => tf.transpose(run('weight gradient'), [3, 2, 0, 1])),
    };
    const viaGrad = { 'input gradient': tf.tidy(() => tf.transpose(gx!, [0, 3, 1, 2])), 'weight gradient': tf.tidy(() => tf.transpose(gw!, [3, 2, 0, 1])) };
    gx!.dispose();
    gw!.dispose();
    try {
      for (const k of KERNELS) {
        const s = call(b, k, g, t);
        const size = theirs[k].size;
        const ours = await b.read(s, size, 'float32');
        b.free(s);
        const others: [string, import('@tensorflow/tfjs').Tensor][] = [['TF.js', theirs[k]]];
        if (k !== 'forward') others.push(['tf.grads', viaGrad[k]]);
        for (const [who, tt] of others) {
          const d = await tt.data();
          let err = 0;
          let scale = 0;
          for (let i = 0; i < size; i++) {
            err = Math.max(err, Math.abs(ours[i]! - d[i]!));
            scale = Math.max(scale, Math.abs(d[i]!));
          }
          if (!(err <= 1e-4 * Math.max(1, scale))) throw new Error(`conv: ${k} ${describe(g)} differs from ${who}: max |diff| ${err} (max |value| ${scale})`);
        }
      }
    } finally {
      for (const tt of [...Object.values(theirs), ...Object.values(viaGrad)]) tt.dispose();
    }
  };
  return {
    tf: peer,
    run,
    check,
    dispose() {
      for (const tt of [x, filter, bias, dy]) tt.dispose();
    },
  };
}
