import { product } from './bytes.js';
import { PyDict, PyOpaque, PyTuple, describe, type PickleHooks, type PyValue } from './pickle.js';
import type { StDtype } from './safetensors.js';

/**
 * The policy of torch.load(weights_only=True) (torch/_weights_only_unpickler.py), narrowed to state
 * dicts: the only globals are the storage types, the tensor-rebuild functions of torch/_utils.py and
 * collections.OrderedDict; REDUCE may call only the rebuild functions and OrderedDict; BUILD may only
 * set attributes of an OrderedDict (state_dict()'s `_metadata`); a persistent id may only name a
 * storage. Everything else is refused with a FormatError before anything is built from it.
 */
const STORAGE_DTYPES: Record<string, StDtype> = {
  FloatStorage: 'F32', DoubleStorage: 'F64', HalfStorage: 'F16', BFloat16Storage: 'BF16', LongStorage: 'I64',
  IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
};

export const ITEM_SIZE: Record<StDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

type Fn = 'OrderedDict' | '_rebuild_tensor_v2' | '_rebuild_tensor' | '_rebuild_parameter';

class TorchGlobal extends PyOpaque {
  constructor(readonly fn: Fn) {
    super(`the global ${fn}`);
  }
}

class StorageType extends PyOpaque {
  constructor(readonly dtype: StDtype, name: string) {
    super(`the storage type torch.${name}`);
  }
}

/** A storage named by a persistent id: its bytes are read after the pickle (zip record or legacy tail). */
export class StorageRef extends PyOpaque {
  constructor(readonly key: string, readonly dtype: StDtype, readonly numel: number) {
    super(`storage "${key}"`);
  }

  describeSize(): string {
    return `storage "${this.key}" (${this.numel} ${this.dtype} elements)`;
  }
}

/** A tensor as _rebuild_tensor_v2 describes it: a strided view of a storage (checked against its size). */
export class TensorRef extends PyOpaque {
  constructor(readonly storage: StorageRef, readonly offset: number, readonly shape: number[], readonly stride: number[]) {
    super(`a tensor of shape [${shape.join(', ')}]`);
  }
}

export interface TorchHooks extends PickleHooks {
  /** Storages named so far, by key. */
  readonly storages: Map<string, StorageRef>;
}

/**
 * Hooks for one torch pickle. `legacy` selects the persistent-id layout: the zip format's
 * ('storage', type, key, location, numel) or the legacy format's extra view_metadata field.
 */
export function torchHooks(fail: (at: number, what: string) => never, legacy: boolean): TorchHooks {
  const storages = new Map<string, StorageRef>();
  const refuse = (at: number, what: string): never =>
    fail(at, `${what}; a weights file may hold only tensors, storages and OrderedDicts (torch.load(weights_only=True) refuses it too). Nothing in the file was run`);
  const nat = (v: PyValue, what: string, at: number): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(at, `${what} is ${describe(v)}, not a non-negative integer`);
    return v;
  };
  const dims = (v: PyValue, what: string, at: number): number[] => {
    if (!(v instanceof PyTuple)) fail(at, `tensor ${what} is ${describe(v)}, not a tuple`);
    return v.items.map((d, i) => nat(d, `tensor ${what}[${i}]`, at));
  };
  const noHooks = (v: PyValue, at: number): void => {
    if (!(v instanceof PyDict) || v.map.size > 0) refuse(at, `a tensor carries backward hooks (${describe(v)})`);
  };
  const rebuild = (args: PyValue[], at: number): TensorRef => {
    const [storage, off, size, stride] = args;
    if (!(storage instanceof StorageRef)) fail(at, `_rebuild_tensor's storage is ${describe(storage ?? null)}`);
    const offset = nat(off ?? null, 'storage offset', at);
    const shape = dims(size ?? null, 'size', at);
    const strides = dims(stride ?? null, 'stride', at);
    if (shape.length !== strides.length) fail(at, `tensor size [${shape.join(', ')}] and stride [${strides.join(', ')}] differ in length`);
    const n = product(shape);
    if (n > 0) {
      // The last element a strided view reaches; every index must lie inside the storage.
      let last = offset;
      shape.forEach((d, i) => (last += (d - 1) * strides[i]!));
      if (!(last < storage.numel)) {
        fail(at, `tensor of size [${shape.join(', ')}], stride [${strides.join(', ')}] at offset ${offset} reaches element ${last} of ${storage.describeSize()}`);
      }
    }
    return new TensorRef(storage, offset, shape, strides);
  };
  return {
    storages,
    global(module, name, at) {
      if (module === 'collections' && name === 'OrderedDict') return new TorchGlobal('OrderedDict');
      if (module === 'torch._utils' && (name === '_rebuild_tensor_v2' || name === '_rebuild_tensor' || name === '_rebuild_parameter')) return new TorchGlobal(name);
      if (module === 'torch' && Object.hasOwn(STORAGE_DTYPES, name)) return new StorageType(STORAGE_DTYPES[name]!, name);
      return refuse(at, `the pickle names the global ${module}.${name}, which is not allowed`);
    },
    reduce(fn, args, at) {
      if (!(fn instanceof TorchGlobal)) return refuse(at, `REDUCE calls ${describe(fn)}`);
      const a = args.items;
      switch (fn.fn) {
        case 'OrderedDict':
          if (a.length !== 0) refuse(at, `OrderedDict is called with ${a.length} arguments`);
          return new PyDict('collections.OrderedDict');
        case '_rebuild_tensor':
          if (a.length !== 4) fail(at, `_rebuild_tensor takes 4 arguments, got ${a.length}`);
          return rebuild(a, at);
        case '_rebuild_tensor_v2': {
          // (storage, offset, size, stride, requires_grad, backward_hooks[, metadata]) (torch/_utils.py)
          if (a.length !== 6 && a.length !== 7) fail(at, `_rebuild_tensor_v2 takes 6 or 7 arguments, got ${a.length}`);
          if (typeof a[4] !== 'boolean') fail(at, `_rebuild_tensor_v2's requires_grad is ${describe(a[4]!)}`);
          noHooks(a[5]!, at);
          const meta = a[6];
          if (meta !== undefined && meta !== null && !(meta instanceof PyDict && meta.map.size === 0)) refuse(at, `a tensor carries metadata ${describe(meta)}`);
          return rebuild(a, at);
        }
        case '_rebuild_parameter':
          // (data, requires_grad, backward_hooks): an nn.Parameter is its tensor here.
          if (a.length !== 3 || !(a[0] instanceof TensorRef) || typeof a[1] !== 'boolean') fail(at, `_rebuild_parameter expects (tensor, bool, hooks), got (${a.map(describe).join(', ')})`);
          noHooks(a[2]!, at);
          return a[0];
      }
    },
    build(target, state, at) {
      // state_dict() sets `_metadata` (per-module versions) on its OrderedDict; it is not needed here.
      if (target instanceof PyDict && target.cls === 'collections.OrderedDict' && state instanceof PyDict) return;
      refuse(at, `BUILD sets the state of ${describe(target)} to ${describe(state)}`);
    },
    persistentLoad(pid, at) {
      const want = legacy ? 6 : 5;
      if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage') return refuse(at, `a persistent id is ${pid instanceof PyTuple ? `a tuple starting with ${describe(pid.items[0] ?? null)}` : describe(pid)}, not a storage`);
      if (pid.items.length !== want) fail(at, `a storage id has ${pid.items.length} fields; the ${legacy ? 'legacy' : 'zip'} format has ${want}`);
      const [, type, key, location, count, view] = pid.items;
      if (!(type instanceof StorageType)) return refuse(at, `a storage's type is ${describe(type!)}`);
      if (typeof key !== 'string' || typeof location !== 'string') return fail(at, `a storage's key and location are ${describe(key!)} and ${describe(location!)}, not strings`);
      if (legacy && view !== null) fail(at, `storage "${key}" is a view of another storage (a file from PyTorch before 1.0?); load and re-save it with a current PyTorch`);
      const numel = nat(count!, `the element count of storage "${key}"`, at);
      const known = storages.get(key);
      if (known) {
        if (known.dtype !== type.dtype || known.numel !== numel) fail(at, `storage "${key}" is named twice, as ${known.numel} ${known.dtype} and as ${numel} ${type.dtype}`);
        return known;
      }
      const ref = new StorageRef(key, type.dtype, numel);
      storages.set(key, ref);
      return ref;
    },
  };
}
