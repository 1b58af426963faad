package train

import (
	"fmt"
	"math/rand/v2"

	"github.com/llink-go/llink/data"
)

// FairDataOptions sizes one seed's data for the fair comparison on the
// generated corpus.
type FairDataOptions struct {
	Seed       uint64
	TrainPairs int // Stage A training pairs
	TrainTasks int // Stage B / fine-tuning examples, spread over the kinds
	// PerKind is the test questions drawn per kind from the held-out split;
	// NovelPerKind those drawn from the novel-entity slice (0: no slice).
	PerKind, NovelPerKind int
	// OnDev evaluates on the development split instead (PerKind questions
	// per kind from the dev tasks; the dev pairs Stage A does not select on
	// are the retrieval pool): for choosing settings, never for results.
	// Everything a row trains on is the same as with OnDev false and the
	// same options (the corpus is built with the novel-entity slice's
	// reservations whenever NovelPerKind > 0), so a setting chosen on dev is
	// chosen for the model the test run trains.
	OnDev bool
	// EnglishOracle replaces every task's foreign text (training and
	// evaluated) by its English passage, so each row reads the English:
	// what the decoder answers when nothing is lost in reading — a ceiling
	// for these questions, not a result.
	EnglishOracle bool
	// PseudoNames is the share of the training tasks naming a person whose
	// given names are replaced by generated pseudo-names of PseudoAlphabet
	// ([Rename]; "" is [SimplePseudo]), so that answering them needs the
	// copy channel. DevNames, with OnDev, replaces every given name of the
	// dev questions by names of that source ("": the training names kept),
	// to measure on dev how a row answers names it never saw: [DevReal]
	// are real names like the test's, which no row trained on.
	PseudoNames    float64
	PseudoAlphabet Names
	DevNames       Names
	// KindWeights gives some kinds more of the training tasks: a kind of
	// weight w gets w draws in each round of [SampleTasksBy] (kinds not
	// named weigh 1; nil spreads the tasks evenly). Every trained row reads
	// the same tasks, so a weight changes the data of all rows alike.
	KindWeights map[string]int
}

// stageADevPairs is how many dev pairs Stage A selects its checkpoint on.
const stageADevPairs = 200

// FairData builds the data of one seed: the generated corpus of that seed
// (with a 1,000-pair novel-entity slice when NovelPerKind > 0, whose places
// and years no training pair holds), its
// training pairs and tasks, and the test questions drawn per kind
// ([data.DrawTasks]) — the held-out slice first, then the novel one — with
// the slices in that order. short reports kinds with fewer questions than
// asked, per slice.
func FairData(o FairDataOptions) (d Data, slices []FairSlice, short map[string]map[string]int, err error) {
	if o.PerKind < 1 || o.NovelPerKind < 0 || o.TrainPairs < 1 || o.TrainTasks < 1 {
		return d, nil, nil, fmt.Errorf("train: fair data needs positive sizes (per kind %d, novel per kind %d, train pairs %d, train tasks %d)",
			o.PerKind, o.NovelPerKind, o.TrainPairs, o.TrainTasks)
	}
	if o.PseudoAlphabet == DevReal {
		return d, nil, nil, fmt.Errorf("train: the names reserved for dev cannot rename training tasks (PseudoAlphabet %q)", o.PseudoAlphabet)
	}
	cfg := data.DefaultConfig()
	cfg.Seed = o.Seed
	if o.NovelPerKind > 0 {
		cfg.Novel = 1000
	}
	c, err := data.Build(cfg)
	if err != nil {
		return d, nil, nil, err
	}
	tr, dv, te := c.Tasks(o.Seed)
	d.TrainPairs = c.Train[:min(o.TrainPairs, len(c.Train))]
	d.DevPairs = c.Dev[:min(stageADevPairs, len(c.Dev))]
	d.Pool = c.Pool
	d.TrainTasks = SampleTasksBy(tr, o.TrainTasks, o.Seed, o.KindWeights)
	// A renamed task's "no" distractor is renamed too (RenameDistractors),
	// as the test's distractors are held out like its passages' names.
	if o.PseudoNames > 0 {
		d.TrainTasks = RenameDistractors(Rename(d.TrainTasks, o.PseudoNames, o.Seed, o.PseudoAlphabet), o.Seed, o.PseudoAlphabet)
	}
	if o.DevNames != "" {
		dv = RenameDistractors(Rename(dv, 1, o.Seed+1, o.DevNames), o.Seed+1, o.DevNames)
	}
	short = map[string]map[string]int{}
	if o.EnglishOracle {
		d.TrainTasks = englishOracle(d.TrainTasks)
	}
	add := func(name, about string, ts []data.Task, perKind int) {
		drawn, sh := data.DrawTasks(ts, perKind, o.Seed)
		if o.EnglishOracle {
			drawn = englishOracle(drawn)
			about += " English oracle: every prompt holds the English passage instead of the Khmer (a ceiling, not a result)."
		}
		d.TestTasks = append(d.TestTasks, drawn...)
		slices = append(slices, FairSlice{Name: name, About: about, N: len(drawn)})
		if len(sh) > 0 {
			short[name] = sh
		}
	}
	if o.OnDev {
		d.Pool = c.Dev[min(stageADevPairs, len(c.Dev)):]
		about := "Dev questions (training names and numbers; for choosing settings, not a result)."
		switch o.DevNames {
		case DevReal:
			about = "Dev questions, their given names replaced by real names reserved for dev, which no row trained on (training numbers; for choosing settings, not a result)."
		case SimplePseudo, FullPseudo:
			about = "Dev questions, their given names replaced by " + string(o.DevNames) + " pseudo-names (training numbers; for choosing settings, not a result)."
		}
		add("development split", about, dv, o.PerKind)
		return d, slices, short, nil
	}
	add("held-out names and numbers", "Every given name and number value in these questions is absent from LLINK's training data; places and years are not.", te, o.PerKind)
	if o.NovelPerKind > 0 {
		add("novel entities", "Names and numbers held out as above, and every place and year too (each question's passage mentions at least one reserved place or year).",
			data.MakeTasks(c.Novel, o.Seed+3), o.NovelPerKind)
	}
	return d, slices, short, nil
}

// englishOracle returns tasks with their foreign text replaced by their
// English passage ([data.Task.EnglishOnly]).
func englishOracle(tasks []data.Task) []data.Task {
	out := make([]data.Task, len(tasks))
	for i, t := range tasks {
		out[i] = t.EnglishOnly()
	}
	return out
}

// SampleTasks takes n tasks spread evenly over the kinds, round robin,
// each drawn at random without replacement (deterministic for the seed).
func SampleTasks(ts []data.Task, n int, seed uint64) []data.Task {
	return SampleTasksBy(ts, n, seed, nil)
}

// SampleTasksBy is [SampleTasks] with weights: in each round a kind of
// weight w (1 when not in weights) gets w draws in a row, so its share of
// the n tasks is w over the weights' sum while its pool lasts. Nil or
// all-1 weights give exactly SampleTasks' draw.
func SampleTasksBy(ts []data.Task, n int, seed uint64, weights map[string]int) []data.Task {
	byKind := map[string][]data.Task{}
	var kinds []string
	for _, t := range ts {
		if _, ok := byKind[t.Kind]; !ok {
			for range max(1, weights[t.Kind]) {
				kinds = append(kinds, t.Kind)
			}
		}
		byKind[t.Kind] = append(byKind[t.Kind], t)
	}
	r := rand.New(rand.NewPCG(seed, 9))
	var out []data.Task
	for i := 0; len(out) < n && len(out) < len(ts); i++ {
		k := kinds[i%len(kinds)]
		pool := byKind[k]
		if len(pool) == 0 {
			continue
		}
		j := r.IntN(len(pool))
		out = append(out, pool[j])
		pool[j] = pool[len(pool)-1]
		byKind[k] = pool[:len(pool)-1]
	}
	return out
}
