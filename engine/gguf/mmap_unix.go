//go:build unix

package gguf

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Open memory-maps the GGUF file at path read-only and parses it. The
// mapping lives until [File.Close]; the kernel pages tensor data in on first
// use, so opening is fast whatever the model's size.
func Open(path string) (*File, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	size := st.Size()
	if size == 0 {
		return nil, fmt.Errorf("%w: %s is empty; the download is incomplete, fetch it again", ErrTruncated, path)
	}
	if size != int64(int(size)) {
		return nil, fmt.Errorf("gguf: %s is too large to map on this platform", path)
	}
	data, err := unix.Mmap(int(fd.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("gguf: mmap %s: %w", path, err)
	}
	f, err := Parse(data)
	if err != nil {
		unix.Munmap(data)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.unmap = func() error { return unix.Munmap(data) }
	return f, nil
}
