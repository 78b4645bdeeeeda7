//go:build unix

package tree

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockedHint says what to do about a held lock: flock(2) is released when
// its holder exits, so a held lock always has a live holder.
const lockedHint = "it is writing the generated tree; wait for it to finish, then run gen again"

// lockFile opens LockPath and locks it with flock(2), without waiting.
func lockFile(r *os.Root) (*os.File, error) {
	name := filepath.FromSlash(LockPath)
	for range 10 {
		f, err := r.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("lock: %w", err)
		}
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, lockedBy(r)
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", LockPath, err)
		}
		// The holder before us removes the file as it releases it: the
		// lock counts only when it is on the file still at that path.
		held, err1 := f.Stat()
		now, err2 := r.Lstat(name)
		if err1 == nil && err2 == nil && os.SameFile(held, now) {
			return f, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("lock %s: the file keeps changing", LockPath)
}
