"""Golden files for the whole DARTS search supernet and its architecture step.

    /usr/bin/python3 bench/torch/golden_supernet.py --out testdata/golden

writes supernet_step.safetensors: a tiny supernet (C=4, 3 layers, 10
classes, 8x8 inputs, batch 4) with random alphas, its state_dict under the
original's names, a training and a validation batch (NCHW, labels I64), and
what darts-go must reproduce:

  logits              training-mode logits of the validation batch
  grad.alphas_*       first-order architecture gradient dL_val/dalpha
  grad_w.<param>      dL_train/dw for every weight (the weight step)
  unrolled.alphas_*   second-order DARTS gradient (architect.py, eta below,
                      weight decay 3e-4, no momentum buffer yet)

The forward passes run in the order darts-go runs them, on a fresh copy of
the network each time, so running statistics do not leak between cases.
"""
import argparse
import copy
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from darts_model import Network, fd_arch_grad, flat  # noqa: E402
import safetensors_io  # noqa: E402

ETA = 0.1
WD = 3e-4


def unrolled_grads(model, xt, yt, xv, yv):
    params = list(model.parameters())
    gw = torch.autograd.grad(model.loss(xt, yt), params)
    with torch.no_grad():
        theta = flat(params)
        w_new = theta - ETA * (flat(gw) + WD * theta)
    clone = copy.deepcopy(model)
    with torch.no_grad():
        off = 0
        for q in clone.parameters():
            n = q.numel()
            q.copy_(w_new[off:off + n].view_as(q))
            off += n
    calphas = [a.detach().clone().requires_grad_(True) for a in model.arch_parameters()]
    clone.alphas_normal, clone.alphas_reduce = calphas
    cparams = list(clone.parameters())
    g = torch.autograd.grad(clone.loss(xv, yv), calphas + cparams)
    dalpha, vec = g[:2], g[2:]
    return fd_arch_grad(model, params, dalpha, vec, xt, yt, ETA)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="testdata/golden")
    args = ap.parse_args()
    torch.manual_seed(20261128)
    base = Network(4, 10, 3)
    with torch.no_grad():
        base.alphas_normal.copy_(torch.randn_like(base.alphas_normal))
        base.alphas_reduce.copy_(torch.randn_like(base.alphas_reduce))
    base.train()
    xt, xv = torch.randn(4, 3, 8, 8), torch.randn(4, 3, 8, 8)
    yt, yv = torch.randint(0, 10, (4,)), torch.randint(0, 10, (4,))

    out = {}
    for k, v in base.state_dict().items():
        if not k.endswith("num_batches_tracked"):
            out[k] = v.clone()
    out["alphas_normal"] = base.alphas_normal.detach().clone()
    out["alphas_reduce"] = base.alphas_reduce.detach().clone()
    out["x_train"], out["y_train"], out["x_val"], out["y_val"] = xt, yt, xv, yv

    m = copy.deepcopy(base)
    logits = m(xv)
    ga = torch.autograd.grad(F.cross_entropy(logits, yv), m.arch_parameters())
    out["logits"] = logits.detach()
    out["grad.alphas_normal"], out["grad.alphas_reduce"] = ga

    m = copy.deepcopy(base)
    names = [n for n, _ in m.named_parameters()]
    gw = torch.autograd.grad(m.loss(xt, yt), list(m.parameters()))
    for n, g in zip(names, gw):
        out["grad_w." + n] = g

    m = copy.deepcopy(base)
    un = unrolled_grads(m, xt, yt, xv, yv)
    out["unrolled.alphas_normal"], out["unrolled.alphas_reduce"] = un

    meta = {"op": "supernet_step", "params": json.dumps({"C": 4, "layers": 3, "classes": 10, "eta": ETA,
            "weight_decay": WD, "training": True}), "torch": torch.__version__}
    os.makedirs(args.out, exist_ok=True)
    safetensors_io.save(os.path.join(args.out, "supernet_step.safetensors"), out, meta)
    print("wrote", os.path.join(args.out, "supernet_step.safetensors"))


if __name__ == "__main__":
    main()
