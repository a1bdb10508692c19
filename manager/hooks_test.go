package manager

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/phpsession"
)

// recorder is Hooks that record what they are told, as strings.
type recorder struct {
	events []string
	loads  []LoadInfo
	saves  []SaveInfo
	locks  []LockInfo
	confl  []ConflictInfo
}

type ctxMark struct{}

func (r *recorder) hooks(name string) Hooks {
	return Hooks{
		Load: func(ctx context.Context) (context.Context, func(LoadInfo)) {
			r.events = append(r.events, name+" load")
			return context.WithValue(ctx, ctxMark{}, name), func(i LoadInfo) {
				r.events = append(r.events, name+" load done")
				r.loads = append(r.loads, i)
			}
		},
		Save: func(ctx context.Context) (context.Context, func(SaveInfo)) {
			r.events = append(r.events, name+" save")
			return ctx, func(i SaveInfo) {
				r.events = append(r.events, name+" save done")
				r.saves = append(r.saves, i)
			}
		},
		Lock: func(ctx context.Context, i LockInfo) {
			r.events = append(r.events, name+" lock")
			r.locks = append(r.locks, i)
		},
		Conflict: func(ctx context.Context, i ConflictInfo) {
			r.events = append(r.events, name+" conflict")
			r.confl = append(r.confl, i)
		},
	}
}

// markStore is a store that checks that the Load hook's context reaches it.
type markStore struct {
	*countingStore
	sawMark bool
}

func (s *markStore) ReadVersion(ctx context.Context, id string) ([]byte, bool, adapters.Version, error) {
	s.sawMark = s.sawMark || ctx.Value(ctxMark{}) != nil
	return s.countingStore.ReadVersion(ctx, id)
}

func TestHooksLoadAndSave(t *testing.T) {
	fs, _ := newFileStore(t)
	store := &markStore{countingStore: fs}
	var rec recorder
	m, err := New(store, Config{Hooks: rec.hooks("a")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, s := started(t, m, "")
	s.Set("k", str("value"))
	id := commit(t, m, ctx)
	if len(rec.loads) != 0 {
		t.Errorf("a new session reported loads %+v, want none (no read)", rec.loads)
	}
	if len(rec.saves) != 1 || rec.saves[0].Op != SaveOpWrite || rec.saves[0].Attempts != 1 || rec.saves[0].Err != nil {
		t.Fatalf("saves %+v, want one write of 1 attempt", rec.saves)
	}
	raw, _, _ := m.Store().Read(context.Background(), id)
	if rec.saves[0].Size != len(raw) || rec.saves[0].Duration <= 0 {
		t.Errorf("save size %d duration %v, want %d bytes and a duration", rec.saves[0].Size, rec.saves[0].Duration, len(raw))
	}

	ctx, _ = started(t, m, id)
	commit(t, m, ctx)
	if len(rec.loads) != 1 || !rec.loads[0].Found || rec.loads[0].Size != len(raw) || rec.loads[0].Err != nil {
		t.Errorf("loads %+v, want one found of %d bytes", rec.loads, len(raw))
	}
	if !store.sawMark {
		t.Error("the store's read did not get the Load hook's context")
	}
	if got := rec.saves[1]; got.Op != SaveOpTouch || got.Attempts != 0 || got.Size != 0 {
		t.Errorf("unchanged session's save %+v, want a touch", got)
	}

	// A second set of hooks: the first one's done runs last, so spans nest.
	var rec2 recorder
	m.AddHooks(rec.hooks("b"))
	m.AddHooks(rec2.hooks("c"))
	rec.events = nil
	ctx, _ = started(t, m, id)
	commit(t, m, ctx)
	want := "a load,b load,b load done,a load done,a save,b save,b save done,a save done"
	if got := strings.Join(rec.events, ","); got != want {
		t.Errorf("events %s, want %s", got, want)
	}
	if len(rec2.loads) != 1 || len(rec2.saves) != 1 {
		t.Errorf("third hooks saw %d loads %d saves, want 1 and 1", len(rec2.loads), len(rec2.saves))
	}
}

func TestHooksConflict(t *testing.T) {
	var rec recorder
	m, _, _ := newManager(t, Config{Hooks: rec.hooks("h")})
	ctx, s := started(t, m, "")
	s.Set("base", str("x"))
	id := commit(t, m, ctx)

	ctx, s = started(t, m, id)
	s.Set("go", phpsession.IntValue(1))
	// Another writer changes the session between this request's read and
	// its write: the first compare-and-swap loses, the retry wins.
	if err := m.Store().Write(context.Background(), id, []byte(`base|s:1:"x";php|i:2;`), 0); err != nil {
		t.Fatal(err)
	}
	commit(t, m, ctx)
	if len(rec.confl) != 1 || rec.confl[0] != (ConflictInfo{Attempt: 1, Retry: true}) {
		t.Errorf("conflicts %+v, want one, attempt 1, retried", rec.confl)
	}
	last := rec.saves[len(rec.saves)-1]
	if last.Op != SaveOpMerge || last.Attempts != 2 || last.Err != nil {
		t.Errorf("save %+v, want a merge in 2 attempts", last)
	}
	if sess, _ := stored(t, m, id); !sess.Has("php") || !sess.Has("go") {
		t.Errorf("stored keys %q, want both writers' keys", sess.Names())
	}
}

func TestHooksLock(t *testing.T) {
	var rec recorder
	m, _, _ := newManager(t, Config{Save: SaveMergeLocked, Hooks: rec.hooks("h")})
	ctx, s := started(t, m, "")
	s.Set("a", str("x"))
	id := commit(t, m, ctx)
	ctx, s = started(t, m, id)
	s.Set("b", str("y"))
	commit(t, m, ctx)
	if len(rec.locks) != 1 || rec.locks[0].Err != nil || rec.locks[0].Held <= 0 || rec.locks[0].Wait <= 0 {
		t.Errorf("locks %+v, want one taken, waited for and held", rec.locks)
	}
}

func TestHooksLoadDecodeError(t *testing.T) {
	var rec recorder
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	m, _, dir := newManager(t, Config{Hooks: rec.hooks("h"), Logger: logger})
	id := "corrupt0123456789abcdefghij"
	if err := os.WriteFile(filepath.Join(dir, id), []byte("a|i:1;garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := m.Load(context.Background(), id)
	err := m.Session(ctx).Start(ctx)
	var de *DecodeError
	if len(rec.loads) != 1 || !errors.As(rec.loads[0].Err, &de) || !errors.Is(err, rec.loads[0].Err) || rec.loads[0].Found || rec.loads[0].Size != 13 {
		t.Errorf("loads %+v (Start: %v), want one of 13 bytes failing with the *DecodeError", rec.loads, err)
	}
	out := buf.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "session="+adapters.HashID(id)) || strings.Contains(out, id) {
		t.Errorf("log %q, want a warning naming the session by its hash only", out)
	}
}

func TestDefaultErrorFuncLogs(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	m, _, dir := newManager(t, Config{Logger: logger})
	var id string
	resp := serve(t, m, "", func(w http.ResponseWriter, r *http.Request) {
		s := m.Session(r.Context())
		s.Start(r.Context())
		id = s.ID()
		s.Set("secret", str("hunter2"))
		os.RemoveAll(dir) // the save must fail
		io.WriteString(w, "never sent")
	})
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", resp.StatusCode)
	}
	out := buf.String()
	for _, want := range []string{"level=ERROR", `msg="session load or save failed"`, "method=GET", "session=" + adapters.HashID(id), "#" + adapters.HashID(id)} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %q", out, want)
		}
	}
	if strings.Contains(out, id) || strings.Contains(out, "hunter2") {
		t.Errorf("log %q holds the session id %q or a value", out, id)
	}
}

func TestHooksLockRequests(t *testing.T) {
	var rec recorder
	m, _, _ := newManager(t, Config{LockRequests: true, Hooks: rec.hooks("h")})
	ctx, s := started(t, m, "")
	s.Set("a", str("x"))
	id := commit(t, m, ctx)
	if len(rec.locks) != 0 {
		t.Fatalf("a new session reported locks %+v, want none", rec.locks)
	}
	ctx, s = started(t, m, id)
	s.Set("b", str("y"))
	commit(t, m, ctx)
	if len(rec.locks) != 1 || rec.locks[0].Err != nil || rec.locks[0].Held <= 0 {
		t.Fatalf("locks %+v, want the request's lock, held", rec.locks)
	}
	ctx, _ = started(t, m, id)
	if err := m.Session(ctx).Release(ctx); err != nil {
		t.Fatal(err)
	}
	if len(rec.locks) != 2 || rec.locks[1].Err != nil {
		t.Errorf("locks %+v, want a second one, released by Release", rec.locks)
	}
}
