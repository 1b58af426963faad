// Package models holds llink's model families, checkpoint formats and tokenizers.
package models
