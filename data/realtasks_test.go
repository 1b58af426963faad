package data

import (
	"reflect"
	"strings"
	"testing"
)

func TestRealTasksQuestions(t *testing.T) {
	for _, tc := range []struct {
		name, en, km  string
		number, latin string // "" when no such question is asked
	}{
		{"khmer digits", "Numbering 4 Start", "លេខរៀង ៤\u200b ចាប់ផ្តើម", "4", ""},
		{"ascii number and word", "366 Object is not available in PDF", "366 មិន\u200bមាន\u200bវត្ថុ PDF", "366", "PDF"},
		{"grouping differs", "Copied 12,000 files", "បាន​ចម្លង​ឯកសារ ១២០០០", "12,000", ""},
		{"decimal", "=FISHER(0.5) yields 0.55.", "លទ្ធផល 0.55 ។", "0.55", ""},
		{"digit inside a word", "IPv6 network connection", "ការ\u200bតភ្ជាប់\u200bបណ្ដាញ IPv6", "", "IPv6"},
		{"two numbers", "Page 3 of 10", "ទំព័រ ៣ នៃ ១០", "", ""},
		{"ordinal in English only", "1st Outline Level", "កម្រិត\u200bគ្រោង\u200bទី ១", "", ""},
		{"number absent from English", "Three items", "ធាតុ ៣", "", ""},
		{"two words", "Open the OLE object in Java", "បើក OLE ក្នុង Java", "", ""},
		{"word repeated", "Java and Java again", "Java និង Java", "", "Java"},
		{"word absent from English", "The editor", "កម្មវិធី gedit", "", ""},
		{"word is a substring only", "Use geditor", "ប្រើ gedit", "", ""},
		{"one letter", "Press X", "ចុច X", "", ""},
		{"underscore word", "Set HELP_DEBUG to 1", "កំណត់ HELP_DEBUG ទៅ 1 ។", "1", "HELP_DEBUG"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := RealTasks([]Pair{{English: tc.en, Foreign: tc.km}}, 1)
			got := map[string]string{}
			for _, x := range ts {
				if x.Foreign != tc.km || x.EnglishPassage != tc.en || x.Instruction == "" {
					t.Errorf("task %+v does not carry the pair", x)
				}
				got[x.Kind] = x.Answer
			}
			want := map[string]string{KindTranslate: tc.en}
			if tc.number != "" {
				want[KindNumber] = tc.number
			}
			if tc.latin != "" {
				want[KindLatin] = tc.latin
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("answers %q, want %q", got, want)
			}
		})
	}
}

func TestRealTasksSkipsLongAndIsDeterministic(t *testing.T) {
	pairs := []Pair{
		{English: "Open the PDF file", Foreign: "បើក​ឯកសារ PDF"},
		{English: strings.Repeat("long ", 30), Foreign: "វែង PDF"},
		{English: "A long Khmer text", Foreign: strings.Repeat("វែង", 40)},
		{English: "Save 3 files", Foreign: "រក្សាទុក​ឯកសារ ៣"},
	}
	a := RealTasks(pairs, 5)
	for _, x := range a {
		if len(x.EnglishPassage) > RealTaskMaxEnglishBytes || len(x.Foreign) > RealTaskMaxForeignBytes {
			t.Errorf("task of a long passage: %.30q", x.EnglishPassage)
		}
	}
	if len(a) != 4 { // two translations, one latin_word, one number
		t.Errorf("%d tasks, want 4: %+v", len(a), a)
	}
	if !reflect.DeepEqual(a, RealTasks(pairs, 5)) {
		t.Error("the same seed gave other tasks")
	}
}
