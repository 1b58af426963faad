package llink

import (
	"fmt"
	"maps"
	"slices"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/models/safetensors"
)

// SaveParams writes params as float32 tensors named by their parameter
// names into a safetensors file, atomically (temp file + rename), with
// metadata (provenance, configs) in its header.
func SaveParams(path string, params []*autograd.Var, metadata map[string]string) error {
	ts := make([]safetensors.Tensor, 0, len(params))
	seen := map[string]bool{}
	for _, p := range params {
		if p.Name == "" {
			return fmt.Errorf("llink: saving %s: unnamed parameter of shape %v", path, p.Shape())
		}
		if seen[p.Name] {
			return fmt.Errorf("llink: saving %s: duplicate parameter name %q", path, p.Name)
		}
		seen[p.Name] = true
		ts = append(ts, safetensors.FromFloat32(p.Name, p.Shape(), p.Data(), safetensors.F32))
	}
	if err := safetensors.Write(path, ts, metadata); err != nil {
		return fmt.Errorf("llink: saving %s: %w", path, err)
	}
	return nil
}

// LoadParams reads the values of params from a safetensors file written by
// [SaveParams] and returns its metadata. Every parameter must be present
// with its exact shape; tensors in the file that no parameter claims are an
// error too (a bundle for a different model).
func LoadParams(path string, params []*autograd.Var) (map[string]string, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, fmt.Errorf("llink: %w", err)
	}
	defer f.Close()
	want := map[string]*autograd.Var{}
	for _, p := range params {
		want[p.Name] = p
	}
	for _, name := range f.Names() {
		if _, ok := want[name]; !ok {
			return nil, fmt.Errorf("llink: %s: unexpected tensor %q (not a parameter of this model; expected %v)", path, name, slices.Sorted(maps.Keys(want)))
		}
	}
	for _, p := range params {
		name := p.Name
		info, ok := f.Info(name)
		if !ok {
			return nil, fmt.Errorf("llink: %s: missing tensor %q", path, name)
		}
		if !slices.Equal(info.Shape, p.Shape()) {
			return nil, fmt.Errorf("llink: %s: tensor %q has shape %v, the model needs %v", path, name, info.Shape, p.Shape())
		}
		v, err := f.Float32(name)
		if err != nil {
			return nil, fmt.Errorf("llink: %w", err)
		}
		copy(p.Data(), v)
	}
	return f.Metadata(), nil
}

// readMetadata returns a safetensors file's metadata.
func readMetadata(path string) (map[string]string, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, fmt.Errorf("llink: %w", err)
	}
	defer f.Close()
	return f.Metadata(), nil
}
