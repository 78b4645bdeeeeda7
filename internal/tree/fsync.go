package tree

import (
	"fmt"
	"os"
	"path/filepath"
)

// fsyncAll fsyncs each staged file.
func fsyncAll(r *os.Root, staged []stagedFile) error {
	for _, s := range staged {
		f, err := r.OpenFile(filepath.FromSlash(s.tmp), os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("write %s: %w", s.rel, err)
		}
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", s.rel, err)
		}
	}
	return nil
}
