import type { MatView } from '../types.js';
import { LimitError } from '../errors.js';
import type { GpuRuntime } from '../gpu/runtime.js';
import { bindRuntime } from './slice.js';
import { tunedVariant } from './tuning.js';

/**
 * The matmul kernels. `tile4` (shaders/matmul.wgsl) runs everywhere and reads any strides;
 * `tile4_vec4` is the same tile with 16-byte loads for row-major, 4-aligned operands. `subgroup`
 * and `subgroup_vec4` (shaders/matmul-subgroup.wgsl) need the 'subgroups' feature with subgroups of
 * >= 8 lanes; RA (8·RA rows per workgroup) and NV (4·NV columns per invocation) are their tile sizes.
 */
export type MatmulVariant =
  | { kind: 'tile4' }
  /** tile4 with vec4 loads (no subgroups needed): same conditions as subgroup_vec4. */
  | { kind: 'tile4_vec4' }
  | { kind: 'subgroup'; ra: 1 | 2; nv: 1 | 2 }
  /** The subgroup tile with vec4 loads: row-major operands, K, N, offsets and strides % 4 == 0. */
  | { kind: 'subgroup_vec4'; ra: 1 | 2; nv: 1 | 2 };

/** Tests and benchmarks may pin a variant; null lets `pickMatmul` choose per shape. */
export const matmulOverride: { variant: MatmulVariant | null } = { variant: null };

/** Subgroup lanes the subgroup kernel shuffles from: lanes 0..7 must exist in every subgroup. */
const SUBGROUP_LANES = 8;

export function canUseSubgroupMatmul(rt: GpuRuntime): boolean {
  return rt.subgroupMinSize >= SUBGROUP_LANES;
}

/** Whether the vec4-load kernel can read these views: row-major, everything a multiple of 4. */
export function vec4Views(av: MatView, bv: MatView, k: number, n: number): boolean {
  const m4 = (x: number): boolean => x % 4 === 0;
  return av.sj === 1 && bv.sj === 1 && m4(k) && m4(n) &&
    m4(av.offset) && m4(av.sb) && m4(av.si) && m4(bv.offset) && m4(bv.sb) && m4(bv.si);
}

/**
 * The variant for an m×k·k×n product on this device. Measured on Dawn + lavapipe at 1024 (share of
 * an FMA probe run back to back): tile4 15-20%, subgroup ra2 nv1 43-47%, ra2 nv2 48-50%,
 * subgroup_vec4 ra2 nv1/nv2 56-59%.
 */
export function pickMatmul(rt: GpuRuntime, m: number, k: number, n: number, av?: MatView, bv?: MatView): MatmulVariant {
  const aligned = av !== undefined && bv !== undefined && vec4Views(av, bv, k, n);
  const forced = matmulOverride.variant;
  if (forced?.kind === 'subgroup_vec4' && !aligned) return { kind: 'subgroup', ra: forced.ra, nv: forced.nv };
  if (forced?.kind === 'tile4_vec4' && !aligned) return { kind: 'tile4' };
  if (forced) return forced;
  const tuned = tunedMatmul(rt, m, k, n, aligned);
  if (tuned) return tuned;
  // A handful of rows or columns leaves most of a subgroup tile idle; the 4×4 tile wastes less.
  if (!canUseSubgroupMatmul(rt) || m < 4 || n < 8) return aligned ? { kind: 'tile4_vec4' } : { kind: 'tile4' };
  const ra = m >= 16 ? 2 : 1;
  const nv = n >= 512 ? 2 : 1;
  return aligned ? { kind: 'subgroup_vec4', ra, nv } : { kind: 'subgroup', ra, nv };
}

/** A tile name of the tuning table (tuning.ts) as the variant these operands can use. */
export function matmulVariantNamed(name: string, aligned: boolean): MatmulVariant {
  const sg = /^subgroup-ra([12])-nv([12])$/.exec(name);
  if (!sg) return aligned ? { kind: 'tile4_vec4' } : { kind: 'tile4' };
  const ra = Number(sg[1]) as 1 | 2;
  const nv = Number(sg[2]) as 1 | 2;
  return { kind: aligned ? 'subgroup_vec4' : 'subgroup', ra, nv };
}

/** The measured choice for this adapter and shape bucket, when it is one this device can run. */
function tunedMatmul(rt: GpuRuntime, m: number, k: number, n: number, aligned: boolean): MatmulVariant | null {
  const name = tunedVariant(rt.adapter, 'matmul', [m, k, n]);
  if (name === undefined) return null;
  if (name.startsWith('subgroup') && !canUseSubgroupMatmul(rt)) return null;
  return matmulVariantNamed(name, aligned);
}

/** Workgroup width for the subgroup kernel: enough invocations to cover n, between 8 and 64. */
function subgroupWidth(n: number, nv: number): number {
  let wg = 8;
  while (wg < 64 && wg * 4 * nv < n) wg *= 2;
  return wg;
}

export function matmul(rt: GpuRuntime, a: GPUBuffer, av: MatView, b: GPUBuffer, bv: MatView, batch: number, m: number, k: number, n: number): GPUBuffer {
  if (batch > 65535) throw new LimitError(`matmul: batch ${batch} exceeds 65535; reshape into fewer, larger matrices`);
  const variant = pickMatmul(rt, m, k, n, av, bv);
  if ((variant.kind === 'subgroup' || variant.kind === 'subgroup_vec4') && !canUseSubgroupMatmul(rt)) {
    throw new LimitError(`matmul: the subgroup kernel needs the 'subgroups' feature with at least ${SUBGROUP_LANES} lanes; this device has min subgroup size ${rt.subgroupMinSize}`);
  }
  const C = rt.createStorage(batch * m * n * 4, 'matmul');
  const uniforms = {
    M: m, N: n, K: k, batch,
    a_off: av.offset, sa_b: av.sb, sa_m: av.si, sa_k: av.sj,
    b_off: bv.offset, sb_b: bv.sb, sb_k: bv.si, sb_n: bv.sj,
  };
  // The vec4 kernels read the same buffers as arrays of vec4f (A4, B4).
  const vec4 = variant.kind === 'subgroup_vec4' || variant.kind === 'tile4_vec4';
  const buffers = vec4 ? { A4: a, B4: b, C } : { A: a, B: b, C };
  if (variant.kind === 'subgroup' || variant.kind === 'subgroup_vec4') {
    const WG = subgroupWidth(n, variant.nv);
    rt.dispatch({
      shader: 'matmul-subgroup', entry: vec4 ? 'matmul_subgroup_vec4' : 'matmul_subgroup', overrides: { WG, RA: variant.ra, NV: variant.nv },
      uniforms, buffers,
      workgroups: [Math.ceil(n / (WG * 4 * variant.nv)), Math.ceil(m / (SUBGROUP_LANES * variant.ra)), batch],
    });
  } else {
    const TILE = 4; // each invocation computes a TILE×TILE block of C
    const WG_X = 8;
    const WG_Y = 8;
    rt.dispatch({
      shader: 'matmul', entry: vec4 ? 'matmul_vec4' : 'matmul', overrides: { WG_X, WG_Y }, uniforms, buffers,
      workgroups: [Math.ceil(n / (TILE * WG_X)), Math.ceil(m / (TILE * WG_Y)), batch],
    });
  }
  return C;
}

export const matmulKernels = (rt: GpuRuntime) => bindRuntime(rt, { matmul });
