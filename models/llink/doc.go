// Package llink is LLINK — Latent Language Injection for Non-English
// Knowledge — at inference, with the trainable parts and their losses:
//
//   - the prompt: LLINK's token names ([TokenNames]), the instruction
//     prompt ([UserMessage]) and the foreign span of every method as one
//     value, a [Form]: raw text, K slots or nothing, with or without the
//     copy channel's spans ([CopySpans]);
//   - the frozen models: a [Decoder] (llama model, tokenizer, chat
//     template, LLINK's token ids; [AddTokens] teaches them to a decoder)
//     and an [Encoder] — the one interface an encoder family implements
//     (models/xlmr does) — read through a [Reader] (pooled vectors, token
//     states); the Stage A [Teacher];
//   - [Projector] (Stage A): Linear → GELU → Dropout → Linear → LayerNorm,
//     mapping the encoder's pooled vector into the decoder's hidden space,
//     trained contrastively against the decoder's hidden state at a
//     reserved position ([StageALoss], with a FIFO [Queue] of past teacher
//     vectors for hard negatives);
//   - [Scale], [Adapter] and [Expander] (Stage B, together [Slots]): the
//     projected vector is renormalised to the decoder's embedding norm,
//     passed through an identity-gated adapter and expanded into K soft
//     slots; with token-level slots ([Config.SlotInput] = [SlotsTokens], not
//     in the paper) a [Resampler] then lets the slots attend to the
//     encoder's token states ([Tokens]), which keep the place, month and
//     object that one pooled vector loses;
//   - the injection, the one path from vectors to answers that training,
//     evaluation and the root package share: [Decoder.Inputs] tokenises the
//     prompts and places an [Injector]'s slot vectors at <f0>…<fK-1>;
//     [Decoder.Generate] answers;
//   - the [Bundle] of trained parts (save/load, checked against the models'
//     [Identity]).
//
// Every default is the paper's value (Agarwal & Gupta, "Languages are
// Modalities: Cross-Lingual Alignment via Encoder Injection", 2025) unless
// its comment says otherwise.
package llink
