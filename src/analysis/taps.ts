/** Reading a model's tapped outputs for the activation metrics (activation TV, preferred inputs, input types). */
import { getBackend, keep, tidy } from '../engine.js';
import type { Module } from '../nn/module.js';
import { Tensor } from '../tensor.js';

/**
 * Run a forward pass; for every tapped output that `pick` accepts, keep `derive(name, out)`.
 * Tap callbacks run inside the modules' own tidy scopes, so what they compute is taken out of every
 * scope with `keep` (it stays on an open gradient tape): the caller disposes the returned tensors.
 * Also returns the names of all taps, for error messages.
 */
export function tapped(model: Module, x: Tensor, pick: (name: string, out: Tensor) => boolean, derive: (name: string, out: Tensor) => Tensor): { got: { name: string; t: Tensor }[]; seen: string[] } {
  const got: { name: string; t: Tensor }[] = [];
  const seen: string[] = [];
  try {
    tidy(() => {
      model.forward(x, {
        tap: (name, out) => {
          seen.push(name);
          if (pick(name, out)) got.push({ name, t: keep(derive(name, out)) });
        },
      });
    });
  } catch (e) {
    for (const g of got) g.t.dispose();
    throw e;
  }
  return { got, seen };
}

/** The backend a model's parameters live on (the default backend for a parameter-free model). */
export function modelBackend(model: Module): Tensor['backend'] {
  return model.parameters()[0]?.backend ?? getBackend();
}

/** Taps of conv maps (rank 4) unless names are given. */
export const layerPicker = (names: readonly string[] | undefined) => (name: string, out: Tensor): boolean => (names ? names.includes(name) : out.rank === 4);
