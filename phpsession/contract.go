package phpsession

// Temporary stubs of the functions one part of the package provides to
// another while they are being written. Each owner deletes its stub from
// this file when it defines the real function in its own file.

import "errors"

var errNotYet = errors.New("phpsession: not implemented yet")
