//go:build !unix

package llama

import "time"

// processCPU is unknown on this platform; benchmarks then report 0.
func processCPU() time.Duration { return 0 }
