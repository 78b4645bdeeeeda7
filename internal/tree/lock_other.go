//go:build !unix

package tree

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// lockedHint says what to do about a held lock: without flock(2) a lock
// whose holder died stays.
const lockedHint = "wait for it, or remove the file if that process is gone"

// lockFile creates LockPath, failing when it exists.
func lockFile(r *os.Root) (*os.File, error) {
	f, err := r.OpenFile(filepath.FromSlash(LockPath), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil, lockedBy(r)
	}
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	return f, nil
}
