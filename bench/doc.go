// Package bench holds llink's end-to-end benchmark programs.
package bench
