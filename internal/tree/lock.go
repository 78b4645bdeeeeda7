package tree

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/pangeo-data/pangeo-gen/gen"
)

// Lock is held by the one pangeo-gen that writes a repository's generated
// tree: Apply takes it, so that two gens never write at once. It is the
// file LockPath (beside the manifest, never committed), holding who took
// it. On Unix the file is also locked with flock(2), which the system
// releases when the holder exits in any way (kill -9 included): a file
// left by a holder that is gone is stale and taken over.
type Lock struct {
	r       *os.Root
	f       *os.File
	created bool // deployments/ was made for the lock
	ownRoot bool // r was opened for the lock: closed on release
}

// holder is what the lock file says.
type holder struct {
	PID   int       `json:"pid"`
	Host  string    `json:"host"`
	Since time.Time `json:"since"`
}

// LockedError is the error of Acquire when another process holds the lock.
type LockedError struct {
	// PID, Host and Since say who holds it, as far as the file tells
	// (zero when it cannot be read).
	PID   int
	Host  string
	Since time.Time
}

func (e *LockedError) Error() string {
	who := "another pangeo-gen"
	if e.PID != 0 {
		who = fmt.Sprintf("another pangeo-gen (pid %d on %s, since %s)", e.PID, e.Host, e.Since.UTC().Format(time.RFC3339))
	}
	return who + " holds " + LockPath + ": " + lockedHint
}

// Acquire takes the lock of the repository at root, or fails at once with
// a *LockedError naming the holder.
func Acquire(root string) (*Lock, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	in := newInspector(root, r)
	l, err := acquire(r, in)
	in.close()
	if err != nil {
		r.Close()
		return nil, err
	}
	l.ownRoot = true
	return l, nil
}

// acquire takes the lock through r; the lock keeps r.
func acquire(r *os.Root, in *inspector) (*Lock, error) {
	link, absent, err := in.dir(gen.Deployments)
	if err != nil {
		return nil, err
	}
	if link != nil {
		return nil, fmt.Errorf("refusing to write: %s; pangeo-gen does not write through links (remove it, then run gen)", link.Describe())
	}
	l := &Lock{r: r}
	if absent {
		if err := r.Mkdir(gen.Deployments, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("lock: %w", err)
		}
		l.created = true
		delete(in.dirs, gen.Deployments)
		delete(in.gone, gen.Deployments)
	}
	f, err := lockFile(r)
	if err != nil {
		l.removeDir()
		return nil, err
	}
	l.f = f
	host, _ := os.Hostname()
	data, _ := json.Marshal(holder{PID: os.Getpid(), Host: host, Since: time.Now().UTC().Truncate(time.Second)})
	// Who holds it is for the message of another gen: best effort (on a
	// full disk the lock holds all the same).
	f.Truncate(0)
	f.WriteAt(append(data, '\n'), 0)
	return l, nil
}

// Release gives the lock up: the file is removed. Releasing a nil lock
// does nothing.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.r.Remove(filepath.FromSlash(LockPath))
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	err = errors.Join(err, l.f.Close())
	l.f = nil
	l.removeDir()
	if l.ownRoot {
		l.r.Close()
	}
	if err != nil {
		return fmt.Errorf("release %s: %w", LockPath, err)
	}
	return nil
}

// removeDir removes deployments/ again when it was made for the lock and
// nothing was written into it.
func (l *Lock) removeDir() {
	if l.created {
		l.r.Remove(gen.Deployments)
	}
}

// lockedBy reads the holder of the lock file, for the error.
func lockedBy(r *os.Root) *LockedError {
	data, err := r.ReadFile(filepath.FromSlash(LockPath))
	var h holder
	if err != nil || json.Unmarshal(data, &h) != nil {
		return &LockedError{}
	}
	return &LockedError{PID: h.PID, Host: h.Host, Since: h.Since}
}
