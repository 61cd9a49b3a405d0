import { describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import { convVariants } from '../src/kernels/conv.js';
import { checkOp } from './helpers/oracle.js';

type Case = { name: string; x: number[]; w: number[]; bias?: boolean; opts?: rl.Conv2dOptions };

// Awkward shapes: odd and non-square sizes, batch 1, C = 1, O = 3 (not a multiple of the 8-channel
// tile), O = 9 (one full tile and one partial), stride 2, padding 0/1/2, dilation 2, 1x1 and 5x5.
const cases: Case[] = [
  { name: '3x3 pad 1', x: [2, 3, 7, 7], w: [5, 3, 3, 3], bias: true, opts: { padding: 1 } },
  { name: 'rows a multiple of 4 wide, O = 9 (vec4 stores, a half segment past the end)', x: [2, 3, 5, 12], w: [9, 3, 3, 3], bias: true, opts: { padding: 1 } },
  { name: 'batch 1, C = 1, O = 3, no pad', x: [1, 1, 9, 6], w: [3, 1, 3, 3], bias: true },
  { name: 'C = 2, O = 2 (2-channel row tiles)', x: [2, 2, 6, 5], w: [2, 2, 3, 3], bias: true, opts: { padding: 1 } },
  { name: 'O = 1, 4 rows, pad [2, 0]', x: [3, 5, 4, 9], w: [1, 5, 4, 3], opts: { padding: [2, 0] } },
  { name: 'C = 16, O = 5: lanes of a subgroup share gradients in the weight kernel', x: [2, 16, 6, 11], w: [5, 16, 3, 3], bias: true, opts: { padding: 1 } },
  { name: 'stride 2, pad 1, odd size', x: [2, 2, 9, 7], w: [9, 2, 3, 3], bias: true, opts: { stride: 2, padding: 1 } },
  { name: 'dilation 2, pad 2', x: [1, 3, 8, 9], w: [4, 3, 3, 3], opts: { padding: 2, dilation: 2 } },
  { name: '1x1', x: [3, 5, 4, 3], w: [7, 5, 1, 1], bias: true },
  { name: '5x5 stride 2 pad 2', x: [2, 2, 11, 10], w: [3, 2, 5, 5], bias: true, opts: { stride: 2, padding: 2 } },
  { name: 'non-square kernel, per-axis options', x: [2, 3, 10, 8], w: [4, 3, 2, 3], opts: { stride: [2, 1], padding: [0, 1], dilation: [1, 2] } },
  { name: 'stride 3 larger than kernel', x: [1, 2, 10, 11], w: [2, 2, 2, 2], bias: true, opts: { stride: 3 } },
];

describe('conv2d against the float64 oracle', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const inputs = [{ shape: c.x }, { shape: c.w }, ...(c.bias ? [{ shape: [c.w[0]!] }] : [])];
      await checkOp(
        `conv2d ${c.name}`,
        (x, w, b) => rl.conv2d(x!, w!, b ?? null, c.opts),
        inputs,
        { tol: { rtol: 1e-4, atol: 1e-4 }, gradTol: { rtol: 1e-3, atol: 2e-4 } },
      );
    });
  }

  it('a shape that spans several workgroups and a split weight-gradient reduction', async () => {
    // N·OH·OW = 2·17·19 = 646 pixels: more than one 64-lane workgroup of 4-pixel invocations.
    await checkOp('conv2d wide', (x, w, b) => rl.conv2d(x!, w!, b!, { padding: 1 }), [{ shape: [2, 4, 17, 19] }, { shape: [11, 4, 3, 3] }, { shape: [11] }], {
      tol: { rtol: 1e-4, atol: 1e-4 },
      gradTol: { rtol: 1e-3, atol: 5e-4 },
    });
  });

  it('gradients with respect to only some inputs (the others’ kernels are skipped)', async () => {
    const tol = { tol: { rtol: 1e-4, atol: 1e-4 }, gradTol: { rtol: 1e-3, atol: 2e-4 } };
    const f = (x: rl.Tensor, w: rl.Tensor, b: rl.Tensor) => rl.conv2d(x, w, b, { padding: 1 });
    // Training: the data needs no gradient. An attack: the weights need none.
    await checkOp('conv2d wrt w, b', (x, w, b) => f(x!, w!, b!), [{ shape: [2, 3, 6, 5], grad: false }, { shape: [4, 3, 3, 3] }, { shape: [4] }], tol);
    await checkOp('conv2d wrt x', (x, w, b) => f(x!, w!, b!), [{ shape: [2, 3, 6, 5] }, { shape: [4, 3, 3, 3], grad: false }, { shape: [4], grad: false }], tol);
  });

  it('matches hand-computed values', async () => {
    // A 1x1x3x3 input of 1..9 and an all-ones 2x2 kernel: each output sums a 2x2 block, plus bias 0.5.
    const x = rl.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
    const w = rl.ones([1, 1, 2, 2]);
    const b = rl.tensor([0.5]);
    const y = rl.conv2d(x, w, b);
    expect(Array.from(await y.data())).toEqual([12.5, 16.5, 24.5, 28.5]);
    for (const t of [x, w, b, y]) t.dispose();
  });
});

describe('conv2d row kernel without subgroups (the path of adapters that lack them)', () => {
  // On adapters with subgroups the cases above take the subgroup row kernel; run the plain one too.
  for (const c of cases.slice(0, 3)) {
    it(c.name, async () => {
      convVariants.subgroups = false;
      try {
        const inputs = [{ shape: c.x }, { shape: c.w }, ...(c.bias ? [{ shape: [c.w[0]!] }] : [])];
        await checkOp(`conv2d plain ${c.name}`, (x, w, b) => rl.conv2d(x!, w!, b ?? null, c.opts), inputs, {
          tol: { rtol: 1e-4, atol: 1e-4 },
          gradTol: { rtol: 1e-3, atol: 2e-4 },
          finiteDiff: false,
        });
      } finally {
        convVariants.subgroups = true;
      }
    });
  }
});

describe('conv2d input gradient into one channel (the strip kernels, conv_strips.wgsl)', () => {
  // x of 1 channel: dx has one channel and takes the strip kernel. Odd widths (a block past the
  // row's end, 1-column rows), padding 0/1/2 (gy's padding 2/1/0), gy channels 1, 3, 33 (not a
  // multiple of 8), batch 1; rows per invocation 3 or 4 so that H is not a multiple of them,
  // strips of 4 to 8 pixels and the launcher's choice, with and without subgroups.
  const shapes: [string, number[], number[], number][] = [
    ['N = 1, O = 3, 9x13, pad 1', [1, 1, 9, 13], [3, 1, 3, 3], 1],
    ['N = 2, O = 33, 7x5, pad 1', [2, 1, 7, 5], [33, 1, 3, 3], 1],
    ['N = 3, O = 1, 8x11, pad 0', [3, 1, 8, 11], [1, 1, 3, 3], 0],
    ['N = 2, O = 3, 4x3, pad 2', [2, 1, 4, 3], [3, 1, 3, 3], 2],
    ['N = 5, O = 2, 10x17, pad 1: several rows of lanes per workgroup', [5, 1, 10, 17], [2, 1, 3, 3], 1],
  ];
  for (const [px, rows, sg] of [[7, 3, true], [8, 4, true], [4, 3, true], [5, 3, false], [6, 0, false], [0, 0, true]] as const) {
    for (const [name, xs, ws, padding] of shapes) {
      it(`${px || 'auto'} px x ${rows || 'auto'} rows${sg ? '' : ', no subgroups'}: ${name}`, async () => {
        const saved = { ...convVariants };
        Object.assign(convVariants, { stripPx: px, stripRows: rows, subgroups: sg });
        try {
          await checkOp(`conv2d dx strips ${name}`, (x, w) => rl.conv2d(x!, w!, null, { padding }), [{ shape: xs }, { shape: ws, grad: false }], {
            tol: { rtol: 1e-4, atol: 1e-4 },
            gradTol: { rtol: 1e-3, atol: 2e-4 },
            finiteDiff: false,
          });
        } finally {
          Object.assign(convVariants, saved);
        }
      });
    }
  }
});

describe('conv2d weight gradient, column kernel with 8 output channels per invocation (DWO = 8)', () => {
  // Cin >= 2; Cout 3, 9, 13 (not multiples of 8: a clamped, unstored second block), batch 1, odd
  // widths (a segment past the row's end), padding 0/1/2, chunks of several runs with a tail
  // (dwLanes 8: few invocations), with and without subgroups.
  const shapes: [string, number[], number[], number][] = [
    ['N = 1, C = 2, O = 3, 9x13, pad 1', [1, 2, 9, 13], [3, 2, 3, 3], 1],
    ['N = 3, C = 5, O = 9, 7x5, pad 0', [3, 5, 7, 5], [9, 5, 3, 3], 0],
    ['N = 2, C = 3, O = 13, 4x11, pad 2', [2, 3, 4, 11], [13, 3, 3, 3], 2],
  ];
  for (const [lanes, sg] of [[0, true], [8, true], [8, false]] as const) {
    for (const [name, xs, ws, padding] of shapes) {
      it(`${lanes || 'auto'} lanes${sg ? '' : ', no subgroups'}: ${name}`, async () => {
        const saved = { ...convVariants };
        Object.assign(convVariants, { dwChannels: 8, dwLanes: lanes, subgroups: sg });
        try {
          await checkOp(`conv2d dw 8 ch ${name}`, (x, w) => rl.conv2d(x!, w!, null, { padding }), [{ shape: xs, grad: false }, { shape: ws }], {
            tol: { rtol: 1e-4, atol: 1e-4 },
            gradTol: { rtol: 1e-3, atol: 2e-4 },
            finiteDiff: false,
          });
        } finally {
          Object.assign(convVariants, saved);
        }
      });
    }
  }
});

describe('conv2d forward with one input channel (the strip kernel, conv_strips_c1.wgsl)', () => {
  // The cases above with x of 1 channel cover the forward strips without a bias; here: a bias,
  // padding 3 (padded rows and columns past the strip's gathers), 1-column rows, and the row kernels
  // it replaced (stripsFwd = false).
  const shapes: [string, number[], number[], number][] = [
    ['N = 1, O = 5, 6x1, pad 3', [1, 1, 6, 1], [5, 1, 3, 3], 3],
    ['N = 3, O = 9, 11x13, pad 1', [3, 1, 11, 13], [9, 1, 3, 3], 1],
    ['N = 2, O = 4, 5x8, pad 0', [2, 1, 5, 8], [4, 1, 3, 3], 0],
    ['N = 2, O = 3, 6x8, pad 1: vec4 stores', [2, 1, 6, 8], [3, 1, 3, 3], 1],
    ['N = 1, O = 2, 5x14, pad 0: rows of 12, vec4 stores (8 px: half a strip past the end)', [1, 1, 5, 14], [2, 1, 3, 3], 0],
  ];
  for (const [px, rows, on] of [[0, 0, true], [5, 4, true], [8, 3, true], [0, 0, false]] as const) {
    for (const [name, xs, ws, padding] of shapes) {
      it(`${on ? `${px || 'auto'} px x ${rows || 'auto'} rows` : 'row kernels'}: ${name}`, async () => {
        const saved = { ...convVariants };
        Object.assign(convVariants, { stripPx: px, stripRows: rows, stripsFwd: on });
        try {
          await checkOp(`conv2d fwd strips ${name}`, (x, w, b) => rl.conv2d(x!, w!, b!, { padding }), [{ shape: xs }, { shape: ws }, { shape: [ws[0]!] }], {
            tol: { rtol: 1e-4, atol: 1e-4 },
            gradTol: { rtol: 1e-3, atol: 2e-4 },
            finiteDiff: false,
          });
        } finally {
          Object.assign(convVariants, saved);
        }
      });
    }
  }
});

describe('conv2d rejects bad shapes before any GPU work', () => {
  const bad: [string, number[], number[], rl.Conv2dOptions | undefined, RegExp][] = [
    ['channel mismatch', [1, 3, 5, 5], [2, 4, 3, 3], undefined, /3 channels.*expects 4/],
    ['output size <= 0', [1, 1, 2, 2], [1, 1, 3, 3], undefined, /output would be 0 x 0/],
    ['rank 3 input', [3, 5, 5], [2, 3, 3, 3], undefined, /NCHW/],
    ['stride 0', [1, 1, 5, 5], [1, 1, 3, 3], { stride: 0 }, /stride must be an integer >= 1/],
    ['negative padding', [1, 1, 5, 5], [1, 1, 3, 3], { padding: -1 }, /padding must be an integer >= 0/],
  ];
  for (const [name, xs, ws, opts, msg] of bad) {
    it(name, () => {
      const x = rl.zeros(xs);
      const w = rl.zeros(ws);
      expect(() => rl.conv2d(x, w, null, opts)).toThrow(msg);
      x.dispose();
      w.dispose();
    });
  }
  it('bias of the wrong length', () => {
    const x = rl.zeros([1, 2, 5, 5]);
    const w = rl.zeros([3, 2, 3, 3]);
    const b = rl.zeros([2]);
    expect(() => rl.conv2d(x, w, b)).toThrow(rl.ShapeError);
    for (const t of [x, w, b]) t.dispose();
  });
});
