// Package autograd implements llink's reverse-mode automatic differentiation.
package autograd
