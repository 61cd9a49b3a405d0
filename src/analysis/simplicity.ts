/**
 * Simplicity and shape-bias metrics (methods.md §5.2, paper (b)), built from the engine's ops so
 * they run on either backend and the CPU run is the float64 oracle of the GPU run: total variation
 * of maps and filters, 2-D DFT power and the high-frequency energy share, activation TV on clean vs
 * noisy inputs, preferred inputs by activation maximisation, the "fewer input types" proxy, and
 * shape-vs-texture probe transforms. One file per purpose; this one gathers them.
 */
export * from './total-variation.js';
export * from './spectra.js';
export * from './activation-tv.js';
export * from './preferred-inputs.js';
export * from './input-types.js';
export * from './probes.js';
