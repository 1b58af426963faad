#!/usr/bin/python3
"""PyTorch twin of bench/llamabench: the same LLaMA-style configs in plain
PyTorch (Debian's python3-torch; no transformers), random weights, forward
tokens/s (logits for every position), greedy KV-cache decode tokens/s at
batch 1, training step tokens/s (forward + backward + AdamW), peak RSS.

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
    def __init__(self, c):
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
        inv = 1.0 / (10000 ** (torch.arange(0, self.hd, 2).float() / self.hd))
        self.register_buffer("inv", inv)

    @staticmethod
    def rms(x, w):
        return w * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5)

    def rope(self, x, pos):
        f = pos[:, None].float() * self.inv[None]
        emb = torch.cat([f, f], -1)
        c, s = emb.cos()[None, None], emb.sin()[None, None]
        h = x.shape[-1] // 2
        return x * c + torch.cat([-x[..., h:], x[..., :h]], -1) * s

    def forward(self, ids, cache=None):
        B, T = ids.shape
        past = 0 if cache is None else cache[0][0].shape[2]
        pos = torch.arange(past, past + T)
        x = self.emb(ids)
        new = []
        for i, l in enumerate(self.layers):
            q, k, v = l.qkv(self.rms(x, l.n1)).view(B, T, 3, self.h, self.hd).permute(2, 0, 3, 1, 4)
            q, k = self.rope(q, pos), self.rope(k, pos)
            if cache is not None:
                k, v = torch.cat([cache[i][0], k], 2), torch.cat([cache[i][1], v], 2)
            new.append((k, v))
            s = q @ k.transpose(-1, -2) / math.sqrt(self.hd)
            if T > 1:
                s = s + torch.full((T, past + T), float("-inf")).triu(past + 1)
            a = (s.softmax(-1) @ v).transpose(1, 2).reshape(B, T, -1)
            x = x + l.o(a)
            g, u = l.gu(self.rms(x, l.n2)).chunk(2, -1)
            x = x + l.down(F.silu(g) * u)
        return self.rms(x, self.norm) @ self.emb.weight.T, new


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
    c = CONFIGS[a.config]
    torch.manual_seed(0)
    m = Model(c).eval()
    ids = torch.randint(0, c["vocab"], (c["batch"], c["seq"]))
    with torch.no_grad():
        best = float("inf")
        for _ in range(a.reps):
            t0 = time.perf_counter()
            m(ids)
            best = min(best, time.perf_counter() - t0)
        fwd = c["batch"] * c["seq"] / best
        # Decode timed --decodereps times, best kept (as llamabench does).
        best = float("inf")
        for _ in range(a.decodereps):
            logits, cache = m(ids[:1, :16])
            t0 = time.perf_counter()
            nxt = logits[:, -1].argmax(-1, keepdim=True)
            for _ in range(a.decode):
                logits, cache = m(nxt, cache)
                nxt = logits[:, -1].argmax(-1, keepdim=True)
            best = min(best, time.perf_counter() - t0)
        dec = a.decode / best
    train = "-"
    if a.train > 0:
        # Same as llamabench: a fresh model, logits for every position,
        # next-token cross-entropy, backward, AdamW on every weight.
        torch.manual_seed(1)
        t = Model(c).train()
        opt = torch.optim.AdamW(t.parameters(), lr=1e-4, weight_decay=0.01)
        targets = torch.cat([ids[:, 1:], torch.full((c["batch"], 1), -100)], 1)
        best = float("inf")
        for i in range(a.train + 1):
            t0 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            logits, _ = t(ids)
            loss = F.cross_entropy(logits.reshape(-1, c["vocab"]), targets.reshape(-1), ignore_index=-100)
            loss.backward()
            opt.step()
            if i > 0:
                best = min(best, time.perf_counter() - t0)
        train = f"{c['batch'] * c['seq'] / best:.0f}"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"torch {a.config} threads={a.threads}: train {train} tok/s, forward {fwd:.0f} tok/s, decode {dec:.1f} tok/s, peak RSS {rss} kB")


if __name__ == "__main__":
    main()
