// Package harvest builds a real Khmer–English parallel corpus from Debian
// packages, offline and without installing them: `apt-get download` fetches
// the .deb files and `dpkg-deb -x` unpacks them into a temporary directory.
//
// Two sources are read:
//   - gettext catalogs (/usr/share/locale/km/LC_MESSAGES/*.mo, and any other
//     km/LC_MESSAGES directory a package ships), parsed by [ParseMO];
//   - the LibreOffice help (libreoffice-help-km with libreoffice-help-en-us),
//     whose HTML pages carry the same paragraph ids in both languages and are
//     paired by [PairHelpPages].
//
// Strings are cleaned and filtered by [Clean] and [Keep]: markup, hidden
// platform variants and accelerators (&File, _File, "(_F)") are removed;
// pairs with placeholders (%s, %d, {0}, $VAR, ...), untranslated, identical
// or too short strings are dropped; pairs are deduplicated on the English
// side. Each pair keeps its provenance (package, file, msgid or paragraph
// id) and the licence named in the package's copyright file.
//
// The catalogs of Firefox, VLC, GIMP, Inkscape, Pidgin, GTK 3 and GLib
// (libglib2.0-data's glib20, glib-networking) are reserved for an
// independent held-out evaluation: [Denied] rejects them (and GTK 2 and
// GTK 4, whose strings overlap GTK 3's), and [Harvest] refuses to read them,
// whatever the package list says.
package harvest
