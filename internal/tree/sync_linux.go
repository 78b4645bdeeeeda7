package tree

import (
	"os"
	"syscall"
)

// syncAll makes staged files durable before they are renamed into place.
// On Linux one sync(2) flushes them all, far cheaper than an fsync each
// when gen writes thousands of files.
func syncAll(r *os.Root, staged []stagedFile) error {
	if len(staged) > 1 {
		syscall.Sync()
		return nil
	}
	return fsyncAll(r, staged)
}
