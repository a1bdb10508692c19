package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/storeurl"
	"github.com/sessbridge/sessbridge/internal/phpapp"
	"github.com/sessbridge/sessbridge/manager"
)

// demoUser is who the scripted walk logs in as on the PHP side; the Go side
// flashes demoFlash.
const demoUser = "Dark Helmet"

// errNoPHPDemo is returned when the live demo cannot find php.
var errNoPHPDemo = errors.New("php not found: install it with: apt-get install php-cli (or give --php PATH); sessbridge demo --vectors runs without php")

// demoLiveRun runs the live demo: a PHP app and a Go app sharing one store.
func demoLiveRun(ctx context.Context, opts *demoOptions) error {
	php, err := exec.LookPath(opts.PHP)
	if err != nil {
		return fmt.Errorf("demo: %w (%v)", errNoPHPDemo, err)
	}
	work, err := os.MkdirTemp("", "sessbridge-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	script, err := phpapp.Write(work)
	if err != nil {
		return err
	}
	storeURL := opts.Store
	if storeURL == "" {
		dir := filepath.Join(work, "sessions")
		if err := os.Mkdir(dir, 0o700); err != nil {
			return err
		}
		storeURL = "file://" + filepath.ToSlash(dir)
	}
	cfg, err := storeurl.Parse(storeURL)
	if err != nil {
		return err
	}
	env, err := demoPHPEnv(cfg)
	if err != nil {
		return err
	}
	st, err := cfg.Open(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if c, ok := st.(io.Closer); ok {
			c.Close()
		}
	}()
	m, err := manager.New(st, manager.Config{})
	if err != nil {
		return err
	}

	// The PHP app, under php -S.
	phpAddr, err := freeLoopbackAddr()
	if err != nil {
		return err
	}
	phpLog, err := os.Create(filepath.Join(work, "php-server.log"))
	if err != nil {
		return err
	}
	defer phpLog.Close()
	srvCtx, stopServers := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServers()
	phpCmd := exec.CommandContext(srvCtx, php, "-S", phpAddr, script)
	phpCmd.Dir = work
	phpCmd.Env = append(os.Environ(), env...)
	phpCmd.Stdout, phpCmd.Stderr = phpLog, phpLog
	if err := phpCmd.Start(); err != nil {
		return fmt.Errorf("demo: start php -S: %w", err)
	}
	defer func() {
		stopServers()
		phpCmd.Wait()
	}()
	if err := waitTCP(ctx, phpAddr, 10*time.Second); err != nil {
		log, _ := os.ReadFile(phpLog.Name())
		return fmt.Errorf("demo: php -S %s did not start: %w\n%s", phpAddr, err, log)
	}

	// The Go app, with the manager middleware.
	goLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	var seen demoSessions
	srv := &http.Server{Handler: m.LoadAndSave(demoGoApp(m, seen.add)), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(goLn)
	defer srv.Close()
	// Leave nothing in a store that outlives the demo (Redis, Memcached).
	defer seen.destroy(context.WithoutCancel(ctx), st, opts.IO.ErrOut)

	phpURL, goURL := "http://"+phpAddr, "http://"+goLn.Addr().String()
	id, err := demoWalk(ctx, opts.IO.Out, phpURL, goURL, cfg)
	seen.add(id)
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, `
Click through yourself (the two apps share the PHPSESSID cookie of 127.0.0.1):
  PHP: %[1]s/?a=login&name=Ford    log in on the PHP side
  Go:  %[2]s/                       the Go side shows the user
  Go:  %[2]s/flash?msg=hi          the Go side adds a flash message
  PHP: %[1]s/?a=show               PHP shows (and consumes) it
`, phpURL, goURL)
	if cfg.Redis == nil {
		fmt.Fprintln(opts.IO.Out, "\nPoint both at Redis instead: sessbridge demo --store redis://127.0.0.1:6379")
	}
	if opts.Once {
		return nil
	}
	fmt.Fprintln(opts.IO.Out, "Serving until Ctrl-C.")
	<-ctx.Done()
	return nil
}

// demoSessions are the ids of the sessions the demo's Go side saw, which
// it destroys when it ends.
type demoSessions struct {
	mu  sync.Mutex
	ids []string
}

// add records id ("" is ignored).
func (d *demoSessions) add(id string) {
	if id == "" {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !slices.Contains(d.ids, id) {
		d.ids = append(d.ids, id)
	}
}

// destroy destroys the recorded sessions in st, telling errOut of a
// failure. Sessions only the PHP side saw expire with their lifetime.
func (d *demoSessions) destroy(ctx context.Context, st adapters.Store, errOut io.Writer) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, id := range d.ids {
		if err := st.Destroy(ctx, id); err != nil {
			fmt.Fprintf(errOut, "demo: could not remove session %s: %v\n", id, err)
		}
	}
}

// The key prefixes of the demo's PHP app (internal/phpapp/handlers.php),
// those of Phalcon's Redis and Libmemcached adapters.
const (
	demoRedisPrefix     = "sess-reds-"
	demoMemcachedPrefix = "sess-memc-"
)

// demoPHPEnv returns the environment that points internal/phpapp at the
// store cfg describes; the app knows Phalcon's Stream, Redis and
// Libmemcached adapters with their default options.
func demoPHPEnv(cfg *storeurl.Config) ([]string, error) {
	unsupported := func() ([]string, error) {
		return nil, flagErrorf("--store %s: the demo's PHP app supports file:///dir, redis://host:port and memcached://host:port with default options", cfg)
	}
	if cfg.Layout() != adapters.LayoutPhalcon5 {
		return unsupported()
	}
	switch {
	case cfg.File != nil:
		if cfg.File.Prefix != "" {
			return unsupported()
		}
		return []string{"SB_STORE=stream", "SB_SAVE_PATH=" + cfg.File.Dir}, nil
	case cfg.Redis != nil:
		o := cfg.Redis
		if o.Socket != "" || o.SentinelMaster != "" || len(o.ClusterAddrs) > 0 || o.TLS != nil || o.Password != "" ||
			o.Index != 0 || (o.Prefix != "" && o.Prefix != demoRedisPrefix) {
			return unsupported()
		}
		host, port := o.Host, o.Port
		if host == "" {
			host = "127.0.0.1"
		}
		if port == 0 {
			port = 6379
		}
		return []string{"SB_STORE=redis", "SB_ADDR=" + net.JoinHostPort(host, strconv.Itoa(port))}, nil
	case cfg.Memcached != nil:
		o := cfg.Memcached
		if len(o.Servers) > 1 || (o.Prefix != "" && o.Prefix != demoMemcachedPrefix) {
			return unsupported()
		}
		addr := "127.0.0.1:11211"
		if len(o.Servers) == 1 {
			addr = o.Servers[0].String()
		}
		return []string{"SB_STORE=memcached", "SB_ADDR=" + addr}, nil
	}
	return unsupported()
}

// demoWalk is the scripted walk: log in on PHP, Go sees the user and
// flashes, PHP shows the flash. It fails with errMismatch when a side does
// not see what the other wrote.
func demoWalk(ctx context.Context, w io.Writer, phpURL, goURL string, cfg *storeurl.Config) (id string, err error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return "", err
	}
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	get := func(u string, into any) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return fmt.Errorf("demo: GET %s: %w", u, err)
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("demo: GET %s: %s: %s", u, resp.Status, body)
		}
		if err := json.Unmarshal(body, into); err != nil {
			return fmt.Errorf("demo: GET %s: %w: %q", u, err, body)
		}
		return nil
	}

	fmt.Fprintf(w, "PHP app (Phalcon-style, php -S): %s\nGo app (manager.LoadAndSave):    %s\nShared store: %s\n\n", phpURL, goURL, cfg)

	var login struct {
		ID string `json:"id"`
	}
	u := phpURL + "/?a=login&name=" + url.QueryEscape(demoUser)
	if err := get(u, &login); err != nil {
		return "", err
	}
	fmt.Fprintf(w, "1. PHP  GET /?a=login        logged in as %q, session %s\n", demoUser, login.ID)

	var seen struct {
		ID   string `json:"id"`
		User string `json:"user"`
	}
	if err := get(goURL+"/", &seen); err != nil {
		return login.ID, err
	}
	fmt.Fprintf(w, "2. Go   GET /                sees user %q in session %s\n", seen.User, seen.ID)
	if seen.User != demoUser || seen.ID != login.ID {
		return login.ID, fmt.Errorf("demo: %w: Go saw user %q in session %s, PHP logged in %q in session %s", errMismatch, seen.User, seen.ID, demoUser, login.ID)
	}

	var flashed struct{}
	if err := get(goURL+"/flash?msg="+url.QueryEscape(demoFlash), &flashed); err != nil {
		return login.ID, err
	}
	fmt.Fprintf(w, "3. Go   GET /flash           added flash message %q\n", demoFlash)

	var shown struct {
		ID        string              `json:"id"`
		Flash     map[string][]string `json:"flash"`
		FlashHTML string              `json:"flash_html"`
	}
	if err := get(phpURL+"/?a=show", &shown); err != nil {
		return login.ID, err
	}
	// As Phalcon's $flash->output() prints them, one message a line.
	lines := strings.Split(strings.TrimSuffix(shown.FlashHTML, "\n"), "\n")
	fmt.Fprintf(w, "4. PHP  GET /?a=show         shows flash %s\n", strings.Join(lines, "\n                             "))
	if got := shown.Flash["success"]; len(got) != 1 || got[0] != demoFlash || shown.ID != login.ID {
		return login.ID, fmt.Errorf("demo: %w: PHP showed flash %v in session %s, want success: %q in session %s", errMismatch, shown.Flash, shown.ID, demoFlash, login.ID)
	}
	fmt.Fprintln(w, "\n✓ PHP and Go share the session both ways.")
	return login.ID, nil
}

// freeLoopbackAddr returns a 127.0.0.1 address with a port free now.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitTCP waits until addr accepts connections.
func waitTCP(ctx context.Context, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var d net.Dialer
	for {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return c.Close()
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
