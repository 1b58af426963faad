#!/usr/bin/python3
"""PyTorch 1.13 twin of bench/stageb: one LLINK Stage B training step at the
Llama-3.2-1B shape (random frozen weights, tied embeddings, GQA 32/8,
SwiGLU 8192), LoRA r16 (alpha 16, dropout 0.05) on q, k, v, o, up, down
written by hand (no PEFT), LLINK's scale / gated adapter / expander to K = 8
slots spliced into ~80-token prompts, cross-entropy on the 16 answer tokens
(logits for those rows only), backward, gradient clipping, AdamW (foreach);
micro-batches accumulate gradients before the one optimizer step. RoPE tables
and the causal mask are computed once.

--weights f32 keeps the frozen weights in float32 (the arithmetic llink does:
its bf16 weights are widened to f32 inside the GEMM); --weights bf16 stores
them in bfloat16 and runs the step under CPU autocast to bfloat16 (oneDNN
bf16 GEMMs, bf16 activations: less precise than llink, but PyTorch's fastest
CPU path when the CPU has AVX512-BF16).

    OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1 /usr/bin/python3 bench/stageb_torch.py --threads 1 --batch 8
"""
import argparse
import contextlib
import math
import resource
import time

import torch
import torch.nn.functional as F

D, LAYERS, HEADS, KV, HD, FFN, VOCAB, K = 2048, 16, 32, 8, 64, 8192, 128256, 8


def lora(x, w, a, b, p, train):
    """x·wᵀ + (dropout(x)·aᵀ)·bᵀ, scale alpha/r = 1."""
    return F.linear(x, w) + F.linear(F.linear(F.dropout(x, p, train), a), b)


class StageB(torch.nn.Module):
    def __init__(self, layers, dtype, max_pos=128):
        super().__init__()
        g = torch.Generator().manual_seed(1)

        def frozen(*shape):
            return torch.nn.Parameter(torch.empty(*shape, dtype=dtype).normal_(0, 0.02, generator=g), requires_grad=False)

        def param(*shape, std):
            return torch.nn.Parameter(torch.empty(*shape).normal_(0, std, generator=g))

        self.emb = frozen(VOCAB, D)
        self.layers = []
        for i in range(layers):
            l = {n: frozen(o, D) for n, o in (("q", D), ("k", KV * HD), ("v", KV * HD), ("o", D), ("gate", FFN), ("up", FFN))}
            l["down"] = frozen(D, FFN)
            for n in ("q", "k", "v", "o", "up", "down"):
                o, i_ = l[n].shape
                l[n + "_a"] = param(16, i_, std=1 / math.sqrt(3 * i_))
                l[n + "_b"] = param(o, 16, std=0.01)
            l["n1"], l["n2"] = frozen(D), frozen(D)
            self.layers.append(l)
            for n, p in l.items():
                self.register_parameter(f"l{i}_{n}", p)
        self.norm = frozen(D)
        # LLINK's Stage B parts (trainable).
        self.gamma = torch.nn.Parameter(torch.ones(1))
        self.ad_norm = torch.nn.LayerNorm(D)
        self.ad1, self.ad2 = torch.nn.Linear(D, D), torch.nn.Linear(D, D)
        self.gate = torch.nn.Parameter(torch.full((1,), 0.5))
        self.ex1, self.ex2 = torch.nn.Linear(D, 2 * D), torch.nn.Linear(2 * D, K * D)
        self.ex_norm = torch.nn.LayerNorm(D)
        inv = 1.0 / (500000 ** (torch.arange(0, HD, 2).float() / HD))
        f = torch.arange(max_pos).float()[:, None] * inv[None]
        e = torch.cat([f, f], -1)
        self.cos, self.sin = e.cos(), e.sin()
        self.mask = torch.full((max_pos, max_pos), float("-inf")).triu(1)

    def slots(self, v):
        u = F.layer_norm(F.normalize(v, dim=-1), (D,)) * self.gamma
        h = self.ad2(F.gelu(self.ad1(self.ad_norm(u))))
        x = u + h * torch.tanh(self.gate).clamp(0, 0.7)
        s = self.ex2(F.gelu(self.ex1(x))).view(-1, K, D) + x[:, None]
        return self.ex_norm(s)

    @staticmethod
    def rms(x, w):
        return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5))

    def rope(self, x, T):
        h = HD // 2
        return x * self.cos[:T] + torch.cat([-x[..., h:], x[..., :h]], -1) * self.sin[:T]

    def forward(self, ids, v, pred, targets):
        B, T = ids.shape
        x = F.embedding(ids, self.emb).to(torch.float32)
        x[:, 8:8 + K] = self.slots(v)
        for l in self.layers:
            a = self.rms(x, l["n1"])
            q = lora(a, l["q"], l["q_a"], l["q_b"], 0.05, True).view(B, T, HEADS, HD).transpose(1, 2)
            k = lora(a, l["k"], l["k_a"], l["k_b"], 0.05, True).view(B, T, KV, HD).transpose(1, 2)
            vv = lora(a, l["v"], l["v_a"], l["v_b"], 0.05, True).view(B, T, KV, HD).transpose(1, 2)
            q, k = self.rope(q, T), self.rope(k, T)
            k, vv = k.repeat_interleave(HEADS // KV, 1), vv.repeat_interleave(HEADS // KV, 1)
            s = (q @ k.transpose(-1, -2)) * (1 / math.sqrt(HD)) + self.mask[:T, :T]
            att = (s.softmax(-1) @ vv).transpose(1, 2).reshape(B, T, D)
            x = x + lora(att, l["o"], l["o_a"], l["o_b"], 0.05, True)
            f = self.rms(x, l["n2"])
            g = F.silu(F.linear(f, l["gate"])) * lora(f, l["up"], l["up_a"], l["up_b"], 0.05, True)
            x = x + lora(g, l["down"], l["down_a"], l["down_b"], 0.05, True)
        h = self.rms(x, self.norm).reshape(B * T, D)[pred]
        return F.cross_entropy(F.linear(h, self.emb).float(), targets)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", default="8", help="comma-separated batch sizes")
    ap.add_argument("--micro", type=int, default=8)
    ap.add_argument("--steps", type=int, default=1)
    ap.add_argument("--seq", type=int, default=80)
    ap.add_argument("--answer", type=int, default=16)
    ap.add_argument("--layers", type=int, default=LAYERS)
    ap.add_argument("--weights", choices=["f32", "bf16"], default="f32")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    dtype = torch.float32 if a.weights == "f32" else torch.bfloat16
    t0 = time.perf_counter()
    m = StageB(a.layers, dtype)
    trainable = [p for p in m.parameters() if p.requires_grad]
    lora_p = [p for n, p in m.named_parameters() if p.requires_grad and n.endswith(("_a", "_b"))]
    rest = [p for n, p in m.named_parameters() if p.requires_grad and not n.endswith(("_a", "_b"))]
    opt = torch.optim.AdamW([{"params": lora_p, "lr": 1e-4}, {"params": rest, "lr": 3e-5}], weight_decay=0.01, foreach=True)
    print(f"torch stageb: {a.layers} layers, weights {a.weights}, built in {time.perf_counter() - t0:.0f} s, "
          f"{sum(p.numel() for p in trainable) / 1e6:.1f}M trainable; prompt {a.seq} (answer {a.answer}), threads {a.threads}")
    g = torch.Generator().manual_seed(3)
    ctx = torch.autocast("cpu", dtype=torch.bfloat16) if dtype == torch.bfloat16 else contextlib.nullcontext()

    def micro(n, w):
        ids = torch.randint(0, VOCAB, (n, a.seq), generator=g)
        pred = torch.cat([torch.arange(b * a.seq + a.seq - a.answer - 1, b * a.seq + a.seq - 1) for b in range(n)])
        targets = ids[:, a.seq - a.answer:].reshape(-1)
        v = torch.randn(n, D, generator=g)
        with ctx:
            loss = m(ids, v, pred, targets) * w
        loss.backward()

    def step(bs):
        """One optimizer step; returns (micro-batches wall, CPU, optimizer wall, CPU)."""
        w0, c0 = time.perf_counter(), time.process_time()
        for done in range(0, bs, a.micro):
            n = min(a.micro, bs - done)
            micro(n, n / bs)
        w1, c1 = time.perf_counter(), time.process_time()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=False)
        return w1 - w0, c1 - c0, time.perf_counter() - w1, time.process_time() - c1

    step(1)  # warm-up: allocates the optimizer state
    sizes = [int(x) for x in a.batch.split(",")]
    last = None
    for bs in sizes:
        best = None
        for _ in range(a.steps):
            t = step(bs)
            if best is None or t[0] + t[2] < best[0] + best[2]:
                best = t
        last = best
        wall, cpu = best[0] + best[2], best[1] + best[3]
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"torch stageb batch {bs} (micro {min(a.micro, bs)}): {wall:.1f} s/step (optimizer {best[2]:.2f} s, {best[3]:.2f} CPU-s), "
              f"{bs * a.seq / wall:.1f} tok/s ({bs * a.seq / cpu:.1f} per CPU-s), peak RSS {rss} kB")
    bs, mb = sizes[-1], min(a.micro, sizes[-1])
    per_micro = last[0] / math.ceil(bs / mb)

    def project(n):
        return math.ceil(n / mb) * per_micro + last[2]

    for n in (8, 32, 128):
        if n > bs and n % mb == 0:
            print(f"torch stageb batch {n} projected ({n // mb} micro-batches of {mb} at the measured {per_micro:.1f} s + optimizer): "
                  f"{project(n):.1f} s/step, {n * a.seq / project(n):.1f} tok/s")
    print(f"torch stageb projected wall time: paper budget 940 steps x 128 = {940 * project(128) / 3600:.1f} h; "
          f"default run 150 steps x 16 = {150 * project(16) / 3600:.1f} h")


if __name__ == "__main__":
    main()
