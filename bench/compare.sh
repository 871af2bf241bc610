#!/usr/bin/env bash
# make bench-compare: one DARTS search iteration, darts-go against PyTorch on
# the same machine, back to back, each configuration in its own process so
# that peak RSS is per configuration. Prints a table of times, peak RSS and
# the ratios ours/PyTorch.
#
#   bench/compare.sh [ITERS]
#
# PyTorch is Debian's python3-torch under /usr/bin/python3 (2 threads).
set -euo pipefail
cd "$(dirname "$0")/.."
iters=${1:-3}
py=/usr/bin/python3
if ! $py -c 'import torch' 2>/dev/null; then
  echo "bench-compare: PyTorch not found under $py (apt-get install python3-torch)" >&2
  exit 1
fi
go build -o bin/darts ./cmd/darts
configs=(
  "8 5 32 "
  "16 8 64 "
  "8 5 32 --unrolled"
)
declare -A ours_of torch_of
printf '%-24s %12s %12s %8s %11s %11s %8s\n' config ours_ms torch_ms time× ours_rss_MB torch_rss_MB rss×
for c in "${configs[@]}"; do
  read -r C L B extra <<<"$c"
  args="--init-channels $C --layers $L --batch-size $B --iters $iters $extra"
  ours=$(./bin/darts bench step $args --json)
  theirs=$($py bench/torch/bench_step.py $args --threads 2 --json | tail -1)
  ours_of[$c]=$ours
  torch_of[$c]=$theirs
  $py - "$c" "$ours" "$theirs" <<'PY'
import json, sys
cfg, o, t = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
name = "C=%s L=%s B=%s %s" % tuple(cfg.split(" ", 3)[:3] + [("2nd" if "unrolled" in cfg else "1st")])
print("%-24s %12.0f %12.0f %8.2f %11.0f %11.0f %8.2f" % (name, o["median_ms"], t["median_ms"],
      o["median_ms"] / t["median_ms"], o["peak_rss_mb"], t["peak_rss_mb"], o["peak_rss_mb"] / t["peak_rss_mb"]))
PY
done
# Second order against our own first order at the small configuration.
# With F a forward pass, B a backward pass with weight gradients and Bα one
# with only ∂/∂α, a first-order iteration is F+Bα (architecture step) + F+B
# (weight step); a second-order one is F+B (virtual step w') + F+B
# (validation loss at w', ∂/∂α and ∂/∂w') + 2(F+Bα) (the two
# finite-difference passes at w ± r·v) + F+B (weight step). Run one after
# the other, that is (5F+3B+2Bα)/(2F+B+Bα) times the first order, above 2.5
# whenever B > Bα; ours runs the two finite-difference passes side by side,
# one core each (Architect.hessianPasses), which is how it gets under that.
# F, F+B and F+Bα are timed by --mode forward, weight and arch. The host
# drifts by ±15% over minutes, so the ratio is also measured by --mode
# orders: each iteration a first-order search iteration then a second-order
# one in the same process, the median of the per-iteration ratios over
# ORDER_ITERS (default 15) iterations.
small="--init-channels 8 --layers 5 --batch-size 32 --iters $iters"
first=${ours_of["8 5 32 "]}
second=${ours_of["8 5 32 --unrolled"]}
fwd=$(./bin/darts bench step $small --mode forward --json)
wgt=$(./bin/darts bench step $small --mode weight --json)
arc=$(./bin/darts bench step $small --mode arch --json)
tfirst=${torch_of["8 5 32 "]}
tsecond=${torch_of["8 5 32 --unrolled"]}
orders=$(./bin/darts bench step --init-channels 8 --layers 5 --batch-size 32 --iters "${ORDER_ITERS:-15}" --mode orders --json)
# The same interleaved ratio at the large configuration (ORDER_ITERS_LARGE,
# default 8, about 20 s each).
orders16=$(./bin/darts bench step --init-channels 16 --layers 8 --batch-size 64 --iters "${ORDER_ITERS_LARGE:-8}" --mode orders --json)
$py - "$first" "$second" "$fwd" "$wgt" "$arc" "$tfirst" "$tsecond" "$orders" "$orders16" <<'PY'
import json, sys
f, s, fw, wg, ar, tf, ts = (json.loads(a)["median_ms"] for a in sys.argv[1:8])
o, o16 = json.loads(sys.argv[8]), json.loads(sys.argv[9])
F, B, Ba = fw, wg - fw, ar - fw
floor = (5 * F + 3 * B + 2 * Ba) / (2 * F + B + Ba)
def interleaved(name, o):
    print("  %s, %d iterations: median %.2f (first %.0f ms, second %.0f ms; per iteration %s)" % (
        name, len(o["order_ratios"]), o["order_ratio"], o["first_order_ms"], o["second_order_ms"],
        " ".join("%.2f" % r for r in o["order_ratios"])))
print("ours second order / first order (target <= 2.5), interleaved in one process (--mode orders):")
interleaved("C=8 L=5 B=32", o)
interleaved("C=16 L=8 B=64", o16)
print("  C=8 L=5 B=32 from the two separate runs above: %.2f (%.0f / %.0f ms; minutes apart, the host drifts by +-15%%)" % (s / f, s, f))
print("  passes at C=8: F %.0f ms, B %.0f ms, Bα %.0f ms -> (5F+3B+2Bα)/(2F+B+Bα) = %.2f with the passes one after the other" % (F, B, Ba, floor))
print("PyTorch second order / first order, C=8 L=5 B=32 (two separate runs): %.2f (%.0f / %.0f ms)" % (ts / tf, ts, tf))
PY
