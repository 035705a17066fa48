#!/usr/bin/env python3
"""Writes a llama2.c checkpoint (model.bin) and tokenizer.bin of a named shape with seeded random weights,
for whole-command timings of `tinylm generate` (and llama2.c's run.c) without downloading stories15M.bin.
Usage: llama2c-random.py 15m|110m OUT_DIR   (standard library only)."""
import array, random, struct, sys, os

SHAPES = {  # dim, hidden_dim, layers, heads, kv_heads, vocab, seq_len (llama2.c's stories models)
    "15m": (288, 768, 6, 6, 6, 32000, 256),
    "110m": (768, 2048, 12, 12, 12, 32000, 1024),
}

def floats(n, scale, rng):
    # Uniform(-scale, scale), written in chunks so memory stays small.
    out = array.array("f")
    chunk = 1 << 16
    while n > 0:
        k = min(chunk, n)
        out.extend(scale * (2.0 * rng.random() - 1.0) for _ in range(k))
        n -= k
    return out

def main():
    shape, out_dir = sys.argv[1], sys.argv[2]
    dim, hidden, layers, heads, kv, vocab, seq = SHAPES[shape]
    rng = random.Random(1)
    head = dim // heads
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "model.bin"), "wb") as f:
        f.write(struct.pack("7i", dim, hidden, layers, heads, kv, vocab, seq))
        kvdim = dim * kv // heads
        s = dim ** -0.5
        for n, scale in [(vocab * dim, 0.5), (layers * dim, 0), (layers * dim * dim, s), (layers * dim * kvdim, s),
                         (layers * dim * kvdim, s), (layers * dim * dim, s), (layers * dim, 0), (layers * hidden * dim, s),
                         (layers * dim * hidden, hidden ** -0.5), (layers * hidden * dim, s), (dim, 0),
                         (seq * head // 2, 0), (seq * head // 2, 0)]:
            if scale == 0:  # norms are ones; the rotary tables are unused by run.c/TinyLM (they recompute them)
                array.array("f", [1.0] * n).tofile(f)
            else:
                floats(n, scale, rng).tofile(f)
    with open(os.path.join(out_dir, "tokenizer.bin"), "wb") as f:
        pieces = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
        pieces += [f"w{i}" for i in range(vocab - len(pieces))]
        f.write(struct.pack("i", max(len(p) for p in pieces)))
        for i, p in enumerate(pieces):
            b = p.encode()
            f.write(struct.pack("fi", -float(i), len(b)))
            f.write(b)

if __name__ == "__main__":
    main()
