package tree

import "syscall"

// syncEach is the most files a write fsyncs one by one; a write of more
// makes them durable with one sync(2).
//
// Either way the data of every staged file is on disk before the first
// rename, which is what keeps writes atomic: a rename is journaled
// without the data, so a crash after it could leave an empty or short
// file in place of a good one. An fsync waits for that file alone, which
// is the cheapest for the everyday gen (a few files), where sync(2)
// waits for every dirty page of the machine; thousands of files (a new
// tree) would each wait for a journal commit, where one sync writes them
// all at once.
//
// syncfs(2) of the filesystems the files are on was tried in place of
// sync(2) (narrower, and it reports a failed writeback): on the
// development VM (ext4) it measured no faster, the system time of gen
// into an empty tree being ext4's scan past recently deleted inodes when
// it allocates the new ones, so sync(2) stays. Not syncing a file that
// replaces nothing is not enough: its target is in the manifest written
// first as pending with the new digest, and a crash that left it empty
// or short would make the next gen refuse it as edited by hand.
const syncEach = 64

// syncAll makes everything written durable, on every filesystem.
func syncAll() { syscall.Sync() }
