package tree

import (
	"fmt"
	"os"
)

// fsyncAll fsyncs each staged file.
func fsyncAll(staged []stagedFile) error {
	for _, s := range staged {
		f, err := os.OpenFile(s.tmp, os.O_RDWR, 0)
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
