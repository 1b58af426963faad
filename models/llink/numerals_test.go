package llink

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNumerals(t *testing.T) {
	many := strings.Repeat("៧ ", MaxNumerals+3)
	want := make([]string, MaxNumerals)
	for i := range want {
		want[i] = "7"
	}
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"គ្មានលេខ", nil},
		{"ស៊ុន រដ្ឋា បានផ្ញើប្រាក់6ដុល្លារ កាលពីថ្ងៃទី6 ខែមេសា ឆ្នាំ2013។", []string{"6", "6", "2013"}},
		{"ថ្ងៃទី១៣ ខែមករា ឆ្នាំ២០០៩ ចំនួន១៨គីឡូក្រាម", []string{"13", "2009", "18"}},
		{"៥០,០០០រៀល និង 15.5MW", []string{"50,000", "15.5"}},
		{"in 2013. Then 1,2 and 3,", []string{"2013", "1,2", "3"}},
		{"a.5 ,7 8..9 1,,2", []string{"5", "7", "8", "9", "1", "2"}},
		{"៩៩.៩%", []string{"99.9"}},
		{many, want},
	} {
		if got := Numerals(c.in); !cmp.Equal(got, c.want) {
			t.Errorf("Numerals(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSpan(t *testing.T) {
	c := Config{K: 3}
	text := "ផ្ញើប្រាក់6ដុល្លារ ឆ្នាំ២០១៣"
	if got, want := c.Span(text), "<foreign><f0><f1><f2></foreign>"; got != want {
		t.Errorf("Span without copy channel = %q, want %q", got, want)
	}
	c.CopyNumbers = true
	if got, want := c.Span(text), "<foreign><f0><f1><f2> 6 2013</foreign>"; got != want {
		t.Errorf("Span with copy channel = %q, want %q", got, want)
	}
	if got, want := c.Span("គ្មានលេខ"), "<foreign><f0><f1><f2></foreign>"; got != want {
		t.Errorf("Span of a text without numerals = %q, want %q", got, want)
	}
}
