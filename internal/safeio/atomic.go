package safeio

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// File is a file being written atomically: writes go to a temporary file in
// the target's folder, which [File.Commit] renames over the target. While
// open, the temporary file is locked, so [RemoveStale] tells it from one
// left by a killed writer.
type File struct {
	*os.File
	path string // the target
	tmp  string // the temporary file's name (not File.Name: it was renamed)
	perm os.FileMode
	done bool
}

// Temporary names: ".<target>.tmp-<random>" for a live (locked) writer's
// file. A file is created as ".<target>.new-<random>" and renamed to the
// .tmp- name only once locked, so every .tmp- file without a lock is stale.
const (
	tmpMark = ".tmp-"
	newMark = ".new-"
)

// Create starts an atomic write of path with permissions perm (applied at
// [File.Commit]). It first removes the temporaries of path that killed
// writers left behind ([RemoveStale]), so an interrupted run's next write of
// the same file cleans up after it.
func Create(path string, perm os.FileMode) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	removeStale(dir, "."+base+tmpMark)
	f, err := os.CreateTemp(dir, "."+base+newMark+"*")
	if err != nil {
		return nil, err
	}
	tmp := filepath.Join(dir, strings.Replace(filepath.Base(f.Name()), newMark, tmpMark, 1))
	if err := lock(f); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("locking %s: %w", f.Name(), err)
	}
	if err := os.Rename(f.Name(), tmp); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &File{File: f, path: path, tmp: tmp, perm: perm}, nil
}

// Commit makes the written bytes the content of the target: it sets the
// permissions, fsyncs, closes and renames the temporary file over the
// target, then fsyncs the folder (best effort) so the rename survives a
// power cut. On error the temporary file is removed and the target is
// untouched.
func (f *File) Commit() error {
	if f.done {
		return errors.New("safeio: Commit after Commit or Abort")
	}
	f.done = true
	tmp := f.tmp
	err := f.File.Chmod(f.perm)
	if err == nil {
		err = f.File.Sync()
	}
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, f.path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	if d, err := os.Open(filepath.Dir(f.path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Abort discards the write: the temporary file is closed and removed. It
// does nothing after [File.Commit], so `defer f.Abort()` is the idiom.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.File.Close()
	os.Remove(f.tmp)
}

// WriteFile writes data to path atomically (see [Create]): readers see the
// old content or the new, never a part, whatever happens meanwhile.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Commit()
}

// Output writes path with write: straight into it when it exists and is
// not a regular file — a device or a named pipe (/dev/stdout, a FIFO), which
// a rename would replace by a plain file and so destroy (as root even
// /dev/null) — else atomically ([Create], permissions perm). A folder is
// refused.
func Output(path string, perm os.FileMode, write func(io.Writer) error) error {
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		if st.IsDir() {
			return fmt.Errorf("%s is a folder; give a file", path)
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		err = write(f) // an *os.File's errors name the path
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := write(f); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Commit()
}

// RemoveStale removes, from folder dir, the temporary files that writers
// killed mid-write left behind (those no live writer holds locked), and
// returns their paths. Run at a program's start on its output folders, it
// reclaims the space an interrupted checkpoint write took.
func RemoveStale(dir string) ([]string, error) {
	if _, err := os.ReadDir(dir); err != nil {
		return nil, err
	}
	return removeStale(dir, "."), nil
}

// IsTemp reports whether a file name is that of an atomic write's
// temporary file ([Create]), live or left by a killed writer.
func IsTemp(name string) bool {
	return strings.HasPrefix(name, ".") && (strings.Contains(name, tmpMark) || strings.Contains(name, newMark))
}

// removeStale removes the unlocked temporaries in dir whose names start
// with prefix: every .tmp- file, and .new- files (a writer killed between
// creating and locking its file) once a minute old.
func removeStale(dir, prefix string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range ents {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(name, prefix) || !strings.HasPrefix(name, ".") {
			continue
		}
		switch {
		case strings.Contains(name, tmpMark):
		case strings.Contains(name, newMark):
			if info, err := e.Info(); err != nil || time.Since(info.ModTime()) < time.Minute {
				continue
			}
		default:
			continue
		}
		p := filepath.Join(dir, name)
		if stale(p) && os.Remove(p) == nil {
			removed = append(removed, p)
		}
	}
	return removed
}
