package phpsession

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// ClassName makes a Go struct a PHP object. A struct with a field of type
// ClassName marshals to a PHP object (O:) rather than an array, and the
// field says which class:
//
//	type Account struct {
//		Class  phpsession.ClassName `php:"Account"` // the class: O:7:"Account":...
//		Login  string               `php:"login"`
//		Role   string               `php:"role,protected"` // "\x00*\x00role"
//		Secret string               `php:"secret,private"` // "\x00Account\x00secret"
//	}
//
// The field's name does not matter: a blank field (_ phpsession.ClassName
// `php:"Account"`) is enough for a fixed class. The class is the
// field's value when it is not empty, else the name in its tag; [Marshal]
// returns an [*UnsupportedValueError] when both are empty or the name is
// not a valid PHP class name. [Unmarshal] stores the object's class name in
// the field (unless it is blank or unexported), and when the tag names a
// class it only accepts an object of that class (compared as PHP does,
// ignoring ASCII case); with no class in the tag it accepts any object,
// and a PHP array too (leaving the field empty).
//
// The tag options "protected" and "private" set the visibility of the
// other fields' properties. A private property is named after the class
// that declares it: the class of the struct holding the field. Embedding a
// struct with its own ClassName field stands for PHP inheritance: its
// private fields are named after the embedded class, as PHP names the
// private properties of a parent class. Only the outermost struct's
// ClassName makes the value an object.
//
// Outside a struct's own fields, a ClassName is an ordinary string.
type ClassName string

var classNameType = reflect.TypeFor[ClassName]()

// field is one PHP key or property of a Go struct, as the php tags and the
// embedding rules of encoding/json make it.
type field struct {
	name      string       // the key, or the declared property name
	key       string       // what makes it distinct: name, or for a private property its class and name
	tagged    bool         // name came from a tag
	index     []int        // path to the field, for FieldByIndex
	typ       reflect.Type // its type
	omitEmpty bool
	omitZero  bool
	vis       visibility
	// class is the ClassName field of the struct declaring this field,
	// which names its private properties; nil when it has none.
	class *classField
}

// classField is the ClassName field of a struct.
type classField struct {
	index []int  // path to it, for FieldByIndex
	name  string // the class named in its tag, "" when none
}

// structFields is the cached description of a struct type.
type structFields struct {
	list   []field        // in field order
	byName map[string]int // exact name -> index in list, the least nested first
	byFold map[string]int // lowercased name -> index in list, the least nested first
	byRaw  map[string]int // raw property name, when known from the tags -> index in list
	// class is the struct's own ClassName field: when set, the struct is a
	// PHP object.
	class *classField
	// numericName is set when a name is a canonical int ("5"), which PHP
	// turns into an int key.
	numericName bool
	// err is what is wrong with the tags (both protected and private, a
	// private field in a struct with no ClassName field).
	err string
}

// lookup returns the field a PHP array key or object property fills: for
// an object, the field whose raw property name is raw; else the field of
// that exact name, else one whose name matches ignoring case, as
// encoding/json does.
func (sf *structFields) lookup(name, raw string, object bool) *field {
	if object {
		if i, ok := sf.byRaw[raw]; ok {
			return &sf.list[i]
		}
	}
	if i, ok := sf.byName[name]; ok {
		return &sf.list[i]
	}
	if i, ok := sf.byFold[strings.ToLower(name)]; ok && strings.EqualFold(sf.list[i].name, name) {
		return &sf.list[i]
	}
	return nil
}

var fieldCache sync.Map // map[reflect.Type]*structFields

// cachedTypeFields returns the fields of the struct type t, computed once
// per type.
func cachedTypeFields(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	f, _ := fieldCache.LoadOrStore(t, typeFields(t))
	return f.(*structFields)
}

// typeFields computes the fields of the struct type t, following the rules
// of encoding/json: exported fields, and the fields of embedded structs
// promoted breadth first; of several fields with the same name the least
// nested wins, then the tagged one, and when that leaves more than one, none
// is used.
func typeFields(t reflect.Type) *structFields {
	type level struct {
		typ   reflect.Type
		index []int
	}
	var (
		fields     []field
		sf         structFields
		current    []level
		next       = []level{{typ: t}}
		count      map[reflect.Type]int
		nextCount  = map[reflect.Type]int{}
		visited    = map[reflect.Type]bool{}
		firstLevel = true
	)
	for len(next) > 0 {
		current, next = next, nil
		count, nextCount = nextCount, map[reflect.Type]int{}
		for _, lv := range current {
			if visited[lv.typ] {
				continue
			}
			visited[lv.typ] = true
			class := findClassField(lv.typ, lv.index)
			if firstLevel {
				sf.class = class
			}
			for i := range lv.typ.NumField() {
				f := lv.typ.Field(i)
				ft := f.Type
				if f.Anonymous {
					if ft.Kind() == reflect.Pointer {
						ft = ft.Elem()
					}
					if !f.IsExported() && ft.Kind() != reflect.Struct {
						continue
					}
				} else if !f.IsExported() {
					continue
				}
				if f.Type == classNameType {
					continue // the class, not a property
				}
				tag := f.Tag.Get("php")
				if tag == "-" {
					continue
				}
				name, opts := parseTag(tag)
				index := append(slices.Clone(lv.index), i)
				if name != "" || !f.Anonymous || ft.Kind() != reflect.Struct {
					vis, ok := visibilityOf(opts)
					if !ok && sf.err == "" {
						sf.err = "field " + f.Name + " is tagged both protected and private"
					}
					if vis == private && class == nil && sf.err == "" {
						sf.err = "private field " + f.Name + " is in " + lv.typ.String() + ", which has no ClassName field"
					}
					fl := field{
						key:       cmp.Or(name, f.Name),
						name:      cmp.Or(name, f.Name),
						tagged:    name != "",
						index:     index,
						typ:       f.Type,
						omitEmpty: opts.Contains("omitempty"),
						omitZero:  opts.Contains("omitzero"),
						vis:       vis,
						class:     class,
					}
					if vis == private && class != nil {
						// Each class has its own private properties.
						id := class.name
						if id == "" {
							id = fmt.Sprint(class.index)
						}
						fl.key = "\x00" + id + "\x00" + fl.name
					}
					fields = append(fields, fl)
					if count[lv.typ] > 1 {
						// Two embeddings of the same struct at one level
						// cancel each other's fields: add it twice so the
						// dominance rule drops it.
						fields = append(fields, fl)
					}
					continue
				}
				nextCount[ft]++
				if nextCount[ft] == 1 {
					next = append(next, level{typ: ft, index: index})
				}
			}
		}
		firstLevel = false
	}

	// Keep the dominant field of each name.
	slices.SortStableFunc(fields, func(a, b field) int {
		return cmp.Or(
			strings.Compare(a.key, b.key),
			cmp.Compare(len(a.index), len(b.index)),
			boolOrder(a.tagged, b.tagged),
			slices.Compare(a.index, b.index),
		)
	})
	kept := fields[:0]
	for i := 0; i < len(fields); {
		j := i + 1
		for j < len(fields) && fields[j].key == fields[i].key {
			j++
		}
		if f, ok := dominantField(fields[i:j]); ok {
			kept = append(kept, f)
		}
		i = j
	}
	slices.SortFunc(kept, func(a, b field) int { return slices.Compare(a.index, b.index) })

	sf.list = kept
	sf.byName = make(map[string]int, len(kept))
	sf.byFold = make(map[string]int, len(kept))
	sf.byRaw = make(map[string]int, len(kept))
	for i, f := range kept {
		if _, ok := canonicalInt(f.name); ok {
			sf.numericName = true
		}
		if j, ok := sf.byName[f.name]; !ok || len(f.index) < len(kept[j].index) {
			sf.byName[f.name] = i
		}
		fold := strings.ToLower(f.name)
		if j, ok := sf.byFold[fold]; !ok || len(f.index) < len(kept[j].index) {
			sf.byFold[fold] = i
		}
		if f.vis != private || f.class.classNameOrEmpty() != "" {
			sf.byRaw[rawPropertyName(f.name, f.vis, f.class.classNameOrEmpty())] = i
		}
	}
	return &sf
}

// boolOrder orders true before false.
func boolOrder(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

// dominantField returns the field that wins among fields of one name,
// sorted by depth then tagged first; ok is false when none wins.
func dominantField(fs []field) (field, bool) {
	if len(fs) > 1 && len(fs[0].index) == len(fs[1].index) && fs[0].tagged == fs[1].tagged {
		return field{}, false
	}
	return fs[0], true
}

// classNameOrEmpty returns the class named in the tag of c, "" when c is
// nil.
func (c *classField) classNameOrEmpty() string {
	if c == nil {
		return ""
	}
	return c.name
}

// findClassField returns the ClassName field declared directly in the
// struct type t (found at index path prefix), or nil.
func findClassField(t reflect.Type, prefix []int) *classField {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type != classNameType {
			continue
		}
		name, _ := parseTag(f.Tag.Get("php"))
		return &classField{index: append(slices.Clone(prefix), i), name: name}
	}
	return nil
}
