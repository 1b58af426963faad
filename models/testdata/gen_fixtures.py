#!/usr/bin/python3
"""Reference fixtures for models/llama and models/xlmr.

Builds small random Llama and XLM-R / BERT models, saves them the way a
Hugging Face folder holds them (config.json + model.safetensors, or a sharded
set with model.safetensors.index.json), and writes the outputs the Hugging
Face modeling code computes for fixed inputs into expected.json.

The reference modules are written here in plain PyTorch (transformers is not
available on the build machines) following modeling_llama.py and
modeling_xlm_roberta.py / modeling_bert.py:
  * Llama: RMSNorm (variance in float32, eps from config), rotate-half RoPE on
    q and k with inv_freq computed in float32 and the llama3 rope_scaling
    (_compute_llama3_parameters), GQA by repeat_kv, SwiGLU
    down(silu(gate(x)) * up(x)), causal + padding mask, tied or untied head,
    position ids from the attention mask (cumsum - 1) as generate() does.
  * XLM-R / BERT: word + absolute position + token-type embeddings, LayerNorm,
    post-LN blocks, GELU (erf), extended attention mask, masked mean pooling,
    CLS and pooler (dense + tanh). XLM-R positions come from
    create_position_ids_from_input_ids (padding_idx + 1 onwards, padding
    tokens get padding_idx); BERT positions are 0..T-1.

Weights are drawn in float32 and saved as such (bf16 for the bf16 variant);
the activations are computed in float64 from those exact weights, so the
expected values are the exact answer and a float32 implementation should land
within ~1e-5 relative of it.

Run from anywhere:  /usr/bin/python3 models/testdata/gen_fixtures.py
It rewrites the fixture folders next to this file deterministically.
"""

import json
import math
import os
import struct

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
F64 = torch.float64


# ---------------------------------------------------------------- safetensors

def bf16_bits(a):
    """Round float32 array a to bfloat16 (nearest, ties to even); uint16 bits."""
    u = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return u.astype(np.uint16)


def bf16_to_f32(h):
    return (h.astype(np.uint32) << 16).view(np.float32)


def write_safetensors(path, tensors, metadata=None):
    """Minimal safetensors writer: u64 LE header length, JSON header, data.

    tensors: ordered list of (name, numpy array); float32 arrays are stored
    as F32, uint16 arrays as BF16 bit patterns.
    """
    header, blobs, off = {}, [], 0
    for name, a in tensors:
        if a.dtype == np.float32:
            dt = "F32"
        elif a.dtype == np.uint16:
            dt = "BF16"
        else:
            raise ValueError(f"{name}: dtype {a.dtype}")
        b = np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = dict(metadata or {"format": "pt"})
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def save_folder(name, config, tensors, shards=1):
    d = os.path.join(HERE, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.endswith(".safetensors") or f.endswith(".index.json"):
            os.remove(os.path.join(d, f))
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    if shards == 1:
        write_safetensors(os.path.join(d, "model.safetensors"), tensors)
        return d
    per = math.ceil(len(tensors) / shards)
    weight_map, total = {}, 0
    for s in range(shards):
        fname = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        part = tensors[s * per:(s + 1) * per]
        write_safetensors(os.path.join(d, fname), part)
        for n, a in part:
            weight_map[n] = fname
            total += a.nbytes
    with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2, sort_keys=True)
        f.write("\n")
    return d


def flat(t):
    """Tensor -> {"shape": [...], "data": [float32-rounded values]}."""
    a = t.detach().to(torch.float32).numpy()
    return {"shape": list(a.shape), "data": [float(f"{x:.9g}") for x in a.reshape(-1).tolist()]}


def write_expected(d, obj):
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


# ---------------------------------------------------------------------- Llama

def llama_weights(cfg, seed, bf16=False):
    """Random weights with a spread that makes logits and generations
    non-trivial: embeddings std 0.6, Linear std 1/sqrt(in) with the residual
    branches (o_proj, down_proj) amplified so that, with tied embeddings, the
    model does not just repeat its last token; norms ~1."""
    g = torch.Generator().manual_seed(seed)

    def rn(*shape, std):
        return (torch.randn(*shape, generator=g, dtype=torch.float32) * std).numpy()

    d, f, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    hd = cfg["head_dim"]
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    w = [("model.embed_tokens.weight", rn(v, d, std=0.6))]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        w += [
            (p + "input_layernorm.weight", 1 + rn(d, std=0.1)),
            (p + "self_attn.q_proj.weight", rn(nh * hd, d, std=d ** -0.5)),
            (p + "self_attn.k_proj.weight", rn(nkv * hd, d, std=d ** -0.5)),
            (p + "self_attn.v_proj.weight", rn(nkv * hd, d, std=d ** -0.5)),
            (p + "self_attn.o_proj.weight", rn(d, nh * hd, std=4 * (nh * hd) ** -0.5)),
            (p + "post_attention_layernorm.weight", 1 + rn(d, std=0.1)),
            (p + "mlp.gate_proj.weight", rn(f, d, std=d ** -0.5)),
            (p + "mlp.up_proj.weight", rn(f, d, std=d ** -0.5)),
            (p + "mlp.down_proj.weight", rn(d, f, std=4 * f ** -0.5)),
        ]
    w.append(("model.norm.weight", 1 + rn(d, std=0.1)))
    if not cfg["tie_word_embeddings"]:
        w.append(("lm_head.weight", rn(v, d, std=0.6)))
    if bf16:
        w = [(n, bf16_bits(a)) for n, a in w]
    return w


def to_torch(weights):
    out = {}
    for n, a in weights:
        if a.dtype == np.uint16:
            a = bf16_to_f32(a)
        out[n] = torch.from_numpy(np.array(a, dtype=np.float32)).to(F64)
    return out


def llama_inv_freq(cfg):
    """inv_freq as HF computes it: float32, llama3 scaling when configured."""
    dim, base = cfg["head_dim"], cfg["rope_theta"]
    inv = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    rs = cfg.get("rope_scaling")
    if not rs:
        return inv
    assert rs["rope_type"] == "llama3"
    factor, lff, hff = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
    old = rs["original_max_position_embeddings"]
    low_wl, high_wl = old / lff, old / hff
    wl = 2 * math.pi / inv
    inv_l = torch.where(wl > low_wl, inv / factor, inv)
    smooth = (old / wl - lff) / (hff - lff)
    smoothed = (1 - smooth) * inv_l / factor + smooth * inv_l
    medium = ~(wl < high_wl) * ~(wl > low_wl)
    return torch.where(medium, smoothed, inv_l)


def rope_cos_sin(cfg, pos):
    """pos: [B, T] int64 -> cos, sin [B, T, head_dim] (float32 math, as HF)."""
    inv = llama_inv_freq(cfg)
    freqs = pos.float()[..., None] * inv[None, None, :]
    emb = torch.cat([freqs, freqs], dim=-1)
    return emb.cos().to(F64), emb.sin().to(F64)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


def rms_norm(x, w, eps):
    var = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(var + eps))


class LlamaRef:
    """LlamaForCausalLM forward in float64 with an optional KV cache."""

    def __init__(self, cfg, weights):
        self.cfg, self.w = cfg, to_torch(weights)

    def embed(self, ids):
        return self.w["model.embed_tokens.weight"][ids]

    def forward(self, x, pos, key_mask, cache=None):
        """x: [B, T, d] input embeddings; pos: [B, T] positions; key_mask:
        [B, S] 1 for real tokens over the whole (cached + new) sequence.
        Returns (logits [B, T, V], normed hidden [B, T, d], new cache)."""
        cfg, w = self.cfg, self.w
        B, T, d = x.shape
        nh, nkv, hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
        eps = cfg["rms_norm_eps"]
        cos, sin = rope_cos_sin(cfg, pos)
        cos, sin = cos[:, None], sin[:, None]
        past = 0 if cache is None else cache[0][0].shape[2]
        S = past + T
        qpos = torch.arange(past, S)[:, None]
        kpos = torch.arange(S)[None, :]
        allowed = (kpos <= qpos)[None, None] & (key_mask[:, None, None, :] > 0)
        neg = torch.finfo(F64).min
        new_cache = []
        h = x
        for i in range(cfg["num_hidden_layers"]):
            p = f"model.layers.{i}."
            a = rms_norm(h, w[p + "input_layernorm.weight"], eps)
            q = (a @ w[p + "self_attn.q_proj.weight"].T).view(B, T, nh, hd).transpose(1, 2)
            k = (a @ w[p + "self_attn.k_proj.weight"].T).view(B, T, nkv, hd).transpose(1, 2)
            v = (a @ w[p + "self_attn.v_proj.weight"].T).view(B, T, nkv, hd).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            if cache is not None:
                k = torch.cat([cache[i][0], k], dim=2)
                v = torch.cat([cache[i][1], v], dim=2)
            new_cache.append((k, v))
            rep = nh // nkv
            kr = k.repeat_interleave(rep, dim=1)  # repeat_kv
            vr = v.repeat_interleave(rep, dim=1)
            s = (q @ kr.transpose(2, 3)) * hd ** -0.5
            s = s.masked_fill(~allowed, neg)
            pr = torch.softmax(s, dim=-1)
            o = (pr @ vr).transpose(1, 2).reshape(B, T, nh * hd)
            h = h + o @ w[p + "self_attn.o_proj.weight"].T
            m = rms_norm(h, w[p + "post_attention_layernorm.weight"], eps)
            gate = torch.nn.functional.silu(m @ w[p + "mlp.gate_proj.weight"].T)
            up = m @ w[p + "mlp.up_proj.weight"].T
            h = h + (gate * up) @ w[p + "mlp.down_proj.weight"].T
        hn = rms_norm(h, w["model.norm.weight"], eps)
        head = w["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else w["lm_head.weight"]
        return hn @ head.T, hn, new_cache

    def run_ids(self, ids):
        ids = torch.tensor([ids])
        T = ids.shape[1]
        return self.forward(self.embed(ids), torch.arange(T)[None], torch.ones(1, T, dtype=torch.long))

    def generate(self, prompts, n_new, pad_id):
        """Greedy batched generation with left padding and a KV cache, as
        generate() does: positions = cumsum(mask) - 1. Returns the new ids per
        row and the smallest top-1/top-2 logit gap seen (ties would make the
        fixture fragile)."""
        L = max(len(p) for p in prompts)
        ids = torch.tensor([[pad_id] * (L - len(p)) + p for p in prompts])
        mask = torch.tensor([[0] * (L - len(p)) + [1] * len(p) for p in prompts])
        pos = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)
        logits, _, cache = self.forward(self.embed(ids), pos, mask)
        out = [[] for _ in prompts]
        gap = float("inf")
        last = logits[:, -1]
        next_pos = pos[:, -1:] + 1
        for step in range(n_new):
            top = torch.topk(last, 2, dim=-1).values
            gap = min(gap, float((top[:, 0] - top[:, 1]).min()))
            nxt = last.argmax(-1)
            for b in range(len(prompts)):
                out[b].append(int(nxt[b]))
            if step == n_new - 1:
                break
            mask = torch.cat([mask, torch.ones(len(prompts), 1, dtype=torch.long)], dim=1)
            logits, _, cache = self.forward(self.embed(nxt[:, None]), next_pos, mask, cache)
            last = logits[:, -1]
            next_pos = next_pos + 1
        return out, gap


def llama_config(tied, scaled):
    cfg = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": 300,
        "hidden_size": 64,
        "intermediate_size": 160,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 16,
        "hidden_act": "silu",
        "max_position_embeddings": 256,
        "rms_norm_eps": 1e-5,
        "rope_theta": 500000.0,
        "rope_scaling": None,
        "tie_word_embeddings": tied,
        "attention_bias": False,
        "attention_dropout": 0.0,
        "mlp_bias": False,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "initializer_range": 0.02,
        "torch_dtype": "float32",
        "use_cache": True,
    }
    if scaled:
        # original_max_position_embeddings is small so that the three llama3
        # bands (kept, smoothed, divided by factor) all occur for head_dim 16.
        cfg["rope_scaling"] = {
            "factor": 32.0,
            "low_freq_factor": 1.0,
            "high_freq_factor": 4.0,
            "original_max_position_embeddings": 64,
            "rope_type": "llama3",
        }
    return cfg


SEQ_A = [1, 17, 254, 88, 3, 199, 42, 150, 7, 281, 63, 120]
SEQ_B = [1, 230, 9, 77, 160, 45, 12]
INJECT_POS = [2, 3, 4]
HIDDEN_POS = {"a": [4, 11], "b": [0, 6]}


def llama_fixture(name, tied, scaled, seed, bf16=False, shards=1, full=True):
    cfg = llama_config(tied, scaled)
    if bf16:
        cfg["torch_dtype"] = "bfloat16"
    weights = llama_weights(cfg, seed, bf16=bf16)
    d = save_folder(name, cfg, weights, shards=shards)
    ref = LlamaRef(cfg, weights)
    exp = {"seqs": {"a": SEQ_A, "b": SEQ_B}, "logits": {}, "hidden": {}}
    single = {}
    for key, seq in (("a", SEQ_A), ("b", SEQ_B)):
        logits, hn, _ = ref.run_ids(seq)
        single[key] = logits[0]
        exp["logits"][key] = flat(logits[0])
        exp["hidden"][key] = {"positions": HIDDEN_POS[key], "values": flat(hn[0, HIDDEN_POS[key]])}

    # The reference's own padded batch must agree with its unbatched runs:
    # left and right padding, positions from the mask.
    for left in (True, False):
        L = len(SEQ_A)
        pad = [0] * (L - len(SEQ_B))
        ids = torch.tensor([SEQ_A, pad + SEQ_B if left else SEQ_B + pad])
        mask = torch.tensor([[1] * L, ([0] * len(pad) + [1] * len(SEQ_B)) if left else ([1] * len(SEQ_B) + [0] * len(pad))])
        pos = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)
        logits, _, _ = ref.forward(ref.embed(ids), pos, mask)
        got_b = logits[1, len(pad):] if left else logits[1, :len(SEQ_B)]
        assert torch.allclose(logits[0], single["a"], atol=1e-10)
        assert torch.allclose(got_b, single["b"], atol=1e-10)

    gens, gap = ref.generate([SEQ_A], 10, 0)
    gens_b, gap_b = ref.generate([SEQ_B], 10, 0)
    batch, gap2 = ref.generate([SEQ_A, SEQ_B], 10, 0)
    assert batch == [gens[0], gens_b[0]], (batch, gens, gens_b)
    gap = min(gap, gap_b, gap2)
    assert gap > 1e-3, f"{name}: greedy top-2 gap {gap} too small for a robust fixture"
    exp["greedy"] = {"max_new": 10, "a": gens[0], "b": gens_b[0], "min_top2_gap": gap}

    if full:
        # LLINK's hook: replace the input embeddings at INJECT_POS of seq a
        # with given vectors; logits, normed hidden and the gradient of the
        # next-token cross-entropy (mean over positions 0..T-2) w.r.t. them.
        g = torch.Generator().manual_seed(seed + 1000)
        vec = (torch.randn(len(INJECT_POS), cfg["hidden_size"], generator=g, dtype=torch.float32) * 0.6).to(F64)
        vec.requires_grad_(True)
        ids = torch.tensor([SEQ_A])
        x = ref.embed(ids).clone()
        x[0, INJECT_POS] = vec
        T = len(SEQ_A)
        logits, hn, _ = ref.forward(x, torch.arange(T)[None], torch.ones(1, T, dtype=torch.long))
        loss = torch.nn.functional.cross_entropy(logits[0, :-1], ids[0, 1:])
        loss.backward()
        exp["inject"] = {
            "positions": INJECT_POS,
            "vectors": flat(vec),
            "logits": flat(logits[0]),
            "hidden_last": flat(hn[0, -1]),
            "loss": float(loss),
            "grad": flat(vec.grad),
        }
    write_expected(d, exp)
    return exp


# ---------------------------------------------------------------- XLM-R/BERT

def bert_weights(cfg, seed, prefix=""):
    g = torch.Generator().manual_seed(seed)

    def rn(*shape, std):
        return (torch.randn(*shape, generator=g, dtype=torch.float32) * std).numpy()

    d, f = cfg["hidden_size"], cfg["intermediate_size"]
    p0 = prefix
    w = [
        (p0 + "embeddings.word_embeddings.weight", rn(cfg["vocab_size"], d, std=0.5)),
        (p0 + "embeddings.position_embeddings.weight", rn(cfg["max_position_embeddings"], d, std=0.5)),
        (p0 + "embeddings.token_type_embeddings.weight", rn(cfg["type_vocab_size"], d, std=0.5)),
        (p0 + "embeddings.LayerNorm.weight", 1 + rn(d, std=0.1)),
        (p0 + "embeddings.LayerNorm.bias", rn(d, std=0.1)),
    ]
    for i in range(cfg["num_hidden_layers"]):
        p = f"{p0}encoder.layer.{i}."
        for n in ("query", "key", "value"):
            w += [(p + f"attention.self.{n}.weight", rn(d, d, std=d ** -0.5)),
                  (p + f"attention.self.{n}.bias", rn(d, std=0.1))]
        w += [
            (p + "attention.output.dense.weight", rn(d, d, std=d ** -0.5)),
            (p + "attention.output.dense.bias", rn(d, std=0.1)),
            (p + "attention.output.LayerNorm.weight", 1 + rn(d, std=0.1)),
            (p + "attention.output.LayerNorm.bias", rn(d, std=0.1)),
            (p + "intermediate.dense.weight", rn(f, d, std=d ** -0.5)),
            (p + "intermediate.dense.bias", rn(f, std=0.1)),
            (p + "output.dense.weight", rn(d, f, std=f ** -0.5)),
            (p + "output.dense.bias", rn(d, std=0.1)),
            (p + "output.LayerNorm.weight", 1 + rn(d, std=0.1)),
            (p + "output.LayerNorm.bias", rn(d, std=0.1)),
        ]
    w += [(p0 + "pooler.dense.weight", rn(d, d, std=d ** -0.5)),
          (p0 + "pooler.dense.bias", rn(d, std=0.1))]
    return w


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


class BertRef:
    """XLMRobertaModel / BertModel forward in float64 (post-LN, GELU erf)."""

    def __init__(self, cfg, weights, prefix=""):
        self.cfg = cfg
        self.w = {n[len(prefix):]: t for n, t in to_torch(weights).items()}

    def position_ids(self, ids):
        if self.cfg["model_type"] in ("xlm-roberta", "roberta"):
            pad = self.cfg["pad_token_id"]
            m = ids.ne(pad).long()
            return m.cumsum(1) * m + pad
        return torch.arange(ids.shape[1])[None].expand_as(ids)

    def forward(self, ids, mask, types=None):
        cfg, w = self.cfg, self.w
        eps = cfg["layer_norm_eps"]
        B, T = ids.shape
        d, nh = cfg["hidden_size"], cfg["num_attention_heads"]
        hd = d // nh
        if types is None:
            types = torch.zeros_like(ids)
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.token_type_embeddings.weight"][types]
             + w["embeddings.position_embeddings.weight"][self.position_ids(ids)])
        h = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        ext = (1.0 - mask[:, None, None, :].to(F64)) * torch.finfo(F64).min

        def lin(t, name):
            return t @ w[name + ".weight"].T + w[name + ".bias"]

        for i in range(cfg["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            q = lin(h, p + "attention.self.query").view(B, T, nh, hd).transpose(1, 2)
            k = lin(h, p + "attention.self.key").view(B, T, nh, hd).transpose(1, 2)
            v = lin(h, p + "attention.self.value").view(B, T, nh, hd).transpose(1, 2)
            s = (q @ k.transpose(2, 3)) / math.sqrt(hd) + ext
            ctx = (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(B, T, d)
            a = layer_norm(lin(ctx, p + "attention.output.dense") + h,
                           w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], eps)
            m = torch.nn.functional.gelu(lin(a, p + "intermediate.dense"))
            h = layer_norm(lin(m, p + "output.dense") + a,
                           w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
        mf = mask.to(F64)[..., None]
        mean = (h * mf).sum(1) / mf.sum(1).clamp(min=1e-9)
        pooler = torch.tanh(lin(h[:, 0], "pooler.dense"))
        return h, mean, h[:, 0], pooler


def bert_fixture(name, cfg, seed, seqs, pad_id, prefix="", types=None):
    weights = bert_weights(cfg, seed, prefix=prefix)
    d = save_folder(name, cfg, weights)
    ref = BertRef(cfg, weights, prefix=prefix)
    T = max(len(s) for s in seqs)
    ids = torch.tensor([s + [pad_id] * (T - len(s)) for s in seqs])
    mask = torch.tensor([[1] * len(s) + [0] * (T - len(s)) for s in seqs])
    tt = None
    if types is not None:
        tt = torch.tensor([t + [0] * (T - len(t)) for t in types])
    h, mean, cls, pooler = ref.forward(ids, mask, tt)
    # Each row alone must give the same answer (padding must not leak).
    for b, s in enumerate(seqs):
        one_t = None if tt is None else tt[b:b + 1, :len(s)]
        h1, m1, _, _ = ref.forward(ids[b:b + 1, :len(s)], mask[b:b + 1, :len(s)], one_t)
        assert torch.allclose(h1[0], h[b, :len(s)], atol=1e-10)
        assert torch.allclose(m1[0], mean[b], atol=1e-10)
    exp = {
        "ids": ids.tolist(),
        "mask": mask.tolist(),
        "token_types": None if tt is None else tt.tolist(),
        "last_hidden": flat(h),
        "mean": flat(mean),
        "cls": flat(cls),
        "pooler": flat(pooler),
    }
    write_expected(d, exp)
    return exp


def xlmr_config():
    return {
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "vocab_size": 250,
        "hidden_size": 48,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "intermediate_size": 96,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": 40,
        "type_vocab_size": 1,
        "initializer_range": 0.02,
        "layer_norm_eps": 1e-5,
        "pad_token_id": 1,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


def bert_config():
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": 120,
        "hidden_size": 32,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "intermediate_size": 64,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": 24,
        "type_vocab_size": 2,
        "initializer_range": 0.02,
        "layer_norm_eps": 1e-12,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


def main():
    torch.set_grad_enabled(True)
    sizes = {}
    llama_fixture("llama_tied", tied=True, scaled=True, seed=11)
    llama_fixture("llama_untied", tied=False, scaled=False, seed=12, shards=2)
    llama_fixture("llama_bf16", tied=True, scaled=True, seed=11, bf16=True, full=False)
    xlmr_seqs = [
        [0, 45, 200, 17, 99, 3, 150, 2],
        [0, 7, 88, 2],
        [0, 120, 5, 249, 60, 31, 77, 140, 11, 230, 2],
    ]
    bert_fixture("xlmr", xlmr_config(), seed=21, seqs=xlmr_seqs, pad_id=1)
    bert_seqs = [[101 % 120, 7, 55, 23, 102 % 120, 40, 9, 102 % 120], [101 % 120, 66, 3, 102 % 120]]
    bert_types = [[0, 0, 0, 0, 0, 1, 1, 1], [0, 0, 0, 0]]
    bert_fixture("bert", bert_config(), seed=31, seqs=bert_seqs, pad_id=0, prefix="bert.", types=bert_types)
    for root, _, files in os.walk(HERE):
        for f in files:
            sizes[os.path.relpath(os.path.join(root, f), HERE)] = os.path.getsize(os.path.join(root, f))
    total = sum(sizes.values())
    for k in sorted(sizes):
        print(f"{sizes[k]:9d}  {k}")
    print(f"{total:9d}  total")
    assert total < 3 << 20, "fixtures must stay under 3 MB"


if __name__ == "__main__":
    main()
