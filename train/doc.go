// Package train runs LLINK's training stages on the engine: Stage A
// (contrastive alignment of the projector on cached encoder/decoder
// vectors), Stage B (soft slots and LoRA through the frozen decoder), the
// baselines, and saving and loading the trained parts. Evaluation metrics
// live in the eval subpackage.
package train
