// Package input reads the files a user hands pangeo-gen (hub files, secrets
// files, an old hub's folder) with bounds: only regular files, never more
// than a size limit, and, beneath a folder, never through a link that leaves
// it. A device, a FIFO or /dev/zero is refused at once instead of hanging or
// exhausting memory.
package input

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"syscall"
)

// LimitEnv names the environment variable that raises (or lowers) the size
// limit, in bytes.
const LimitEnv = "PANGEO_GEN_MAX_FILE_BYTES"

// DefaultLimit is the size limit when LimitEnv is unset: 16 MiB, far above
// any hub file, values file or secrets file seen in a federation.
const DefaultLimit int64 = 16 << 20

// Limit is the size limit in force: LimitEnv when it holds a positive
// number, else DefaultLimit.
func Limit() int64 {
	if s := os.Getenv(LimitEnv); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
			return n
		}
	}
	return DefaultLimit
}

// ErrTooLarge is wrapped by the error of a read that passed the limit.
var ErrTooLarge = errors.New("file too large")

// ErrNotRegular is wrapped by the error of a read of something that is not
// a regular file (a folder, device, FIFO or socket).
var ErrNotRegular = errors.New("not a regular file")

// TooLargeError is a read that passed the limit.
type TooLargeError struct {
	Name  string
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s: larger than %d bytes, the limit for an input file (set %s to raise it)", e.Name, e.Limit, LimitEnv)
}

// Unwrap makes errors.Is(err, ErrTooLarge) hold.
func (e *TooLargeError) Unwrap() error { return ErrTooLarge }

// ReadFile reads the regular file name (a link to one is followed) with
// the size limit.
func ReadFile(name string) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO must not wait for a writer; the mode
	// check below then refuses it.
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readOpen(name, f)
}

// ReadIn reads the regular file rel beneath root with the size limit. A
// link is followed only while it stays beneath root (os.Root's rule); one
// that leaves it is an error naming rel.
func ReadIn(root *os.Root, rel string) ([]byte, error) {
	f, err := root.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readOpen(rel, f)
}

// ReadAll reads r (standard input, say) up to the size limit; name is what
// an error calls it.
func ReadAll(name string, r io.Reader) ([]byte, error) {
	return readLimited(name, r, Limit())
}

func readOpen(name string, f *os.File) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("%w (%s)", ErrNotRegular, kind(fi.Mode()))}
	}
	limit := Limit()
	if fi.Size() > limit {
		return nil, &TooLargeError{Name: name, Limit: limit}
	}
	return readLimited(name, f, limit)
}

func readLimited(name string, r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Name: name, Limit: limit}
	}
	return data, nil
}

// kind names a non-regular file's type for a message.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	default:
		return "not a regular file"
	}
}
