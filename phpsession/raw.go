package phpsession

import "errors"

// RawValue is a raw serialized PHP value. It implements [Marshaler] and
// [Unmarshaler] and can be used to delay decoding a value, or to embed a
// value that is already serialized, as json.RawMessage does for JSON.
type RawValue []byte

// MarshalPHP returns m, or "N;" (PHP null) when m is nil.
func (m RawValue) MarshalPHP() ([]byte, error) {
	if m == nil {
		return []byte("N;"), nil
	}
	return m, nil
}

// UnmarshalPHP sets *m to a copy of data.
func (m *RawValue) UnmarshalPHP(data []byte) error {
	if m == nil {
		return errors.New("phpsession: RawValue: UnmarshalPHP on nil pointer")
	}
	*m = append((*m)[0:0], data...)
	return nil
}
