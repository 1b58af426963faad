package llink

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCopySpans(t *testing.T) {
	spans := make([]string, MaxCopySpans)
	for i := range spans {
		spans[i] = "7"
	}
	long := strings.Repeat("x", 60)
	for _, c := range []struct {
		name, in string
		want     []string
	}{
		{"empty", "", nil},
		{"Khmer only", "គ្មានលេខ។", nil},
		{"ASCII digits", "ស៊ុន រដ្ឋា បានផ្ញើប្រាក់6ដុល្លារ កាលពីថ្ងៃទី6 ខែមេសា ឆ្នាំ2013។", []string{"Sun Ratha", "6", "6", "2013"}},
		{"names in reading order", "កាលពីថ្ងៃទី26 ខែតុលា ឆ្នាំ2020 ឆាយ ម៉ាលី បានផ្ញើប្រាក់11,000៛ ទៅ ហេង ដារ៉ា", []string{"26", "2020", "Chhay Maly", "11,000", "Heng Dara"}},
		{"Khmer digits", "ថ្ងៃទី១៣ ខែមករា ឆ្នាំ២០០៩ ចំនួន១៨គីឡូក្រាម", []string{"13", "2009", "18"}},
		{"grouping and decimals", "៥០,០០០រៀល និង 15.5មេហ្គាវ៉ាត់", []string{"50,000", "15.5"}},
		{"unit symbols", "ស្ករត្នោត3 kg និង១៥% ហើយ170 MW", []string{"3", "kg", "15%", "170", "MW"}},
		{"currency prefix", "ថ្លៃ$150។", []string{"$150"}},
		{"thousands", "កម្មករ២៥៣៧នាក់ 1020គីឡូវ៉ាត់ $12000 371400.5 4500kW ១០០០០០០", []string{"2,537", "1,020", "$12,000", "371,400.5", "4,500kW", "1,000,000"}},
		{"years stay", "ឆ្នាំ២០២៤ ឆ្នាំ 2018 ឆ្នាំ (1999), ឆ្នាំ12000 ខែ1020", []string{"2024", "2018", "1999", "12,000", "1,020"}},
		{"not one number", "MP3 A1234 1-2000 12:3000 0.5 999", []string{"MP3", "A1234", "1-2000", "12:3000", "0.5", "999"}},
		{"Latin words", "បើក LibreOffice Writer (ឯកសារ.odt)។", []string{"LibreOffice", "Writer", "odt"}},
		{"sentence punctuation", "ឆ្នាំ (2013), ហើយ «5»!", []string{"2013", "5"}},
		{"punctuation only", "... ; ()", nil},
		{"span limit", strings.Repeat("៧ ", MaxCopySpans+3), spans},
		{"byte limit", long + " " + long + " 5", []string{long, "5"}},
	} {
		if got := CopySpans(c.in); !cmp.Equal(got, c.want) {
			t.Errorf("%s: CopySpans(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

func TestSpan(t *testing.T) {
	c := Config{K: 3}
	text := "ផ្ញើប្រាក់6ដុល្លារ ឆ្នាំ២០១៣ 3 kg"
	if got, want := c.Span(text), "<foreign><f0><f1><f2></foreign>"; got != want {
		t.Errorf("Span without copy channel = %q, want %q", got, want)
	}
	c.CopyChannel = true
	if got, want := c.Span(text), "<foreign><f0><f1><f2> 6 2013 3 kg</foreign>"; got != want {
		t.Errorf("Span with copy channel = %q, want %q", got, want)
	}
	if got, want := c.Span("គ្មានលេខ"), "<foreign><f0><f1><f2></foreign>"; got != want {
		t.Errorf("Span of a text without copy spans = %q, want %q", got, want)
	}
}
