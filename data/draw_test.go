package data

import (
	"fmt"
	"testing"
)

func TestDrawTasks(t *testing.T) {
	c, err := Build(Config{Seed: 2, Train: 10, Test: 400})
	if err != nil {
		t.Fatal(err)
	}
	_, _, test := c.Tasks(2)
	count := func(ts []Task) map[string]int {
		m := map[string]int{}
		for _, t := range ts {
			m[t.Kind]++
		}
		return m
	}
	all := count(test)
	a, shortA := DrawTasks(test, 100, 1)
	b, _ := DrawTasks(test, 100, 1)
	c2, _ := DrawTasks(test, 100, 2)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatal("the same seed drew different tasks")
	}
	if fmt.Sprint(a) == fmt.Sprint(c2) {
		t.Fatal("another seed drew the same tasks")
	}
	got := count(a)
	for k, n := range all {
		want := min(n, 100)
		if got[k] != want {
			t.Errorf("kind %s: drew %d of %d, want %d", k, got[k], n, want)
		}
		if n < 100 && shortA[k] != n {
			t.Errorf("kind %s has %d tasks but short says %d", k, n, shortA[k])
		}
		if n >= 100 && shortA[k] != 0 {
			t.Errorf("kind %s has %d tasks but is listed as short", k, n)
		}
	}
	// Each drawn task is one of the inputs, none twice.
	seen := map[Task]bool{}
	in := map[Task]bool{}
	for _, t := range test {
		in[t] = true
	}
	for _, x := range a {
		if !in[x] || seen[x] {
			t.Fatalf("drawn task %+v is not an input or is drawn twice", x)
		}
		seen[x] = true
	}
	// Kinds come in TaskKinds order.
	last := -1
	order := map[string]int{}
	for i, k := range TaskKinds {
		order[k] = i
	}
	for _, x := range a {
		if order[x.Kind] < last {
			t.Fatalf("kind %s out of order", x.Kind)
		}
		last = order[x.Kind]
	}
}
