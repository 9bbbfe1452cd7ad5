//go:build !linux

package overhead

import (
	"errors"
	"runtime"
)

// errUsage says why CPU and memory are missing from the report.
func errUsage() error {
	return errors.New("CPU and memory of a relay are measured on Linux only")
}

func processUsage(pid int) (Usage, error) { return Usage{}, errUsage() }

// selfUsage reports this process's Go heap and stacks; CPU time is only
// read on Linux.
func selfUsage() (Usage, error) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return Usage{Memory: int64(ms.HeapInuse + ms.StackInuse), Shared: true}, errUsage()
}

func raiseFileLimit(need uint64) (uint64, error) { return need, nil }
