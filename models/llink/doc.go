// Package llink holds the trainable parts of LLINK — Latent Language
// Injection for Non-English Knowledge — and their losses:
//
//   - [Projector] (Stage A): Linear → GELU → Dropout → Linear → LayerNorm,
//     mapping the frozen encoder's pooled sentence vector into the frozen
//     decoder's hidden space, trained contrastively against the decoder's
//     hidden state at a reserved position ([StageALoss], with a FIFO [Queue]
//     of past teacher vectors for hard negatives).
//   - [Scale], [Adapter] and [Expander] (Stage B): the projected vector is
//     renormalised to the decoder's embedding norm, passed through an
//     identity-gated adapter and expanded into K soft slots that replace the
//     input embeddings of the reserved tokens <f0>…<fK-1>.
//
// The method and its constants are described in ../shared/LLINK.md; every
// default here is the paper's value unless its comment says otherwise.
package llink
