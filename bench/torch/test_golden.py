"""Check the golden files: reload each one with our own safetensors reader and
recompute it in torch from the stored inputs and the metadata only.

    /usr/bin/python3 bench/torch/test_golden.py --dir testdata/golden

Not run by CI (needs torch).  Besides the torch recomputation, a few values are
checked against hand-written formulas (BN running stats, avg-pool corner,
cross-entropy, SGD and Adam updates, gradient clipping) so that the stored
semantics are the documented ones.
"""

import argparse
import glob
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from darts_model import FactorizedReduce, MixedOp, SearchCell  # noqa: E402
from golden import CASES  # noqa: E402

ATOL, RTOL = 1e-6, 1e-5


class Failure(Exception):
    pass


def close(name, got, want, atol=ATOL, rtol=RTOL):
    if tuple(got.shape) != tuple(want.shape):
        raise Failure("%s: shape %s != %s" % (name, tuple(got.shape), tuple(want.shape)))
    if got.dtype != want.dtype:
        raise Failure("%s: dtype %s != %s" % (name, got.dtype, want.dtype))
    if not torch.allclose(got, want, atol=atol, rtol=rtol):
        d = (got - want).abs().max().item()
        raise Failure("%s: max abs diff %.3g" % (name, d))


def leaf(t):
    return t.clone().requires_grad_(True)


def check_loss_grads(T, y, leaves):
    """y recomputed; leaves: name -> leaf tensor. Compares y and grad.<name>."""
    close("y", y.detach(), T["y"])
    if tuple(T["r"].shape) != tuple(T["y"].shape):
        raise Failure("r shape != y shape")
    loss = (y * T["r"]).sum()
    names = list(leaves)
    gs = torch.autograd.grad(loss, [leaves[n] for n in names], allow_unused=True)
    for n, g in zip(names, gs):
        if g is None:
            g = torch.zeros_like(leaves[n])
        close("grad." + n, g, T["grad." + n])
    expected = {"grad." + n for n in names}
    stored = {k for k in T if k.startswith("grad.")}
    if expected != stored:
        raise Failure("grad set mismatch: missing %s extra %s" % (sorted(expected - stored), sorted(stored - expected)))


def check_conv(T, P):
    x, w = leaf(T["x"]), leaf(T["weight"])
    y = F.conv2d(x, w, None, stride=P["stride"], padding=P["padding"], dilation=P["dilation"], groups=P["groups"])
    check_loss_grads(T, y, {"x": x, "weight": w})


def check_bn(T, P):
    x = leaf(T["x"])
    leaves = {"x": x}
    w = b = None
    if P["affine"]:
        w, b = leaf(T["weight"]), leaf(T["bias"])
        leaves.update(weight=w, bias=b)
    rm, rv = T["running_mean"].clone(), T["running_var"].clone()
    y = F.batch_norm(x, rm, rv, w, b, training=P["training"], momentum=P["momentum"], eps=P["eps"])
    check_loss_grads(T, y, leaves)
    if P["training"]:
        close("out.running_mean", rm, T["out.running_mean"])
        close("out.running_var", rv, T["out.running_var"])
        # hand formula: unbiased variance in the running update
        xs = T["x"].transpose(0, 1).reshape(T["x"].shape[1], -1)
        n = xs.shape[1]
        mean = xs.mean(1)
        var_u = ((xs - mean[:, None]) ** 2).sum(1) / (n - 1)
        close("out.running_var (formula)", 0.9 * T["running_var"] + 0.1 * var_u, T["out.running_var"],
              atol=1e-5)
        close("out.running_mean (formula)", 0.9 * T["running_mean"] + 0.1 * mean, T["out.running_mean"],
              atol=1e-5)


def check_pool(T, P, op):
    x = leaf(T["x"])
    if op == "max_pool2d":
        y = F.max_pool2d(x, P["kernel_size"], stride=P["stride"], padding=P["padding"])
    else:
        y = F.avg_pool2d(x, P["kernel_size"], stride=P["stride"], padding=P["padding"],
                         count_include_pad=P["count_include_pad"])
        # corner output averages only the 4 valid inputs
        close("avg corner (formula)", T["x"][:, :, :2, :2].mean((2, 3)), T["y"][:, :, 0, 0], atol=1e-6)
    check_loss_grads(T, y, {"x": x})


def module_check(T, P, mod):
    mod.train()
    params = dict(mod.named_parameters())
    with torch.no_grad():
        for n, p in params.items():
            if n not in T:
                raise Failure("missing parameter " + n)
            p.copy_(T[n])
    return params


def check_module_after(T, mod):
    for n, b in mod.named_buffers():
        if n.endswith("running_mean") or n.endswith("running_var"):
            close("out." + n, b, T["out." + n])


def check_optim(T, P, kind):
    p = T["p0"].clone().requires_grad_(True)
    if kind == "sgd":
        opt = torch.optim.SGD([p], lr=P["lr"], momentum=P["momentum"], dampening=P["dampening"],
                              weight_decay=P["weight_decay"], nesterov=P["nesterov"])
        keys = ["momentum_buffer"]
    else:
        opt = torch.optim.Adam([p], lr=P["lr"], betas=tuple(P["betas"]), eps=P["eps"],
                               weight_decay=P["weight_decay"], amsgrad=P["amsgrad"])
        keys = ["exp_avg", "exp_avg_sq"]
    # hand-written reference, float32
    q = T["p0"].clone()
    buf = m = v = None
    for t in range(1, P["steps"] + 1):
        p.grad = T["g%d" % t].clone()
        opt.step()
        close("p%d" % t, p.detach(), T["p%d" % t])
        for k in keys:
            close("%s%d" % (k, t), opt.state[p][k], T["%s%d" % (k, t)])
        g = T["g%d" % t] + P["weight_decay"] * q
        if kind == "sgd":
            buf = g.clone() if buf is None else P["momentum"] * buf + g
            q = q - P["lr"] * buf
            close("momentum_buffer%d (formula)" % t, buf, T["momentum_buffer%d" % t])
        else:
            b1, b2 = P["betas"]
            m = (1 - b1) * g if m is None else b1 * m + (1 - b1) * g
            v = (1 - b2) * g * g if v is None else b2 * v + (1 - b2) * g * g
            denom = v.sqrt() / math.sqrt(1 - b2 ** t) + P["eps"]
            q = q - (P["lr"] / (1 - b1 ** t)) * m / denom
            close("exp_avg%d (formula)" % t, m, T["exp_avg%d" % t])
            close("exp_avg_sq%d (formula)" % t, v, T["exp_avg_sq%d" % t])
        close("p%d (formula)" % t, q, T["p%d" % t])


def check_file(path):
    T, meta, names = safetensors_io.load(path)
    op = meta["op"]
    P = json.loads(meta["params"])
    for n, t in T.items():
        if t.dtype != torch.float32 and n != "labels":
            raise Failure("%s: dtype %s" % (n, t.dtype))
    if op in ("conv2d", "depthwise_conv2d", "pointwise_conv2d"):
        if op == "depthwise_conv2d" and P["groups"] != T["x"].shape[1]:
            raise Failure("depthwise groups")
        check_conv(T, P)
    elif op == "linear":
        x, w, b = leaf(T["x"]), leaf(T["weight"]), leaf(T["bias"])
        check_loss_grads(T, F.linear(x, w, b), {"x": x, "weight": w, "bias": b})
    elif op == "batch_norm":
        check_bn(T, P)
    elif op == "relu":
        x = leaf(T["x"])
        check_loss_grads(T, F.relu(x), {"x": x})
    elif op in ("max_pool2d", "avg_pool2d"):
        check_pool(T, P, op)
    elif op == "adaptive_avg_pool2d":
        x = leaf(T["x"])
        check_loss_grads(T, F.adaptive_avg_pool2d(x, P["output_size"]), {"x": x})
    elif op == "add":
        xs = {"x%d" % i: leaf(T["x%d" % i]) for i in range(P["n"])}
        y = xs["x0"]
        for i in range(1, P["n"]):
            y = y + xs["x%d" % i]
        check_loss_grads(T, y, xs)
    elif op == "scale_by_softmax":
        x, a = leaf(T["x"]), leaf(T["alpha"])
        check_loss_grads(T, F.softmax(a, dim=-1)[P["k"]] * x, {"x": x, "alpha": a})
    elif op == "softmax":
        x = leaf(T["x"])
        check_loss_grads(T, F.softmax(x, dim=P["dim"]), {"x": x})
    elif op == "concat":
        xs = {k: leaf(T[k]) for k in sorted(n for n in T if n.startswith("x"))}
        check_loss_grads(T, torch.cat([xs[k] for k in sorted(xs)], dim=P["dim"]), xs)
    elif op == "slice":
        x = leaf(T["x"])
        check_loss_grads(T, x[:, :, 1:, 1:], {"x": x})
    elif op == "cross_entropy":
        x = leaf(T["x"])
        if T["labels"].dtype != torch.int64:
            raise Failure("labels dtype")
        check_loss_grads(T, F.cross_entropy(x, T["labels"]), {"x": x})
        lse = torch.logsumexp(T["x"], 1)
        ref = (lse - T["x"].gather(1, T["labels"][:, None])[:, 0]).mean()
        close("cross_entropy (formula)", ref, T["y"], atol=1e-5)
    elif op == "flatten":
        x = leaf(T["x"])
        check_loss_grads(T, x.reshape(x.shape[0], -1), {"x": x})
    elif op == "factorized_reduce":
        mod = FactorizedReduce(P["C_in"], P["C_out"], affine=P["affine"])
        params = module_check(T, P, mod)
        x = leaf(T["x"])
        check_loss_grads(T, mod(x), dict(x=x, **params))
        check_module_after(T, mod)
    elif op == "mixed_op":
        mod = MixedOp(P["C"], P["stride"])
        params = module_check(T, P, mod)
        x, a = leaf(T["x"]), leaf(T["alpha"])
        w = F.softmax(a, dim=-1)
        w.retain_grad()
        close("weights", w.detach(), T["weights"])
        check_loss_grads(T, mod(x, w), dict(x=x, alpha=a, weights=w, **params))
        check_module_after(T, mod)
    elif op == "search_cell":
        mod = SearchCell(P["steps"], P["multiplier"], P["C_prev_prev"], P["C_prev"], P["C"],
                         P["reduction"], P["reduction_prev"])
        params = module_check(T, P, mod)
        s0, s1, a = leaf(T["s0"]), leaf(T["s1"]), leaf(T["alpha"])
        w = F.softmax(a, dim=-1)
        close("weights", w.detach(), T["weights"])
        check_loss_grads(T, mod(s0, s1, w), dict(s0=s0, s1=s1, alpha=a, weights=w, **params))
        check_module_after(T, mod)
    elif op in ("sgd", "adam"):
        check_optim(T, P, op)
    elif op == "clip_grad_norm":
        k = len([n for n in T if n.startswith("g")])
        gs = [T["g%d" % i] for i in range(k)]
        total = torch.sqrt(sum((g.double() ** 2).sum() for g in gs)).float()
        close("total_norm", total, T["total_norm"], atol=1e-5)
        coef = min(1.0, P["max_norm"] / (T["total_norm"].item() + 1e-6))
        if coef >= 1.0:
            raise Failure("case does not clip")
        for i, g in enumerate(gs):
            close("clipped%d" % i, g * coef, T["clipped%d" % i])
    else:
        raise Failure("unknown op " + op)
    return op, len(T)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default="testdata/golden")
    args = ap.parse_args()
    torch.set_num_threads(1)
    files = sorted(glob.glob(os.path.join(args.dir, "*.safetensors")))
    ours = [f for f in files if os.path.basename(f)[:-len(".safetensors")] in CASES]
    missing = sorted(set(CASES) - {os.path.basename(f)[:-len(".safetensors")] for f in ours})
    others = [os.path.basename(f) for f in files if f not in ours]
    if others:
        print("not from golden.py, skipped: " + ", ".join(others))
    bad = len(missing)
    for m in missing:
        print("FAIL %-40s missing" % (m + ".safetensors"))
    for f in ours:
        try:
            op, n = check_file(f)
            print("ok   %-40s %-18s %d tensors" % (os.path.basename(f), op, n))
        except Exception as e:  # report and continue
            bad += 1
            print("FAIL %-40s %s: %s" % (os.path.basename(f), type(e).__name__, e))
    print("%d golden.py files checked, %d failed" % (len(ours) + len(missing), bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
