//go:build !linux

package tree

import (
	"math"
	"os"
)

// syncEach is the most files a write fsyncs one by one: all of them
// where there is no syncfs(2).
const syncEach = math.MaxInt

// filesystems is for the sync of whole filesystems, which only Linux
// has: nothing to record, nothing to sync.
type filesystems struct{}

func newFilesystems() *filesystems { return &filesystems{} }

// add records nothing: every file is fsynced.
func (f *filesystems) add(*os.Root, string) error { return nil }

// sync has nothing to sync: every file is fsynced.
func (f *filesystems) sync(*os.Root) error { return nil }
