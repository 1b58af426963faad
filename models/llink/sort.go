package llink

import "sort"

func sortFloats(x []float64) { sort.Float64s(x) }

// sortByLen sorts indices by a length, keeping the order of equal lengths.
func sortByLen(idx []int, length func(i int) int) {
	sort.SliceStable(idx, func(a, b int) bool { return length(idx[a]) < length(idx[b]) })
}
