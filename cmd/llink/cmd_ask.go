package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	llinkapi "github.com/llink-go/llink"
	"github.com/llink-go/llink/internal/safeio"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/models/tiny"
)

func init() {
	register(command{name: "ask", synopsis: "-bundle FILE [-decoder DIR -encoder DIR] [-text KHMER] INSTRUCTION (flags may follow it; after -- all is instruction)",
		short: "answer an instruction about a Khmer text (from -text or stdin) with a trained LLINK bundle", run: runAsk})
}

// maxAskText caps the Khmer text ask reads from stdin: far past any
// encoder's context, and a bound on memory when stdin never ends.
const maxAskText = 16 << 20

func runAsk(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("ask", stderr)
	cf := addCommonFlags(fs)
	bundle := fs.String("bundle", "", "LLINK bundle `file` (llink-bundle.safetensors in a `llink run` folder)")
	decoder := fs.String("decoder", "", "decoder Hugging Face `folder` the bundle was trained with (default: the embedded tiny decoder)")
	encoder := fs.String("encoder", "", "encoder Hugging Face `folder` the bundle was trained with (default: the embedded tiny encoder)")
	text := fs.String("text", "", "the Khmer `text` (default: read from stdin)")
	maxNew := fs.Int("max-new", 64, "maximum answer tokens")
	bf16 := fs.Bool("bf16", false, "with -decoder: keep its matrices in bfloat16 (half the memory)")
	words, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	instruction := strings.TrimSpace(strings.Join(words, " "))
	switch {
	case *bundle == "":
		return usageErrorf("ask: -bundle is required (a `llink run` folder holds %s)", bundleName)
	case instruction == "":
		return usageErrorf(`ask: give the instruction, e.g. llink ask -bundle B "Translate the passage into English."`)
	case (*decoder == "") != (*encoder == ""):
		return usageErrorf("ask: give both -decoder and -encoder, or neither (the embedded tiny models)")
	}
	if err := checkInt("ask", "max-new", *maxNew, 1, maxCount); err != nil {
		return err
	}
	stop, err := cf.start()
	if err != nil {
		return err
	}
	defer stop()
	khmer := *text
	if khmer == "" {
		b, err := safeio.ReadAll(stdin, "stdin", maxAskText, "the Khmer text of ask (it is clipped to the encoder's context anyway)")
		if err != nil {
			return fmt.Errorf("ask: %w", err)
		}
		khmer = strings.TrimSpace(string(b))
	}
	if khmer == "" {
		return usageErrorf("ask: no Khmer text (give -text or pipe it on stdin)")
	}
	m, err := loadAsker(*bundle, *decoder, *encoder, *maxNew, *bf16)
	if err != nil {
		return err
	}
	defer m.Close()
	answer, err := m.Answer(instruction, khmer)
	if err != nil {
		return err
	}
	if cf.JSON {
		js, _ := json.Marshal(map[string]string{"instruction": instruction, "answer": answer})
		_, err := fmt.Fprintf(stdout, "%s\n", js)
		return err
	}
	_, err = fmt.Fprintln(stdout, answer)
	return err
}

// loadAsker loads the bundle with the models it was trained for: the given
// Hugging Face folders, or the embedded tiny models (whose ids `llink run`
// recorded in the bundle, so a bundle trained on other models is refused).
func loadAsker(bundle, decoder, encoder string, maxNew int, bf16 bool) (*llinkapi.Model, error) {
	if decoder != "" {
		return llinkapi.Load(llinkapi.Options{Decoder: decoder, Encoder: encoder, Bundle: bundle,
			DecoderID: dirID(decoder), EncoderID: dirID(encoder), BF16: bf16, MaxNewTokens: maxNew})
	}
	dec, dt, err := tiny.Decoder()
	if err != nil {
		return nil, err
	}
	enc, et, err := tiny.Encoder()
	if err != nil {
		return nil, err
	}
	decID, encID := tiny.ID("decoder"), tiny.ID("encoder")
	b, err := llink.LoadBundle(bundle, dec, enc.Config.Hidden, decID, encID)
	if err != nil {
		return nil, err
	}
	return llinkapi.New(llinkapi.Config{Decoder: dec, DecoderTokenizer: dt, DecoderID: decID,
		Encoder: enc, EncoderTokenizer: et, EncoderID: encID, MaxNewTokens: maxNew}, b)
}
