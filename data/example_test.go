package data_test

import (
	"fmt"
	"strings"

	"github.com/llink-go/llink/data"
)

func ExampleBuild() {
	c, err := data.Build(data.DefaultConfig())
	if err != nil {
		panic(err)
	}
	fmt.Println(len(c.Train), len(c.Dev), len(c.Test), len(c.Pool))
	p := c.Test[0]
	fmt.Println(p.Slots.Frame != "", p.English != "", p.Foreign != "")
	// Output:
	// 24000 1000 1000 1024
	// true true true
}

func ExampleMakeTasks() {
	pairs := data.Generate(1, 42)
	for _, t := range data.MakeTasks(pairs, 1) {
		if t.Kind == data.KindExtract {
			fmt.Println(t.Answer == pairs[0].Slots.Quantity)
		}
	}
	// Output:
	// true
}

func ExampleReadPairsTSV() {
	in := "Hello.\tសួស្តី។\nthis line has no tab\n"
	_, _, err := data.ReadPairsTSV(strings.NewReader(in), "my.tsv", data.ReadOptions{})
	fmt.Println(err)
	pairs, st, _ := data.ReadPairsTSV(strings.NewReader(in), "my.tsv", data.ReadOptions{SkipBad: true})
	fmt.Println(len(pairs), st.Skipped)
	// Output:
	// my.tsv:2: expected 2 tab-separated fields (english<TAB>khmer), found 1
	// 1 1
}

func ExampleToKhmerDigits() {
	fmt.Println(data.ToKhmerDigits("30 MW"), data.ToArabicDigits("១២០០០"))
	// Output: ៣០ MW 12000
}

func ExampleDefault() {
	c, train, dev, test := data.Default()
	fmt.Println(len(c.Pool), len(train) > len(dev), len(test) > 0)
	// Output: 1024 true true
}
