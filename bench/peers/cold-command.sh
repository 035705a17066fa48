#!/usr/bin/env bash
# Whole-command ("cold") timings of tinylm under the JIT's tiering settings, alternated in rounds so that load
# drifts hit every variant alike. Usage: bench/peers/cold-command.sh [ROUNDS]  (from the repository root, after
# `dotnet build TinyLM.slnx -c Release`). Prints one line per (round, variant, command): wall seconds, and tok/s for
# generate. Writes the random 15M llama2.c model it decodes to /tmp/tinylm-cold (bench/peers/llama2c-random.py).
set -euo pipefail
rounds=${1:-3}
cli="dotnet src/TinyLM.Cli/bin/Release/net10.0/TinyLM.Cli.dll"
work=/tmp/tinylm-cold
mkdir -p "$work"
[ -f "$work/15m/model.bin" ] || python3 bench/peers/llama2c-random.py 15m "$work/15m"
[ -f "$work/mr.tlm" ] || $cli train classify --train mr --test mr --out "$work/mr.tlm" > /dev/null
variants=(
  "default|"
  "no-tiering|DOTNET_TieredCompilation=0"
  "quickjit-loops|DOTNET_TC_QuickJitForLoops=1"
  "no-quickjit-loops|DOTNET_TC_QuickJitForLoops=0"
)
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)  simd: ${TINYLM_SIMD:-default}"
printf '%-5s %-18s %-10s %8s %8s\n' round variant command wall_s tok_s
for r in $(seq 1 "$rounds"); do
  for v in "${variants[@]}"; do
    name=${v%%|*}; envs=${v#*|}
    # generate: 256 greedy tokens, 1 thread (the issue's figure)
    start=$(date +%s.%N)
    toks=$(env $envs $cli generate "$work/15m/model.bin" --tokenizer "$work/15m/tokenizer.bin" --prompt w5 --max-tokens 256 \
      --temperature 0 --threads 1 --json 2>/dev/null | tail -1 | sed -E 's/.*"tokens_per_second":([0-9.]+).*/\1/')
    end=$(date +%s.%N)
    printf '%-5s %-18s %-10s %8.2f %8.1f\n' "$r" "$name" generate "$(echo "$end - $start" | bc)" "$toks"
    # predict: one text with a small classifier (start-up dominated)
    start=$(date +%s.%N)
    env $envs $cli predict "$work/mr.tlm" "a gripping and beautifully acted film" > /dev/null 2>&1
    end=$(date +%s.%N)
    printf '%-5s %-18s %-10s %8.2f %8s\n' "$r" "$name" predict "$(echo "$end - $start" | bc)" "-"
    # train classify on MR with the default recipe (a medium run)
    start=$(date +%s.%N)
    env $envs $cli train classify --train mr --test mr --out "$work/mr-$name.tlm" > /dev/null 2>&1
    end=$(date +%s.%N)
    printf '%-5s %-18s %-10s %8.2f %8s\n' "$r" "$name" train-mr "$(echo "$end - $start" | bc)" "-"
  done
done
