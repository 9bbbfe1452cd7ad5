package overhead

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"time"

	"github.com/sluicehq/sluice/internal/upstream"
)

// Target is a way to reach the upstream that a run measures: directly, or
// through a relay started for each phase.
type Target struct {
	// Name labels the target in reports ("direct", "relay", "sluice").
	Name string
	// Start starts the relay in front of upstream (a base URL such as
	// "http://127.0.0.1:40123") and returns it ready to accept
	// connections. A run starts a fresh one for every phase, so a phase's
	// memory baseline is not raised by the phase before it, and closes it
	// after.
	Start func(ctx context.Context, upstream string) (Proxy, error)
}

// Proxy is one started relay.
type Proxy interface {
	// URL is the base URL clients send POST /v1/chat/completions to.
	URL() string
	// Usage returns the relay's CPU time so far and its memory now.
	Usage() (Usage, error)
	// Close stops the relay; it is called once, after the phase.
	Close() error
}

// Usage is what a relay has consumed.
type Usage struct {
	// CPU is user plus system time since the relay (or this process)
	// started.
	CPU time.Duration
	// Memory is the relay's resident memory (a separate process) or this
	// process's Go heap and stacks in use (an in-process relay), in bytes.
	Memory int64
	// Shared is true when the numbers are this whole process's, which also
	// runs the client and the simulator: the relay's share is then what the
	// phase consumed beyond the direct phase of the same size.
	Shared bool
}

// Direct is the target without a relay: the clients talk to the upstream
// itself. Every run measures it first at each size, as the baseline that
// "added" latencies are counted from.
func Direct() Target {
	return Target{Name: "direct", Start: func(_ context.Context, upstream string) (Proxy, error) {
		return &selfProxy{url: upstream}, nil
	}}
}

// Relay returns the raw byte relay: an httputil.ReverseProxy to target
// that flushes every write at once (FlushInterval −1) and does nothing
// else, the floor for any proxy. It sends through the same Transport as
// sluice's providers by default (upstream.DefaultClient: its pool, its
// buffer sizes), so both pool and dial upstream connections alike.
//
// It reads the request body before forwarding it, as sluice (or any
// gateway that routes on the model) does. A bare ReverseProxy streams the
// body instead, and breaks streaming answers to POSTs now and then: once
// the upstream's headers are relayed, net/http's server closes the inbound
// body, the Transport's final read of it fails, and the upstream connection
// is torn down mid-answer (golang/go#40747; seen here as "unexpected EOF"
// at the client).
func Relay(target *url.URL) http.Handler {
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
		},
		Transport:     upstream.DefaultClient().Transport,
		FlushInterval: -1,
		// A failed upstream is not part of any measurement; keep the
		// server's log quiet and answer 502 as the default would.
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) },
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		rp.ServeHTTP(w, r)
	})
}

// InProcess returns a target that serves the handler built by handler on a
// loopback listener in this process. handler may return a function that
// releases what the handler holds, called when the phase is over. Its
// Usage is the whole process's (see Usage.Shared).
func InProcess(name string, handler func(upstream string) (http.Handler, func(), error)) Target {
	return Target{Name: name, Start: func(_ context.Context, upstream string) (Proxy, error) {
		h, release, err := handler(upstream)
		if err != nil {
			return nil, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			if release != nil {
				release()
			}
			return nil, err
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		return &selfProxy{url: "http://" + ln.Addr().String(), srv: srv, release: release}, nil
	}}
}

// RelayHandler is Relay for InProcess: the raw byte relay to upstream.
func RelayHandler(upstream string) (http.Handler, func(), error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, nil, err
	}
	return Relay(u), nil, nil
}

// selfProxy is a relay in this process, or none (Direct).
type selfProxy struct {
	url     string
	srv     *http.Server
	release func()
}

func (p *selfProxy) URL() string           { return p.url }
func (p *selfProxy) Usage() (Usage, error) { return selfUsage() }
func (p *selfProxy) Close() error {
	if p.srv == nil {
		return nil
	}
	err := p.srv.Close()
	if p.release != nil {
		p.release()
	}
	return err
}

// Process returns a target that runs the command built by command as a
// separate process. The command must print its base URL
// ("http://127.0.0.1:PORT") on its standard output once it is listening,
// as `sluice serve --addr 127.0.0.1:0` does; the rest of its output is
// discarded unless the command sets its own Stdout or Stderr. Its Usage is
// its own CPU clock and resident memory, read from the operating system
// (Linux), so nothing of the client or the simulator is counted.
func Process(name string, command func(upstream string) (*exec.Cmd, error)) Target {
	return Target{Name: name, Start: func(ctx context.Context, upstream string) (Proxy, error) {
		cmd, err := command(upstream)
		if err != nil {
			return nil, err
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("starting %s: %w", name, err)
		}
		p := &process{cmd: cmd}
		found := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(out)
			sent := false
			for sc.Scan() {
				if u := urlPattern().FindString(sc.Text()); u != "" && !sent {
					found <- u
					sent = true
				}
			}
			io.Copy(io.Discard, out)
			if !sent {
				close(found)
			}
		}()
		timer := time.NewTimer(30 * time.Second)
		defer timer.Stop()
		select {
		case u, ok := <-found:
			if ok {
				p.url = u
				return p, nil
			}
			err = fmt.Errorf("%s exited without printing the URL it listens on", name)
		case <-timer.C:
			err = fmt.Errorf("%s printed no URL within 30s", name)
		case <-ctx.Done():
			err = ctx.Err()
		}
		p.Close()
		return nil, err
	}}
}

// urlPattern matches the base URL a relay prints.
func urlPattern() *regexp.Regexp { return regexp.MustCompile(`http://[0-9.]+:[0-9]+`) }

// process is a relay running as a child process.
type process struct {
	cmd *exec.Cmd
	url string
}

func (p *process) URL() string           { return p.url }
func (p *process) Usage() (Usage, error) { return processUsage(p.cmd.Process.Pid) }

// Close interrupts the process, as Ctrl-C would, and kills it if it has not
// exited five seconds later.
func (p *process) Close() error {
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		p.cmd.Process.Kill()
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	timer := time.NewTimer(5 * time.Second)
	defer timer.Stop()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil // interrupted on purpose
		}
		return err
	case <-timer.C:
		p.cmd.Process.Kill()
		return <-done
	}
}
