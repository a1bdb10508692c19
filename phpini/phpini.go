package phpini

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// maxINISize bounds the size of one ini file ParseFile reads, and of one
// value after ${...} expansion.
const maxINISize = 16 << 20

// Settings are what PHP's configuration files say, as ini_get would report
// them after PHP has read the files: later files override earlier ones. Get
// them from [ParseFile].
type Settings struct {
	values map[string]string
	files  []string
}

// SyntaxError reports a line PHP's ini parser would refuse, or a file too
// large to read.
type SyntaxError struct {
	File string // the file, as given to ParseFile or found in a scan directory
	Line int    // 1-based; 0 for the whole file
	Msg  string // what is wrong
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("phpini: %s:%d: %s", e.File, e.Line, e.Msg)
}

// ParseFile reads the php.ini at path, then every *.ini file of the scan
// directories in name order, as PHP does with PHP_INI_SCAN_DIR. With no
// scanDirs it scans the conf.d directory next to path when there is one
// (Debian's layout, /etc/php/8.2/fpm/php.ini and .../fpm/conf.d); an empty
// string scans nothing.
//
// It reads PHP's ini syntax: ; comments, [sections] (entries under
// [PATH=...] and [HOST=...], which only apply to some requests under CGI,
// are skipped), double-quoted strings with \" and \\ escapes, single-quoted
// raw strings, ${NAME} from the environment (or an earlier setting), and the
// bare words On, Yes, True (read as "1") and Off, No, False, None, Null
// (read as ""). It returns a [*SyntaxError] for a line PHP would refuse,
// and an error wrapping the [*fs.PathError] for a file or directory it
// cannot read.
func ParseFile(path string, scanDirs ...string) (*Settings, error) {
	ini := &Settings{values: map[string]string{}}
	if err := ini.parseFile(path); err != nil {
		return nil, err
	}
	if scanDirs == nil {
		dir := filepath.Join(filepath.Dir(path), "conf.d")
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			scanDirs = []string{dir}
		}
	}
	for _, dir := range scanDirs {
		if dir == "" {
			continue
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("phpini: reading ini scan dir: %w", err)
		}
		names := make([]string, 0, len(entries))
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".ini") && e.Type()&fs.ModeDir == 0 {
				names = append(names, e.Name())
			}
		}
		slices.Sort(names)
		for _, n := range names {
			if err := ini.parseFile(filepath.Join(dir, n)); err != nil {
				return nil, err
			}
		}
	}
	return ini, nil
}

// Get returns the setting called name ("session.name") as ini_get would
// print it; ok is false when no file set it.
func (ini *Settings) Get(name string) (value string, ok bool) {
	value, ok = ini.values[name]
	return value, ok
}

// Files returns the files read, in order.
func (ini *Settings) Files() []string { return slices.Clone(ini.files) }

func (ini *Settings) parseFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("phpini: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("phpini: %w", err)
	}
	if st.Size() > maxINISize {
		return &SyntaxError{File: path, Msg: fmt.Sprintf("file larger than %d bytes", maxINISize)}
	}
	data := make([]byte, st.Size())
	if _, err := f.ReadAt(data, 0); err != nil && st.Size() > 0 {
		return fmt.Errorf("phpini: %w", err)
	}
	ini.files = append(ini.files, path)
	return ini.parse(path, string(data))
}

// parse reads ini text; see ParseFile for the syntax.
func (ini *Settings) parse(file, src string) error {
	p := iniParser{src: src, file: file, line: 1, ini: ini}
	skip := false
	for {
		p.skipSpace(true)
		if p.pos >= len(p.src) {
			return nil
		}
		switch p.src[p.pos] {
		case ';':
			p.skipLine()
		case '[':
			end := strings.IndexAny(p.src[p.pos:], "]\n")
			if end < 0 || p.src[p.pos+end] != ']' {
				return p.errorf("section without ']'")
			}
			section := strings.TrimSpace(p.src[p.pos+1 : p.pos+end])
			up := strings.ToUpper(section)
			skip = strings.HasPrefix(up, "PATH=") || strings.HasPrefix(up, "HOST=")
			p.pos += end + 1
			p.skipLine()
		default:
			line := p.line
			key, err := p.key()
			if err != nil {
				return err
			}
			val, err := p.value()
			if err != nil {
				return err
			}
			if key == "" {
				return &SyntaxError{File: file, Line: line, Msg: "empty setting name"}
			}
			if !skip {
				ini.values[key] = val
			}
		}
	}
}

type iniParser struct {
	src  string
	pos  int
	file string
	line int
	ini  *Settings
}

func (p *iniParser) errorf(format string, args ...any) error {
	return &SyntaxError{File: p.file, Line: p.line, Msg: fmt.Sprintf(format, args...)}
}

func (p *iniParser) skipSpace(newlines bool) {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\r':
		case '\n':
			if !newlines {
				return
			}
			p.line++
		default:
			return
		}
		p.pos++
	}
}

func (p *iniParser) skipLine() {
	if i := strings.IndexByte(p.src[p.pos:], '\n'); i >= 0 {
		p.pos += i + 1
		p.line++
		return
	}
	p.pos = len(p.src)
}

// key reads a setting name up to '='.
func (p *iniParser) key() (string, error) {
	start := p.pos
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case '=':
			k := strings.TrimSpace(p.src[start:p.pos])
			p.pos++
			return k, nil
		case '\n', ';':
			return "", p.errorf("%q is not followed by '='", strings.TrimSpace(p.src[start:p.pos]))
		}
		p.pos++
	}
	return "", p.errorf("%q is not followed by '='", strings.TrimSpace(p.src[start:]))
}

// value reads a value up to the end of the line or a ';' comment.
func (p *iniParser) value() (string, error) {
	p.skipSpace(false)
	var b strings.Builder
	bareOnly := true  // the value is one unquoted run
	pendingSpace := 0 // unquoted spaces kept only if more text follows
	flushSpace := func() {
		for ; pendingSpace > 0; pendingSpace-- {
			b.WriteByte(' ')
		}
	}
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '\n' || c == ';':
			if c == ';' {
				p.skipLine()
			} else {
				p.pos++
				p.line++
			}
			return p.finish(b.String(), bareOnly), nil
		case c == '\r':
			p.pos++
		case c == ' ' || c == '\t':
			if b.Len() > 0 {
				pendingSpace++
			}
			p.pos++
		case c == '"':
			flushSpace()
			bareOnly = false
			if err := p.doubleQuoted(&b); err != nil {
				return "", err
			}
		case c == '\'':
			flushSpace()
			bareOnly = false
			end := strings.IndexByte(p.src[p.pos+1:], '\'')
			if end < 0 {
				return "", p.errorf("unterminated single-quoted string")
			}
			s := p.src[p.pos+1 : p.pos+1+end]
			p.line += strings.Count(s, "\n")
			b.WriteString(s)
			p.pos += end + 2
		case c == '$' && strings.HasPrefix(p.src[p.pos:], "${"):
			flushSpace()
			bareOnly = false
			if err := p.variable(&b); err != nil {
				return "", err
			}
		default:
			flushSpace()
			b.WriteByte(c)
			p.pos++
		}
	}
	return p.finish(b.String(), bareOnly), nil
}

func (p *iniParser) finish(v string, bare bool) string {
	if bare {
		switch strings.ToLower(v) {
		case "on", "yes", "true":
			return "1"
		case "off", "no", "false", "none", "null":
			return ""
		}
	}
	return v
}

func (p *iniParser) doubleQuoted(b *strings.Builder) error {
	startLine := p.line
	p.pos++ // opening quote
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '"':
			p.pos++
			return nil
		case c == '\\' && p.pos+1 < len(p.src) && (p.src[p.pos+1] == '"' || p.src[p.pos+1] == '\\'):
			b.WriteByte(p.src[p.pos+1])
			p.pos += 2
		case c == '$' && strings.HasPrefix(p.src[p.pos:], "${"):
			if err := p.variable(b); err != nil {
				return err
			}
		default:
			if c == '\n' {
				p.line++
			}
			b.WriteByte(c)
			p.pos++
		}
	}
	p.line = startLine
	return p.errorf("unterminated double-quoted string")
}

// variable expands ${NAME}: an earlier setting, else the environment.
func (p *iniParser) variable(b *strings.Builder) error {
	end := strings.IndexAny(p.src[p.pos:], "}\n")
	if end < 0 || p.src[p.pos+end] != '}' {
		return p.errorf("${ without }")
	}
	name := p.src[p.pos+2 : p.pos+end]
	p.pos += end + 1
	v, ok := p.ini.values[name]
	if !ok {
		v = os.Getenv(name)
	}
	if b.Len()+len(v) > maxINISize {
		return p.errorf("value of more than %d bytes after expanding ${%s}", maxINISize, name)
	}
	b.WriteString(v)
	return nil
}

// ParseBool reads an ini value as PHP's zend_ini_parse_bool does: "true",
// "yes" and "on" (in any case) are true, and otherwise a value is true when
// its leading number is not zero ("1", "2x"); "", "off" and "abc" are false.
func ParseBool(s string) bool {
	switch strings.ToLower(s) {
	case "true", "yes", "on":
		return true
	}
	n, _ := ParseInt(s)
	return n != 0
}

// ParseInt reads an ini value as PHP's ZEND_STRTOL does: the leading decimal
// digits after spaces and an optional sign, ignoring what follows ("60s" is
// 60); ok is false when there are none, or too many for an int64.
func ParseInt(s string) (n int64, ok bool) {
	s = strings.TrimSpace(s)
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i {
		return 0, false
	}
	n, err := strconv.ParseInt(s[:j], 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}
