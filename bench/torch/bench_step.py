"""Time one DARTS search iteration in PyTorch (CPU) on random data.

Usage (Debian's python3-torch, run with /usr/bin/python3):

    /usr/bin/python3 bench/torch/bench_step.py --init-channels 8 --layers 5 --batch-size 32 --iters 5
    /usr/bin/python3 bench/torch/bench_step.py --init-channels 8 --layers 5 --batch-size 32 --iters 3 --unrolled
    /usr/bin/python3 bench/torch/bench_step.py ... --mode forward|weight|arch|search --json
    /usr/bin/python3 bench/torch/bench_step.py --suite      # the README configs, one process each

Modes (all in training mode, on fixed random batches of 32x32 RGB images, 10 classes):
  search  one full train_search.py iteration: architecture step on a validation
          batch, then weight step on a training batch (the default);
  arch    the architecture step only;
  weight  the weight step only;
  forward the training-mode forward pass + cross-entropy loss only (graph recorded, no backward).

Architecture step: Adam(lr 3e-4, betas (0.5, 0.999), weight_decay 1e-3) on
alphas_normal / alphas_reduce.
  first order (default): grad of L_val(w, alpha) wrt the alphas (torch.autograd.grad
      wrt the alphas only, so no weight gradients are formed; the original's
      loss.backward() also forms them, then throws them away);
  --unrolled: second-order DARTS as in the original architect.py:
      w' = w - xi * (dL_train/dw + 0.9 * momentum_buffer + 3e-4 * w), xi = 0.025,
      dalpha = dL_val(w', alpha)/dalpha,  v = dL_val(w', alpha)/dw',
      eps = 0.01 / ||v||,  w+- = w +- eps v,
      grad_alpha = dalpha - xi * (dL_train(w+)/dalpha - dL_train(w-)/dalpha) / (2 eps).
      The unrolled network is one clone built once and reloaded with w' (plus
      the model's BN buffers and alphas) every step, instead of the original's
      Network.new() per step; construction is setup cost, not step compute.
Weight step: SGD(lr 0.025, momentum 0.9, weight_decay 3e-4), clip_grad_norm_(5).

OMP_WAIT_POLICY defaults to PASSIVE here (see below); export
OMP_WAIT_POLICY=ACTIVE for libgomp's spinning default.

Output: median ms/iteration over --iters timed iterations (after --warmup),
min_ms, cpu_ms = median process CPU time per iteration (all threads; with
--threads 1 it estimates the uncontended wall time on a shared machine),
images/s = batch_size / median seconds (training-batch images per iteration),
peak RSS = resource.getrusage(RUSAGE_SELF).ru_maxrss of this process.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

# libgomp's default (active) wait policy makes PyTorch's 2-thread runs 5-10x
# slower whenever other jobs share the cores (threads spin at every parallel
# region's barrier while the thread they wait for is descheduled). Passive
# waiting costs little on an idle machine; OMP_WAIT_POLICY=ACTIVE in the
# environment restores the stock behaviour. Must be set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402,F401

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from darts_model import Network, fd_arch_grad, flat  # noqa: E402

ARCH_LR, ARCH_BETAS, ARCH_WD = 3e-4, (0.5, 0.999), 1e-3
LR, MOMENTUM, WD, GRAD_CLIP = 0.025, 0.9, 3e-4, 5.0


class Searcher:
    def __init__(self, model, unrolled):
        self.model = model
        self.unrolled = unrolled
        self.w_opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WD)
        self.a_opt = torch.optim.Adam(model.arch_parameters(), lr=ARCH_LR, betas=ARCH_BETAS,
                                      weight_decay=ARCH_WD)
        self.clone = model.new() if unrolled else None

    # ---- architecture step ------------------------------------------------
    def arch_step(self, xt, yt, xv, yv):
        self.a_opt.zero_grad()
        alphas = self.model.arch_parameters()
        if self.unrolled:
            grads = self._unrolled_grads(xt, yt, xv, yv)
        else:
            loss = self.model.loss(xv, yv)
            grads = torch.autograd.grad(loss, alphas)
        for a, g in zip(alphas, grads):
            a.grad = g.detach()
        self.a_opt.step()

    def _unrolled_grads(self, xt, yt, xv, yv):
        model, clone, eta = self.model, self.clone, LR
        params = list(model.parameters())
        # virtual step w' = w - eta * (moment + dL_train/dw + wd * w)
        loss = model.loss(xt, yt)
        gw = torch.autograd.grad(loss, params)
        with torch.no_grad():
            theta = flat(params)
            try:
                moment = flat(self.w_opt.state[p]["momentum_buffer"] for p in params).mul_(MOMENTUM)
            except KeyError:
                moment = torch.zeros_like(theta)
            dtheta = flat(gw) + WD * theta
            w_new = theta - eta * (moment + dtheta)
            # load w' (and the current BN buffers and alphas) into the clone
            off = 0
            for q in clone.parameters():
                n = q.numel()
                q.copy_(w_new[off:off + n].view_as(q))
                off += n
            for qb, pb in zip(clone.buffers(), model.buffers()):
                qb.copy_(pb)
            for qa, pa in zip(clone.arch_parameters(), model.arch_parameters()):
                qa.copy_(pa)
        # dalpha and v at w'
        cparams = list(clone.parameters())
        loss_v = clone.loss(xv, yv)
        g = torch.autograd.grad(loss_v, clone.arch_parameters() + cparams)
        dalpha, vec = g[:2], g[2:]
        # finite-difference Hessian-vector product on the original model
        return fd_arch_grad(model, params, dalpha, vec, xt, yt, eta)

    # ---- weight step --------------------------------------------------------
    def weight_step(self, xt, yt):
        self.w_opt.zero_grad()
        loss = self.model.loss(xt, yt)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), GRAD_CLIP)
        self.w_opt.step()
        return loss.item()


def run(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = Network(args.init_channels, 10, args.layers)
    model.train()
    s = Searcher(model, args.unrolled)
    B = args.batch_size
    xt, yt = torch.randn(B, 3, 32, 32), torch.randint(0, 10, (B,))
    xv, yv = torch.randn(B, 3, 32, 32), torch.randint(0, 10, (B,))

    def one():
        if args.mode == "search":
            s.arch_step(xt, yt, xv, yv)
            s.weight_step(xt, yt)
        elif args.mode == "arch":
            s.arch_step(xt, yt, xv, yv)
        elif args.mode == "weight":
            s.weight_step(xt, yt)
        elif args.mode == "forward":
            model.loss(xt, yt)

    load0 = os.getloadavg()[0]
    # one weight step first so that the momentum buffers exist (as after the
    # first iteration of a real search)
    s.weight_step(xt, yt)
    for _ in range(args.warmup):
        one()
    times, cpu = [], []
    for _ in range(args.iters):
        t0, c0 = time.perf_counter(), time.process_time()
        one()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    med = statistics.median(times)
    res = {
        "loadavg_1m_start": load0, "loadavg_1m_end": os.getloadavg()[0],
        "init_channels": args.init_channels, "layers": args.layers, "batch_size": B,
        "mode": args.mode, "unrolled": args.unrolled, "threads": torch.get_num_threads(),
        "iters": args.iters, "median_ms": med * 1e3, "min_ms": min(times) * 1e3,
        "cpu_ms": statistics.median(cpu) * 1e3,
        "images_per_s": B / med,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "params": sum(p.numel() for p in model.parameters()),
        "torch": torch.__version__, "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
    }
    if args.json:
        print(json.dumps(res))
    else:
        print("DARTS %s%s C=%d L=%d B=%d threads=%d params=%d: median %.1f ms/iter (min %.1f, cpu %.1f, %d iters), "
              "%.1f images/s, peak RSS %.0f MB, load %.1f/%.1f" % (
                  args.mode, " (second order)" if args.unrolled else "", args.init_channels, args.layers, B,
                  res["threads"], res["params"], res["median_ms"], res["min_ms"], res["cpu_ms"], args.iters,
                  res["images_per_s"], res["peak_rss_mb"],
                  res["loadavg_1m_start"], res["loadavg_1m_end"]))
    return res


SUITE = [
    ["--init-channels", "8", "--layers", "5", "--batch-size", "32", "--iters", "5"],
    ["--init-channels", "16", "--layers", "8", "--batch-size", "64", "--iters", "3"],
    ["--init-channels", "8", "--layers", "5", "--batch-size", "32", "--iters", "3", "--unrolled"],
]


def suite(threads):
    for cfg in SUITE:
        cmd = [sys.executable, os.path.abspath(__file__)] + cfg + ["--threads", str(threads), "--json"]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        print(out.strip().splitlines()[-1], flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--init-channels", type=int, default=8)
    ap.add_argument("--layers", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--unrolled", action="store_true")
    ap.add_argument("--mode", choices=["search", "forward", "weight", "arch"], default="search")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--suite", action="store_true", help="run the README configs, each in its own process")
    args = ap.parse_args()
    if args.suite:
        suite(args.threads)
    else:
        run(args)


if __name__ == "__main__":
    main()
