package filestore

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/sessbridge/sessbridge/adapters"
)

// ParseSavePath reads PHP's session.save_path for the files handler and
// returns the [Options] of a LayoutNative store for it. The grammar is PHP's
// (mod_files.c):
//
//	"/path"          Dir /path, Depth 0, FileMode 0600
//	"N;/path"        Depth N (decimal)
//	"N;MODE;/path"   FileMode MODE (octal, 0 to 07777)
//
// The string is split on the first two semicolons only, so the path may
// itself hold semicolons ("1;0600;/a;b" is Dir "/a;b"). An empty save_path,
// or an empty path part, means the system temporary directory, as in PHP.
// MODE 0 gives FileMode 0, which [New] takes as the default 0600.
// Phalcon's Stream adapter does not parse this syntax: give its savePath to
// Options.Dir directly.
//
// PHP's strtol accepts "2x" as 2 and "-1" as a huge depth; ParseSavePath
// refuses anything but plain digits, and a depth of 256 or more (no session
// id could be longer).
func ParseSavePath(savePath string) (Options, error) {
	parts := strings.SplitN(savePath, ";", 3)
	opts := Options{Layout: adapters.LayoutNative, Dir: parts[len(parts)-1]}
	if len(parts) > 1 {
		n, err := strconv.ParseUint(parts[0], 10, 16)
		if err != nil || n >= adapters.MaxIDLength {
			return Options{}, fmt.Errorf("filestore: save_path %q: depth %q is not a number from 0 to %d", savePath, parts[0], adapters.MaxIDLength-1)
		}
		opts.Depth = int(n)
	}
	opts.FileMode = 0o600
	if len(parts) > 2 {
		m, err := strconv.ParseUint(parts[1], 8, 32)
		if err != nil || m > 0o7777 {
			return Options{}, fmt.Errorf("filestore: save_path %q: mode %q is not an octal number from 0 to 7777", savePath, parts[1])
		}
		opts.FileMode = os.FileMode(m & 0o777)
		if m&0o4000 != 0 {
			opts.FileMode |= os.ModeSetuid
		}
		if m&0o2000 != 0 {
			opts.FileMode |= os.ModeSetgid
		}
		if m&0o1000 != 0 {
			opts.FileMode |= os.ModeSticky
		}
	}
	if opts.Dir == "" {
		opts.Dir = os.TempDir()
	}
	return opts, nil
}
