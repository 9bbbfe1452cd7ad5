package overhead

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// processUsage reads another process's CPU time and resident memory. The
// CPU time comes from the process's CPU-time clock (clock_getcpuclockid:
// nanoseconds, all threads, dead ones included), not from /proc/PID/stat,
// whose 10 ms ticks are too coarse for one stream of 64 events.
func processUsage(pid int) (Usage, error) {
	// The clock id of a process's CPUCLOCK_SCHED clock, as glibc's
	// clock_getcpuclockid builds it.
	clock := int32((^pid)<<3 | 2)
	var ts unix.Timespec
	if err := unix.ClockGettime(clock, &ts); err != nil {
		return Usage{}, fmt.Errorf("reading the CPU clock of process %d: %w", pid, err)
	}
	statm, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/statm")
	if err != nil {
		return Usage{}, err
	}
	f := bytes.Fields(statm)
	if len(f) < 2 {
		return Usage{}, fmt.Errorf("/proc/%d/statm: unexpected %q", pid, statm)
	}
	pages, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil {
		return Usage{}, fmt.Errorf("/proc/%d/statm: %w", pid, err)
	}
	return Usage{CPU: time.Duration(ts.Nano()), Memory: pages * int64(os.Getpagesize())}, nil
}

// selfUsage reads this process's CPU time (getrusage) and its Go heap and
// stacks in use. Resident memory would not do here: the Go runtime keeps
// pages it has freed, so a phase after a bigger one would show no growth.
func selfUsage() (Usage, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return Usage{}, err
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return Usage{CPU: cpu, Memory: int64(ms.HeapInuse + ms.StackInuse), Shared: true}, nil
}

// raiseFileLimit raises this process's soft limit on open files to at least
// need (up to the hard limit), and returns the limit in force. Children
// started afterwards inherit it.
func raiseFileLimit(need uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur >= need {
		return lim.Cur, nil
	}
	lim.Cur = min(need, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	return lim.Cur, nil
}
