import type { Backend } from './backend/types.js';
import { type DType, sizeOf } from './types.js';
import { engine, registerTensor, unregisterTensor } from './engine.js';
import { DisposedError, NumericsError, fmtShape } from './errors.js';

/** Storage shared by a tensor and its reshaped views; freed when the last one is disposed. */
class DataRef {
  refs = 1;
  constructor(
    readonly backend: Backend<any>,
    readonly storage: unknown,
  ) {}
}

/**
 * A handle to an n-dimensional array on one backend. Tensors are immutable: ops return new ones.
 * Ownership is explicit: call `dispose()`, use `tidy(fn)`, or `using t = …` where supported.
 */
export class Tensor {
  readonly id: number;
  readonly size: number;
  /** The op that produced this tensor (set by differentiable ops), for error messages. */
  origin: string | undefined;
  #ref: DataRef | null;

  /** @internal Use the creation functions (`tensor`, `zeros`, `randn`, …) instead. */
  constructor(
    readonly shape: readonly number[],
    readonly dtype: DType,
    backend: Backend<any>,
    storage: unknown,
    share?: Tensor,
  ) {
    this.id = engine.nextId++;
    this.size = sizeOf(shape);
    if (share) {
      const r = share.ref('view');
      r.refs++;
      this.#ref = r;
    } else {
      this.#ref = new DataRef(backend, storage);
    }
    registerTensor(this);
  }

  private ref(op: string): DataRef {
    if (this.#ref === null) {
      throw new DisposedError(
        `${op}: tensor #${this.id} ${fmtShape(this.shape)} was used after dispose() ` +
          `(or after the tidy scope that owned it ended). Keep it with keep(t) or return it from the scope.`,
      );
    }
    return this.#ref;
  }

  get backend(): Backend<any> {
    return this.ref('backend').backend;
  }

  /** The backend's storage handle (a GPUBuffer on WebGPU, a Float64Array on the CPU). */
  storage<S = unknown>(op = 'storage'): S {
    return this.ref(op).storage as S;
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.#ref === null;
  }

  dispose(): void {
    const r = this.#ref;
    if (r === null) return;
    this.#ref = null;
    unregisterTensor(this);
    if (--r.refs === 0) r.backend.free(r.storage);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Copy the values to the host (submits queued GPU work). */
  async data(): Promise<Float32Array | Float64Array | Int32Array> {
    const r = this.ref('data');
    const values = await r.backend.read(r.storage, this.size, this.dtype);
    if (engine.checkNumerics && this.dtype === 'float32') {
      for (let i = 0; i < values.length; i++) {
        if (!Number.isFinite(values[i]!)) {
          throw new NumericsError(
            `${this.origin ?? 'a tensor'}: produced ${values[i]} at flat index ${i} of ${fmtShape(this.shape)} ` +
              `(tensor #${this.id}, ${r.backend.kind}). Check the inputs of that op (log of 0, division by 0, overflow).`,
          );
        }
      }
    }
    return values;
  }

  /** The values as nested arrays. */
  async array(): Promise<unknown> {
    const flat = Array.from(await this.data());
    const build = (dim: number, offset: number): unknown => {
      if (dim === this.shape.length) return flat[offset];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new DisposedError(`item: tensor has ${this.size} elements ${fmtShape(this.shape)}; item() needs exactly one`);
    return (await this.data())[0]!;
  }

  toString(): string {
    return `Tensor(#${this.id}, ${fmtShape(this.shape)}, ${this.dtype}, ${this.#ref ? this.#ref.backend.kind : 'disposed'})`;
  }
}
