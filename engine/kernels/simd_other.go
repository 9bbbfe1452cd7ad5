//go:build !amd64

package kernels

// simdSet returns nil: there are no assembly kernels for this architecture.
func simdSet() *Set { return nil }
