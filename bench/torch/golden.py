"""Generate PyTorch golden files for the darts-go tests.

Regenerate everything (deterministic: fixed seeds, float32, 1 thread):

    /usr/bin/python3 bench/torch/golden.py --out testdata/golden

Check them afterwards (reloads every file with our own reader and recomputes
it in torch from the stored inputs and metadata):

    /usr/bin/python3 bench/torch/test_golden.py --dir testdata/golden

One safetensors file per case, <case>.safetensors.  Conventions (see also
bench/README.md, "PyTorch reference"):

  * all float tensors are F32 (float32 computed in float32, no float64), labels I64;
  * 4-D tensors are NCHW, weights in PyTorch layout (conv: Cout, Cin/groups, kh, kw);
  * inputs: "x" (or "x0", "x1", ... for several same-role inputs), "labels",
    "alpha" / "weights" for architecture weights, "s0", "s1" for cells;
  * parameters under their PyTorch names ("weight", "bias", or the module's
    state_dict names such as "_ops.3._ops.4.op.1.weight");
  * "y" is the output, "r" a fixed random tensor of y's shape; the loss is
    L = sum(y * r) and "grad.<name>" is dL/d<name> for every float input and
    parameter (scalars have shape []);
  * BN buffers: "running_mean" / "running_var" are the values before the
    forward (inputs; module cases start from PyTorch's 0 / 1), and
    "out.<buffer name>" (e.g. "out.running_var", "out._ops.3._ops.1.1.running_mean")
    the values after one training-mode forward (momentum 0.1, unbiased variance);
  * __metadata__: "op" (case kind), "params" (JSON string of the op's
    arguments), "loss" ("sum(y*r)"), "seed", "torch".
"""

import argparse
import json
import os
import sys
import zlib
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from darts_model import FactorizedReduce, MixedOp, SearchCell  # noqa: E402

CASES = OrderedDict()


def case(name):
    def reg(fn):
        CASES[name] = fn
        return fn
    return reg


def seed_of(name):
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def randn(*shape):
    return torch.randn(tuple(shape), dtype=torch.float32)


def leaf(t):
    return t.detach().clone().requires_grad_(True)


def finish(tensors, y, grads_of, extra=None):
    """Append y, r and grad.<name> of L = sum(y * r) for every name in grads_of."""
    r = randn(*y.shape)
    loss = (y * r).sum()
    names = list(grads_of)
    gs = torch.autograd.grad(loss, [grads_of[n] for n in names], allow_unused=True)
    tensors["y"] = y.detach()
    tensors["r"] = r
    for n, g in zip(names, gs):
        if g is None:
            g = torch.zeros_like(grads_of[n])
        tensors["grad." + n] = g.detach()
    if extra:
        tensors.update(extra)
    return tensors


# ---------------------------------------------------------------------------
# convolutions
# ---------------------------------------------------------------------------

def conv_case(n, cin, cout, h, w, k, stride, padding, dilation, groups):
    x = leaf(randn(n, cin, h, w))
    wt = leaf(randn(cout, cin // groups, k, k) * (1.0 / (cin // groups * k * k)) ** 0.5)
    y = F.conv2d(x, wt, None, stride=stride, padding=padding, dilation=dilation, groups=groups)
    params = {"kernel_size": k, "stride": stride, "padding": padding, "dilation": dilation,
              "groups": groups, "bias": False}
    t = OrderedDict(x=x.detach(), weight=wt.detach())
    return params, finish(t, y, OrderedDict(x=x, weight=wt))


for _k, _s, _p, _h in [(3, 1, 1, 7), (3, 2, 1, 7), (3, 1, 0, 6), (3, 2, 1, 8), (2, 1, 0, 5), (2, 2, 0, 7)]:
    def _mk(k=_k, s=_s, p=_p, h=_h):
        return lambda: ("conv2d",) + conv_case(2, 3, 5, h, h + 1 if k == 2 else h, k, s, p, 1, 1)
    case("conv2d_k%d_s%d_p%d_%dx%d" % (_k, _s, _p, _h, _h + 1 if _k == 2 else _h))(_mk())

for _k, _d, _s in [(3, 1, 1), (3, 1, 2), (5, 1, 1), (5, 1, 2), (3, 2, 1), (3, 2, 2), (5, 2, 1), (5, 2, 2)]:
    def _mk(k=_k, d=_d, s=_s):
        pad = d * (k - 1) // 2  # 'same' padding as in the DARTS ops
        return lambda: ("depthwise_conv2d",) + conv_case(2, 4, 4, 7, 7, k, s, pad, d, 4)
    case("depthwise_k%d_d%d_s%d" % (_k, _d, _s))(_mk())

case("pointwise_s1")(lambda: ("pointwise_conv2d",) + conv_case(2, 4, 6, 5, 5, 1, 1, 0, 1, 1))
case("pointwise_s2_7x7")(lambda: ("pointwise_conv2d",) + conv_case(2, 4, 6, 7, 7, 1, 2, 0, 1, 1))
case("pointwise_s2_8x8")(lambda: ("pointwise_conv2d",) + conv_case(2, 4, 6, 8, 8, 1, 2, 0, 1, 1))


@case("linear")
def _linear():
    x = leaf(randn(3, 7))
    w = leaf(randn(5, 7) * 0.4)
    b = leaf(randn(5) * 0.1)
    y = F.linear(x, w, b)
    t = OrderedDict(x=x.detach(), weight=w.detach(), bias=b.detach())
    return "linear", {"in_features": 7, "out_features": 5, "bias": True}, \
        finish(t, y, OrderedDict(x=x, weight=w, bias=b))


# ---------------------------------------------------------------------------
# batch norm
# ---------------------------------------------------------------------------

def bn_case(training, affine):
    C = 4
    x = leaf(randn(3, C, 5, 5) * 1.5 + 0.3)
    rm = randn(C) * 0.2
    rv = torch.rand(C) + 0.5
    t = OrderedDict(x=x.detach())
    grads = OrderedDict(x=x)
    w = b = None
    if affine:
        w = leaf(torch.rand(C) + 0.5)
        b = leaf(randn(C) * 0.2)
        t["weight"], t["bias"] = w.detach(), b.detach()
        grads["weight"], grads["bias"] = w, b
    t["running_mean"], t["running_var"] = rm.clone(), rv.clone()
    rm2, rv2 = rm.clone(), rv.clone()
    y = F.batch_norm(x, rm2, rv2, w, b, training=training, momentum=0.1, eps=1e-5)
    extra = OrderedDict()
    if training:
        extra["out.running_mean"] = rm2
        extra["out.running_var"] = rv2
    params = {"num_features": C, "affine": affine, "training": training, "momentum": 0.1,
              "eps": 1e-5, "running_var_update": "unbiased (n/(n-1)) batch variance",
              "normalize_with": "biased batch variance" if training else "running stats"}
    return "batch_norm", params, finish(t, y, grads, extra)


case("batchnorm_train_affine")(lambda: bn_case(True, True))
case("batchnorm_train_noaffine")(lambda: bn_case(True, False))
case("batchnorm_eval_affine")(lambda: bn_case(False, True))
case("batchnorm_eval_noaffine")(lambda: bn_case(False, False))


# ---------------------------------------------------------------------------
# elementwise, pooling, shape ops
# ---------------------------------------------------------------------------

@case("relu")
def _relu():
    x = leaf(randn(2, 3, 5, 5))
    return "relu", {}, finish(OrderedDict(x=x.detach()), F.relu(x), OrderedDict(x=x))


def pool_case(kind, stride, h):
    x = leaf(randn(2, 3, h, h))
    if kind == "max_pool2d":
        y = F.max_pool2d(x, 3, stride=stride, padding=1)
        params = {"kernel_size": 3, "stride": stride, "padding": 1}
    else:
        y = F.avg_pool2d(x, 3, stride=stride, padding=1, count_include_pad=False)
        params = {"kernel_size": 3, "stride": stride, "padding": 1, "count_include_pad": False}
    return kind, params, finish(OrderedDict(x=x.detach()), y, OrderedDict(x=x))


for _kind, _tag in [("max_pool2d", "maxpool"), ("avg_pool2d", "avgpool")]:
    for _s, _h in [(1, 7), (2, 7), (2, 8)]:
        case("%s3_s%d_%dx%d" % (_tag, _s, _h, _h))(lambda kind=_kind, s=_s, h=_h: pool_case(kind, s, h))


@case("adaptive_avgpool1")
def _gap():
    x = leaf(randn(2, 3, 5, 5))
    y = F.adaptive_avg_pool2d(x, 1)
    return "adaptive_avg_pool2d", {"output_size": 1}, finish(OrderedDict(x=x.detach()), y, OrderedDict(x=x))


@case("add3")
def _add3():
    xs = [leaf(randn(2, 3, 4, 5)) for _ in range(3)]
    y = xs[0] + xs[1] + xs[2]
    t = OrderedDict(("x%d" % i, v.detach()) for i, v in enumerate(xs))
    return "add", {"n": 3}, finish(t, y, OrderedDict(("x%d" % i, v) for i, v in enumerate(xs)))


@case("scale_softmax")
def _scale():
    alpha = leaf(randn(8))
    x = leaf(randn(2, 3, 5, 5))
    k = 5
    y = F.softmax(alpha, dim=-1)[k] * x
    t = OrderedDict(x=x.detach(), alpha=alpha.detach())
    return "scale_by_softmax", {"k": k, "y": "softmax(alpha)[k] * x"}, \
        finish(t, y, OrderedDict(x=x, alpha=alpha))


@case("softmax_vec")
def _softmax_vec():
    x = leaf(randn(8) * 2)
    return "softmax", {"dim": -1}, finish(OrderedDict(x=x.detach()), F.softmax(x, dim=-1), OrderedDict(x=x))


@case("softmax_rows")
def _softmax_rows():
    x = leaf(randn(14, 8) * 2)
    return "softmax", {"dim": -1}, finish(OrderedDict(x=x.detach()), F.softmax(x, dim=-1), OrderedDict(x=x))


@case("concat_channels")
def _cat():
    xs = [leaf(randn(2, c, 4, 5)) for c in (3, 2, 4)]
    y = torch.cat(xs, dim=1)
    t = OrderedDict(("x%d" % i, v.detach()) for i, v in enumerate(xs))
    return "concat", {"dim": 1}, finish(t, y, OrderedDict(("x%d" % i, v) for i, v in enumerate(xs)))


@case("slice_hw1")
def _slice():
    x = leaf(randn(2, 3, 7, 7))
    y = x[:, :, 1:, 1:]
    return "slice", {"y": "x[:, :, 1:, 1:]"}, finish(OrderedDict(x=x.detach()), y, OrderedDict(x=x))


@case("cross_entropy")
def _ce():
    x = leaf(randn(5, 10) * 2)
    labels = torch.tensor([3, 0, 9, 3, 7], dtype=torch.int64)
    y = F.cross_entropy(x, labels)
    t = OrderedDict(x=x.detach(), labels=labels)
    return "cross_entropy", {"reduction": "mean", "input": "logits"}, finish(t, y, OrderedDict(x=x))


@case("flatten")
def _flatten():
    x = leaf(randn(2, 3, 2, 2))
    y = x.reshape(x.size(0), -1)
    return "flatten", {"start_dim": 1}, finish(OrderedDict(x=x.detach()), y, OrderedDict(x=x))


# ---------------------------------------------------------------------------
# DARTS modules
# ---------------------------------------------------------------------------

def module_tensors(mod, prefix=""):
    """(params in state_dict order as leaves, OrderedDict name -> tensor)."""
    t = OrderedDict()
    for n, p in mod.named_parameters():
        t[prefix + n] = p.detach().clone()
    return t


def bn_after(mod, prefix=""):
    out = OrderedDict()
    for n, b in mod.named_buffers():
        if n.endswith("running_mean") or n.endswith("running_var"):
            out["out." + prefix + n] = b.detach().clone()
    return out


def randomize_bn_affine(mod):
    with torch.no_grad():
        for m in mod.modules():
            if isinstance(m, nn.BatchNorm2d) and m.affine:
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.2)


def fr_case(affine):
    m = FactorizedReduce(4, 6, affine=affine)
    randomize_bn_affine(m)
    m.train()
    x = leaf(randn(2, 4, 8, 8))
    t = OrderedDict(x=x.detach())
    t.update(module_tensors(m))
    y = m(x)
    grads = OrderedDict(x=x)
    grads.update(OrderedDict(m.named_parameters()))
    params = {"C_in": 4, "C_out": 6, "affine": affine, "training": True, "bn_momentum": 0.1,
              "bn_eps": 1e-5, "y": "bn(cat([conv_1(relu(x)), conv_2(relu(x)[:, :, 1:, 1:])], 1))"}
    return "factorized_reduce", params, finish(t, y, grads, bn_after(m))


case("factorized_reduce_affine")(lambda: fr_case(True))
case("factorized_reduce_noaffine")(lambda: fr_case(False))


def mixed_case(stride, h):
    C = 4
    m = MixedOp(C, stride)
    m.train()
    alpha = leaf(randn(8))
    weights = F.softmax(alpha, dim=-1)
    weights.retain_grad()
    x = leaf(randn(2, C, h, h))
    t = OrderedDict(x=x.detach(), alpha=alpha.detach(), weights=weights.detach().clone())
    t.update(module_tensors(m))
    y = m(x, weights)
    grads = OrderedDict(x=x, alpha=alpha, weights=weights)
    grads.update(OrderedDict(m.named_parameters()))
    params = {"C": C, "stride": stride, "training": True, "affine": False, "bn_momentum": 0.1,
              "bn_eps": 1e-5, "primitives": "none,max_pool_3x3,avg_pool_3x3,skip_connect,"
              "sep_conv_3x3,sep_conv_5x5,dil_conv_3x3,dil_conv_5x5",
              "y": "sum_k weights[k] * op_k(x), weights = softmax(alpha)"}
    return "mixed_op", params, finish(t, y, grads, bn_after(m))


case("mixed_op_s1_7x7")(lambda: mixed_case(1, 7))
case("mixed_op_s2_8x8")(lambda: mixed_case(2, 8))


def cell_case(reduction, reduction_prev, c_pp, c_p, h0, h1):
    C = 8
    m = SearchCell(4, 4, c_pp, c_p, C, reduction, reduction_prev)
    m.train()
    alpha = leaf(randn(14, 8) * 0.5)
    weights = F.softmax(alpha, dim=-1)
    weights.retain_grad()
    s0 = leaf(randn(4, c_pp, h0, h0))
    s1 = leaf(randn(4, c_p, h1, h1))
    t = OrderedDict(s0=s0.detach(), s1=s1.detach(), alpha=alpha.detach(), weights=weights.detach().clone())
    t.update(module_tensors(m))
    y = m(s0, s1, weights)
    grads = OrderedDict(s0=s0, s1=s1, alpha=alpha, weights=weights)
    grads.update(OrderedDict(m.named_parameters()))
    params = {"steps": 4, "multiplier": 4, "C_prev_prev": c_pp, "C_prev": c_p, "C": C,
              "reduction": reduction, "reduction_prev": reduction_prev, "training": True,
              "affine": False, "bn_momentum": 0.1, "bn_eps": 1e-5,
              "edges": "edge e of node i (0..3) takes state j (0..i+1), e = i*(i+3)/2 + j; "
                       "states = [preprocess0(s0), preprocess1(s1), node0..node3]",
              "y": "cat([node0, node1, node2, node3], 1)"}
    return "search_cell", params, finish(t, y, grads, bn_after(m))


# (reduction, reduction_prev, C_prev_prev, C_prev, s0 size, s1 size); C = 8, batch 4
case("cell_normal")(lambda: cell_case(False, False, 16, 24, 8, 8))
case("cell_reduce")(lambda: cell_case(True, False, 24, 16, 8, 8))
case("cell_normal_reduction_prev")(lambda: cell_case(False, True, 16, 24, 8, 4))


# ---------------------------------------------------------------------------
# optimizers
# ---------------------------------------------------------------------------

def opt_case(kind):
    p = randn(5, 4).requires_grad_(True)
    t = OrderedDict(p0=p.detach().clone())
    if kind == "sgd":
        hp = {"lr": 0.025, "momentum": 0.9, "dampening": 0.0, "weight_decay": 3e-4, "nesterov": False}
        opt = torch.optim.SGD([p], **hp)
        state_keys = ["momentum_buffer"]
    else:
        hp = {"lr": 3e-4, "betas": [0.5, 0.999], "eps": 1e-8, "weight_decay": 1e-3, "amsgrad": False}
        opt = torch.optim.Adam([p], lr=hp["lr"], betas=tuple(hp["betas"]), eps=hp["eps"],
                               weight_decay=hp["weight_decay"], amsgrad=False)
        state_keys = ["exp_avg", "exp_avg_sq"]
    for step in (1, 2, 3):
        g = randn(5, 4)
        t["g%d" % step] = g.clone()
        p.grad = g.clone()
        opt.step()
        t["p%d" % step] = p.detach().clone()
        for k in state_keys:
            t["%s%d" % (k, step)] = opt.state[p][k].detach().clone()
    hp["steps"] = 3
    hp["names"] = ("p0 initial param; g<t> grad given at step t; p<t> param after step t; "
                   + ", ".join("%s<t>" % k for k in state_keys) + " optimizer state after step t")
    return kind, hp, t


case("optim_sgd")(lambda: opt_case("sgd"))
case("optim_adam")(lambda: opt_case("adam"))


@case("clip_grad_norm")
def _clip():
    gs = [randn(5, 4) * 2, randn(7) * 2, randn(3, 2, 2) * 2]
    params = [torch.zeros_like(g).requires_grad_(True) for g in gs]
    for p, g in zip(params, gs):
        p.grad = g.clone()
    total = torch.nn.utils.clip_grad_norm_(params, 5.0)
    t = OrderedDict()
    for i, g in enumerate(gs):
        t["g%d" % i] = g
    for i, p in enumerate(params):
        t["clipped%d" % i] = p.grad.detach().clone()
    t["total_norm"] = total.detach().reshape(())
    return "clip_grad_norm", {"max_norm": 5.0, "norm_type": 2.0,
                              "rule": "g *= max_norm / (total_norm + 1e-6) if that factor < 1"}, t


# ---------------------------------------------------------------------------

def generate(name):
    torch.manual_seed(seed_of(name))
    op, params, tensors = CASES[name]()
    meta = OrderedDict(op=op, params=json.dumps(params, sort_keys=True), seed=str(seed_of(name)),
                       torch=torch.__version__)
    if "y" in tensors:
        meta["loss"] = "sum(y*r)"
    return op, params, tensors, meta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="testdata/golden")
    ap.add_argument("--only", default="", help="comma-separated case names")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)  # deterministic reductions regardless of the machine
    names = [n for n in CASES if not args.only or n in args.only.split(",")]
    if args.list:
        print("\n".join(names))
        return
    os.makedirs(args.out, exist_ok=True)
    total = 0
    for name in names:
        _, _, tensors, meta = generate(name)
        path = os.path.join(args.out, name + ".safetensors")
        safetensors_io.save(path, tensors, meta)
        size = os.path.getsize(path)
        total += size
        print("%-34s %8d bytes  %d tensors" % (name + ".safetensors", size, len(tensors)))
    print("total %d bytes in %d files" % (total, len(names)))


if __name__ == "__main__":
    main()
