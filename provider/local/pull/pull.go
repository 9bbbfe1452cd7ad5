// Package pull downloads GGUF models into the folder provider/local reads
// them from: a small catalog of known models, and any .gguf URL.
//
// It is a package of its own, apart from provider/local, because the
// provider promises never to touch the network: only a command that asks for
// a download (sluice pull, or the first run of sluice serve and sluice
// stream) uses a [Downloader].
//
// A download is written to NAME.gguf.part in the models folder, resumed from
// there with an HTTP Range request after an interruption, checked against
// its sha256, and only then renamed to NAME.gguf. So the folder never holds,
// under a name the provider would load, a partial model, nor an unchecked one
// unless InsecureSkipVerify allows it; and a pull cut short (Ctrl-C, a dropped
// connection) loses nothing.
//
// Two pulls of the same model at the same time would share the .part file;
// nothing stops that, and the hash check fails one of them.
package pull

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// stallTimeout is how long a transfer may go without a byte before it is
// abandoned; the .part is kept, so the next pull resumes.
const stallTimeout = 60 * time.Second

// Downloader downloads models into a folder. Its zero value is not usable:
// Dir is required. A Downloader is not changed by Pull and may be reused.
type Downloader struct {
	// Dir is the models folder; it is created if missing.
	Dir string
	// Client sends the requests; nil means a client that allows 30s for
	// the response headers and no overall limit, as a large file takes
	// what it takes. Its redirect policy is kept; the hash a host publishes
	// on a redirect (Hugging Face's X-Linked-Etag) is read on the way.
	Client *http.Client
	// SHA256, when set, is the hash the file must have (hex), overriding
	// the catalog's and the host's.
	SHA256 string
	// InsecureSkipVerify stores a file that has no hash to be checked
	// against instead of refusing it. A file whose expected hash is known
	// and differs is refused all the same.
	InsecureSkipVerify bool
	// Progress, when set, is called with the bytes held so far and the
	// total (-1 when unknown): once when the transfer starts, counting the
	// bytes kept from an interrupted pull, and then as data arrives, on
	// Pull's goroutine.
	Progress func(done, total int64)

	// stall replaces stallTimeout in tests.
	stall time.Duration
}

// Result describes a finished pull.
type Result struct {
	// Path is the stored file.
	Path string
	// Size is its length in bytes.
	Size int64
	// SHA256 is its hash, checked against the one from HashSource; ""
	// when the file was already there or InsecureSkipVerify let it in
	// unchecked.
	SHA256 string
	// HashSource says where the expected hash came from: "--sha256",
	// "catalog" or "host"; "" when nothing was checked.
	HashSource string
	// Resumed is the number of bytes kept from an interrupted pull.
	Resumed int64
	// Existed is true when the file was already in the folder; nothing was
	// downloaded.
	Existed bool
}

// MismatchError reports a downloaded file whose sha256 is not the expected
// one. The download has been deleted.
type MismatchError struct {
	Name, URL string
	// Want is the expected hash and Source where it came from ("catalog",
	// "host", "--sha256"); Got is the downloaded file's.
	Want, Source, Got string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("%s: sha256 mismatch: expected %s (from the %s), got %s; the download was deleted. "+
		"Pull again; if it fails the same way, the file at %s is not the one expected", e.Name, e.Want, e.Source, e.Got, e.URL)
}

// errStartOver is fetch's signal that the .part cannot be continued (the
// server answered a range that does not follow it) and must be discarded.
var errStartOver = errors.New("pull: start over")

// Pull downloads m into Dir as m.Name+".gguf" and returns where it is. A file
// already there is kept as it is and not downloaded again. Cancelling ctx
// stops the transfer and keeps the .part for the next pull to resume.
func (d *Downloader) Pull(ctx context.Context, m Model) (Result, error) {
	if d.Dir == "" {
		return Result{}, errors.New("pull: no models folder given")
	}
	if m.Name == "" || m.Name != filepath.Base(m.Name) || strings.HasPrefix(m.Name, ".") {
		return Result{}, fmt.Errorf("pull: %q cannot be a model's file name", m.Name)
	}
	want, source := "", ""
	for _, c := range []struct{ hash, source string }{{d.SHA256, "--sha256"}, {m.SHA256, "catalog"}} {
		if c.hash == "" {
			continue
		}
		h, ok := normalHash(c.hash)
		if !ok {
			return Result{}, fmt.Errorf("%s: %q is not a sha256 (64 hex digits)", c.source, c.hash)
		}
		want, source = h, c.source
		break
	}
	final := filepath.Join(d.Dir, m.Name+".gguf")
	if fi, err := os.Stat(final); err == nil && !fi.IsDir() {
		return checkExisting(final, fi.Size(), want, source)
	}
	if err := os.MkdirAll(d.Dir, 0o755); err != nil {
		return Result{}, fmt.Errorf("creating the models folder: %w (set SLUICE_MODELS to a writable folder)", err)
	}
	part := final + ".part"
	res, err := d.fetch(ctx, m, want, source, final, part)
	if errors.Is(err, errStartOver) {
		if err := os.Remove(part); err != nil && !errors.Is(err, os.ErrNotExist) {
			return Result{}, err
		}
		res, err = d.fetch(ctx, m, want, source, final, part)
		if errors.Is(err, errStartOver) {
			err = fmt.Errorf("%s answers ranges that do not match the request; cannot download from it", m.URL)
		}
	}
	return res, err
}

// checkExisting returns the Result for a model already in the folder,
// checking its hash when one is expected, so pulling a model again verifies
// it. A file that fails is left alone: it is the user's to delete.
func checkExisting(path string, size int64, want, source string) (Result, error) {
	res := Result{Path: path, Size: size, Existed: true}
	if want == "" {
		return res, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return Result{}, fmt.Errorf("reading %s: %w", path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return Result{}, fmt.Errorf("%s is already there, but its sha256 is %s, not %s (from the %s); delete it and pull again", path, got, want, source)
	}
	res.SHA256, res.HashSource = want, source
	return res, nil
}

// fetch sends one request, continuing part if it holds anything, and on
// success renames part to final.
func (d *Downloader) fetch(ctx context.Context, m Model, want, source, final, part string) (Result, error) {
	// The .part is created only once the answer is known to be the file, so
	// a refused or failed request leaves nothing behind.
	h := sha256.New()
	var have int64
	f, err := os.OpenFile(part, os.O_RDWR, 0)
	switch {
	case err == nil:
		defer f.Close()
		if have, err = io.Copy(h, f); err != nil { // the kept bytes; leaves the offset at the end
			return Result{}, fmt.Errorf("reading %s: %w", part, err)
		}
	case errors.Is(err, os.ErrNotExist):
		f = nil
	default:
		return Result{}, fmt.Errorf("opening %s: %w", part, err)
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.URL, nil)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", m.URL, err)
	}
	req.Header.Set("User-Agent", "sluice")
	if have > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(have, 10)+"-")
	}
	published := ""
	resp, err := d.client(func(h http.Header) {
		if published == "" {
			published, _ = normalHash(h.Get("X-Linked-Etag"))
		}
	}).Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, context.Cause(ctx)
		}
		host := req.URL.Host
		return Result{}, fmt.Errorf("cannot reach %s: %w (offline? copy a .gguf file into %s instead)", host, unwrapURLError(err), d.Dir)
	}
	defer resp.Body.Close()
	if published == "" {
		published, _ = normalHash(resp.Header.Get("X-Linked-Etag"))
	}

	total := int64(-1)
	fresh := false // the body starts at byte 0, not at have
	switch resp.StatusCode {
	case http.StatusPartialContent:
		start, size, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != have {
			return Result{}, errStartOver
		}
		total = size
	case http.StatusOK:
		// The whole file: none was asked for, or the server ignores Range.
		fresh, total = true, resp.ContentLength
	case http.StatusRequestedRangeNotSatisfiable:
		// The part is as long as the file or longer: complete if the
		// lengths agree (a pull cut short between the last byte and the
		// rename), else of no use.
		_, size, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || size != have {
			return Result{}, errStartOver
		}
		total = size
	default:
		return Result{}, statusError(resp, m, d.Dir)
	}
	if m.Size > 0 && total >= 0 && total != m.Size {
		return Result{}, fmt.Errorf("%s: the host's file is %d bytes, the catalog expects %d; it has changed upstream (pass its URL with --sha256 to take it anyway)",
			m.Name, total, m.Size)
	}
	if total < 0 && m.Size > 0 {
		total = m.Size
	}

	if want == "" && published != "" {
		want, source = published, "host"
	} else if want != "" && published != "" && published != want {
		return Result{}, fmt.Errorf("%s: the host publishes sha256 %s for %s, but %s is expected (from the %s): the file has changed upstream or the hash is wrong; nothing was downloaded",
			m.Name, published, m.URL, want, source)
	}
	if want == "" && !d.InsecureSkipVerify {
		return Result{}, fmt.Errorf("%s: no sha256 to check the download against (the host publishes none and the catalog pins none); "+
			"pass --sha256 HEX with the file's hash, or --insecure-skip-verify to store it unchecked", m.Name)
	}

	resumed := have
	if f == nil {
		if f, err = os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644); err != nil {
			return Result{}, writeError(part, err)
		}
		defer f.Close()
	}
	if fresh && have > 0 {
		if err := f.Truncate(0); err != nil {
			return Result{}, writeError(part, err)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return Result{}, err
		}
		h.Reset()
		have, resumed = 0, 0
	}
	if d.Progress != nil {
		d.Progress(have, total)
	}
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		// A stalled connection would block the read for ever; the timer,
		// pushed back on every read, cancels the request instead.
		limit := stallTimeout
		if d.stall > 0 {
			limit = d.stall
		}
		stall := time.AfterFunc(limit, func() { cancel(fmt.Errorf("no data for %v", limit)) })
		defer stall.Stop()
		w := &fileWriter{f: f, h: h, path: part, done: have, total: total, progress: d.Progress}
		body := &stallReader{r: resp.Body, t: stall, limit: limit}
		_, err := io.CopyBuffer(w, body, make([]byte, 256<<10))
		have = w.done
		if err == nil && total >= 0 && have < total {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			var we *writeErr
			if errors.As(err, &we) {
				return Result{}, we.err
			}
			if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
				err = cause
			} else if ctx.Err() != nil {
				return Result{}, fmt.Errorf("%s: %w after %s; pull again to resume (%s kept)", m.Name, ctx.Err(), sizeText(have, total), part)
			}
			return Result{}, fmt.Errorf("%s: the download broke off after %s: %v; pull again to resume (%s kept)", m.Name, sizeText(have, total), unwrapURLError(err), part)
		}
	}

	got := hex.EncodeToString(h.Sum(nil))
	if want != "" && got != want {
		f.Close()
		os.Remove(part)
		return Result{}, &MismatchError{Name: m.Name, URL: m.URL, Want: want, Source: source, Got: got}
	}
	if err := f.Sync(); err != nil {
		return Result{}, writeError(part, err)
	}
	if err := f.Close(); err != nil {
		return Result{}, writeError(part, err)
	}
	if err := os.Rename(part, final); err != nil {
		return Result{}, fmt.Errorf("storing %s: %w", final, err)
	}
	if want == "" {
		got, source = "", ""
	}
	return Result{Path: final, Size: have, SHA256: got, HashSource: source, Resumed: resumed}, nil
}

// client returns d's client with a redirect policy that shows every
// redirect response to seen before applying the client's own policy.
func (d *Downloader) client(seen func(http.Header)) *http.Client {
	base := d.Client
	if base == nil {
		base = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
		}}
	}
	c := *base
	next := base.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.Response != nil {
			seen(req.Response.Header)
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &c
}

// fileWriter appends to the .part file and the hash, and reports progress.
type fileWriter struct {
	f        *os.File
	h        io.Writer
	path     string
	done     int64
	total    int64
	progress func(done, total int64)
}

func (w *fileWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.h.Write(p[:n])
	w.done += int64(n)
	if w.progress != nil {
		w.progress(w.done, w.total)
	}
	if err != nil {
		return n, &writeErr{writeError(w.path, err)}
	}
	return n, nil
}

// writeErr marks an error as the disk's, not the network's.
type writeErr struct{ err error }

func (e *writeErr) Error() string { return e.err.Error() }

// writeError describes a failed write to the models folder, telling a full
// disk apart.
func writeError(path string, err error) error {
	if errors.Is(err, syscall.ENOSPC) {
		return fmt.Errorf("the disk is full writing %s: %w; free some space (the .part is kept and the next pull resumes) or set SLUICE_MODELS to a folder on another disk", path, err)
	}
	return fmt.Errorf("writing %s: %w", path, err)
}

// stallReader pushes the stall timer back on every read that returns data.
type stallReader struct {
	r     io.Reader
	t     *time.Timer
	limit time.Duration
}

func (s *stallReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.t.Reset(s.limit)
	}
	return n, err
}

// statusError describes an HTTP error answer and what to do about it.
func statusError(resp *http.Response, m Model, dir string) error {
	var hint string
	switch {
	case resp.StatusCode == http.StatusNotFound:
		hint = "there is no such file: check the name or URL"
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		hint = "the host refused access; the model may be gated or private: download it in a browser and copy the .gguf into " + dir
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		hint = "the host is failing or busy; try again later (a partial download is kept and resumed)"
	default:
		hint = "the host did not send the file"
	}
	return fmt.Errorf("%s: %s answered %s: %s", m.Name, m.URL, resp.Status, hint)
}

// parseContentRange reads "bytes START-END/SIZE" and "bytes */SIZE"; size is
// -1 for "*".
func parseContentRange(v string) (start, size int64, ok bool) {
	rest, ok := strings.CutPrefix(v, "bytes ")
	if !ok {
		return 0, 0, false
	}
	rng, sz, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, false
	}
	size = -1
	if sz != "*" {
		n, err := strconv.ParseInt(sz, 10, 64)
		if err != nil || n < 0 {
			return 0, 0, false
		}
		size = n
	}
	if rng == "*" {
		return 0, size, size >= 0
	}
	s, _, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, false
	}
	start, err := strconv.ParseInt(s, 10, 64)
	if err != nil || start < 0 {
		return 0, 0, false
	}
	return start, size, true
}

// normalHash returns h as lower-case hex if it is a sha256, accepting the
// quoted (and weak) ETag forms hosts send.
func normalHash(h string) (string, bool) {
	h = strings.Trim(strings.TrimPrefix(strings.TrimSpace(h), "W/"), `"`)
	if len(h) != 64 {
		return "", false
	}
	if _, err := hex.DecodeString(h); err != nil {
		return "", false
	}
	return strings.ToLower(h), true
}

// unwrapURLError drops the *url.Error wrapping, which repeats the method
// and the URL the message already names.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// sizeText is "N of M MB" for messages.
func sizeText(n, total int64) string {
	if total < 0 {
		return mb(n)
	}
	return mb(n) + " of " + mb(total)
}

func mb(n int64) string {
	if n < 1<<20 {
		return strconv.FormatInt(n, 10) + " bytes"
	}
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
}
