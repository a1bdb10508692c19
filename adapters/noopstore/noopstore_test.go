package noopstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/noopstore"
)

func TestStore(t *testing.T) {
	ctx := context.Background()
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	s := noopstore.New()
	var zero noopstore.Store // the zero value works too
	tests := []struct {
		name    string
		ctx     context.Context
		id      string
		wantErr error // nil: every call succeeds
	}{
		{"Valid", ctx, "987c7s2solkbvdg0is71pdincj", nil},
		{"Invalid", ctx, "../x", adapters.ErrInvalidID},
		{"Empty", ctx, "", adapters.ErrInvalidID},
		{"Canceled", canceled, "abc", context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, s := range []*noopstore.Store{s, &zero} {
				check := func(op string, err error) {
					t.Helper()
					if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
						t.Errorf("%s(%q) = %v, want %v", op, tt.id, err, tt.wantErr)
					}
				}
				check("Write", s.Write(tt.ctx, tt.id, []byte("a|i:1;"), 0))
				data, found, err := s.Read(tt.ctx, tt.id)
				check("Read", err)
				if found || data != nil {
					t.Errorf("Read(%q) = %q, %v; want nil, false", tt.id, data, found)
				}
				check("Destroy", s.Destroy(tt.ctx, tt.id))
				check("Touch", s.Touch(tt.ctx, tt.id, 0))
				ok, err := s.Exists(tt.ctx, tt.id)
				check("Exists", err)
				if ok != (tt.wantErr == nil) {
					t.Errorf("Exists(%q) = %v, want %v", tt.id, ok, tt.wantErr == nil)
				}
				n, err := s.GC(tt.ctx, 1)
				if n != 0 || (tt.ctx == canceled) != (err != nil) {
					t.Errorf("GC = %d, %v", n, err)
				}
			}
		})
	}
}

func Example() {
	ctx := context.Background()
	var store adapters.Store = noopstore.New()
	fmt.Println(store.Write(ctx, "abc", []byte("a|i:1;"), 0))
	data, found, err := store.Read(ctx, "abc")
	fmt.Printf("%q %v %v\n", data, found, err)
	// Output:
	// <nil>
	// "" false <nil>
}
