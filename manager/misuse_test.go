package manager

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/sessbridge/sessbridge/phpini"
	"github.com/sessbridge/sessbridge/phpsession"
)

// Go code that calls the manager's API in odd but legal ways: zero values,
// nil arguments. Each must give an error or the documented result, not a
// panic, and not a session that only seems to work.

// noPanic runs f and fails the test with the case's name when it panics.
func noPanic(t *testing.T, name string, f func() error) error {
	t.Helper()
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("%s: panic: %v", name, r)
			}
		}()
		err = f()
	}()
	return err
}

// TestMisuseZeroManager checks that a Manager not built with New says so
// instead of handing out sessions with the empty id and no store.
func TestMisuseZeroManager(t *testing.T) {
	var m Manager
	id, err := m.NewID()
	if id != "" || !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("NewID of the zero Manager = %q, %v; want an error wrapping ErrInvalidConfig", id, err)
	}
	ctx := m.Load(context.Background(), "")
	err = noPanic(t, "Start of a session of the zero Manager", func() error { return m.Session(ctx).Start(ctx) })
	if !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("Start of a session of the zero Manager = %v; want an error wrapping ErrInvalidConfig", err)
	}
	if s := m.Session(ctx); s.Exists() || s.ID() != "" {
		t.Errorf("the session of the zero Manager is active (%v) with id %q", s.Exists(), s.ID())
	}
	var s Session
	err = noPanic(t, "Start of the zero Session", func() error { return s.Start(context.Background()) })
	if !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("Start of the zero Session = %v; want an error wrapping ErrInvalidConfig", err)
	}
	noPanic(t, "reads of the zero Session", func() error {
		_ = s.Get("a", phpsession.Value{})
		_, _ = s.Has("a"), s.Keys()
		_, _, _ = s.Status(), s.ID(), s.Destroyed()
		return nil
	})
}

// TestMisuseLoadAndSaveNil checks that LoadAndSave refuses a nil handler
// when it is called, with a message that says so, not with a nil pointer
// dereference on every request.
func TestMisuseLoadAndSaveNil(t *testing.T) {
	m, _, _ := newManager(t, Config{})
	var h http.Handler
	func() {
		defer func() {
			if r := recover(); r != "manager: LoadAndSave of a nil handler" {
				t.Errorf("LoadAndSave(nil) panicked with %v; want a panic that names the nil handler", r)
			}
		}()
		h = m.LoadAndSave(nil)
	}()
	if h != nil {
		func() {
			defer func() { recover() }()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		}()
	}
}

// TestMisuseConfigFromININil checks that a nil ini is PHP's defaults, as
// settings from no file are.
func TestMisuseConfigFromININil(t *testing.T) {
	var cfg Config
	err := noPanic(t, "ConfigFromINI(nil)", func() (err error) {
		cfg, err = ConfigFromINI(nil)
		return err
	})
	want, _ := ConfigFromINI(new(phpini.Settings))
	if err != nil || !reflect.DeepEqual(cfg, want) {
		t.Errorf("ConfigFromINI(nil) = %+v, %v; want %+v (PHP's defaults)", cfg, err, want)
	}
}
