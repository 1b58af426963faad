// Package bench holds llink's end-to-end benchmark programs and the scripts
// that run them beside their peers: llamabench and its PyTorch twin
// (sidebyside.sh), the Stage B step at the Llama-3.2-1B shape and its twin
// (stageb, stageb_torch.py), the portable SGEMM against gonum (portable.sh),
// Stage A on a real corpus (stagea) and what word slots spell after their
// alignment (wordalign). Results are in RESULTS.md and docs/EXPERIMENTS.md.
package bench
