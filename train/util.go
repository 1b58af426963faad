package train

import (
	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/tensor"
)

func constOf(t *tensor.Tensor) *autograd.Var { return autograd.Const(t) }
