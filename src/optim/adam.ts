import type { Tensor } from '../tensor.js';
import type { Optimizer } from './optimizer.js';
import { checkHyper, checkStep, paramNames, paramTensors, zeroState, type ParamList } from './params.js';

export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

/**
 * torch.optim.Adam (L2 weight decay added to the gradient), one fused kernel per parameter.
 * The step counter `steps` is shared by all parameters (PyTorch keeps one per parameter; they
 * agree when every parameter is updated every step, as here). A checkpoint must store `steps`.
 */
export class Adam implements Optimizer {
  lr: number;
  /** Steps taken (t in the bias corrections). To resume, write the saved moments into state() and restore `steps`. */
  steps = 0;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  protected readonly decoupled: boolean = false;
  private readonly names: Map<number, string>;
  private readonly moments = new Map<number, { m: Tensor; v: Tensor }>();

  constructor(params: ParamList, opts: AdamOptions = {}) {
    this.lr = opts.lr ?? 1e-3;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? this.defaultWeightDecay();
    const op = this.constructor.name;
    checkHyper(op, 'lr', this.lr, 0);
    checkHyper(op, 'beta1', this.beta1, 0, 1);
    checkHyper(op, 'beta2', this.beta2, 0, 1);
    if (this.beta1 === 1 || this.beta2 === 1) checkHyper(op, 'beta', 1, 0, 1 - 1e-12);
    checkHyper(op, 'eps', this.eps, 0, Infinity, true);
    checkHyper(op, 'weightDecay', this.weightDecay, 0);
    this.names = paramNames(params);
    for (const p of paramTensors(params)) this.moments.set(p.id, { m: zeroState(p), v: zeroState(p) });
  }

  protected defaultWeightDecay(): number {
    return 0;
  }

  step(params: readonly Tensor[], grads: readonly Tensor[]): void {
    checkStep(this.constructor.name, params, grads);
    const t = this.steps + 1;
    params.forEach((p, i) => {
      let s = this.moments.get(p.id);
      if (!s) this.moments.set(p.id, (s = { m: zeroState(p), v: zeroState(p) }));
      const op = `${this.constructor.name}.step`;
      p.backend.adamStep(p.storage(op), grads[i]!.storage(op), s.m.storage(op), s.v.storage(op), p.size, {
        lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps,
        weightDecay: this.weightDecay, decoupled: this.decoupled, t,
      });
    });
    this.steps = t;
  }

  /** `exp_avg.<name>` and `exp_avg_sq.<name>` (PyTorch's state keys), for checkpoints. */
  state(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [id, s] of this.moments) {
      const n = this.names.get(id) ?? String(id);
      out.push([`exp_avg.${n}`, s.m], [`exp_avg_sq.${n}`, s.v]);
    }
    return out;
  }

  dispose(): void {
    for (const s of this.moments.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.moments.clear();
  }
}

/** torch.optim.AdamW: decoupled weight decay p ← p·(1 − lr·wd) (default wd 0.01, as PyTorch). */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  protected override defaultWeightDecay(): number {
    return 0.01;
  }
}
