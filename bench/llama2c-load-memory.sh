#!/usr/bin/env bash
# Peak memory of loading a llama2.c checkpoint of the stories110M shape (dim 768, hidden 2048, 12 layers, 12 heads,
# vocab 32000, seq_len 1024, shared classifier): writes a synthetic one (finite random weights, 438 MB) and a
# 32000-token tokenizer.bin to $DIR (default /tmp/tinylm-110m), then runs `tinylm generate --max-tokens 1` on it
# under /usr/bin/time and prints the peak RSS (VmHWM) against the file size. The same command on a 1-layer file
# (same vocab, ~100 MB smaller ... not needed) is not subtracted: the figure is the whole process, runtime included.
# Usage: bench/llama2c-load-memory.sh [path/to/TinyLM.Cli.dll]
set -euo pipefail
DLL=${1:-src/TinyLM.Cli/bin/Release/net10.0/TinyLM.Cli.dll}
DIR=${DIR:-/tmp/tinylm-110m}
mkdir -p "$DIR"
if [ ! -f "$DIR/stories110M.bin" ]; then
python3 - "$DIR" <<'PY'
import array, random, struct, sys, os
d = sys.argv[1]
dim, hidden, layers, heads, kv, vocab, seq = 768, 2048, 12, 12, 12, 32000, 1024
head = dim // heads
floats = (vocab * dim + layers * dim + 4 * layers * dim * dim + layers * dim + 3 * layers * hidden * dim + dim
          + 2 * seq * head // 2)
rnd = random.Random(16)
chunk = array.array('f', [rnd.gauss(0.0, 0.02) for _ in range(1 << 16)]).tobytes()
with open(os.path.join(d, "stories110M.bin"), "wb") as f:
    f.write(struct.pack("<7i", dim, hidden, layers, heads, kv, vocab, seq))
    left = floats
    while left > 0:
        n = min(left, 1 << 16)
        f.write(chunk[: 4 * n])
        left -= n
with open(os.path.join(d, "tokenizer.bin"), "wb") as f:
    pieces = [b"<unk>", b"<s>", b"</s>"] + [b"<0x%02X>" % i for i in range(256)]
    pieces += [b"t%d" % i for i in range(vocab - len(pieces))]
    f.write(struct.pack("<i", max(len(p) for p in pieces)))
    for i, p in enumerate(pieces):
        f.write(struct.pack("<fi", -float(i), len(p)) + p)
PY
fi
SIZE=$(stat -c %s "$DIR/stories110M.bin")
/usr/bin/time -v dotnet "$DLL" generate "$DIR/stories110M.bin" --tokenizer "$DIR/tokenizer.bin" --max-tokens 1 --temperature 0 --prompt "t1" \
  > /dev/null 2> "$DIR/time.log" || { cat "$DIR/time.log"; exit 1; }
PEAK_KB=$(grep "Maximum resident set size" "$DIR/time.log" | awk '{print $NF}')
python3 -c "s=$SIZE; p=$PEAK_KB*1024; print(f'file {s:,} bytes, peak RSS {p:,} bytes, ratio {p/s:.3f}')"
