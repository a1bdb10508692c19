package filestore

import "golang.org/x/sys/unix"

// mountTmpfs mounts a tmpfs of the given size ("64k") on dir (needs root).
func mountTmpfs(dir, size string) error {
	return unix.Mount("tmpfs", dir, "tmpfs", 0, "size="+size)
}

// unmount undoes mountTmpfs.
func unmount(dir string) error { return unix.Unmount(dir, 0) }
