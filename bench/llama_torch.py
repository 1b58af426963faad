#!/usr/bin/python3
"""PyTorch twin of bench/llamabench: the same LLaMA-style configs in plain
PyTorch (Debian's python3-torch; no transformers), random weights, forward
tokens/s (logits for every position), greedy KV-cache decode tokens/s at
batch 1, training step tokens/s (forward + backward + AdamW), peak RSS.

Written to be as fast as PyTorch 1.13 on a CPU allows, with the same buffer
reuse as llamabench: RoPE tables and the causal mask are computed once; the
KV cache is preallocated and written in place; the logits of the timed
forwards go into one reused buffer (llamabench's LogitsInto); forwards run
under inference_mode; AdamW uses its multi-tensor (foreach) path. Thread and
allocator settings come from the environment (bench/sidebyside.sh sets them
and says why).

    /usr/bin/python3 bench/llama_torch.py --config small --threads 1
"""
import argparse
import math
import resource
import time

import torch
import torch.nn.functional as F

CONFIGS = {
    "small": dict(d=256, layers=4, heads=8, ffn=688, vocab=8192, seq=128, batch=8),
    "big": dict(d=512, layers=8, heads=8, ffn=1376, vocab=32000, seq=256, batch=4),
}


class Model(torch.nn.Module):
    def __init__(self, c, max_pos=1024):
        super().__init__()
        d, self.h, self.hd = c["d"], c["heads"], c["d"] // c["heads"]
        self.emb = torch.nn.Embedding(c["vocab"], d)
        self.layers = torch.nn.ModuleList()
        for _ in range(c["layers"]):
            l = torch.nn.Module()
            l.n1, l.n2 = torch.nn.Parameter(torch.ones(d)), torch.nn.Parameter(torch.ones(d))
            l.qkv = torch.nn.Linear(d, 3 * d, bias=False)
            l.o = torch.nn.Linear(d, d, bias=False)
            l.gu = torch.nn.Linear(d, 2 * c["ffn"], bias=False)
            l.down = torch.nn.Linear(c["ffn"], d, bias=False)
            self.layers.append(l)
        self.norm = torch.nn.Parameter(torch.ones(d))
        # RoPE tables (rotate-half convention) and the causal mask, once.
        inv = 1.0 / (10000 ** (torch.arange(0, self.hd, 2).float() / self.hd))
        f = torch.arange(max_pos).float()[:, None] * inv[None]
        emb = torch.cat([f, f], -1)
        self.register_buffer("cos", emb.cos(), persistent=False)
        self.register_buffer("sin", emb.sin(), persistent=False)
        self.register_buffer("mask", torch.full((max_pos, max_pos), float("-inf")).triu(1), persistent=False)

    @staticmethod
    def rms(x, w):
        return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5))

    def rope(self, x, p0, p1):
        c, s = self.cos[p0:p1], self.sin[p0:p1]
        h = x.shape[-1] // 2
        return x * c + torch.cat([-x[..., h:], x[..., :h]], -1) * s

    def forward(self, ids, cache=None, past=0, logits_out=None, last_only=False):
        """ids [B, T]; cache: list of preallocated (k, v) [B, heads, max, hd]
        written at [past, past+T); logits_out: reused [B*T or B, vocab]."""
        B, T = ids.shape
        x = self.emb(ids)
        for i, l in enumerate(self.layers):
            q, k, v = l.qkv(self.rms(x, l.n1)).view(B, T, 3, self.h, self.hd).permute(2, 0, 3, 1, 4)
            q, k = self.rope(q, past, past + T), self.rope(k, past, past + T)
            if cache is not None:
                ck, cv = cache[i]
                ck[:, :, past:past + T] = k
                cv[:, :, past:past + T] = v
                k, v = ck[:, :, :past + T], cv[:, :, :past + T]
            s = q @ k.transpose(-1, -2) * (1.0 / math.sqrt(self.hd))
            if T > 1:
                s = s + self.mask[past:past + T, :past + T]
            a = (s.softmax(-1) @ v).transpose(1, 2).reshape(B, T, -1)
            x = x + l.o(a)
            g, u = l.gu(self.rms(x, l.n2)).chunk(2, -1)
            x = x + l.down(F.silu(g) * u)
        if last_only:
            x = x[:, -1]
        h = self.rms(x, self.norm).reshape(-1, x.shape[-1])
        if logits_out is not None:
            return torch.mm(h, self.emb.weight.t(), out=logits_out)
        return h @ self.emb.weight.t()

    def new_cache(self, B, max_len):
        shape = (B, self.h, max_len, self.hd)
        return [(torch.empty(shape), torch.empty(shape)) for _ in self.layers]


def clocks():
    """Wall and process-CPU time (all threads), as llamabench reads them."""
    return time.perf_counter(), time.process_time()


def since(t0, best):
    """The element-wise minimum of best and the wall/CPU time since t0."""
    t = clocks()
    return [min(best[0], t[0] - t0[0]), min(best[1], t[1] - t0[1])]


def rates(n, best):
    """n tokens over the best wall and CPU times, in llamabench's format."""
    return f"{n / best[0]:.1f} tok/s ({n / best[1]:.1f} per CPU-s)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="small")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--decode", type=int, default=64)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--decodereps", type=int, default=3, help="decode repetitions (best reported)")
    ap.add_argument("--train", type=int, default=4, help="training steps timed (best reported; 0: skip)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    c = CONFIGS[a.config]
    torch.manual_seed(0)
    m = Model(c).eval()
    ids = torch.randint(0, c["vocab"], (c["batch"], c["seq"]))
    with torch.inference_mode():
        logits = torch.empty(c["batch"] * c["seq"], c["vocab"])
        best = [float("inf")] * 2
        for _ in range(a.reps):
            t0 = clocks()
            m(ids, logits_out=logits)
            best = since(t0, best)
        fwd = rates(c["batch"] * c["seq"], best)
        # Decode (as llamabench): a 16-token prompt, then a.decode greedy
        # steps, all into one preallocated cache and logits row; the best
        # of a.decodereps, prefill excluded.
        prompt = ids[:1, :16]
        cache = m.new_cache(1, prompt.shape[1] + a.decode + 1)
        row = torch.empty(1, c["vocab"])
        best = [float("inf")] * 2
        for _ in range(a.decodereps):
            m(prompt, cache, 0, row, last_only=True)
            t0 = clocks()
            nxt = row.argmax(-1, keepdim=True)
            for s in range(a.decode):
                m(nxt, cache, prompt.shape[1] + s, row)
                nxt = row.argmax(-1, keepdim=True)
            best = since(t0, best)
        dec = rates(a.decode, best)
    train = "-"
    if a.train > 0:
        # Same as llamabench: a fresh model, logits for every position,
        # next-token cross-entropy, backward, AdamW on every weight.
        torch.manual_seed(1)
        t = Model(c).train()
        opt = torch.optim.AdamW(t.parameters(), lr=1e-4, weight_decay=0.01, foreach=True)
        targets = torch.cat([ids[:, 1:], torch.full((c["batch"], 1), -100)], 1).reshape(-1)
        best = [float("inf")] * 2
        for i in range(a.train + 1):
            t0 = clocks()
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(t(ids), targets, ignore_index=-100)
            loss.backward()
            opt.step()
            if i > 0:
                best = since(t0, best)
        train = rates(c["batch"] * c["seq"], best)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"torch {a.config} threads={a.threads}: train {train}, forward {fwd}, decode {dec}, peak RSS {rss} kB")


if __name__ == "__main__":
    main()
