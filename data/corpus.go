package data

import "fmt"

// Config sizes a generated corpus. The same Config always yields the same
// corpus.
type Config struct {
	Seed  uint64
	Train int // pairs for training (names and numbers not held out)
	Dev   int // pairs for development (same vocabulary as train, distinct sentences)
	Test  int // pairs for testing (held-out names and numbers only)
	Pool  int // retrieval pool (held-out names and numbers; disjoint from test)
	// Novel is the size of the novel-entity slice: pairs whose names and
	// numbers are held out as in Test and whose places and years are held
	// out too ([NovelPlace], [NovelYear]); every pair has at least one such
	// place or year. When Novel > 0 no other split uses those places and
	// years; when 0 every split uses every place and year.
	Novel int
}

// DefaultConfig is the embedded default: 24,000 training pairs, 1,000 dev,
// 1,000 test and a 1,024-pair retrieval pool, seed 1.
func DefaultConfig() Config {
	return Config{Seed: 1, Train: 24000, Dev: 1000, Test: 1000, Pool: 1024}
}

// Corpus is a generated parallel corpus split for LLINK. No English or Khmer
// sentence occurs in two pairs. Test and Pool use only held-out given names
// and number values ([HeldOutName], [HeldOutNumber]); Train and Dev never do.
type Corpus struct {
	Train, Dev, Test, Pool []Pair
	// Novel is the novel-entity slice ([Config.Novel]); empty when not asked for.
	Novel []Pair
}

// Build generates the corpus described by c.
func Build(c Config) (*Corpus, error) {
	if c.Train < 0 || c.Dev < 0 || c.Test < 0 || c.Pool < 0 || c.Novel < 0 {
		return nil, fmt.Errorf("data: negative split size in %+v", c)
	}
	const maxPairs = 2_000_000
	if c.Train > maxPairs || c.Dev > maxPairs || c.Test > maxPairs || c.Pool > maxPairs || c.Novel > maxPairs ||
		c.Train+c.Dev+c.Test+c.Pool+c.Novel > maxPairs {
		return nil, fmt.Errorf("data: corpus of %+v pairs is larger than the generator supports (%d in all)", c, maxPairs)
	}
	seen := map[string]bool{}
	tr := newGenerator(c.Seed, 1, vocabTrain, seen)
	ho := newGenerator(c.Seed, 2, vocabHeldOut, seen)
	if c.Novel > 0 {
		tr.ent, ho.ent = entFamiliar, entFamiliar
	}
	take := func(g *generator, n int) []Pair {
		out := make([]Pair, n)
		for i := range out {
			out[i] = g.next()
		}
		return out
	}
	co := &Corpus{}
	co.Train = take(tr, c.Train)
	co.Dev = take(tr, c.Dev)
	co.Test = take(ho, c.Test)
	co.Pool = take(ho, c.Pool)
	if c.Novel > 0 {
		nv := newGenerator(c.Seed, 6, vocabHeldOut, seen)
		nv.ent = entNovel
		co.Novel = take(nv, c.Novel)
	}
	return co, nil
}

// Generate returns n distinct pairs drawn from the whole vocabulary
// (held-out names and numbers included), for `llink corpus generate`.
func Generate(n int, seed uint64) []Pair {
	g := newGenerator(seed, 3, vocabAll, map[string]bool{})
	out := make([]Pair, n)
	for i := range out {
		out[i] = g.next()
	}
	return out
}

// Monolingual returns n English sentences and n Khmer sentences for
// pretraining (English language modelling, masked language modelling of an
// encoder). The two streams come from independent draws, so they are not
// translations of each other, and they use only the training vocabulary.
func Monolingual(n int, seed uint64) (english, khmer []string) {
	ge := newGenerator(seed, 4, vocabTrain, map[string]bool{})
	gk := newGenerator(seed, 5, vocabTrain, map[string]bool{})
	english, khmer = make([]string, n), make([]string, n)
	for i := 0; i < n; i++ {
		english[i] = ge.next().English
		khmer[i] = gk.next().Foreign
	}
	return english, khmer
}

// Tasks returns the instruction tasks of the train, dev and test splits
// (see [MakeTasks]); the seed picks instruction paraphrases.
func (c *Corpus) Tasks(seed uint64) (train, dev, test []Task) {
	return MakeTasks(c.Train, seed), MakeTasks(c.Dev, seed+1), MakeTasks(c.Test, seed+2)
}

// Default builds the default corpus ([DefaultConfig]) and its tasks: what
// the LLINK pipeline uses when no data is given.
func Default() (c *Corpus, train, dev, test []Task) {
	c, err := Build(DefaultConfig())
	if err != nil {
		panic(err) // DefaultConfig is valid
	}
	train, dev, test = c.Tasks(DefaultConfig().Seed)
	return c, train, dev, test
}
