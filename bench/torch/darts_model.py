"""PyTorch reference models for darts-go.

Written for darts-go as a reference implementation of the DARTS networks
(Liu et al., "DARTS: Differentiable Architecture Search", ICLR 2019).  The
module tree deliberately mirrors the original quark0/darts code so that
``state_dict()`` keys are identical to the original's, e.g.

    stem.0.weight, stem.1.weight, stem.1.bias, stem.1.running_mean, ...
    cells.3.preprocess0.op.1.weight            (ReLUConvBN: op.0 ReLU, op.1 conv, op.2 BN)
    cells.3.preprocess0.conv_1.weight          (FactorizedReduce: conv_1, conv_2, bn)
    cells.3._ops.7._ops.4.op.1.weight          (edge 7, primitive 4 = sep_conv_3x3)
    cells.3._ops.7._ops.1.1.running_mean       (max_pool_3x3 followed by BN(affine=False))
    classifier.weight, classifier.bias
    alphas_normal / alphas_reduce              (attributes, not nn.Parameters, as in the original)

Run this file directly to check the parameter counts:

    /usr/bin/python3 bench/torch/darts_model.py
"""

from collections import namedtuple

import torch
import torch.nn as nn
import torch.nn.functional as F

PRIMITIVES = [
    "none",
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
]

Genotype = namedtuple("Genotype", "normal normal_concat reduce reduce_concat")

# The DARTS (second order) CIFAR-10 cell from the paper.
DARTS_V2 = Genotype(
    normal=[("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0),
            ("sep_conv_3x3", 1), ("sep_conv_3x3", 1), ("skip_connect", 0),
            ("skip_connect", 0), ("dil_conv_3x3", 2)],
    normal_concat=[2, 3, 4, 5],
    reduce=[("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2),
            ("max_pool_3x3", 1), ("max_pool_3x3", 0), ("skip_connect", 2),
            ("skip_connect", 2), ("max_pool_3x3", 1)],
    reduce_concat=[2, 3, 4, 5],
)

SEARCH_PARAMS_C16_L8 = 1930618      # search supernet, C=16, 8 cells, 10 classes, alphas excluded
EVAL_PARAMS_DARTS_V2_C36_L20 = 3349342  # NetworkCIFAR(DARTS_V2), C=36, 20 cells, auxiliary head excluded


# --------------------------------------------------------------------------
# primitive operations
# --------------------------------------------------------------------------

class Identity(nn.Module):
    def forward(self, x):
        return x


class Zero(nn.Module):
    """The 'none' op: zeros of the output shape (subsampled at stride 2)."""

    def __init__(self, stride):
        super().__init__()
        self.stride = stride

    def forward(self, x):
        if self.stride != 1:
            x = x[:, :, ::self.stride, ::self.stride]
        return x.mul(0.0)


class ReLUConvBN(nn.Module):
    """ReLU -> conv (no bias) -> BN, kept in .op as a Sequential (op.0, op.1, op.2)."""

    def __init__(self, c_in, c_out, kernel_size, stride, padding, affine=True):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel_size, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )

    def forward(self, x):
        return self.op(x)


class DilConv(nn.Module):
    """ReLU -> depthwise (dilated) conv -> 1x1 conv -> BN."""

    def __init__(self, c_in, c_out, kernel_size, stride, padding, dilation, affine=True):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, kernel_size, stride=stride, padding=padding,
                      dilation=dilation, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, 1, padding=0, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )

    def forward(self, x):
        return self.op(x)


class SepConv(nn.Module):
    """Two stacked (ReLU, depthwise, pointwise, BN) blocks; the stride is on the first."""

    def __init__(self, c_in, c_out, kernel_size, stride, padding, affine=True):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, kernel_size, stride=stride, padding=padding, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_in, 1, padding=0, bias=False),
            nn.BatchNorm2d(c_in, affine=affine),
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, kernel_size, stride=1, padding=padding, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, 1, padding=0, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )

    def forward(self, x):
        return self.op(x)


class FactorizedReduce(nn.Module):
    """ReLU, then two 1x1 stride-2 convs (the second on x[:, :, 1:, 1:]), concat, BN."""

    def __init__(self, c_in, c_out, affine=True):
        super().__init__()
        assert c_out % 2 == 0
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, padding=0, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, padding=0, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x):
        x = self.relu(x)
        y = torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1)
        return self.bn(y)


def make_op(name, c, stride, affine):
    if name == "none":
        return Zero(stride)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
    if name == "max_pool_3x3":
        return nn.MaxPool2d(3, stride=stride, padding=1)
    if name == "skip_connect":
        return Identity() if stride == 1 else FactorizedReduce(c, c, affine=affine)
    if name == "sep_conv_3x3":
        return SepConv(c, c, 3, stride, 1, affine=affine)
    if name == "sep_conv_5x5":
        return SepConv(c, c, 5, stride, 2, affine=affine)
    if name == "dil_conv_3x3":
        return DilConv(c, c, 3, stride, 2, 2, affine=affine)
    if name == "dil_conv_5x5":
        return DilConv(c, c, 5, stride, 4, 2, affine=affine)
    raise ValueError("unknown op " + name)


# --------------------------------------------------------------------------
# search network (model_search.py)
# --------------------------------------------------------------------------

class MixedOp(nn.Module):
    """sum_k weights[k] * op_k(x) over all primitives (search net: affine=False)."""

    def __init__(self, c, stride):
        super().__init__()
        self._ops = nn.ModuleList()
        for name in PRIMITIVES:
            op = make_op(name, c, stride, affine=False)
            if "pool" in name:
                op = nn.Sequential(op, nn.BatchNorm2d(c, affine=False))
            self._ops.append(op)

    def forward(self, x, weights):
        out = None
        for k, op in enumerate(self._ops):
            t = weights[k] * op(x)
            out = t if out is None else out + t
        return out


class SearchCell(nn.Module):
    def __init__(self, steps, multiplier, c_pp, c_p, c, reduction, reduction_prev):
        super().__init__()
        self.reduction = reduction
        if reduction_prev:
            self.preprocess0 = FactorizedReduce(c_pp, c, affine=False)
        else:
            self.preprocess0 = ReLUConvBN(c_pp, c, 1, 1, 0, affine=False)
        self.preprocess1 = ReLUConvBN(c_p, c, 1, 1, 0, affine=False)
        self._steps = steps
        self._multiplier = multiplier
        self._ops = nn.ModuleList()
        self._bns = nn.ModuleList()  # unused, kept for module-tree parity with the original
        for i in range(steps):
            for j in range(2 + i):
                stride = 2 if reduction and j < 2 else 1
                self._ops.append(MixedOp(c, stride))

    def forward(self, s0, s1, weights):
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        edge = 0
        for _ in range(self._steps):
            s = None
            for h in list(states):
                t = self._ops[edge](h, weights[edge])
                s = t if s is None else s + t
                edge += 1
            states.append(s)
        return torch.cat(states[-self._multiplier:], dim=1)


class Network(nn.Module):
    """DARTS search supernet (CIFAR)."""

    def __init__(self, C, num_classes, layers, steps=4, multiplier=4, stem_multiplier=3):
        super().__init__()
        self._C = C
        self._num_classes = num_classes
        self._layers = layers
        self._steps = steps
        self._multiplier = multiplier
        self._stem_multiplier = stem_multiplier
        c_curr = stem_multiplier * C
        self.stem = nn.Sequential(
            nn.Conv2d(3, c_curr, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_curr),  # affine (as in the original)
        )
        c_pp, c_p, c_curr = c_curr, c_curr, C
        self.cells = nn.ModuleList()
        reduction_prev = False
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                c_curr *= 2
            self.cells.append(SearchCell(steps, multiplier, c_pp, c_p, c_curr, reduction, reduction_prev))
            reduction_prev = reduction
            c_pp, c_p = c_p, multiplier * c_curr
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)
        k = sum(2 + i for i in range(steps))
        # plain tensors, not nn.Parameters: excluded from parameters()/state_dict like the original
        self.alphas_normal = (1e-3 * torch.randn(k, len(PRIMITIVES))).requires_grad_(True)
        self.alphas_reduce = (1e-3 * torch.randn(k, len(PRIMITIVES))).requires_grad_(True)

    def arch_parameters(self):
        return [self.alphas_normal, self.alphas_reduce]

    def new(self):
        """A fresh network with the same alphas (as the original's Network.new)."""
        m = Network(self._C, self._num_classes, self._layers, self._steps, self._multiplier,
                    self._stem_multiplier)
        with torch.no_grad():
            for dst, src in zip(m.arch_parameters(), self.arch_parameters()):
                dst.copy_(src)
        return m

    def forward(self, x):
        wn = F.softmax(self.alphas_normal, dim=-1)
        wr = F.softmax(self.alphas_reduce, dim=-1)
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1, wr if cell.reduction else wn)
        out = self.global_pooling(s1)
        return self.classifier(out.view(out.size(0), -1))

    def loss(self, x, target):
        return F.cross_entropy(self(x), target)


# --------------------------------------------------------------------------
# evaluation network (model.py)
# --------------------------------------------------------------------------

def drop_path(x, drop_prob):
    """Per-sample drop path: x / keep * Bernoulli(keep) mask of shape (N,1,1,1)."""
    if drop_prob > 0.0:
        keep = 1.0 - drop_prob
        mask = torch.empty(x.size(0), 1, 1, 1, dtype=x.dtype, device=x.device).bernoulli_(keep)
        x = x.div(keep).mul(mask)
    return x


class EvalCell(nn.Module):
    def __init__(self, genotype, c_pp, c_p, c, reduction, reduction_prev):
        super().__init__()
        if reduction_prev:
            self.preprocess0 = FactorizedReduce(c_pp, c)
        else:
            self.preprocess0 = ReLUConvBN(c_pp, c, 1, 1, 0)
        self.preprocess1 = ReLUConvBN(c_p, c, 1, 1, 0)
        if reduction:
            names, indices = zip(*genotype.reduce)
            concat = genotype.reduce_concat
        else:
            names, indices = zip(*genotype.normal)
            concat = genotype.normal_concat
        assert len(names) == len(indices)
        self._steps = len(names) // 2
        self._concat = list(concat)
        self.multiplier = len(concat)
        self._indices = list(indices)
        self._ops = nn.ModuleList()
        for name, idx in zip(names, indices):
            stride = 2 if reduction and idx < 2 else 1
            self._ops.append(make_op(name, c, stride, affine=True))

    def forward(self, s0, s1, drop_prob):
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for i in range(self._steps):
            op_a, op_b = self._ops[2 * i], self._ops[2 * i + 1]
            a = op_a(states[self._indices[2 * i]])
            b = op_b(states[self._indices[2 * i + 1]])
            if self.training and drop_prob > 0.0:
                if not isinstance(op_a, Identity):
                    a = drop_path(a, drop_prob)
                if not isinstance(op_b, Identity):
                    b = drop_path(b, drop_prob)
            states.append(a + b)
        return torch.cat([states[i] for i in self._concat], dim=1)


class AuxiliaryHeadCIFAR(nn.Module):
    """Auxiliary classifier on the 8x8 maps after the second reduction cell."""

    def __init__(self, c, num_classes):
        super().__init__()
        self.features = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.AvgPool2d(5, stride=3, padding=0, count_include_pad=False),  # 8x8 -> 2x2
            nn.Conv2d(c, 128, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=False),
            nn.Conv2d(128, 768, 2, bias=False),
            nn.BatchNorm2d(768),
            nn.ReLU(inplace=False),
        )
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x):
        x = self.features(x)
        return self.classifier(x.view(x.size(0), -1))


class NetworkCIFAR(nn.Module):
    def __init__(self, C, num_classes, layers, auxiliary, genotype):
        super().__init__()
        self._layers = layers
        self._auxiliary = auxiliary
        self.drop_path_prob = 0.0
        c_curr = 3 * C
        self.stem = nn.Sequential(
            nn.Conv2d(3, c_curr, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_curr),
        )
        c_pp, c_p, c_curr = c_curr, c_curr, C
        self.cells = nn.ModuleList()
        reduction_prev = False
        c_aux = None
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                c_curr *= 2
            cell = EvalCell(genotype, c_pp, c_p, c_curr, reduction, reduction_prev)
            self.cells.append(cell)
            reduction_prev = reduction
            c_pp, c_p = c_p, cell.multiplier * c_curr
            if i == 2 * layers // 3:
                c_aux = c_p
        if auxiliary:
            self.auxiliary_head = AuxiliaryHeadCIFAR(c_aux, num_classes)
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)

    def forward(self, x):
        logits_aux = None
        s0 = s1 = self.stem(x)
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, self.drop_path_prob)
            if i == 2 * self._layers // 3 and self._auxiliary and self.training:
                logits_aux = self.auxiliary_head(s1)
        out = self.global_pooling(s1)
        return self.classifier(out.view(out.size(0), -1)), logits_aux


def flat(ts):
    """The tensors of ts, flattened and concatenated."""
    return torch.cat([t.reshape(-1) for t in ts])


def fd_arch_grad(model, params, dalpha, vec, xt, yt, eta):
    """The original architect's second-order gradient: dalpha (= dL_val/dalpha
    at w') minus eta times the finite-difference Hessian-vector product
    (g+ - g-)/2R with g+- = dL_train/dalpha at w +- R*vec, R = 0.01/|vec|.
    The weights params of model are moved and restored in place."""
    alphas = model.arch_parameters()
    with torch.no_grad():
        R = 0.01 / flat(vec).norm()
        for p, v in zip(params, vec):
            p.add_(v, alpha=R.item())
    gp = torch.autograd.grad(model.loss(xt, yt), alphas)
    with torch.no_grad():
        for p, v in zip(params, vec):
            p.sub_(v, alpha=2 * R.item())
    gn = torch.autograd.grad(model.loss(xt, yt), alphas)
    with torch.no_grad():
        for p, v in zip(params, vec):
            p.add_(v, alpha=R.item())
        return [da - eta * (a - b).div_(2 * R) for da, a, b in zip(dalpha, gp, gn)]


def count_params(model, skip_auxiliary=True):
    """Number of parameters (nn.Parameters), without the auxiliary head (like utils.count_parameters_in_MB)."""
    return sum(p.numel() for name, p in model.named_parameters()
               if not (skip_auxiliary and "auxiliary" in name))


def check_param_counts():
    net = Network(16, 10, 8)
    n = count_params(net)
    assert n == SEARCH_PARAMS_C16_L8, "search net C=16 L=8: %d != %d" % (n, SEARCH_PARAMS_C16_L8)
    ev = NetworkCIFAR(36, 10, 20, True, DARTS_V2)
    m = count_params(ev)
    assert m == EVAL_PARAMS_DARTS_V2_C36_L20, "NetworkCIFAR DARTS_V2: %d != %d" % (m, EVAL_PARAMS_DARTS_V2_C36_L20)
    return n, m, count_params(ev, skip_auxiliary=False)


if __name__ == "__main__":
    torch.set_num_threads(2)
    n, m, m_aux = check_param_counts()
    print("search Network(C=16, L=8, 10 classes): %d weight parameters (alphas 2x14x8 excluded)" % n)
    print("NetworkCIFAR(DARTS_V2, C=36, L=20): %d parameters without auxiliary head, %d with" % (m, m_aux))
    # quick shape smoke test
    torch.manual_seed(0)
    net = Network(8, 10, 5)
    y = net(torch.randn(2, 3, 32, 32))
    assert y.shape == (2, 10)
    ev = NetworkCIFAR(8, 10, 5, True, DARTS_V2)
    ev.drop_path_prob = 0.2
    ev.train()
    logits, aux = ev(torch.randn(2, 3, 32, 32))
    assert logits.shape == (2, 10) and aux.shape == (2, 10)
    print("ok")
