// Package train runs LLINK's training stages, baselines and evaluation.
package train
