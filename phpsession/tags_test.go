package phpsession

import (
	"reflect"
	"testing"
)

func TestParseTag(t *testing.T) {
	tests := []struct {
		tag      string
		name     string
		contains []string
		lacks    []string
	}{
		{"", "", nil, []string{"omitempty", ""}},
		{"name", "name", nil, []string{"omitempty"}},
		{"name,omitempty", "name", []string{"omitempty"}, []string{"omit", "empty"}},
		{",omitempty,private", "", []string{"omitempty", "private"}, []string{"protected"}},
		{"a,b,c", "a", []string{"b", "c"}, []string{"a"}},
		{"-,", "-", nil, []string{"-"}},
	}
	for _, tt := range tests {
		name, opts := parseTag(tt.tag)
		if name != tt.name {
			t.Errorf("parseTag(%q) name = %q, want %q", tt.tag, name, tt.name)
		}
		for _, o := range tt.contains {
			if !opts.Contains(o) {
				t.Errorf("parseTag(%q) options lack %q", tt.tag, o)
			}
		}
		for _, o := range tt.lacks {
			if opts.Contains(o) {
				t.Errorf("parseTag(%q) options contain %q", tt.tag, o)
			}
		}
	}
}

func TestRawPropertyName(t *testing.T) {
	tests := []struct {
		name  string
		vis   visibility
		class string
		want  string
	}{
		{"login", public, "", "login"},
		{"role", protected, "", "\x00*\x00role"},
		{"secret", private, "Account", "\x00Account\x00secret"},
		{"id", private, `App\Base`, "\x00App\\Base\x00id"},
	}
	for _, tt := range tests {
		got := rawPropertyName(tt.name, tt.vis, tt.class)
		if got != tt.want {
			t.Errorf("rawPropertyName(%q, %d, %q) = %q, want %q", tt.name, tt.vis, tt.class, got, tt.want)
		}
		if back := PropertyName(got); back != tt.name {
			t.Errorf("PropertyName(%q) = %q, want %q", got, back, tt.name)
		}
	}
}

// TestTypeFields checks which fields a struct has, in order, after the
// embedding rules.
func TestTypeFields(t *testing.T) {
	type A struct {
		X int `php:"X"`
		Y int
	}
	type B struct {
		X int // untagged, same depth as A.X: the tagged one wins
		Z int
	}
	type C struct {
		Z int // same depth as B.Z, both untagged: neither
	}
	type unexported struct{ U int }
	type D struct {
		A
		B
		*C
		unexported
		Y int // shallower than A.Y
		W int `php:"-"`
		//lint:ignore U1000 an unexported field, which is no PHP key
		w    int
		Chan chan int
	}
	type Twice1 struct{ A }
	type Twice2 struct{ A }
	type E struct {
		Twice1
		Twice2 // A's fields twice at one depth: both dropped
		V      int
	}
	type P struct {
		_ ClassName `php:"P"`
		Q int       `php:"q,private"`
	}
	type Q struct {
		_ ClassName `php:"Q"`
		P
		Q int `php:"q,private"` // not in conflict: another class's private
		R int `php:"r,protected"`
	}
	tests := []struct {
		name  string
		typ   reflect.Type
		names []string
		err   string
		class string
	}{
		{"embedding", reflect.TypeFor[D](), []string{"X", "U", "Y", "Chan"}, "", ""},
		{"same struct twice", reflect.TypeFor[E](), []string{"V"}, "", ""},
		{"private by class", reflect.TypeFor[Q](), []string{"q", "q", "r"}, "", "Q"},
		{"both visibilities", reflect.TypeFor[struct {
			_ ClassName `php:"K"`
			X int       `php:"x,protected,private"`
		}](), []string{"x"}, "field X is tagged both protected and private", "K"},
		{"private without class", reflect.TypeFor[struct {
			X int `php:"x,private"`
		}](), []string{"x"}, "private field X is in struct { X int \"php:\\\"x,private\\\"\" }, which has no ClassName field", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sf := typeFields(tt.typ)
			var names []string
			for _, f := range sf.list {
				names = append(names, f.name)
			}
			if !reflect.DeepEqual(names, tt.names) {
				t.Errorf("fields of %v = %q, want %q", tt.typ, names, tt.names)
			}
			if sf.err != tt.err {
				t.Errorf("error of %v = %q, want %q", tt.typ, sf.err, tt.err)
			}
			class := ""
			if sf.class != nil {
				class = sf.class.name
			}
			if class != tt.class {
				t.Errorf("class of %v = %q, want %q", tt.typ, class, tt.class)
			}
		})
	}
}

// TestFieldLookup checks how PHP keys and properties find fields.
func TestFieldLookup(t *testing.T) {
	sf := cachedTypeFields(reflect.TypeFor[Child]())
	tests := []struct {
		name, raw string
		object    bool
		want      []int // index of the field found, nil for none
	}{
		{"id", "\x00Child\x00id", true, []int{2}},
		{"id", "\x00Base\x00id", true, []int{1, 1}},
		{"id", "id", false, []int{2}}, // an array key: the shallower field
		{"ID", "ID", false, []int{2}}, // case-insensitive
		{"p", "\x00*\x00p", true, []int{1, 2}},
		{"p", "\x00Other\x00p", true, []int{1, 2}}, // by declared name
		{"nope", "nope", true, nil},
	}
	for _, tt := range tests {
		f := sf.lookup(tt.name, tt.raw, tt.object)
		var got []int
		if f != nil {
			got = f.index
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("lookup(%q, %q, %v) = field %v, want %v", tt.name, tt.raw, tt.object, got, tt.want)
		}
	}
	if cachedTypeFields(reflect.TypeFor[Child]()) != sf {
		t.Error("cachedTypeFields computed the fields of Child twice")
	}
}
