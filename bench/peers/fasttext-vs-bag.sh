#!/usr/bin/env bash
# Same-run comparison of TinyLM's bag encoder against fastText (Debian package `fasttext`) on R8 or MR:
# wall time of the whole command (load + train + test) and test accuracy, then the ratio.
# usage: bench/peers/fasttext-vs-bag.sh [r8|mr] [repeats] [bag|default]
#   bag: `--encoder bag` (words only, no naive Bayes); default: no encoder flags (the default recipe, which also
#   chooses bigrams, the naive Bayes and SVM weights on held-out training data, so it trains three models).
set -euo pipefail
dataset=${1:-r8}; repeats=${2:-3}; recipe=${3:-bag}
flags=(); [ "$recipe" = bag ] && flags=(--encoder bag)
root=$(cd "$(dirname "$0")/../.." && pwd)
data=${TINYLM_DATA:-$root/../shared/datasets}
command -v fasttext >/dev/null || { echo "fasttext not found: apt-get install fasttext" >&2; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for split in train test; do
  awk -F'\t' '{print "__label__"$1" "$2}' "$data/$dataset/$split.tsv" > "$work/$split.ft"
done
dotnet build "$root/src/TinyLM.Cli" -c Release -o "$work/cli" >/dev/null
now() { date +%s.%N; }
for i in $(seq "$repeats"); do
  t0=$(now)
  fasttext supervised -input "$work/train.ft" -output "$work/ft" -dim 64 -epoch 25 -lr 0.5 -thread 2 -verbose 0
  ft_acc=$(fasttext test "$work/ft.bin" "$work/test.ft" | awk '/^P@1/ {print $2}')
  t1=$(now)
  ours=$(dotnet "$work/cli/TinyLM.Cli.dll" train classify "${flags[@]}" --train "$data/$dataset/train.tsv" \
         --test "$data/$dataset/test.tsv" --out "$work/bag.tlm" --json 2>/dev/null | tail -1)
  t2=$(now)
  python3 - "$ft_acc" "$ours" "$t0" "$t1" "$t2" "$dataset" "$recipe" <<'PY'
import json, sys
ft_acc, ours, t0, t1, t2, ds, recipe = sys.argv[1], json.loads(sys.argv[2]), *map(float, sys.argv[3:6]), sys.argv[6], sys.argv[7]
ft_s, our_s = t1 - t0, t2 - t1
print(f"{ds}: fasttext {float(ft_acc)*100:.2f}% in {ft_s:.2f}s | tinylm {recipe} {ours['accuracy']*100:.2f}% in {our_s:.2f}s "
      f"(train {ours['train_seconds']:.2f}s) | time ratio ours/fasttext {our_s/ft_s:.2f}")
PY
done
