package data

import (
	"math/rand/v2"
	"slices"
)

// DrawTasks draws a test set stratified by kind: up to perKind tasks of each
// kind, chosen uniformly without replacement with the seed, in the order of
// [TaskKinds] (kinds not in that list follow in name order), each kind's
// tasks in their original order. short lists the kinds that had fewer than
// perKind tasks, with how many they had, so a report can say so.
func DrawTasks(tasks []Task, perKind int, seed uint64) (drawn []Task, short map[string]int) {
	byKind := map[string][]int{}
	for i, t := range tasks {
		byKind[t.Kind] = append(byKind[t.Kind], i)
	}
	kinds := slices.Clone(TaskKinds)
	var extra []string
	for k := range byKind {
		if !slices.Contains(TaskKinds, k) {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	kinds = append(kinds, extra...)
	short = map[string]int{}
	for ki, k := range kinds {
		idx := byKind[k]
		if len(idx) == 0 {
			continue
		}
		if len(idx) < perKind {
			short[k] = len(idx)
		}
		// A stream per kind, so one kind's draw does not depend on another's size.
		r := rand.New(rand.NewPCG(seed, 0x7e57+uint64(ki)))
		pick := slices.Clone(idx)
		r.Shuffle(len(pick), func(i, j int) { pick[i], pick[j] = pick[j], pick[i] })
		pick = pick[:min(perKind, len(pick))]
		slices.Sort(pick)
		for _, i := range pick {
			drawn = append(drawn, tasks[i])
		}
	}
	return drawn, short
}
