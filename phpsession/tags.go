package phpsession

import "strings"

// tagOptions is the comma-separated list of options after the name in a
// `php:"name,opt1,opt2"` struct tag.
type tagOptions string

// parseTag splits a php struct tag into its name and its options.
func parseTag(tag string) (string, tagOptions) {
	name, opts, _ := strings.Cut(tag, ",")
	return name, tagOptions(opts)
}

// Contains reports whether the options hold the option name.
func (o tagOptions) Contains(name string) bool {
	s := string(o)
	for s != "" {
		var opt string
		opt, s, _ = strings.Cut(s, ",")
		if opt == name {
			return true
		}
	}
	return false
}

// visibility is the PHP visibility of an object property, chosen with the
// tag options "protected" and "private".
type visibility uint8

const (
	public    visibility = iota // name
	protected                   // "\x00*\x00name"
	private                     // "\x00Class\x00name"
)

// visibilityOf returns the visibility the options ask for; ok is false when
// they name both.
func visibilityOf(o tagOptions) (v visibility, ok bool) {
	prot, priv := o.Contains("protected"), o.Contains("private")
	switch {
	case prot && priv:
		return public, false
	case prot:
		return protected, true
	case priv:
		return private, true
	}
	return public, true
}

// rawPropertyName returns PHP's raw name of a property declared as name
// with visibility vis in class: "name", "\x00*\x00name" or
// "\x00Class\x00name". It is the inverse of [PropertyName].
func rawPropertyName(name string, vis visibility, class string) string {
	switch vis {
	case protected:
		return "\x00*\x00" + name
	case private:
		return "\x00" + class + "\x00" + name
	}
	return name
}
