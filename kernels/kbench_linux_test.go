//go:build linux

package kernels

import (
	"time"

	"golang.org/x/sys/unix"
)

// ktThreadCPU returns the CPU time consumed by the calling OS thread.
func ktThreadCPU() time.Duration {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_THREAD, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
