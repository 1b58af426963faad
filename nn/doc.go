// Package nn provides neural-network layers, losses and optimizers on autograd.
package nn
