//go:build unix && !linux

package filestore

import "errors"

// mountTmpfs is Linux-only: TestFullDisk skips elsewhere.
func mountTmpfs(dir, size string) error { return errors.ErrUnsupported }

// unmount undoes mountTmpfs.
func unmount(dir string) error { return errors.ErrUnsupported }
