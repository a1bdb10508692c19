// Package phpini reads PHP's configuration files as PHP does: the php.ini,
// then the *.ini files of its scan directories, with PHP's ini syntax, so
// that Go sees the same settings ini_get reports.
//
//	ini, err := phpini.ParseFile("/etc/php/8.2/fpm/php.ini") // and fpm/conf.d
//	if err != nil { ... }
//	name, ok := ini.Get("session.name")
//
// [ParseBool] and [ParseInt] read a value as PHP's own ini code does. The
// manager package turns the session.* settings into its Config
// (manager.ConfigFromINI), and the storeurl package finds the store PHP's
// session.save_handler uses (storeurl.FromPHPINI).
//
// # Security considerations
//
// A php.ini is trusted configuration, but ParseFile still bounds what it
// reads: a file, and a value after ${...} expansion, may hold at most 16 MiB.
// ${NAME} reads the environment, as PHP does.
package phpini
