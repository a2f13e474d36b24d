package rhel

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/loupe-dev/loupe/updater"
)

// DefaultVEXURL is where Red Hat publishes its CSAF VEX documents, one per
// CVE, with archive_latest.txt, changes.csv and deletions.csv beside them.
const DefaultVEXURL = "https://security.access.redhat.com/data/csaf/v2/vex/"

// UpdaterName is the name of the updater and of its set, as in Clair.
const UpdaterName = "rhel-vex"

// DefaultMinYear is the oldest CVE year kept, as in Clair: older CVEs
// only concern long-retired releases.
const DefaultMinYear = 2015

// parserVersion changes whenever the same feed would parse to different
// vulnerabilities, so that a new Loupe parses the feed again.
const parserVersion = "1"

// Config is the configuration of the rhel-vex updater, from
// updaters.config.rhel-vex.
type Config struct {
	// URL is the base of the VEX tree (http, https or file); empty
	// means DefaultVEXURL. A missing trailing "/" is added.
	URL string `json:"url"`
	// CompressedFileTimeout bounds the download of the archive, as in
	// Clair; zero means no bound beyond the run's.
	CompressedFileTimeout duration `json:"compressed_file_timeout"`
	// IgnoreKernelPackages leaves out every package whose name starts
	// with "kernel", as in Clair.
	IgnoreKernelPackages bool `json:"ignore_kernel_packages"`
	// FixedInVersionCEL is Clair's rewrite of fixed versions by a CEL
	// expression; Loupe does not support it and says so.
	FixedInVersionCEL string `json:"fixed_in_version_cel"`
	// MinYear is the oldest CVE year kept (Loupe only); zero means
	// DefaultMinYear, a negative value keeps every year.
	MinYear int `json:"min_year"`
	// CacheDir is where the archive is kept between runs (Loupe only),
	// so that a run whose archive is unchanged downloads only the
	// documents changed since; empty means <TMPDIR>/loupe-rhel-vex.
	CacheDir string `json:"cache_dir"`
}

// duration decodes Clair's durations: a Go duration string ("2m") or a
// number of nanoseconds.
type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		*d = duration(v)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("duration: %s", b)
	}
	*d = duration(n)
	return nil
}

// Updater is the rhel-vex updater: Red Hat's CSAF VEX feed. Make it with
// UpdaterSet or NewUpdater.
type Updater struct {
	cfg  Config
	base *url.URL
	// fetchMu keeps runs of one Updater from sharing the cache at once.
	fetchMu sync.Mutex
}

var (
	_ updater.Updater      = (*Updater)(nil)
	_ updater.Configurable = (*Updater)(nil)
)

// NewUpdater returns an updater reading cfg.
func NewUpdater(cfg Config) (*Updater, error) {
	u := &Updater{}
	if err := u.setConfig(cfg); err != nil {
		return nil, err
	}
	return u, nil
}

// UpdaterSet returns the "rhel-vex" set: one updater reading
// DefaultVEXURL until configured.
func UpdaterSet() updater.Set {
	u, _ := NewUpdater(Config{})
	return updater.Set{Name: UpdaterName, Updaters: []updater.Updater{u}}
}

// Name implements updater.Updater.
func (*Updater) Name() string { return UpdaterName }

// Configure implements updater.Configurable.
func (u *Updater) Configure(decode func(any) error) error {
	var cfg Config
	if err := decode(&cfg); err != nil {
		return err
	}
	return u.setConfig(cfg)
}

func (u *Updater) setConfig(cfg Config) error {
	raw := cfg.URL
	if raw == "" {
		raw = DefaultVEXURL
	}
	if !strings.HasSuffix(raw, "/") {
		raw += "/"
	}
	base, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("rhel-vex: url: %w", err)
	}
	switch base.Scheme {
	case "http", "https", "file":
	default:
		return fmt.Errorf("rhel-vex: url %q: scheme must be http, https or file", raw)
	}
	if cfg.FixedInVersionCEL != "" {
		slog.Warn("rhel-vex: fixed_in_version_cel is not supported by Loupe; fixed versions are used as published")
	}
	cfg.URL = raw
	u.cfg, u.base = cfg, base
	return nil
}

func (u *Updater) minYear() int {
	switch {
	case u.cfg.MinYear < 0:
		return 0
	case u.cfg.MinYear == 0:
		return DefaultMinYear
	}
	return u.cfg.MinYear
}

func (u *Updater) cacheDir() string {
	if u.cfg.CacheDir != "" {
		return u.cfg.CacheDir
	}
	return filepath.Join(os.TempDir(), "loupe-rhel-vex")
}

// fingerprint records what a run fetched: the archive, and the change
// and deletion lists by content and validators.
type fingerprint struct {
	Version        string `json:"v"`
	Options        string `json:"options"`
	Archive        string `json:"archive"`
	Changes        string `json:"changes"`
	ChangesETag    string `json:"changes_etag,omitempty"`
	ChangesLastMod string `json:"changes_last_modified,omitempty"`
	Deletions      string `json:"deletions"`
}

func (u *Updater) options() string {
	return fmt.Sprintf("min_year=%d ignore_kernel_packages=%t", u.minYear(), u.cfg.IgnoreKernelPackages)
}

// Fetch implements updater.Updater.
//
// It reads archive_latest.txt and changes.csv; when neither changed
// since prev, the feed is unchanged. Otherwise it makes sure the archive
// named by archive_latest.txt is in the cache directory (downloading it
// when it is not), downloads every document changes.csv lists as changed
// since the archive was made (the day before the date in its name, to
// be safe), and deletions.csv, and returns them all as one tar for
// Parse. Any download failure fails the run, which keeps the data
// stored before.
func (u *Updater) Fetch(ctx context.Context, client *http.Client, prev string) (io.ReadCloser, string, error) {
	u.fetchMu.Lock()
	defer u.fetchMu.Unlock()
	old := fingerprint{}
	_ = json.Unmarshal([]byte(prev), &old)
	fp := fingerprint{Version: parserVersion, Options: u.options()}

	latest, _, err := u.get(ctx, client, "archive_latest.txt", "", "", 4096)
	if err != nil {
		return nil, "", err
	}
	fp.Archive = strings.TrimSpace(string(latest))
	if !archiveName.MatchString(fp.Archive) {
		return nil, "", fmt.Errorf("rhel-vex: archive_latest.txt names %q, not an archive", fp.Archive)
	}

	sameBase := old.Version == fp.Version && old.Options == fp.Options && old.Archive == fp.Archive
	var etag, lastMod string
	if sameBase {
		etag, lastMod = old.ChangesETag, old.ChangesLastMod
	}
	changes, hdr, err := u.get(ctx, client, "changes.csv", etag, lastMod, 512<<20)
	if errors.Is(err, updater.ErrUnchanged) {
		return nil, "", updater.ErrUnchanged
	}
	if err != nil {
		return nil, "", err
	}
	fp.Changes = sha(changes)
	fp.ChangesETag, fp.ChangesLastMod = hdr.Get("ETag"), hdr.Get("Last-Modified")
	deletions, _, err := u.get(ctx, client, "deletions.csv", "", "", maxDeletionsSize)
	if err != nil {
		return nil, "", err
	}
	fp.Deletions = sha(deletions)
	if sameBase && old.Changes == fp.Changes && old.Deletions == fp.Deletions {
		return nil, "", updater.ErrUnchanged
	}

	archive, err := u.cachedArchive(ctx, client, fp.Archive)
	if err != nil {
		return nil, "", err
	}
	body, err := u.bundle(ctx, client, archive, fp.Archive, changes, deletions)
	if err != nil {
		archive.Close()
		return nil, "", err
	}
	b, _ := json.Marshal(fp)
	return body, string(b), nil
}

var (
	archiveName = regexp.MustCompile(`^[A-Za-z0-9._-]+\.tar(\.zst|\.gz)?$`)
	archiveDate = regexp.MustCompile(`(\d{4}-\d{2}-\d{2})\.tar`)
	docPath     = regexp.MustCompile(`^(\d{4})/[a-z0-9._-]+\.json$`)
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// get reads a small file of the tree. With validators it sends a
// conditional request and reports updater.ErrUnchanged on 304.
func (u *Updater) get(ctx context.Context, client *http.Client, rel, etag, lastMod string, limit int64) ([]byte, http.Header, error) {
	body, hdr, err := u.open(ctx, client, rel, etag, lastMod)
	if err != nil {
		return nil, nil, err
	}
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, nil, fmt.Errorf("rhel-vex: reading %s: %w", rel, err)
	}
	if int64(len(b)) > limit {
		return nil, nil, fmt.Errorf("rhel-vex: %s is larger than %d bytes", rel, limit)
	}
	return b, hdr, nil
}

// errNotFound reports a document of the tree that is not there.
var errNotFound = errors.New("not found")

func (u *Updater) open(ctx context.Context, client *http.Client, rel, etag, lastMod string) (io.ReadCloser, http.Header, error) {
	ref, err := url.Parse(rel)
	if err != nil {
		return nil, nil, err
	}
	target := u.base.ResolveReference(ref)
	if target.Scheme == "file" {
		f, err := os.Open(filepath.FromSlash(target.Path))
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("rhel-vex: %s: %w", rel, errNotFound)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("rhel-vex: %w", err)
		}
		return f, http.Header{}, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		return nil, nil, err
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastMod != "" {
		req.Header.Set("If-Modified-Since", lastMod)
	}
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("rhel-vex: fetching %s: %w", rel, err)
	}
	switch res.StatusCode {
	case http.StatusOK:
		return res.Body, res.Header, nil
	case http.StatusNotModified:
		res.Body.Close()
		return nil, nil, updater.ErrUnchanged
	case http.StatusNotFound, http.StatusGone:
		res.Body.Close()
		return nil, nil, fmt.Errorf("rhel-vex: %s: %w", rel, errNotFound)
	}
	res.Body.Close()
	return nil, nil, fmt.Errorf("rhel-vex: fetching %s: unexpected status %s", target.Redacted(), res.Status)
}

// cachedArchive opens the named archive in the cache, downloading it
// first when it is not there. Older archives are removed.
func (u *Updater) cachedArchive(ctx context.Context, client *http.Client, name string) (*os.File, error) {
	dir := u.cacheDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("rhel-vex: cache: %w", err)
	}
	file := filepath.Join(dir, name)
	if f, err := os.Open(file); err == nil {
		if st, err := f.Stat(); err == nil && st.Size() > 0 {
			return f, nil
		}
		f.Close()
	}
	dctx := ctx
	if t := time.Duration(u.cfg.CompressedFileTimeout); t > 0 {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	body, _, err := u.open(dctx, client, name, "", "")
	if err != nil {
		return nil, err
	}
	defer body.Close()
	tmp, err := os.CreateTemp(dir, name+".*.part")
	if err != nil {
		return nil, fmt.Errorf("rhel-vex: cache: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := io.Copy(tmp, body); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("rhel-vex: downloading %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("rhel-vex: cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return nil, fmt.Errorf("rhel-vex: cache: %w", err)
	}
	if olds, _ := filepath.Glob(filepath.Join(dir, "*.tar*")); len(olds) > 0 {
		for _, o := range olds {
			if o != file && !strings.HasSuffix(o, ".part") {
				os.Remove(o)
			}
		}
	}
	return os.Open(file)
}

// changedSince returns the document paths changes.csv lists as changed
// on or after since, of years the updater keeps.
func (u *Updater) changedSince(changes []byte, since time.Time) []string {
	seen := make(map[string]bool)
	var out []string
	for _, rec := range readCSV(changes) {
		m := docPath.FindStringSubmatch(rec.path)
		if m == nil || seen[rec.path] {
			continue
		}
		if y := keyYear(rec.path); y > 0 && y < u.minYear() {
			continue
		}
		t, err := time.Parse(time.RFC3339, rec.time)
		if err != nil || t.Before(since) {
			continue
		}
		seen[rec.path] = true
		out = append(out, rec.path)
	}
	return out
}

// bundle writes deletions.csv and the changed documents to a spool file,
// as the start of a tar, and returns a body reading that, then the
// archive as a last tar entry.
func (u *Updater) bundle(ctx context.Context, client *http.Client, archive *os.File, name string, changes, deletions []byte) (io.ReadCloser, error) {
	spool, err := os.CreateTemp("", "loupe-rhel-vex-*")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (io.ReadCloser, error) {
		spool.Close()
		os.Remove(spool.Name())
		return nil, err
	}
	tw := tar.NewWriter(spool)
	if err := writeEntry(tw, "deletions.csv", deletions); err != nil {
		return fail(err)
	}
	var since time.Time
	if m := archiveDate.FindStringSubmatch(name); m != nil {
		if d, err := time.Parse(time.DateOnly, m[1]); err == nil {
			since = d.Add(-24 * time.Hour)
		}
	}
	var paths []string
	if !since.IsZero() {
		paths = u.changedSince(changes, since)
	}
	docs, err := u.fetchDocuments(ctx, client, paths)
	if err != nil {
		return fail(err)
	}
	for _, p := range paths {
		b, ok := docs[p]
		if !ok {
			continue
		}
		if err := writeEntry(tw, "changes/"+p, b); err != nil {
			return fail(err)
		}
	}
	st, err := archive.Stat()
	if err != nil {
		return fail(err)
	}
	if err := tw.Flush(); err != nil {
		return fail(err)
	}
	// The archive's own header, then its content, padding and the end of
	// the tar.
	var hb bytes.Buffer
	htw := tar.NewWriter(&hb)
	if err := htw.WriteHeader(&tar.Header{Name: "archive/" + name, Mode: 0o644, Size: st.Size(), ModTime: st.ModTime(), Format: tar.FormatPAX}); err != nil {
		return fail(err)
	}
	tail := make([]byte, (512-st.Size()%512)%512+1024)
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return fail(err)
	}
	slog.InfoContext(ctx, "rhel-vex feed fetched", "archive", name, "changed_documents", len(docs))
	return &bundleBody{
		Reader: io.MultiReader(spool, bytes.NewReader(hb.Bytes()), io.LimitReader(archive, st.Size()), bytes.NewReader(tail)),
		files:  []*os.File{spool, archive},
		remove: spool.Name(),
	}, nil
}

func writeEntry(tw *tar.Writer, name string, b []byte) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Format: tar.FormatPAX}); err != nil {
		return err
	}
	_, err := tw.Write(b)
	return err
}

// fetchDocuments downloads documents, a few at a time. Documents that
// are gone are left out: deletions.csv lists them.
func (u *Updater) fetchDocuments(ctx context.Context, client *http.Client, paths []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(paths))
	if len(paths) == 0 {
		return out, nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		next = make(chan string)
	)
	for range min(8, len(paths)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range next {
				b, _, err := u.get(ctx, client, p, "", "", maxDocumentSize)
				if errors.Is(err, errNotFound) {
					continue
				}
				if err != nil {
					cancel(err)
					continue
				}
				mu.Lock()
				out[p] = b
				mu.Unlock()
			}
		}()
	}
feed:
	for _, p := range paths {
		select {
		case next <- p:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// bundleBody is the body Fetch returns; Close removes its spool file.
type bundleBody struct {
	io.Reader
	files  []*os.File
	remove string
}

func (b *bundleBody) Close() error {
	var errs []error
	for _, f := range b.files {
		errs = append(errs, f.Close())
	}
	errs = append(errs, os.Remove(b.remove))
	return errors.Join(errs...)
}
