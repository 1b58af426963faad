package harvest

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// buildMO writes a .mo file in the given byte order from (key, translation)
// pairs; key may hold "ctx\x04id" and "id\x00plural", translation "a\x00b".
func buildMO(bo binary.ByteOrder, entries [][2]string) []byte {
	n := len(entries)
	hdr := 28
	origTab, transTab := hdr, hdr+8*n
	strOff := transTab + 8*n
	var strs []byte
	tab := make([]byte, 16*n)
	for i, e := range entries {
		for j, s := range e {
			off := strOff + len(strs)
			strs = append(append(strs, s...), 0)
			base := j*8*n + 8*i
			bo.PutUint32(tab[base:], uint32(len(s)))
			bo.PutUint32(tab[base+4:], uint32(off))
		}
	}
	b := make([]byte, hdr)
	bo.PutUint32(b[0:], 0x950412de)
	bo.PutUint32(b[8:], uint32(n))
	bo.PutUint32(b[12:], uint32(origTab))
	bo.PutUint32(b[16:], uint32(transTab))
	return append(append(b, tab...), strs...)
}

var moEntries = [][2]string{
	{"", "Content-Type: text/plain; charset=UTF-8\nPlural-Forms: nplurals=1; plural=0;\n"},
	{"Open the selected file", "បើក​ឯកសារ​ដែល​បាន​ជ្រើស"},
	{"menu\x04_Save the document", "រក្សាទុក​ឯកសារ (_S)"},
	{"%d file was deleted\x00%d files were deleted", "ឯកសារ %d ត្រូវ​បាន​លុប"},
	{"One item selected\x00Many items selected", "ធាតុ​ត្រូវ​បាន​ជ្រើស"},
}

func TestParseMOBothByteOrders(t *testing.T) {
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		msgs, err := ParseMO(buildMO(bo, moEntries))
		if err != nil {
			t.Fatalf("%v: %v", bo, err)
		}
		want := []Message{
			{ID: "", Str: []string{moEntries[0][1]}},
			{ID: "Open the selected file", Str: []string{"បើក​ឯកសារ​ដែល​បាន​ជ្រើស"}},
			{Context: "menu", ID: "_Save the document", Str: []string{"រក្សាទុក​ឯកសារ (_S)"}},
			{ID: "%d file was deleted", IDPlural: "%d files were deleted", Str: []string{"ឯកសារ %d ត្រូវ​បាន​លុប"}},
			{ID: "One item selected", IDPlural: "Many items selected", Str: []string{"ធាតុ​ត្រូវ​បាន​ជ្រើស"}},
		}
		if !reflect.DeepEqual(msgs, want) {
			t.Fatalf("%v:\n got %q\nwant %q", bo, msgs, want)
		}
	}
	plural, _ := ParseMO(buildMO(binary.LittleEndian, [][2]string{{"a\x00b", "x\x00y\x00z"}}))
	if !reflect.DeepEqual(plural[0].Str, []string{"x", "y", "z"}) {
		t.Fatalf("plural forms: %q", plural[0].Str)
	}
}

func TestParseMOErrors(t *testing.T) {
	good := buildMO(binary.LittleEndian, moEntries)
	bad := map[string][]byte{
		"short":     good[:10],
		"magic":     append([]byte{1, 2, 3, 4}, good[4:]...),
		"truncated": good[:len(good)-20],
	}
	huge := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(huge[8:], 1<<30)
	bad["count"] = huge
	for name, b := range bad {
		if _, err := ParseMO(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzParseMO(f *testing.F) {
	f.Add(buildMO(binary.LittleEndian, moEntries))
	f.Add(buildMO(binary.BigEndian, moEntries[:2]))
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, err := ParseMO(b)
		if err == nil && len(msgs) > len(b)/8 {
			t.Fatalf("%d messages from %d bytes", len(msgs), len(b))
		}
	})
}

func TestKeepAndClean(t *testing.T) {
	cases := []struct{ en, km, wantEn, why string }{
		{"Open the selected file", "បើក​ឯកសារ​ដែល​បាន​ជ្រើស", "Open the selected file", ""},
		{"<b>Bold</b> text &amp; more", "អត្ថបទ​ដិត និង​ច្រើន​ទៀត", "Bold text & more", ""},
		{"Copy %s to the folder", "ចម្លង %s ទៅ​ថត", "", "placeholder"},
		{"Copy {0} files", "ចម្លង​ឯកសារ {0}", "", "placeholder"},
		{"Welcome to %PRODUCTNAME here", "សូម​ស្វាគមន៍", "", "placeholder"},
		{"Save the file", "Save the file", "", "identical"},
		{"Open", "បើក", "", "too short"},
		{"Some English text", "Some English text untranslated ក", "", "not translated"},
		{"Bad ក mix here", "ក​ខ​គ", "", "khmer in english"},
	}
	for _, c := range cases {
		en, _, why := Keep(c.en, c.km)
		if why != c.why || (why == "" && en != c.wantEn) {
			t.Errorf("Keep(%q) = %q, %q; want %q, %q", c.en, en, why, c.wantEn, c.why)
		}
	}
	for in, want := range map[string]string{
		"_Save the document": "Save the document", "Ca_p style": "Cap style", "~Open file": "Open file",
		"&File menu": "File menu", "Save &amp; close": "Save &amp; close", "រក្សាទុក (_S)": "រក្សាទុក",
		"snake__case": "snake__case",
	} {
		if got := StripMnemonics(in); got != want {
			t.Errorf("StripMnemonics(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Clean(" a\u200bb \n c "); got != "a\u200bb c" {
		t.Errorf("Clean kept/removed wrong spaces: %q", got)
	}
}

const helpEn = `<html><body>
<h1 id="hd_id1" dir="auto">Load/Save options</h1>
<p id="par_id2" class="paragraph" dir="auto"><span class="avis">Specifies general Load/Save settings for %PRODUCTNAME.</span></p>
<p id="par_id3" class="paragraph">Use the shortcut <span class="switchinline"><span hidden="true" class="MAC"><span class="keycode">Command</span></span><span hidden="true"><span class="keycode">Ctrl</span></span></span> + F to find text.</p>
<p id="par_id4" class="code">x = 1 + 2 and more code</p>
<p id="par_id5" class="paragraph">Untranslated paragraph stays English.</p>
<p id="par_id6" class="paragraph">Only in English here.</p>
</body></html>`

const helpKm = `<html><body>
<h1 id="hd_id1" dir="auto">ជម្រើស​ផ្ទុក​/​រក្សា​ទុក</h1>
<p id="par_id2" class="paragraph" dir="auto"><span class="avis">បញ្ជាក់​ការ​កំណត់​ផ្ទុក​/​រក្សាទុក​ទូទៅ​សម្រាប់ %PRODUCTNAME ។</span></p>
<p id="par_id3" class="paragraph">ប្រើ​ផ្លូវកាត់ <span class="switchinline"><span hidden="true" class="MAC"><span class="keycode">Command</span></span><span hidden="true"><span class="keycode">Ctrl</span></span></span> + F ដើម្បី​រក​អត្ថបទ ។</p>
<p id="par_id4" class="code">x = 1 + 2 and more code</p>
<p id="par_id5" class="paragraph">Untranslated paragraph stays English.</p>
</body></html>`

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestHelpTrees(t *testing.T) {
	dir := t.TempDir()
	enRoot, kmRoot := filepath.Join(dir, "en"), filepath.Join(dir, "km")
	writeFile(t, filepath.Join(enRoot, "usr/share/libreoffice/help/en-US/text/shared/a.html"), helpEn)
	writeFile(t, filepath.Join(kmRoot, "usr/share/libreoffice/help/km/text/shared/a.html"), helpKm)
	writeFile(t, filepath.Join(kmRoot, "usr/share/libreoffice/help/km/text/shared/only-km.html"), helpKm)
	c := newCollector()
	if err := c.addHelpTrees(enRoot, kmRoot, "MPL-2.0"); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range c.pairs {
		got[p.Source] = p.English + " | " + p.Foreign
		if p.License != "MPL-2.0" {
			t.Errorf("licence %q", p.License)
		}
	}
	want := map[string]string{
		"libreoffice-help-km:text/shared/a.html#hd_id1":  "Load/Save options | ជម្រើស​ផ្ទុក​/​រក្សា​ទុក",
		"libreoffice-help-km:text/shared/a.html#par_id2": "Specifies general Load/Save settings for LibreOffice. | បញ្ជាក់​ការ​កំណត់​ផ្ទុក​/​រក្សាទុក​ទូទៅ​សម្រាប់ LibreOffice ។",
		"libreoffice-help-km:text/shared/a.html#par_id3": "Use the shortcut Ctrl + F to find text. | ប្រើ​ផ្លូវកាត់ Ctrl + F ដើម្បី​រក​អត្ថបទ ។",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if c.st.Dropped["identical"] != 1 {
		t.Errorf("dropped %v", c.st.Dropped)
	}
}

func TestMOTreeDenyAndDedupe(t *testing.T) {
	dir := t.TempDir()
	mo := buildMO(binary.LittleEndian, moEntries)
	root := filepath.Join(dir, "pkg")
	writeFile(t, filepath.Join(root, "usr/share/locale/km/LC_MESSAGES/app.mo"), string(mo))
	writeFile(t, filepath.Join(root, "usr/share/locale/km/LC_MESSAGES/copy.mo"), string(mo))
	writeFile(t, filepath.Join(root, "usr/share/locale/fr/LC_MESSAGES/app.mo"), string(mo))
	for _, d := range []string{"gtk30", "gtk30-properties", "vlc", "gimp20-std-plug-ins", "inkscape", "pidgin", "firefox", "glib20", "glib-networking"} {
		writeFile(t, filepath.Join(root, "usr/share/locale/km/LC_MESSAGES", d+".mo"), string(mo))
	}
	writeFile(t, filepath.Join(root, "usr/share/doc/pkg/copyright"), "Format: x\n\nFiles: debian/*\nLicense: GPL-3+\n\nFiles: *\nLicense: LGPL-2.1+\n")
	c := newCollector()
	if err := c.addMOTree("pkg", root, License(root, "pkg")); err != nil {
		t.Fatal(err)
	}
	var ens []string
	for _, p := range c.pairs {
		ens = append(ens, p.English)
		if p.License != "LGPL-2.1+" || !strings.HasPrefix(p.Source, "pkg:/usr/share/locale/km/LC_MESSAGES/app.mo#") {
			t.Errorf("provenance %q %q", p.Source, p.License)
		}
	}
	want := []string{"Open the selected file", "Save the document", "One item selected", "Many items selected"}
	if !reflect.DeepEqual(ens, want) {
		t.Fatalf("got %q want %q", ens, want)
	}
	if c.st.Dropped["denied catalog"] != 9 || c.st.Dropped["duplicate"] != 4 {
		t.Errorf("dropped %v", c.st.Dropped)
	}
}

func TestDenied(t *testing.T) {
	for _, n := range []string{"firefox", "firefox-esr", "firefox-esr-l10n-km", "vlc", "vlc-l10n", "libvlc5", "gimp", "gimp-data",
		"gimp20.mo", "/usr/share/locale/km/LC_MESSAGES/gimp20-libgimp.mo", "inkscape", "pidgin", "pidgin-data", "libpurple0",
		"libgtk-3-common", "gtk30.mo", "gtk30-properties", "libgtk2.0-common", "gtk20.mo", "gtk40.mo", "libgtk-4-common",
		"libglib2.0-data", "libglib2.0-0", "glib-networking", "glib-networking-common", "glib20.mo",
		"/usr/share/locale/km/LC_MESSAGES/glib-networking.mo"} {
		if !Denied(n) {
			t.Errorf("Denied(%q) = false", n)
		}
	}
	for _, n := range append([]string{HelpKm, HelpEn, "nautilus.mo"}, DefaultPackages...) {
		if Denied(n) {
			t.Errorf("Denied(%q) = true", n)
		}
	}
	for _, p := range []string{"vlc", "libglib2.0-data", "glib-networking-common"} {
		if _, _, err := Harvest(Options{Packages: []string{"apt", p}, NoHelp: true}); err == nil || !strings.Contains(err.Error(), "reserved") {
			t.Errorf("Harvest accepted the denied package %s: %v", p, err)
		}
	}
}

func TestLicenseFallbacks(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "usr/share/doc/a/copyright"), "under the terms of the GNU General Public License as published by the\nFree Software Foundation, either version 3 of the License, or\n(at your option) any later version.")
	writeFile(t, filepath.Join(dir, "usr/share/doc/b/copyright"), "GNU Lesser General Public License, version 2.1 only")
	for pkg, want := range map[string]string{"a": "GPL-3+", "b": "LGPL-2.1", "missing": "unknown"} {
		if got := License(dir, pkg); got != want {
			t.Errorf("License(%s) = %q, want %q", pkg, got, want)
		}
	}
}
