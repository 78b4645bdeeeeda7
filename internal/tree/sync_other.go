//go:build !linux

package tree

// syncAll makes staged files durable before they are renamed into place.
func syncAll(staged []stagedFile) error { return fsyncAll(staged) }
