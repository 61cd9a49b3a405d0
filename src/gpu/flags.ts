// WebGPU's flag values, spelled out so that the engine needs no GPUBufferUsage/GPUMapMode globals
// (dawn.node only provides them if a caller copies them onto globalThis; we never do).
export const BufferUsage = {
  MAP_READ: 0x0001,
  MAP_WRITE: 0x0002,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
  QUERY_RESOLVE: 0x0200,
} as const;

export const MapModeRead = 0x0001;
export const ShaderStageCompute = 0x4;
