/** Base class of every error the engine raises on purpose; `op` names the operation at fault. */
export class RobustlensError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad arguments: wrong shapes, dtypes, ranges. Raised before any GPU work is queued. */
export class ShapeError extends RobustlensError {}
export class DTypeError extends RobustlensError {}
export class ValueError extends RobustlensError {}

/** A tensor was used after `dispose()` (or after the `tidy` scope that owned it ended). */
export class DisposedError extends RobustlensError {}

/** The GPU device was lost or destroyed; no further work can run on it. */
export class DeviceLostError extends RobustlensError {}

/** A WGSL module failed to compile; the message holds shader name, line, column and text. */
export class ShaderCompileError extends RobustlensError {}

/** A request larger than the device's limits (buffer size, dispatch size). */
export class LimitError extends RobustlensError {}

/** A NaN or Inf left the GPU while numerics checking is on; names the op that produced it. */
export class NumericsError extends RobustlensError {}

/** A malformed input file (IDX, CIFAR, .npy, safetensors), with the file and byte offset. */
export class FormatError extends RobustlensError {}

export const fmtShape = (s: readonly number[]): string => `[${s.join(', ')}]`;
