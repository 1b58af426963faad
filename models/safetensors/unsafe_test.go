package safetensors

import "unsafe"

func unsafePointer(s []uint16) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(s)) }
