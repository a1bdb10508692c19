// Command sessbridge inspects and converts PHP (Phalcon) sessions: it
// decodes session payloads to a lossless JSON document, encodes them back,
// and demonstrates what a Go service sees of a Phalcon session.
//
// Run "sessbridge help" for the commands; docs/cli.md lists them with their
// exit codes.
package main

import (
	"os"

	"github.com/sessbridge/sessbridge/cmd/sessbridge/internal/cli"
)

func main() {
	code := cli.Main()
	os.Exit(int(code))
}
