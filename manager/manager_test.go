package manager

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/filestore"
	"github.com/sessbridge/sessbridge/phpsession"
)

// countingStore is a real filestore that counts the calls that reach it.
type countingStore struct {
	*filestore.Store
	reads, writes, touches, destroys atomic.Int32
}

func (c *countingStore) Read(ctx context.Context, id string) ([]byte, bool, error) {
	c.reads.Add(1)
	return c.Store.Read(ctx, id)
}

func (c *countingStore) ReadVersion(ctx context.Context, id string) ([]byte, bool, adapters.Version, error) {
	c.reads.Add(1)
	return c.Store.ReadVersion(ctx, id)
}

func (c *countingStore) Write(ctx context.Context, id string, data []byte, ttl time.Duration) error {
	c.writes.Add(1)
	return c.Store.Write(ctx, id, data, ttl)
}

func (c *countingStore) WriteIfVersion(ctx context.Context, id string, data []byte, ttl time.Duration, v adapters.Version) error {
	c.writes.Add(1)
	return c.Store.WriteIfVersion(ctx, id, data, ttl, v)
}

func (c *countingStore) Touch(ctx context.Context, id string, ttl time.Duration) error {
	c.touches.Add(1)
	return c.Store.Touch(ctx, id, ttl)
}

func (c *countingStore) Destroy(ctx context.Context, id string) error {
	c.destroys.Add(1)
	return c.Store.Destroy(ctx, id)
}

func (c *countingStore) io() int32 {
	return c.reads.Load() + c.writes.Load() + c.touches.Load() + c.destroys.Load()
}

func newFileStore(t testing.TB) (*countingStore, string) {
	t.Helper()
	dir := t.TempDir()
	fs, err := filestore.New(filestore.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return &countingStore{Store: fs}, dir
}

func newManager(t testing.TB, cfg Config) (*Manager, *countingStore, string) {
	t.Helper()
	store, dir := newFileStore(t)
	m, err := New(store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m, store, dir
}

// started loads and starts a session with the given cookie id.
func started(t testing.TB, m *Manager, id string) (context.Context, *Session) {
	t.Helper()
	ctx := m.Load(context.Background(), id)
	s := m.Session(ctx)
	if err := s.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return ctx, s
}

func commit(t testing.TB, m *Manager, ctx context.Context) string {
	t.Helper()
	id, _, err := m.Commit(ctx)
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return id
}

func str(s string) phpsession.Value { return phpsession.StringValue(s) }

// stored decodes what the store holds for id.
func stored(t testing.TB, m *Manager, id string) (*phpsession.Session, bool) {
	t.Helper()
	raw, found, err := m.Store().Read(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !found {
		return nil, false
	}
	s, err := phpsession.DecodeSession(raw, m.Config().Format)
	if err != nil {
		t.Fatalf("stored session %q: %v", raw, err)
	}
	return s, true
}

// Phalcon: tests/unit/Session/Manager/GetSetTest, "get before start returns null".
func TestGetBeforeStart(t *testing.T) {
	m, store, _ := newManager(t, Config{})
	ctx := m.Load(context.Background(), "")
	s := m.Session(ctx)
	if v := s.Get("test", str("default")); v.IsValid() {
		t.Errorf("Get before Start = %v, want the zero Value (Phalcon's null)", v)
	}
	if s.Has("test") {
		t.Error("Has before Start = true")
	}
	if err := s.Set("test", str("x")); !errors.Is(err, ErrNotActive) {
		t.Errorf("Set before Start = %v, want ErrNotActive", err)
	}
	s.Remove("test")
	if id, _, err := m.Commit(ctx); id != "" || err != nil {
		t.Errorf("Commit of a session never started = %q, %v; want nothing", id, err)
	}
	if n := store.io(); n != 0 {
		t.Errorf("a session never started did %d store operations, want 0", n)
	}
}

// Phalcon: GetSetTest, HasTest, RemoveTest, magic methods.
func TestSetGetHasRemove(t *testing.T) {
	m, _, _ := newManager(t, Config{})
	ctx, s := started(t, m, "")
	if err := s.Set("test", str("myval")); err != nil {
		t.Fatal(err)
	}
	if got := s.Get("test", phpsession.Value{}); !got.Equal(str("myval")) {
		t.Errorf("Get(test) = %v, want myval", got)
	}
	if !s.Has("test") {
		t.Error("Has(test) = false")
	}
	if got := s.Get("missing", str("def")); !got.Equal(str("def")) {
		t.Errorf("Get(missing, def) = %v, want def", got)
	}
	if got := s.GetAndRemove("test", phpsession.Value{}); !got.Equal(str("myval")) {
		t.Errorf("GetAndRemove(test) = %v, want myval", got)
	}
	if s.Has("test") {
		t.Error("Has(test) after GetAndRemove = true")
	}
	if err := s.Set("n", phpsession.IntValue(7)); err != nil {
		t.Fatal(err)
	}
	var n int
	if found, err := s.GetInto("n", &n); !found || err != nil || n != 7 {
		t.Errorf("GetInto(n) = %v, %v, %d; want true, nil, 7", found, err, n)
	}
	s.Remove("n")
	if s.Has("n") {
		t.Error("Has(n) after Remove = true")
	}
	id := commit(t, m, ctx)
	sess, found := stored(t, m, id)
	if !found || sess.Len() != 0 {
		t.Errorf("stored session = %v, %v; want found and empty", sess, found)
	}
}

// Phalcon: ExistsDestroyTest (uniqueId aaa gives $_SESSION['aaa#test1']).
func TestUniqueID(t *testing.T) {
	tests := []struct {
		profile  Profile
		uniqueID string
		want     string
	}{
		{ProfileV5, "aaa", "aaa#test1"},
		{ProfileV5, "", "test1"},
		{ProfileV5, "0", "test1"},
		{ProfileV40, "", "#test1"},
	}
	for _, tt := range tests {
		m, _, _ := newManager(t, Config{UniqueID: tt.uniqueID, Profile: tt.profile})
		ctx, s := started(t, m, "")
		if err := s.Set("test1", str("v")); err != nil {
			t.Fatal(err)
		}
		id := commit(t, m, ctx)
		sess, _ := stored(t, m, id)
		if got := sess.Names(); !slices.Equal(got, []string{tt.want}) {
			t.Errorf("%v uniqueId %q: stored keys %q, want [%q]", tt.profile, tt.uniqueID, got, tt.want)
		}
	}
}

// Phalcon: ExistsDestroyTest, StatusTest.
func TestStatusAndDestroy(t *testing.T) {
	m, store, _ := newManager(t, Config{})
	ctx := m.Load(context.Background(), "")
	s := m.Session(ctx)
	if s.Status() != StatusNone || s.Exists() {
		t.Fatalf("before Start: Status %v, Exists %v", s.Status(), s.Exists())
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if s.Status() != StatusActive || !s.Exists() {
		t.Fatalf("after Start: Status %v, Exists %v", s.Status(), s.Exists())
	}
	s.Set("k", str("v"))
	id := commit(t, m, ctx)
	if err := s.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	if s.Status() != StatusNone || s.Exists() || s.Has("k") {
		t.Fatalf("after Destroy: Status %v, Exists %v, Has %v", s.Status(), s.Exists(), s.Has("k"))
	}
	if _, found := stored(t, m, id); found {
		t.Error("session still in the store after Destroy")
	}
	if got, _, err := m.Commit(ctx); got != "" || err != nil {
		t.Errorf("Commit after Destroy = %q, %v", got, err)
	}
	_ = store
}

// Phalcon: RegenerateIdTest, plus PHP's order of handler calls (spec §2.7).
func TestRegenerateID(t *testing.T) {
	for _, deleteOld := range []bool{true, false} {
		m, _, _ := newManager(t, Config{})
		ctx, s := started(t, m, "")
		s.Set("user", str("bob"))
		old := commit(t, m, ctx)

		ctx, s = started(t, m, old)
		s.Set("step", phpsession.IntValue(2))
		if err := s.RegenerateID(ctx, deleteOld); err != nil {
			t.Fatal(err)
		}
		if s.ID() == old || len(s.ID()) != 32 {
			t.Fatalf("RegenerateID: id %q (old %q)", s.ID(), old)
		}
		newID := commit(t, m, ctx)
		sess, found := stored(t, m, newID)
		if !found || sess.Len() != 2 {
			t.Errorf("deleteOld=%v: new session %v, found %v; want user and step", deleteOld, sess, found)
		}
		oldSess, oldFound := stored(t, m, old)
		if deleteOld && oldFound {
			t.Errorf("deleteOld=true: old session still stored")
		}
		if !deleteOld && (!oldFound || !oldSess.Has("step")) {
			t.Errorf("deleteOld=false: old session %v, found %v; want it kept with this request's changes", oldSess, oldFound)
		}
	}
}

// Phalcon: GetSetIdTest.
func TestGetSetID(t *testing.T) {
	m, _, _ := newManager(t, Config{})
	ctx := m.Load(context.Background(), "")
	s := m.Session(ctx)
	if s.ID() != "" {
		t.Errorf("ID before Start = %q, want empty", s.ID())
	}
	if err := s.SetID("invalid id with spaces"); !errors.Is(err, ErrInvalidID) || !errors.Is(err, adapters.ErrInvalidID) {
		t.Errorf("SetID(with spaces) = %v, want ErrInvalidID (which is adapters.ErrInvalidID)", err)
	}
	if err := s.SetID("test1"); err != nil {
		t.Fatal(err)
	}
	if s.ID() != "test1" {
		t.Errorf("ID = %q, want test1", s.ID())
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if s.ID() != "test1" {
		t.Errorf("ID after Start = %q, want test1", s.ID())
	}
	err := s.SetID("test2")
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrAlreadyStarted) ||
		e.Message != "The session has already been started. To change the id, use regenerateId()" ||
		e.Class != `Phalcon\Session\Exceptions\SessionAlreadyStarted` {
		t.Errorf("SetID after Start = %#v", err)
	}
}

// Phalcon: GetSetNameTest.
func TestGetSetName(t *testing.T) {
	m, _, _ := newManager(t, Config{})
	ctx := m.Load(context.Background(), "")
	s := m.Session(ctx)
	if s.Name() != "PHPSESSID" {
		t.Errorf("Name = %q, want PHPSESSID", s.Name())
	}
	var e *Error
	if err := s.SetName("%-gga34"); !errors.As(err, &e) || e.Message != "The name contains non alphanum characters" {
		t.Errorf("SetName(%%-gga34) = %v", err)
	}
	if err := s.SetName("myname"); err != nil || s.Name() != "myname" {
		t.Errorf("SetName(myname) = %v, Name %q", err, s.Name())
	}
	s.Start(ctx)
	err := s.SetName("other")
	if !errors.As(err, &e) || e.Message != "Cannot set session name after a session has started" || !errors.Is(err, ErrModificationDenied) {
		t.Errorf("SetName after Start = %v", err)
	}

	m4, _, _ := newManager(t, Config{Profile: ProfileV41})
	s4 := m4.Session(m4.Load(context.Background(), ""))
	if s4.Name() != "" {
		t.Errorf("Phalcon 4 Name before SetName = %q, want \"\"", s4.Name())
	}
}

// Phalcon: StartTest and ManagerTest cookie sanitising.
func TestStartCookieCheck(t *testing.T) {
	tests := []struct {
		profile Profile
		cookie  string
		kept    bool
	}{
		{ProfileV5, "valid", true},
		{ProfileV5, "abc,DEF-123", true},
		{ProfileV5, "invalid<value>", false},
		{ProfileV5, "./invalid", false},
		{ProfileV50, "abc,DEF-123", false},
		{ProfileV41, "abc,DEF-123", true},
		{ProfileV41, "../../etc/passwd", false}, // no Phalcon check, but no store may use it
	}
	for _, tt := range tests {
		m, _, _ := newManager(t, Config{Profile: tt.profile})
		_, s := started(t, m, tt.cookie)
		if kept := s.ID() == tt.cookie; kept != tt.kept {
			t.Errorf("%v cookie %q: id %q, kept %v, want %v", tt.profile, tt.cookie, s.ID(), kept, tt.kept)
		}
	}
}

// Phalcon: GetSetOptionsTest.
func TestOptions(t *testing.T) {
	m, _, _ := newManager(t, Config{})
	ctx, s := started(t, m, "")
	opts := map[string]any{"uniqueId": "app", "ignored": 1}
	s.SetOptions(opts)
	if got := s.Options(); len(got) != 2 || got["uniqueId"] != "app" || got["ignored"] != 1 {
		t.Errorf("Options() = %v, want %v", got, opts)
	}
	s.Set("k", str("v"))
	id := commit(t, m, ctx)
	if sess, _ := stored(t, m, id); !sess.Has("app#k") {
		t.Errorf("stored keys %q, want app#k", sess.Names())
	}
}

// Phalcon 5.18 (isset) versus 5.0 and 4 (key exists) for a stored null.
func TestNullSemantics(t *testing.T) {
	for _, p := range []Profile{ProfileV5, ProfileV50, ProfileV41} {
		m, _, _ := newManager(t, Config{Profile: p})
		_, s := started(t, m, "")
		s.Set("n", phpsession.NullValue())
		got, has := s.Get("n", str("def")), s.Has("n")
		if p == ProfileV5 {
			if !got.Equal(str("def")) || has {
				t.Errorf("%v: Get = %v, Has = %v; want def, false", p, got, has)
			}
		} else if !got.IsNull() || !has {
			t.Errorf("%v: Get = %v, Has = %v; want null, true", p, got, has)
		}
	}
}

func TestStrictMode(t *testing.T) {
	m, _, dir := newManager(t, Config{StrictMode: true})
	ctx, s := started(t, m, "unknownid0123456789abcdef")
	if s.ID() == "unknownid0123456789abcdef" {
		t.Fatal("strict mode kept an unknown id")
	}
	id := commit(t, m, ctx)
	if _, err := os.Stat(filepath.Join(dir, id)); err != nil {
		t.Errorf("the new session is not in the store after Commit: %v", err)
	}
	_, s2 := started(t, m, id)
	if s2.ID() != id {
		t.Errorf("strict mode refused a stored id: got %q, want %q", s2.ID(), id)
	}
	m2, _, _ := newManager(t, Config{})
	if _, s3 := started(t, m2, "unknownid0123456789abcdef"); s3.ID() != "unknownid0123456789abcdef" {
		t.Errorf("non-strict mode swapped the id for %q", s3.ID())
	}
}

func TestLazyWrite(t *testing.T) {
	for _, noLazy := range []bool{false, true} {
		m, store, _ := newManager(t, Config{NoLazyWrite: noLazy})
		ctx, s := started(t, m, "")
		s.Set("k", str("v"))
		id := commit(t, m, ctx)
		w0, t0 := store.writes.Load(), store.touches.Load()
		ctx, s = started(t, m, id)
		s.Get("k", phpsession.Value{})
		commit(t, m, ctx)
		dw, dt := store.writes.Load()-w0, store.touches.Load()-t0
		if !noLazy && (dw != 0 || dt != 1) {
			t.Errorf("lazy write, unchanged: %d writes, %d touches; want 0, 1", dw, dt)
		}
		if noLazy && (dw != 1 || dt != 0) {
			t.Errorf("no lazy write, unchanged: %d writes, %d touches; want 1, 0", dw, dt)
		}
	}
}

// Two requests on one session, each changing its own key: merge keeps both,
// replace (PHP's own behaviour) loses the first.
func TestSaveMergeKeepsConcurrentChanges(t *testing.T) {
	tests := []struct {
		mode     SaveMode
		wantBoth bool
	}{
		{SaveMerge, true},
		{SaveMergeLocked, true},
		{SaveReplace, false},
	}
	for _, tt := range tests {
		m, _, _ := newManager(t, Config{Save: tt.mode})
		ctx, s := started(t, m, "")
		s.Set("base", str("x"))
		id := commit(t, m, ctx)

		ctxA, a := started(t, m, id)
		ctxB, b := started(t, m, id)
		a.Set("a", phpsession.IntValue(1))
		b.Set("b", phpsession.IntValue(2))
		b.Remove("base")
		commit(t, m, ctxA)
		commit(t, m, ctxB)
		sess, _ := stored(t, m, id)
		both := sess.Has("a") && sess.Has("b") && !sess.Has("base")
		if both != tt.wantBoth {
			t.Errorf("mode %v: stored keys %q, both changes kept %v, want %v", tt.mode, sess.Names(), both, tt.wantBoth)
		}
	}
}

// A stored session that writes a name twice (PHP reads the last value, in
// the first place): merging two requests' changes onto it writes it as PHP
// would, each name once.
func TestSaveMergeRepeatedNames(t *testing.T) {
	for _, mode := range []SaveMode{SaveMerge, SaveMergeLocked} {
		m, _, dir := newManager(t, Config{Save: mode})
		id := "repeated123456789abcdefghij"
		if err := os.WriteFile(filepath.Join(dir, id), []byte("a|i:1;b|i:2;a|i:3;"), 0o644); err != nil {
			t.Fatal(err)
		}
		ctxA, a := started(t, m, id)
		ctxB, b := started(t, m, id)
		if v := a.Get("a", phpsession.Value{}); !v.Equal(phpsession.IntValue(3)) {
			t.Errorf("mode %v: Get(a) = %v, want the last value, 3", mode, v)
		}
		a.Set("n", phpsession.IntValue(1))
		b.Remove("b")
		commit(t, m, ctxA)
		commit(t, m, ctxB)
		got, err := os.ReadFile(filepath.Join(dir, id))
		if want := "a|i:3;n|i:1;"; err != nil || string(got) != want {
			t.Errorf("mode %v: stored %q, %v; want %q", mode, got, err, want)
		}
	}
}

func TestDecodeFailureDestroys(t *testing.T) {
	m, _, dir := newManager(t, Config{})
	id := "corrupt0123456789abcdefghij"
	if err := os.WriteFile(filepath.Join(dir, id), []byte("a|i:1;garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := m.Load(context.Background(), id)
	err := m.Session(ctx).Start(ctx)
	var de *DecodeError
	if !errors.As(err, &de) || de.ID != id || !de.Destroyed || errors.Is(err, ErrFormatMismatch) {
		t.Fatalf("Start on a corrupt session = %v, want a *DecodeError, destroyed", err)
	}
	if _, err := os.Stat(filepath.Join(dir, id)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("corrupt session not destroyed (stat: %v), as PHP destroys it", err)
	}
}

func TestNewConfigErrors(t *testing.T) {
	store, _ := newFileStore(t)
	tests := []Config{
		{Name: "123"},
		{Name: "a b"},
		{SIDLength: 8},
		{SIDBitsPerCharacter: 7},
		{Profile: Profile(9)},
		{Save: SaveMode(9)},
		{MaxRetries: -1},
	}
	for _, cfg := range tests {
		if _, err := New(store, cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("New(%+v) error = %v, want ErrInvalidConfig", cfg, err)
		}
	}
	if _, err := New(nil, Config{}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("New(nil) error = %v", err)
	}
}

// A cookie id the store refuses (PHP's files handler allows only
// [a-zA-Z0-9,-]; Phalcon 4 checks nothing) starts a new session instead of
// failing the request.
func TestStartStoreRefusesCookieID(t *testing.T) {
	fs, err := filestore.New(filestore.Options{Dir: t.TempDir(), Layout: adapters.LayoutNative})
	if err != nil {
		t.Fatal(err)
	}
	for _, strict := range []bool{false, true} {
		m, err := New(fs, Config{Profile: ProfileV41, StrictMode: strict})
		if err != nil {
			t.Fatal(err)
		}
		_, s := started(t, m, "abc_def0123456789abcdefgh")
		if s.ID() == "abc_def0123456789abcdefgh" || len(s.ID()) != 32 {
			t.Errorf("strict=%v: id %q, want a new one", strict, s.ID())
		}
		// An id the application sets itself is its own business: the error
		// comes back.
		ctx := m.Load(context.Background(), "")
		s = m.Session(ctx)
		s.SetID("abc_def0123456789abcdefgh")
		if err := s.Start(ctx); !errors.Is(err, adapters.ErrInvalidID) {
			t.Errorf("strict=%v: Start with SetID(bad) = %v, want adapters.ErrInvalidID", strict, err)
		}
	}
}
