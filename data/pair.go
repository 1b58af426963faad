package data

// Pair is one parallel sentence pair. Generated pairs carry their slot
// values; pairs read from users' files or harvested from packages carry
// provenance instead.
type Pair struct {
	English string `json:"english"`
	Foreign string `json:"foreign"`
	// Slots holds the values the generator filled in (nil for other pairs).
	Slots *Slots `json:"slots,omitempty"`
	// Source says where a harvested or read pair came from
	// (package, file, message or paragraph id).
	Source string `json:"source,omitempty"`
	// License is the licence of the source text, when known.
	License string `json:"license,omitempty"`

	qs []question // questions with exact answers, set by the generator
}

// Slots are the values of a generated pair. English fields hold the form
// used in answers; *Km fields the form written in the Khmer sentence.
// Empty fields are absent from the pair.
type Slots struct {
	Frame     string `json:"frame"`
	Tense     string `json:"tense,omitempty"` // "past", "future" or "" (present)
	Person    string `json:"person,omitempty"`
	PersonKm  string `json:"person_km,omitempty"`
	Person2   string `json:"person2,omitempty"`
	Person2Km string `json:"person2_km,omitempty"`
	Place     string `json:"place,omitempty"`
	PlaceKm   string `json:"place_km,omitempty"`
	Place2    string `json:"place2,omitempty"`
	Place2Km  string `json:"place2_km,omitempty"`
	When      string `json:"when,omitempty"` // "12 March 2024", "yesterday", "Monday"
	WhenKm    string `json:"when_km,omitempty"`
	Object    string `json:"object,omitempty"` // item, food, crop, event, job, facility or plant
	ObjectKm  string `json:"object_km,omitempty"`
	// Value is the number in canonical form: digits, optional "." decimals,
	// no grouping ("12000", "2.5").
	Value    string `json:"value,omitempty"`
	Number   string `json:"number,omitempty"`    // as in English: "12,000"
	NumberKm string `json:"number_km,omitempty"` // as in Khmer: "១២០០០" or "12,000"
	Unit     string `json:"unit,omitempty"`      // canonical English unit: "MW", "%", "$", "riel", "students"
	UnitKm   string `json:"unit_km,omitempty"`
	// Quantity is the number with its unit as extraction answers write it:
	// "30 MW", "12%", "$25", "12,000 riel", "300 students".
	Quantity string `json:"quantity,omitempty"`
}

type question struct{ kind, text, answer string }
