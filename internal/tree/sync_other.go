//go:build !linux

package tree

import "os"

// syncAll makes staged files durable before they are renamed into place.
func syncAll(r *os.Root, staged []stagedFile) error { return fsyncAll(r, staged) }
