# APGD (Croce & Hein 2020, Algorithm 1) written plainly in PyTorch, float64, one run from a given
# start, for a 2-layer ReLU MLP z = W2 relu(W1 x + b1) + b2. The test suite runs it with
# /usr/bin/python3 and compares it with src/robust/apgd-run.ts. It follows the arithmetic of the
# reference (fra31/auto-attack, autopgd_base.py) but is our own code, with one deliberate difference
# that apgd-run.ts shares: loss increases in the first interval are counted against the loss at the
# start, as Algorithm 1 says (the reference's index wraps to a zero-filled slot there).
# Input (stdin, JSON): a list of runs, each with W1, b1, W2, b2, x, y, start, eps, norm, steps, rho,
# loss ('ce', 'dlr' or 'dlr-targeted') and target (for 'dlr-targeted').
# Output (stdout, JSON): a list with, per run, adversarial, fooled, best, bestLoss, stepSize.
import json
import sys

import torch

torch.set_default_dtype(torch.float64)


def run(a):
    W1, b1, W2, b2 = (torch.tensor(a[k]) for k in ('W1', 'b1', 'W2', 'b2'))
    x0 = torch.tensor(a['x'])
    y = torch.tensor(a['y'])
    t = torch.tensor(a['target']) if a.get('target') is not None else None
    eps, norm, N, rho, loss_name = a['eps'], a['norm'], a['steps'], a['rho'], a['loss']
    n = x0.shape[0]
    u = torch.arange(n)

    def model(x):
        return torch.relu(x.view(n, -1) @ W1.T + b1) @ W2.T + b2

    def top(z):
        return z.sort(dim=1, descending=True)[0]

    def objective(z):
        if loss_name == 'ce':
            return torch.nn.functional.cross_entropy(z, y, reduction='none')
        s = top(z)
        zy = z[u, y]
        if loss_name == 'dlr':
            other = z.clone()
            other[u, y] = -float('inf')
            return -(zy - other.max(1)[0]) / (s[:, 0] - s[:, 2] + 1e-12)
        return -(zy - z[u, t]) / (s[:, 0] - 0.5 * (s[:, 2] + s[:, 3]) + 1e-12)

    def probe(x):
        x = x.clone().requires_grad_()
        z = model(x)
        per = objective(z)
        g, = torch.autograd.grad(per.sum(), [x])
        return per.detach(), z.detach().argmax(1) != y, g.detach()

    def rows(v):
        return v.view(-1, *[1] * (x0.dim() - 1))

    def l2(v):
        return rows((v ** 2).view(n, -1).sum(1).sqrt())

    def project(v):
        if norm == 'linf':
            return torch.clamp(torch.min(torch.max(v, x0 - eps), x0 + eps), 0, 1)
        d = v - x0
        nd = l2(d)
        return torch.clamp(x0 + d / (nd + 1e-12) * torch.clamp(nd, max=eps), 0, 1)


    x = torch.tensor(a['start'])
    loss, miss, g = probe(x)
    x_prev = x.clone()
    x_best, g_best, loss_best = x.clone(), g.clone(), loss.clone()
    fooled, adv = miss.clone(), x.clone()
    eta = torch.full([n], 2.0 * eps)
    k = max(int(0.22 * N), 1)
    shrink, shortest = max(int(0.03 * N), 1), max(int(0.06 * N), 1)
    losses = [loss.clone()]
    best_at_check, reduced_at_check = loss_best.clone(), torch.ones(n, dtype=torch.bool)
    since = 0
    for i in range(N):
        a_mom = 0.75 if i > 0 else 1.0
        step = torch.sign(g) if norm == 'linf' else g / (l2(g) + 1e-12)
        z1 = project(x + rows(eta) * step)
        x_new = project(x + (z1 - x) * a_mom + (x - x_prev) * (1 - a_mom))
        x_prev, x = x, x_new
        loss, miss, g = probe(x)
        fooled |= miss
        adv[miss] = x[miss]
        losses.append(loss.clone())
        better = loss > loss_best
        x_best[better], g_best[better], loss_best[better] = x[better], g[better], loss[better]
        since += 1
        if since == k:
            ups = sum((losses[-j] > losses[-j - 1]).double() for j in range(1, k + 1))
            halve = (ups <= rho * k) | (~reduced_at_check & (best_at_check >= loss_best))
            reduced_at_check, best_at_check = halve.clone(), loss_best.clone()
            eta[halve] /= 2
            x[halve], g[halve] = x_best[halve], g_best[halve]
            since = 0
            k = max(k - shrink, shortest)

    return {'adversarial': adv.flatten().tolist(), 'fooled': fooled.long().tolist(), 'best': x_best.flatten().tolist(),
           'bestLoss': loss_best.tolist(), 'stepSize': eta.tolist()}


print(json.dumps([run(a) for a in json.load(sys.stdin)]))
