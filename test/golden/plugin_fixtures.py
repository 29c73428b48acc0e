# Reference values for test/{tasks,objectives,weighting}.test.ts, computed with PyTorch 1.13.
# Writes test/golden/fixtures/plugin.json. Run: /usr/bin/python3 test/golden/plugin_fixtures.py
import json, math, os
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
out = {}

def arr(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]

def tens(t):
    return {"shape": list(t.shape), "values": arr(t)}

# ---- STOR heads: Linear-BN-ReLU-Linear on cat(f0, f1), train mode ----
N, D, H = 6, 8, 16
f0, f1 = torch.randn(N, D), torch.randn(N, D)
spatial = torch.tensor([0, 1, 2, 3, 4, 0]); temporal = torch.tensor([4, 3, 2, 1, 0, 1])
def mlp(i, h, o):
    return nn.Sequential(nn.Linear(i, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Linear(h, o))
heads = {"spatial": mlp(2 * D, H, 5), "temporal": mlp(2 * D, H, 5)}
pair = torch.cat([f0, f1], 1)
stor = {"f0": tens(f0), "f1": tens(f1), "spatial": spatial.tolist(), "temporal": temporal.tolist(), "state": {}, "loss": {}}
for name, m in heads.items():
    for k, v in m.state_dict().items():
        if k.endswith("num_batches_tracked"):
            continue
        stor["state"][f"{name}.{k}"] = tens(v)
    m.train()
    logits = m(pair)
    stor["loss"][name] = float(F.cross_entropy(logits, spatial if name == "spatial" else temporal))
    stor["state_after"] = stor.get("state_after", {})
    stor["state_after"][f"{name}.1.running_mean"] = arr(m[1].running_mean)
out["stor"] = stor

# ---- rotation head per clip (rotation labels [N, 2]) ----
rot = torch.tensor([[0, 1], [2, 3], [1, 1], [3, 0], [2, 2], [0, 3]])
rm = mlp(D, H, 4); rm.train()
x = torch.cat([f0, f1], 0)
y = torch.cat([rot[:, 0], rot[:, 1]], 0)
out["rotation"] = {"labels": rot.tolist(), "state": {f"rotation.{k}": tens(v) for k, v in rm.state_dict().items() if not k.endswith("num_batches_tracked")},
                   "loss": float(F.cross_entropy(rm(x), y))}

# ---- NT-Xent (SimCLR formulation) ----
def nt_xent(a, b, tau):
    z = F.normalize(torch.cat([a, b], 0), dim=1)
    n = a.shape[0]
    sim = z @ z.t() / tau
    sim.fill_diagonal_(-1e9)
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, target)
a, b = torch.randn(5, 7), torch.randn(5, 7)
out["ntxent"] = {"a": tens(a), "b": tens(b), "tau": 0.1, "loss": float(nt_xent(a, b, 0.1)), "loss_tau05": float(nt_xent(a, b, 0.5))}

# ---- BYOL regression loss ----
p, zt = torch.randn(5, 7), torch.randn(5, 7)
byol = (2 - 2 * (F.normalize(p, dim=1) * F.normalize(zt, dim=1)).sum(1)).mean()
out["byol"] = {"p": tens(p), "z": tens(zt), "loss": float(byol)}

# ---- MoCo InfoNCE ----
q, k, queue = F.normalize(torch.randn(4, 6), dim=1), F.normalize(torch.randn(4, 6), dim=1), F.normalize(torch.randn(12, 6), dim=1)
logits = torch.cat([(q * k).sum(1, keepdim=True), q @ queue.t()], 1) / 0.2
out["moco"] = {"q": tens(q), "k": tens(k), "queue": tens(queue), "tau": 0.2, "loss": float(F.cross_entropy(logits, torch.zeros(4, dtype=torch.long)))}

# ---- uncertainty weighting (LibMTL): sum L/(2 exp(s)) + s/2 ----
L = torch.tensor([0.7, 2.3, 1.1])
s = torch.tensor([-0.5, 0.2, 1.0], requires_grad=True)
tot = (L / (2 * s.exp()) + s / 2).sum()
tot.backward()
out["uncertainty"] = {"losses": arr(L), "s": [-0.5, 0.2, 1.0], "total": float(tot), "grad": arr(s.grad), "weights": arr(1 / (2 * s.detach().exp()))}

# ---- GradNorm: one update of the weights on a toy model ----
xg = torch.randn(5, 4)
W = torch.randn(3, 4, requires_grad=True)
ha, hb = torch.randn(3, 2, requires_grad=True), torch.randn(3, 1, requires_grad=True)
h = xg @ W.t()
L1 = (h @ ha).pow(2).mean()
L2 = (h @ hb).abs().mean()
norms = [torch.autograd.grad(Li, W, retain_graph=True)[0].norm() for Li in (L1, L2)]
nrm = torch.stack(norms)
def gradnorm_step(w, lt, l0, alpha=1.5, lr=0.025):
    G = w * nrm
    ratio = lt / l0
    r = ratio / ratio.mean()
    target = G.mean() * r.pow(alpha)
    grad = torch.where(G > target, torch.ones(2), -torch.ones(2)) * nrm
    nxt = (w - lr * grad).clamp(min=1e-3)
    return 2 * nxt / nxt.sum()
lt = torch.stack([L1, L2]).detach()
w1 = gradnorm_step(torch.ones(2), lt, lt)
l0 = torch.tensor([float(L1) * 2, float(L2) * 0.5])
w2 = gradnorm_step(w1, lt, l0)
out["gradnorm"] = {"x": tens(xg), "W": tens(W), "ha": tens(ha), "hb": tens(hb), "losses": arr(lt), "norms": arr(nrm),
                   "w1": arr(w1), "l0": arr(l0), "w2": arr(w2)}

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "plugin.json")
with open(path, "w") as fh:
    json.dump(out, fh)
print("wrote", path)
