package harvest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/llink-go/llink/data"
)

// DefaultPackages are Debian packages (bookworm) that ship Khmer gettext
// catalogs worth harvesting; none is on the deny list.
var DefaultPackages = []string{
	"apt", "brasero-common", "cheese-common", "debconf-i18n", "dpkg", "eog",
	"evince-common", "evolution-data-server-common", "file-roller", "gedit-common",
	"gnome-calculator", "gnome-control-center-data",
	"gnome-desktop3-data", "gnome-disk-utility", "gnome-keyring", "gnome-menus",
	"gnome-shell-common", "gnome-software-common", "gnome-system-monitor",
	"gnome-terminal-data", "iso-codes", "libreoffice-l10n-km", "nautilus-data",
	"network-manager-gnome", "shotwell-common", "synaptic", "tasksel-data",
	"totem-common", "yelp",
}

// Help packages: the LibreOffice help in Khmer and in English.
const (
	HelpKm = "libreoffice-help-km"
	HelpEn = "libreoffice-help-en-us"
)

// deniedPrefixes name packages and catalog domains reserved for the
// held-out evaluation (Firefox, VLC, GIMP, Inkscape, Pidgin, GTK 3, and
// GLib's catalogs: libglib2.0-data's glib20 and glib-networking's), plus
// GTK 2 and GTK 4, whose strings largely repeat GTK 3's.
var deniedPrefixes = []string{
	"firefox", "vlc", "libvlc", "gimp", "libgimp", "inkscape", "pidgin", "libpurple", "purple",
	"gtk30", "gtk20", "gtk40", "gtk-3", "gtk-4", "gtk2", "gtk3", "gtk4", "libgtk",
	"libglib", "glib20", "glib-networking",
}

// Denied reports whether a package name, a catalog domain or a .mo file
// path belongs to the software reserved for held-out evaluation. Such text
// must never be harvested or trained on.
func Denied(name string) bool {
	base := strings.ToLower(filepath.Base(name))
	base = strings.TrimSuffix(base, ".mo")
	for _, p := range deniedPrefixes {
		if strings.HasPrefix(base, p) {
			return true
		}
	}
	return false
}

// Options configure [Harvest].
type Options struct {
	Packages []string  // gettext packages; nil means DefaultPackages
	NoHelp   bool      // skip the LibreOffice help
	WorkDir  string    // where .debs are downloaded and unpacked; "" = a temporary directory, removed afterwards
	Log      io.Writer // progress; nil = discard
}

// Stats counts what a harvest kept and dropped.
type Stats struct {
	Kept    map[string]int // pairs kept per package
	Dropped map[string]int // pairs dropped per reason
}

func newStats() Stats { return Stats{Kept: map[string]int{}, Dropped: map[string]int{}} }

// collector cleans, filters and deduplicates pairs across sources.
type collector struct {
	pairs []data.Pair
	seen  map[string]bool
	st    Stats
}

func newCollector() *collector { return &collector{seen: map[string]bool{}, st: newStats()} }

func (c *collector) add(pkg, source, license, en, km string) {
	en, km, why := Keep(en, km)
	if why == "" && c.seen[en] {
		why = "duplicate"
	}
	if why != "" {
		c.st.Dropped[why]++
		return
	}
	c.seen[en] = true
	c.st.Kept[pkg]++
	c.pairs = append(c.pairs, data.Pair{English: en, Foreign: km, Source: source, License: license})
}

// addMOTree harvests every km/LC_MESSAGES/*.mo under root (an unpacked
// package), skipping denied domains.
func (c *collector) addMOTree(pkg, root, license string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".mo") || filepath.Base(filepath.Dir(path)) != "LC_MESSAGES" ||
			filepath.Base(filepath.Dir(filepath.Dir(path))) != "km" {
			return nil
		}
		if Denied(path) {
			c.st.Dropped["denied catalog"]++
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		msgs, err := ParseMO(b)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		rel, _ := filepath.Rel(root, path)
		for _, m := range msgs {
			if m.ID == "" || len(m.Str) == 0 || m.Str[0] == "" {
				continue
			}
			id := m.ID
			if m.Context != "" {
				id = m.Context + "|" + id
			}
			if len(id) > 80 {
				id = id[:80]
			}
			src := pkg + ":/" + filepath.ToSlash(rel) + "#" + id
			c.add(pkg, src, license, StripMnemonics(m.ID), StripMnemonics(m.Str[0]))
			if m.IDPlural != "" {
				c.add(pkg, src+"(plural)", license, StripMnemonics(m.IDPlural), StripMnemonics(m.Str[len(m.Str)-1]))
			}
		}
		return nil
	})
}

// addHelpTrees pairs the English and Khmer LibreOffice help pages under
// enRoot/usr/share/libreoffice/help/en-US and kmRoot/.../km.
func (c *collector) addHelpTrees(enRoot, kmRoot, license string) error {
	enDir := filepath.Join(enRoot, "usr/share/libreoffice/help/en-US")
	kmDir := filepath.Join(kmRoot, "usr/share/libreoffice/help/km")
	var files []string
	err := filepath.WalkDir(kmDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".html") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	product := strings.NewReplacer("%PRODUCTNAME", "LibreOffice", "$[officename]", "LibreOffice", "%PRODUCTVERSION", "7.4")
	for _, kmPath := range files {
		rel, _ := filepath.Rel(kmDir, kmPath)
		enB, err := os.ReadFile(filepath.Join(enDir, rel))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return err
		}
		kmB, err := os.ReadFile(kmPath)
		if err != nil {
			return err
		}
		for _, hp := range PairHelpPages(string(enB), string(kmB)) {
			src := HelpKm + ":" + filepath.ToSlash(rel) + "#" + hp.ID
			c.add(HelpKm, src, license, product.Replace(hp.English), product.Replace(hp.Km))
		}
	}
	return nil
}

// License returns the licence of an unpacked package from
// usr/share/doc/PKG/copyright: the License of its "Files: *" stanza (or the
// first License field), or "unknown".
func License(root, pkg string) string {
	f, err := os.Open(filepath.Join(root, "usr/share/doc", pkg, "copyright"))
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	first, inStar := "", false
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "Files:"); ok {
			inStar = strings.TrimSpace(v) == "*"
			continue
		}
		if v, ok := strings.CutPrefix(line, "License:"); ok {
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			if inStar {
				return v
			}
			if first == "" {
				first = v
			}
		}
	}
	if first != "" {
		return first
	}
	// Not machine-readable: look for the GNU licence named in the text.
	f.Seek(0, io.SeekStart)
	b, _ := io.ReadAll(io.LimitReader(f, 1<<20))
	if m := reGNU.FindSubmatch(b); m != nil {
		name := "GPL"
		if len(m[1]) > 0 {
			name = "LGPL"
		}
		lic := name + "-" + string(m[2])
		if len(m[3]) > 0 {
			lic += "+"
		}
		return lic
	}
	return "unknown (see copyright file)"
}

var reGNU = regexp.MustCompile(`(?s)GNU\s+(Lesser\s+|Library\s+)?General\s+Public\s+License.{0,300}?version\s+(\d(?:\.\d)?)(.{0,80}?later)?`)

// fetch downloads pkg with apt-get into dir and unpacks it into dir/x/pkg.
func fetch(dir, pkg string) (string, error) {
	if Denied(pkg) {
		return "", fmt.Errorf("harvest: package %s is reserved for held-out evaluation", pkg)
	}
	cmd := exec.Command("apt-get", "download", pkg)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("apt-get download %s: %v: %s", pkg, err, strings.TrimSpace(string(out)))
	}
	debs, _ := filepath.Glob(filepath.Join(dir, pkg+"_*.deb"))
	if len(debs) == 0 {
		return "", fmt.Errorf("apt-get download %s: no .deb found", pkg)
	}
	root := filepath.Join(dir, "x", pkg)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	if out, err := exec.Command("dpkg-deb", "-x", debs[0], root).CombinedOutput(); err != nil {
		return "", fmt.Errorf("dpkg-deb -x %s: %v: %s", debs[0], err, strings.TrimSpace(string(out)))
	}
	return root, nil
}

// Harvest downloads the packages, unpacks them and returns the cleaned,
// deduplicated pairs: LibreOffice help first, then the catalogs in package
// order. A package that cannot be downloaded is logged and skipped; denied
// packages are an error.
func Harvest(opt Options) ([]data.Pair, Stats, error) {
	logw := opt.Log
	if logw == nil {
		logw = io.Discard
	}
	pkgs := opt.Packages
	if pkgs == nil {
		pkgs = DefaultPackages
	}
	for _, p := range pkgs {
		if Denied(p) {
			return nil, Stats{}, fmt.Errorf("harvest: package %s is reserved for held-out evaluation", p)
		}
	}
	dir := opt.WorkDir
	if dir == "" {
		d, err := os.MkdirTemp("", "llink-harvest-")
		if err != nil {
			return nil, Stats{}, err
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, Stats{}, err
	}
	c := newCollector()
	if !opt.NoHelp {
		kmRoot, err := fetch(dir, HelpKm)
		if err != nil {
			return nil, Stats{}, err
		}
		enRoot, err := fetch(dir, HelpEn)
		if err != nil {
			return nil, Stats{}, err
		}
		if err := c.addHelpTrees(enRoot, kmRoot, License(kmRoot, HelpKm)); err != nil {
			return nil, Stats{}, err
		}
		fmt.Fprintf(logw, "%s: %d pairs\n", HelpKm, c.st.Kept[HelpKm])
	}
	for _, p := range pkgs {
		root, err := fetch(dir, p)
		if err != nil {
			fmt.Fprintf(logw, "skipping %s: %v\n", p, err)
			continue
		}
		if err := c.addMOTree(p, root, License(root, p)); err != nil {
			return nil, Stats{}, err
		}
		fmt.Fprintf(logw, "%s: %d pairs\n", p, c.st.Kept[p])
	}
	return c.pairs, c.st, nil
}
