import { tidy } from '../engine.js';
import { add } from '../ops/elementwise.js';
import type { Tensor } from '../tensor.js';

/**
 * Running sums of one-element tensors, kept on the device between readbacks: adding queues one
 * small kernel and reads nothing back. Each sum adds its terms in the order they come.
 */
export class DeviceSums<K extends string> {
  private readonly sums = new Map<K, Tensor>();

  /** Add `t` into sum `k`, taking ownership of `t` (it becomes the sum, or is freed once added). */
  add(k: K, t: Tensor): void {
    const prev = this.sums.get(k);
    if (prev === undefined) {
      this.sums.set(k, t);
      return;
    }
    const next = tidy(() => add(prev, t));
    prev.dispose();
    t.dispose();
    this.sums.set(k, next);
  }

  has(k: K): boolean {
    return this.sums.has(k);
  }

  /** Every sum in one readback (a missing sum reads as NaN). */
  async read(keys: readonly K[]): Promise<Record<K, number>> {
    const values = await Promise.all(keys.map((k) => this.sums.get(k)?.item() ?? NaN));
    return Object.fromEntries(keys.map((k, i) => [k, values[i]!])) as Record<K, number>;
  }

  dispose(): void {
    for (const t of this.sums.values()) t.dispose();
    this.sums.clear();
  }
}
