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
printf '%-24s %12s %12s %8s %11s %11s %8s\n' config ours_ms torch_ms time× ours_rss_MB torch_rss_MB rss×
for c in "${configs[@]}"; do
  read -r C L B extra <<<"$c"
  args="--init-channels $C --layers $L --batch-size $B --iters $iters $extra"
  ours=$(./bin/darts bench step $args --json)
  theirs=$($py bench/torch/bench_step.py $args --threads 2 --json | tail -1)
  $py - "$c" "$ours" "$theirs" <<'PY'
import json, sys
cfg, o, t = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
name = "C=%s L=%s B=%s %s" % tuple(cfg.split(" ", 3)[:3] + [("2nd" if "unrolled" in cfg else "1st")])
print("%-24s %12.0f %12.0f %8.2f %11.0f %11.0f %8.2f" % (name, o["median_ms"], t["median_ms"],
      o["median_ms"] / t["median_ms"], o["peak_rss_mb"], t["peak_rss_mb"], o["peak_rss_mb"] / t["peak_rss_mb"]))
PY
done
# Second order against our own first order at the small configuration.
first=$(./bin/darts bench step --init-channels 8 --layers 5 --batch-size 32 --iters $iters --json)
second=$(./bin/darts bench step --init-channels 8 --layers 5 --batch-size 32 --iters $iters --unrolled --json)
$py - "$first" "$second" <<'PY'
import json, sys
f, s = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print("ours second order / first order at C=8 L=5 B=32: %.2f" % (s["median_ms"] / f["median_ms"]))
PY
