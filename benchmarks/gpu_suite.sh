#!/usr/bin/env bash
# Every GPU benchmark of issue 14 in one run, each under its own time limit, sized to finish
# within 8 minutes on one H100/H200 including compilation (the limits below sum to 450 s).
#
#   PYTHONPATH=. bash benchmarks/gpu_suite.sh [OUT_DIR]
#
# OUT_DIR (default benchmarks/results/gpu_<date>) receives every benchmark's JSON (machine info
# inside), its log, and summary.tsv (benchmark, exit status, seconds); the table is printed at
# the end. A benchmark that runs past its limit is stopped (status 124) and the suite goes on.
# Runs on a CPU too (slowly; the limits then cut most benchmarks short), which is how the script
# itself is tested.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-benchmarks/results/gpu_$(date +%Y%m%d_%H%M%S)}"
mkdir -p "$OUT"
export JAXTRADE_BENCH_RESULTS="$OUT"
export PYTHONPATH="${PYTHONPATH:-.}"
export XLA_PYTHON_CLIENT_PREALLOCATE="${XLA_PYTHON_CLIENT_PREALLOCATE:-false}"
PY="${PYTHON:-python}"
SCALE="${GPU_SUITE_SCALE:-1}"   # multiply every limit (e.g. 0.1 for a smoke run of the script)
printf 'benchmark\tstatus\tseconds\n' > "$OUT/summary.tsv"

run() {  # run NAME LIMIT_SECONDS COMMAND...
    local name="$1" limit="$2"; shift 2
    limit=$(awk -v l="$limit" -v s="$SCALE" 'BEGIN { v = int(l * s); print (v < 5 ? 5 : v) }')
    echo "== $name (limit ${limit} s): $*"
    local start end status
    start=$(date +%s.%N)
    timeout --signal=INT --kill-after=10 "$limit" "$@" > "$OUT/$name.log" 2>&1
    status=$?
    end=$(date +%s.%N)
    tail -n 25 "$OUT/$name.log"
    printf '%s\t%s\t%.1f\n' "$name" "$status" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" >> "$OUT/summary.tsv"
}

"$PY" -c "import jax; print('jax', jax.__version__, jax.devices())" | tee "$OUT/devices.txt"

# fixed effects at the paper's scale: 18M rows, firm-year + product-year FE, CRV1 (target < 2 s warm)
run fixest_paper_lpm 90 "$PY" benchmarks/bench_fixest_paper.py --only lpm --no-pyfixest --name fixest_paper_lpm
# multiproduct GE: vmapped batch of 1,024 at 101 x 10 (target >= 1,000 equilibria/s)
run multiproduct_throughput 75 "$PY" benchmarks/bench_multiproduct_throughput.py --batch 1024 --no-unsharded \
    --name multiproduct_throughput
# the same batch in float32 (must work and be faster than float64)
run multiproduct_throughput_f32 45 env JAXTRADE_PRECISION=float32 "$PY" benchmarks/bench_multiproduct_throughput.py \
    --batch 1024 --no-unsharded --name multiproduct_throughput_f32
# Ruhl (2008) Krusell-Smith, 200 x 200 types, 3,000 periods (target < 30 s)
run sunk_cost_ks 75 "$PY" benchmarks/bench_sunk_cost.py --only solve --name sunk_cost_ks
# proximity build at the paper's scale, 128k firms (target < 20 s)
run proximity_paper 75 "$PY" benchmarks/bench_proximity.py --preset paper --once --no-regressions --name proximity_paper
# Ara & Zhang statics, 100,000 parameter draws
run vertical 45 "$PY" benchmarks/bench_vertical.py --repeats 20
# transitions: fake-news Jacobian and one path at 21 x 5, T = 60
run transition 45 "$PY" benchmarks/bench_transition.py --quick --out "$OUT/bench_transition_quick.json"

echo
echo "== summary ($OUT/summary.tsv; status 0 ok, 124 stopped at its limit)"
column -t -s $'\t' "$OUT/summary.tsv" 2>/dev/null || cat "$OUT/summary.tsv"
