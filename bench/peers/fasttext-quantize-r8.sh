#!/usr/bin/env bash
# Same-run comparison of the smallest accurate R8 files (issue 15, item 1): fastText's `quantize -qnorm -retrain
# -cutoff 10000` (Debian package `fasttext`) against `tinylm quantize --max-bytes N` of the default R8 model, for each
# budget: file bytes and test accuracy. The TinyLM search sees only R8's train.tsv (a held-out 20% of it judges the
# candidates); test.tsv is read once, at the end, for the figure.
# usage: bench/peers/fasttext-quantize-r8.sh [seeds (default "1")] [budgets in bytes (default "570000 250000")]
set -euo pipefail
seeds=${1:-1}; budgets=${2:-570000 250000}
root=$(cd "$(dirname "$0")/../.." && pwd)
data=${TINYLM_DATA:-$root/../shared/datasets}
command -v fasttext >/dev/null || { echo "fasttext not found: apt-get install fasttext" >&2; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for split in train test; do awk -F'\t' '{print "__label__"$1" "$2}' "$data/r8/$split.tsv" > "$work/$split.ft"; done
dotnet build "$root/src/TinyLM.Cli" -c Release -o "$work/cli" >/dev/null
cli() { dotnet "$work/cli/TinyLM.Cli.dll" "$@"; }
echo "start $(date -u +%H:%M) load $(cut -d' ' -f1-3 /proc/loadavg) TINYLM_SIMD=${TINYLM_SIMD:-default}"
fasttext supervised -input "$work/train.ft" -output "$work/ft" -dim 64 -epoch 25 -lr 0.5 -thread 2 -verbose 0
fasttext quantize -input "$work/train.ft" -output "$work/ft" -qnorm -retrain -cutoff 10000 -epoch 25 -lr 0.5 -thread 2 -verbose 0
for model in bin ftz; do
  echo "fasttext .$model: $(stat -c %s "$work/ft.$model") bytes, test P@1 $(fasttext test "$work/ft.$model" "$work/test.ft" | awk '/^P@1/ {print $2}')"
done
for seed in $seeds; do
  cli train classify --train "$data/r8/train.tsv" --test "$data/r8/test.tsv" --seed "$seed" --out "$work/r8.tlm" --json 2>/dev/null \
    | tail -1 | python3 -c "import json,sys; r=json.load(sys.stdin); print(f'tinylm seed $seed float32: {r[\"model_bytes\"]} bytes, test {r[\"accuracy\"]*100:.2f} %')"
  for budget in $budgets; do
    cli quantize "$work/r8.tlm" --out "$work/r8.$budget.tlm" --max-bytes "$budget" --data "$data/r8/train.tsv" --eval "$data/r8/test.tsv" --json 2>/dev/null \
      | tail -1 | python3 -c "
import json, sys
r = json.load(sys.stdin); c = next(c for c in r['size_search'] if c['chosen'])
print(f'tinylm seed $seed --max-bytes $budget: {r[\"after\"][\"bytes\"]} bytes, test {r[\"after\"][\"accuracy\"]*100:.2f} % '
      f'({c[\"features\"]} features, {c[\"table\"]}, held-out {c[\"held_out_accuracy\"]*100:.2f} %)')"
  done
done
echo "end $(date -u +%H:%M) load $(cut -d' ' -f1-3 /proc/loadavg)"
