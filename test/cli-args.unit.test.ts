// The CLI's command lines, in-process and GPU-free: help texts, and every wrong command line exits 2
// with a hint before any command starts the engine (the unit tier's setup checks that none did).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { commands, main } from '../src/cli.js';
import { captureConsole } from './helpers/capture.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('robustlens command lines', () => {
  it('--help lists the commands; each command has its own --help and `help NAME`', async () => {
    const { out } = captureConsole();
    expect(await main(['--help'])).toBe(0);
    const help = out.join('\n');
    expect(help).toMatch(/info\s+print the runtime/);
    for (const c of commands) {
      expect(help).toContain(`  ${c.name}  `);
      out.length = 0;
      expect(await main([c.name, '--help'])).toBe(0);
      expect(out.join('\n')).toContain(`Usage: robustlens ${c.name}`);
      out.length = 0;
      expect(await main(['help', c.name])).toBe(0);
      expect(out.join('\n')).toContain(`Usage: robustlens ${c.name}`);
    }
  });

  it('no command, an unknown command or an unknown flag exits 2 with a hint', async () => {
    const { err } = captureConsole();
    expect(await main([])).toBe(2);
    expect(await main(['frobnicate'])).toBe(2);
    expect(err.join('\n')).toContain("unknown command 'frobnicate'");
    expect(await main(['info', '--colour'])).toBe(2);
    expect(err.join('\n')).toContain("Run 'robustlens info --help'");
  });

  it.each([
    [['similarity', 'only-one.npy'], /give exactly two \.npy files/],
    [['similarity', 'a.npy', 'b.npy', '--batch', 'two'], /--batch must be an integer >= 4, got 'two'/],
    [['train', '--recipe', 'magic'], /--recipe must be one of standard, pgd-at, trades, fast-fgsm, got 'magic'/],
    [['train', '--epochs', '0'], /--epochs must be an integer >= 1, got '0'/],
    [['train', '--eps', '1.5'], /--eps must be in \[0, 1\], got '1.5'/],
    [['attack', '--norm', 'l3'], /--norm must be one of linf, l2, got 'l3'/],
    [['attack', '--eps=-1'], /--eps must be >= 0, got '-1'/],
    [['attack', 'missing.safetensors', '--attack', 'fab-t'], /--attack must be one of pgd, fgsm, apgd-ce, apgd-dlr, apgd-t, square, autoattack, got 'fab-t'/],
    [['attack', 'missing.safetensors', '--attack', 'fgsm', '--norm', 'l2'], /FGSM is an L∞ attack; for L2 use 'pgd' with steps 1/],
    [['attack', 'missing.safetensors', '--attack', 'square', '--steps', '10'], /--steps applies to --attack pgd, apgd-ce, apgd-dlr, apgd-t, autoattack, not square/],
    [['attack', 'missing.safetensors', '--attack', 'apgd-ce', '--alpha', '0.01'], /--alpha applies to --attack pgd, not apgd-ce/],
    [['attack', 'missing.safetensors', '--attack', 'autoattack', '--loss', 'cw'], /--loss applies to --attack pgd, not autoattack/],
    [['attack', 'missing.safetensors', '--attack', 'apgd-ce', '--targets', '3'], /--targets applies to --attack apgd-t, autoattack, not apgd-ce/],
    [['attack', 'missing.safetensors', '--attack', 'square', '--n-queries', '0'], /--n-queries must be an integer >= 1, got '0'/],
    [['attack', 'missing.safetensors', '--attack', 'autoattack', '--steps', '0'], /--steps must be an integer >= 1, got '0'/],
    [['attack', 'missing.safetensors', '--batch', '0'], /--batch must be an integer >= 1, got '0'/],
    [['study', '--data', 'imagenet'], /--data must be one of mnist, fashion-mnist, cifar10, got 'imagenet'/],
    [['study', '--eps', '0'], /--eps must be in \(0, 1\], got '0'/],
    // Flags are checked before any file is read: these files do not exist.
    [['attack', 'missing.safetensors', '--model', 'vgg'], /--model must be one of cnn-small, .*, got 'vgg'/],
    [['logits', 'missing.safetensors', '--data', 'imagenet'], /--data must be one of mnist, fashion-mnist, cifar10, got 'imagenet'/],
    [['cka', 'missing-a.safetensors', 'missing-b.safetensors', '--inputs', 'fgsm'], /--inputs must be one of clean, pgd, pgd-a, got 'fgsm'/],
    [['cka', 'missing-a.safetensors', 'missing-b.safetensors', '--model-b', 'vgg'], /--model-b must be one of cnn-small, .*, got 'vgg'/],
    [['cka', 'only-one.safetensors'], /give exactly two checkpoints/],
    [['distill', 'missing.safetensors', '--manipulate', 'flip'], /--manipulate must be one of none, shuffle, remove, swap, got 'flip'/],
    [['distill', 'missing.safetensors', '--teacher-model', 'vgg'], /--teacher-model must be one of cnn-small, .*, got 'vgg'/],
    [['distill'], /TEACHER is required/],
  ])('%j exits 2 naming the flag', async (argv, message) => {
    const { err } = captureConsole();
    expect(await main(argv)).toBe(2);
    expect(err.join('\n')).toMatch(message);
    expect(err.join('\n')).toContain(`Run 'robustlens ${argv[0]} --help'`);
  });
});
