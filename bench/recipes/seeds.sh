#!/usr/bin/env bash
# Test all-heads accuracy of a pipeline's recipe over training seeds × precisions, as a user runs it:
# a copy of the YAML in a scratch folder (nothing lands in the repository), the data stages run once
# (their own seeds stay fixed), then for each seed and precision
#   mlc-pipe run <copy> --stage evaluate -j 1 --threads 1 --precision P -S stages.train.with.seed=S
# and evaluate's metrics.json summary.all_heads_acc, the train stage's wall time and the run's CPU time
# (user + sys, /usr/bin/time) are appended to <work>/results.tsv; each run's metrics.json and train.log
# are kept as <work>/<pipeline>-<label>-<precision>/{metrics,train}-<precision>-s<seed>.*.
# Prints the tables at the end (per seed and mean ± sd per arm; each arm against the pipeline's first
# arm, unpaired and paired by seed); --table only prints them.
#
#   bench/recipes/seeds.sh --pipeline pipelines/quickstart.yaml [--seeds 0,1,2] [--precisions fp32,bf16]
#                          [--code DIR] [--label after] [--work /tmp/recipes] [--threads 1] [--set KEY=VALUE]... [--table]
#
# --code runs another checkout's bin/mlc-pipe.js (e.g. a worktree with a fix reverted; label it).
# --set passes -S KEY=VALUE to every run (repeatable; label the arm), e.g. a neutral perturbation
# --set stages.train.with.lr=0.0020002 (lr × (1 + 1e-4)) for the seed-paired spread that rounding
# differences alone give (a chaos baseline for a precision's paired differences).
# One run at a time, under nice -n 10. The report folder is reports/<pipeline file name>.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
pipeline='' seeds=0,1,2 precisions=fp32,bf16 code=$here label=main work=/tmp/recipes threads=1 table_only=0 sets=()
while [ $# -gt 0 ]; do
  case $1 in
    --pipeline) pipeline=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --precisions) precisions=$2; shift 2 ;;
    --code) code=$(cd "$2" && pwd); shift 2 ;;
    --label) label=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --set) sets+=(-S "$2"); shift 2 ;;
    --table) table_only=1; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$work"
results=$work/results.tsv
[ -f "$results" ] || printf 'pipeline\tarm\tprecision\tseed\tall_heads_acc\ttrain_s\trun_cpu_s\tfinished\n' > "$results"

if [ "$table_only" = 0 ]; then
  [ -n "$pipeline" ] || { echo 'need --pipeline' >&2; exit 2; }
  name=$(basename "$pipeline" .yaml)
  for p in ${precisions//,/ }; do
    dir=$work/$name-$label-$p
    mkdir -p "$dir/pipelines"
    cp "$pipeline" "$dir/pipelines/$name.yaml"
    # the data stages once, outside the timed runs (their seeds are the YAML's; train's seed is not theirs)
    (cd "$dir" && nice -n 10 node "$code/bin/mlc-pipe.js" run "pipelines/$name.yaml" --stage check-labels \
      --stage write-tfrecord -j 1 --plain) > "$dir/data.log" 2>&1 || { echo "data stages failed, see $dir/data.log" >&2; exit 1; }
  done
  for s in ${seeds//,/ }; do
    for p in ${precisions//,/ }; do
      dir=$work/$name-$label-$p
      log=$dir/run-$p-s$s.log
      echo "== $name $label $p seed $s ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))"
      (cd "$dir" && nice -n 10 /usr/bin/time -f '%U %S' -o "$dir/cpu-$p-s$s.txt" node "$code/bin/mlc-pipe.js" run "pipelines/$name.yaml" --stage evaluate -j 1 \
        --threads "$threads" --precision "$p" -S "stages.train.with.seed=$s" ${sets[@]+"${sets[@]}"} --plain) > "$log" 2>&1 ||
        { echo "run failed, see $log" >&2; tail -5 "$log" >&2; continue; }
      acc=$(node -e "console.log(JSON.parse(require('fs').readFileSync(process.argv[1])).summary.all_heads_acc)" "$dir/reports/$name/metrics.json")
      train_s=$(sed -n 's/^✔ train \[.*\] (\([0-9.]*\)s)$/\1/p' "$log" | tail -1)
      cpu_s=$(awk '{ printf "%.0f", $1 + $2 }' "$dir/cpu-$p-s$s.txt")
      cp "$dir/reports/$name/metrics.json" "$dir/metrics-$p-s$s.json"
      cp "$dir/logs/$name/train.log" "$dir/train-$p-s$s.log" 2>/dev/null || true   # per-epoch losses and val metrics
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$label" "$p" "$s" "$acc" "${train_s:-?}" "$cpu_s" "$(date -u +%H:%M:%S)" >> "$results"
      echo "   all_heads_acc $acc, train ${train_s:-?} s wall, run ${cpu_s} s CPU (load $(cut -d' ' -f1-3 /proc/loadavg))"
    done
  done
fi

# The table: per arm the seeds' accuracies, mean ± sd (sample sd, n−1), the mean train stage wall time
# and the mean CPU time (user + sys) of the whole run command.
node - "$results" <<'JS'
const rows = require('fs').readFileSync(process.argv[2], 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
const arms = new Map();
for (const [pipeline, arm, precision, seed, acc, t, cpu] of rows) {
  const k = `${pipeline} | ${arm} | ${precision}`;
  if (!arms.has(k)) arms.set(k, []);
  arms.get(k).push({ seed, acc: Number(acc), t: Number(t), cpu: Number(cpu) });
}
console.log('| pipeline | arm | precision | per seed (all-heads acc) | mean ± sd | train stage wall s (mean) | run CPU s (mean) |');
console.log('|---|---|---|---|---|---|---|');
for (const [k, v] of arms) {
  const a = v.map((r) => r.acc);
  const m = a.reduce((x, y) => x + y, 0) / a.length;
  const sd = a.length > 1 ? Math.sqrt(a.reduce((x, y) => x + (y - m) ** 2, 0) / (a.length - 1)) : NaN;
  const t = v.map((r) => r.t).filter(Number.isFinite);
  const per = v.map((r) => `s${r.seed} ${r.acc.toFixed(3)}`).join(', ');
  const avg = (xs) => (xs.length ? (xs.reduce((x, y) => x + y, 0) / xs.length).toFixed(0) : '?');
  const c = v.map((r) => r.cpu).filter(Number.isFinite);
  console.log(`| ${k} | ${per} | ${m.toFixed(3)} ± ${Number.isNaN(sd) ? '–' : sd.toFixed(3)} | ${avg(t)} | ${avg(c)} |`);
}

// Each arm against its pipeline's first arm (the first rows: run the reference arm first): the
// difference of means with Welch's t, and the difference paired by seed (same seed = same initial
// weights and batch order) with its paired t. |t| well under ~2 at these n is within seed noise.
const stats = (a) => {
  const m = a.reduce((x, y) => x + y, 0) / a.length;
  return { m, v: a.length > 1 ? a.reduce((x, y) => x + (y - m) ** 2, 0) / (a.length - 1) : NaN, n: a.length };
};
const firsts = new Map();
for (const k of arms.keys()) if (!firsts.has(k.split(' | ')[0])) firsts.set(k.split(' | ')[0], k);
console.log('\n| pipeline | arm vs reference | Δ mean (points) | Welch t (df) | paired Δ mean ± sd (points) | paired t (n) |');
console.log('|---|---|---|---|---|---|');
for (const [k, v] of arms) {
  const ref = firsts.get(k.split(' | ')[0]);
  if (k === ref) continue;
  const r = arms.get(ref);
  const A = stats(v.map((x) => x.acc)), B = stats(r.map((x) => x.acc));
  const se2 = A.v / A.n + B.v / B.n;
  const welch = (A.m - B.m) / Math.sqrt(se2);
  const df = se2 ** 2 / ((A.v / A.n) ** 2 / (A.n - 1) + (B.v / B.n) ** 2 / (B.n - 1));
  const d = v.filter((x) => r.some((y) => y.seed === x.seed)).map((x) => x.acc - r.find((y) => y.seed === x.seed).acc);
  const D = stats(d);
  const pt = D.m / Math.sqrt(D.v / D.n);
  const f = (x, n = 1) => (Number.isFinite(x) ? x.toFixed(n) : '–');
  console.log(`| ${k.split(' | ')[0]} | ${k.split(' | ').slice(1).join(' ')} vs ${ref.split(' | ').slice(1).join(' ')} | ${f(100 * (A.m - B.m))} | ${f(welch, 2)} (${f(df)}) | ${f(100 * D.m)} ± ${f(100 * Math.sqrt(D.v))} | ${f(pt, 2)} (${D.n}) |`);
}
JS
