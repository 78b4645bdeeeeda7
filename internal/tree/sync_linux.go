package tree

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// syncEach is the most files a write fsyncs one by one; a write of more
// makes them durable with one syncfs(2) of each filesystem they are on.
//
// Either way the data of every staged file is on disk before the first
// rename, which is what keeps writes atomic: a rename is journaled
// without the data, so a crash after it could leave an empty or short
// file in place of a good one. An fsync waits for that file alone, which
// is the cheapest for the everyday gen (a few files); thousands of them
// (a new tree) would each wait for a journal commit, where one syncfs
// writes them all at once. syncfs waits for the filesystem's other
// writes too, but not for those of every other filesystem as sync(2)
// does, and it reports a write that failed (since Linux 5.8), which
// sync(2) never does.
//
// Not syncing a file that replaces nothing is not enough: its target is
// in the manifest written first as pending with the new digest, and a
// crash that left it empty or short would make the next gen refuse it
// as edited by hand.
const syncEach = 64

// filesystems are the filesystems the staged files of a write are on,
// each with one folder of the write on it (a slash path relative to the
// root). It is safe for concurrent use.
type filesystems struct {
	mu   sync.Mutex
	dirs map[uint64]string
}

func newFilesystems() *filesystems { return &filesystems{dirs: map[uint64]string{}} }

// add records the filesystem of the folder dir, on which d is opened.
func (f *filesystems) add(d *os.Root, dir string) error {
	fi, err := d.Stat(".")
	if err != nil {
		return fmt.Errorf("stat %s: %w", dir, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("stat %s: no device", dir)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.dirs[st.Dev]; !ok {
		f.dirs[st.Dev] = dir
	}
	return nil
}

// sync makes everything written on each filesystem recorded durable
// (syncfs(2); sync(2) where syncfs is missing).
func (f *filesystems) sync(r *os.Root) error {
	for _, dir := range slices.Sorted(maps.Values(f.dirs)) {
		d, err := r.Open(filepath.FromSlash(dir))
		if err != nil {
			return fmt.Errorf("sync: open %s: %w", dir, err)
		}
		err = unix.Syncfs(int(d.Fd()))
		d.Close()
		if errors.Is(err, unix.ENOSYS) {
			unix.Sync()
			err = nil
		}
		if err != nil {
			return fmt.Errorf("sync the filesystem of %s: %w", dir, err)
		}
	}
	return nil
}
