package train

import "github.com/llink-go/llink/train/eval"

// MethodResult is one row of the results table.
type MethodResult struct {
	Method string          `json:"method"`
	KmToEn *eval.Retrieval `json:"retrieval_km_en,omitempty"`
	EnToKm *eval.Retrieval `json:"retrieval_en_km,omitempty"`
	// Similarity is the top-left SimilarityBlock×SimilarityBlock corner of
	// the km→en cosine matrix (row-major; queries are pool pairs in order,
	// so the diagonal holds the positives), for the heat-map plot.
	Similarity    []float32          `json:"similarity_block,omitempty"`
	ExactMatch    float64            `json:"exact_match"`     // share of non-translation tasks
	ChrF          float64            `json:"chrf"`            // corpus chrF of translations
	NumericMatch  int                `json:"numeric_matched"` // reference quantities reproduced
	NumericTotal  int                `json:"numeric_total"`
	PerKind       map[string]float64 `json:"per_kind"`       // EM (or chrF for translate) per task kind
	PromptTokens  float64            `json:"prompt_tokens"`  // mean decoder input tokens per prompt
	ForeignTokens float64            `json:"foreign_tokens"` // mean tokens of the foreign span
	Samples       []Sample           `json:"samples,omitempty"`
	// Answers are all the method's answers with their references, in the
	// order of the evaluated tasks, for error analysis.
	Answers []Answer `json:"answers,omitempty"`
}

// Answer is one generated answer to an evaluated task.
type Answer struct {
	Kind      string `json:"kind"`
	Question  string `json:"question"`
	Output    string `json:"output"`
	Reference string `json:"reference"`
}

// Sample is one generation shown in the report.
type Sample struct {
	Instruction string `json:"instruction"`
	Foreign     string `json:"foreign"`
	Output      string `json:"output"`
	Reference   string `json:"reference"`
}

// NumericFidelity returns matched/total (0 when there is nothing to match).
func (r *MethodResult) NumericFidelity() float64 {
	if r.NumericTotal == 0 {
		return 0
	}
	return float64(r.NumericMatch) / float64(r.NumericTotal)
}

// Results is a whole pipeline run.
type Results struct {
	Methods []MethodResult     `json:"methods"`
	StageA  StageAResult       `json:"stage_a"`
	Timing  map[string]float64 `json:"timing_seconds"`
	Config  PipelineConfig     `json:"config"`
	// Layers is the Figure-3 analysis (layer-wise Khmer/English cosine and
	// norms, base decoder on raw Khmer vs LLINK slots) on the first
	// LayerPairsN pool pairs.
	Layers []eval.LayerStats `json:"layers,omitempty"`
}
