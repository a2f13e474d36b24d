package indexer_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/ecosystem/all"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/store/sqlite"
)

// registry serves layer blobs over loopback HTTP, counting fetches.
type registry struct {
	*httptest.Server
	mu       sync.Mutex
	blobs    map[string][]byte
	ctype    map[string]string
	fetches  map[string]int
	down     atomic.Bool
	needAuth string
}

func newRegistry(t *testing.T) *registry {
	r := &registry{blobs: map[string][]byte{}, ctype: map[string]string{}, fetches: map[string]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.down.Load() {
			http.Error(w, "registry down", http.StatusServiceUnavailable)
			return
		}
		if r.needAuth != "" && req.Header.Get("Authorization") != r.needAuth {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		d := strings.TrimPrefix(req.URL.Path, "/blobs/")
		r.mu.Lock()
		b, ok := r.blobs[d]
		ct := r.ctype[d]
		r.fetches[d]++
		r.mu.Unlock()
		if !ok {
			http.NotFound(w, req)
			return
		}
		if ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.Write(b)
	}))
	t.Cleanup(r.Close)
	return r
}

// add serves blob and returns its Layer.
func (r *registry) add(blob []byte) *loupe.Layer {
	d := layertest.Digest(blob)
	r.mu.Lock()
	r.blobs[d] = blob
	r.mu.Unlock()
	return &loupe.Layer{Hash: loupe.MustParseDigest(d), URI: r.URL + "/blobs/" + d}
}

func (r *registry) count(l *loupe.Layer) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fetches[l.Hash.String()]
}

func newIndexer(t *testing.T) *indexer.Indexer {
	t.Helper()
	store, err := sqlite.OpenIndexer(context.Background(), filepath.Join(t.TempDir(), "indexer.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	ix, err := indexer.New(indexer.Options{Scanners: all.Scanners(), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func manifest(name string, layers ...*loupe.Layer) *loupe.Manifest {
	return &loupe.Manifest{Hash: loupe.MustParseDigest(layertest.Digest([]byte(name))), Layers: layers}
}

// pkgSet renders a report's packages as "db name version src srcversion
// introduced-layer-index".
func pkgSet(r *loupe.IndexReport, layers ...*loupe.Layer) []string {
	var out []string
	for id, p := range r.Packages {
		env := r.Environments[id][0]
		li := slices.IndexFunc(layers, func(l *loupe.Layer) bool { return l.Hash == env.IntroducedIn })
		out = append(out, strings.Join([]string{env.PackageDB, p.Name, p.Version, p.Source.Name, p.Source.Version, string(rune('0' + li))}, " "))
	}
	slices.Sort(out)
	return out
}

var (
	base = layertest.Deb{Name: "base-files", Version: "12.4+deb12u5"}
	bsd  = layertest.Deb{Name: "bsdutils", Version: "1:2.38.1-5+b1", Source: "util-linux (2.38.1-5)"}
	ssl  = layertest.Deb{Name: "libssl3", Version: "3.0.11-1~deb12u2", Source: "openssl"}
	ssl2 = layertest.Deb{Name: "libssl3", Version: "3.0.15-1~deb12u1", Source: "openssl"}
	curl = layertest.Deb{Name: "curl", Version: "7.88.1-10+deb12u8"}
)

func TestIndexSingleLayer(t *testing.T) {
	reg := newRegistry(t)
	l := reg.add(layertest.Gzip(layertest.Tar(
		layertest.File("etc/os-release", layertest.DebianOSRelease("12", "bookworm")),
		layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(base, bsd, ssl)),
		layertest.File("usr/bin/true", "\x7fELF"),
	)))
	ix := newIndexer(t)
	m := manifest("single", l)
	r, err := ix.Index(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != loupe.StateIndexFinished || !r.Success || r.Hash != m.Hash {
		t.Errorf("report state %q success %v hash %v", r.State, r.Success, r.Hash)
	}
	want := []string{
		"var/lib/dpkg/status base-files 12.4+deb12u5 base-files 12.4+deb12u5 0",
		"var/lib/dpkg/status bsdutils 1:2.38.1-5+b1 util-linux 2.38.1-5 0",
		"var/lib/dpkg/status libssl3 3.0.11-1~deb12u2 openssl 3.0.11-1~deb12u2 0",
	}
	if diff := cmp.Diff(want, pkgSet(r, l)); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	if len(r.Distributions) != 1 || r.Distributions["1"].VersionCodeName != "bookworm" {
		t.Errorf("distributions = %v", r.Distributions)
	}
	for id, envs := range r.Environments {
		if envs[0].DistributionID != "1" {
			t.Errorf("package %s environment has distribution %q", id, envs[0].DistributionID)
		}
	}
	// Stored and returned again without touching the layer.
	again, err := ix.Index(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, again, cmp.Comparer(func(a, b loupe.Digest) bool { return a == b })); diff != "" {
		t.Errorf("re-index differs (-first +again):\n%s", diff)
	}
	if n := reg.count(l); n != 1 {
		t.Errorf("layer fetched %d times, want 1", n)
	}
	got, err := ix.Report(context.Background(), m.Hash)
	if err != nil || len(got.Packages) != 3 {
		t.Errorf("Report = %v, %v", got, err)
	}
}

func TestCoalesceAcrossLayers(t *testing.T) {
	osr := layertest.File("etc/os-release", layertest.DebianOSRelease("12", "bookworm"))
	for _, tc := range []struct {
		name   string
		layers [][]layertest.Entry
		want   []string
	}{
		{
			name: "upper layer upgrades and removes packages",
			layers: [][]layertest.Entry{
				{osr, layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(base, bsd, ssl))},
				{layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(base, ssl2, curl))},
				{layertest.File("etc/motd", "hello")},
			},
			want: []string{
				"var/lib/dpkg/status base-files 12.4+deb12u5 base-files 12.4+deb12u5 0",
				"var/lib/dpkg/status curl 7.88.1-10+deb12u8 curl 7.88.1-10+deb12u8 1",
				"var/lib/dpkg/status libssl3 3.0.15-1~deb12u1 openssl 3.0.15-1~deb12u1 1",
			},
		},
		{
			name: "whiteout of the database removes every package",
			layers: [][]layertest.Entry{
				{osr, layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(base, bsd))},
				{layertest.Whiteout("var/lib/dpkg", "status")},
			},
			want: nil,
		},
		{
			name: "a database whited out and written again starts over",
			layers: [][]layertest.Entry{
				{osr, layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(base, bsd))},
				{layertest.Whiteout("var/lib/dpkg", "status")},
				{layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(base))},
			},
			want: []string{"var/lib/dpkg/status base-files 12.4+deb12u5 base-files 12.4+deb12u5 2"},
		},
		{
			name: "whiteout of a parent directory",
			layers: [][]layertest.Entry{
				{osr, layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(base))},
				{layertest.Whiteout("var", "lib")},
			},
			want: nil,
		},
		{
			name: "opaque directory hides the lower database",
			layers: [][]layertest.Entry{
				{osr, layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(base))},
				{layertest.Opaque("var/lib/dpkg"), layertest.File("var/lib/dpkg/available", "")},
			},
			want: nil,
		},
		{
			name: "opaque directory with its own database",
			layers: [][]layertest.Entry{
				{osr, layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(base, bsd))},
				{layertest.Opaque("var/lib/dpkg"), layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(curl))},
			},
			want: []string{"var/lib/dpkg/status curl 7.88.1-10+deb12u8 curl 7.88.1-10+deb12u8 1"},
		},
		{
			name: "whiteout of an unrelated file changes nothing",
			layers: [][]layertest.Entry{
				{osr, layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(base))},
				{layertest.Whiteout("etc", "motd"), layertest.Whiteout("var/lib/dpkg", "status-old")},
			},
			want: []string{"var/lib/dpkg/status base-files 12.4+deb12u5 base-files 12.4+deb12u5 0"},
		},
		{
			name: "distroless status.d: each file is its own database",
			layers: [][]layertest.Entry{
				{osr, layertest.File("var/lib/dpkg/status.d/base", layertest.DpkgStatus(base))},
				{layertest.File("var/lib/dpkg/status.d/libssl3", layertest.DpkgStatus(ssl))},
				{layertest.File("var/lib/dpkg/status.d/curl", layertest.DpkgStatus(curl))},
				{layertest.Whiteout("var/lib/dpkg/status.d", "curl")},
			},
			want: []string{
				"var/lib/dpkg/status.d/base base-files 12.4+deb12u5 base-files 12.4+deb12u5 0",
				"var/lib/dpkg/status.d/libssl3 libssl3 3.0.11-1~deb12u2 openssl 3.0.11-1~deb12u2 1",
			},
		},
		{
			name: "a package removed and installed again is introduced by the reinstall",
			layers: [][]layertest.Entry{
				{osr, layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(base, curl))},
				{layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(base))},
				{layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(base, curl))},
			},
			want: []string{
				"var/lib/dpkg/status base-files 12.4+deb12u5 base-files 12.4+deb12u5 0",
				"var/lib/dpkg/status curl 7.88.1-10+deb12u8 curl 7.88.1-10+deb12u8 2",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := newRegistry(t)
			var layers []*loupe.Layer
			for _, entries := range tc.layers {
				layers = append(layers, reg.add(layertest.Gzip(layertest.Tar(entries...))))
			}
			r, err := newIndexer(t).Index(context.Background(), manifest(tc.name, layers...))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, pkgSet(r, layers...)); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDistributionFromNewestLayer(t *testing.T) {
	reg := newRegistry(t)
	l1 := reg.add(layertest.Tar(layertest.File("etc/os-release", layertest.DebianOSRelease("11", "bullseye")), layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(base))))
	l2 := reg.add(layertest.Tar(layertest.File("etc/os-release", layertest.DebianOSRelease("12", "bookworm"))))
	r, err := newIndexer(t).Index(context.Background(), manifest("upgrade", l1, l2))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Distributions) != 1 || r.Distributions["1"].VersionID != "12" {
		t.Errorf("distributions = %+v, want only bookworm", r.Distributions)
	}
}

func TestSharedLayers(t *testing.T) {
	reg := newRegistry(t)
	baseLayer := reg.add(layertest.Gzip(layertest.Tar(
		layertest.File("etc/os-release", layertest.DebianOSRelease("12", "bookworm")),
		layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(base, bsd)),
	)))
	var apps []*loupe.Layer
	for _, d := range []layertest.Deb{ssl, curl} {
		apps = append(apps, reg.add(layertest.Zstd(layertest.Tar(layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(base, bsd, d))))))
	}
	ix := newIndexer(t)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			app := apps[i%2]
			_, errs[i] = ix.Index(context.Background(), manifest(string(rune('a'+i%2)), baseLayer, app))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := reg.count(baseLayer); n != 1 {
		t.Errorf("shared base layer fetched %d times, want once", n)
	}
	for _, app := range apps {
		if n := reg.count(app); n != 1 {
			t.Errorf("app layer fetched %d times, want once", n)
		}
	}
	// A third image on the same base reads only its own layer.
	extra := reg.add(layertest.Tar(layertest.File("etc/motd", "hi")))
	r, err := ix.Index(context.Background(), manifest("third", baseLayer, extra))
	if err != nil {
		t.Fatal(err)
	}
	if n := reg.count(baseLayer); n != 1 || len(r.Packages) != 2 {
		t.Errorf("base fetched %d times, %d packages; want once and 2", n, len(r.Packages))
	}
}

func TestLayerHeadersAndMediaTypes(t *testing.T) {
	reg := newRegistry(t)
	reg.needAuth = "Bearer secret"
	blob := layertest.Gzip(layertest.Tar(layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(base))))
	l := reg.add(blob)
	l.Headers = http.Header{"Authorization": {"Bearer secret"}}
	reg.ctype[l.Hash.String()] = "application/vnd.oci.image.layer.v1.tar+gzip"
	ix := newIndexer(t)
	if _, err := ix.Index(context.Background(), manifest("auth", l)); err != nil {
		t.Fatalf("with headers: %v", err)
	}
	// A media type that disagrees with the bytes is a bad layer.
	l2 := reg.add(layertest.Zstd(layertest.Tar(layertest.File("a", "b"))))
	l2.Headers = l.Headers
	reg.ctype[l2.Hash.String()] = "application/vnd.oci.image.layer.v1.tar+gzip"
	_, err := ix.Index(context.Background(), manifest("mismatch", l2))
	if !indexer.IsBadLayer(err) {
		t.Errorf("mismatched media type: err = %v, want a bad layer", err)
	}
}

func TestBadInput(t *testing.T) {
	reg := newRegistry(t)
	ix := newIndexer(t)
	good := layertest.Gzip(layertest.Tar(layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(base))))
	corrupt := append([]byte(nil), good...)
	corrupt[len(corrupt)/2] ^= 0xff

	t.Run("corrupt gzip", func(t *testing.T) {
		_, err := ix.Index(context.Background(), manifest("corrupt", reg.add(corrupt)))
		if !indexer.IsBadLayer(err) {
			t.Errorf("err = %v, want a bad layer", err)
		}
	})
	t.Run("digest mismatch", func(t *testing.T) {
		l := reg.add(good)
		l.Hash = loupe.MustParseDigest(layertest.Digest([]byte("something else")))
		l.URI = reg.URL + "/blobs/" + layertest.Digest(good)
		_, err := ix.Index(context.Background(), manifest("mismatch", l))
		if !errors.Is(err, indexer.ErrDigestMismatch) || indexer.IsBadLayer(err) {
			t.Errorf("err = %v, want a digest mismatch that is not a bad layer", err)
		}
	})
	t.Run("hostile tar", func(t *testing.T) {
		l := reg.add(layertest.Tar(
			layertest.File("../../etc/passwd", "root:x:0:0"),
			layertest.Symlink("etc/os-release", "/../../../../etc/os-release"),
			layertest.Symlink("var/lib/dpkg", "/../../../var/lib/dpkg"),
			layertest.File("/var/lib/dpkg/status", layertest.DpkgStatus(base)),
			layertest.Hardlink("var/lib/dpkg/status.d/x", "../../../../etc/shadow"),
		))
		r, err := ix.Index(context.Background(), manifest("hostile", l))
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Packages) != 1 {
			t.Errorf("hostile tar: %d packages, want 1", len(r.Packages))
		}
	})
	t.Run("unreachable then reachable", func(t *testing.T) {
		l := reg.add(layertest.Gzip(layertest.Tar(layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(curl)))))
		m := manifest("flaky", l)
		reg.down.Store(true)
		r, err := ix.Index(context.Background(), m)
		if err == nil || indexer.IsBadLayer(err) {
			t.Fatalf("registry down: err = %v, want a fetch error", err)
		}
		if r.State != loupe.StateIndexError || r.Success || !strings.Contains(r.Err, "503") {
			t.Errorf("error report = %+v", r)
		}
		stored, err := ix.Report(context.Background(), m.Hash)
		if err != nil || stored.State != loupe.StateIndexError {
			t.Errorf("stored report = %+v, %v; want the error report", stored, err)
		}
		reg.down.Store(false)
		r, err = ix.Index(context.Background(), m)
		if err != nil {
			t.Fatalf("retry: %v", err)
		}
		if len(r.Packages) != 1 || r.State != loupe.StateIndexFinished {
			t.Errorf("retry: %+v", r)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		l := &loupe.Layer{Hash: loupe.MustParseDigest(layertest.Digest([]byte("x"))), URI: "http://127.0.0.1:1/blob"}
		if _, err := ix.Index(context.Background(), manifest("refused", l)); err == nil || indexer.IsBadLayer(err) {
			t.Errorf("err = %v, want a fetch error", err)
		}
	})
	t.Run("bogus manifest", func(t *testing.T) {
		if _, err := ix.Index(context.Background(), &loupe.Manifest{Hash: loupe.MustParseDigest(layertest.Digest(nil))}); !errors.Is(err, loupe.ErrBogusManifest) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestFileURI(t *testing.T) {
	blob := layertest.Gzip(layertest.Tar(layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(base, curl))))
	path := filepath.Join(t.TempDir(), "layer.tar.gz")
	if err := os.WriteFile(path, blob, 0o644); err != nil {
		t.Fatal(err)
	}
	l := &loupe.Layer{Hash: loupe.MustParseDigest(layertest.Digest(blob)), URI: "file://" + path}
	r, err := newIndexer(t).Index(context.Background(), manifest("file", l))
	if err != nil || len(r.Packages) != 2 {
		t.Fatalf("file:// layer: %v, %v", r, err)
	}
}

func TestDelete(t *testing.T) {
	reg := newRegistry(t)
	l := reg.add(layertest.Tar(layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(base))))
	ix := newIndexer(t)
	m := manifest("delete", l)
	if _, err := ix.Index(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	gone, err := ix.Delete(context.Background(), m.Hash, manifest("never").Hash)
	if err != nil || len(gone) != 1 || gone[0] != m.Hash {
		t.Errorf("Delete = %v, %v", gone, err)
	}
	if _, err := ix.Report(context.Background(), m.Hash); !errors.Is(err, indexer.ErrNotFound) {
		t.Errorf("Report after delete: %v", err)
	}
	// Its layer's findings went with it: indexing again fetches it.
	if _, err := ix.Index(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if n := reg.count(l); n != 2 {
		t.Errorf("layer fetched %d times, want 2", n)
	}
}

func TestHTTPSLayer(t *testing.T) {
	blob := layertest.Gzip(layertest.Tar(layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(base, ssl))))
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(blob) }))
	defer srv.Close()
	store, err := sqlite.OpenIndexer(context.Background(), filepath.Join(t.TempDir(), "indexer.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ix, err := indexer.New(indexer.Options{Scanners: all.Scanners(), Store: store, Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	l := &loupe.Layer{Hash: loupe.MustParseDigest(layertest.Digest(blob)), URI: srv.URL + "/blob"}
	r, err := ix.Index(context.Background(), manifest("https", l))
	if err != nil || len(r.Packages) != 2 {
		t.Fatalf("https layer: %v, %v", r, err)
	}
	// A client that does not trust the server's certificate fails, and
	// that is a fetch error, not a bad layer.
	ix2 := newIndexer(t) // its own store: nothing of the layer is known yet
	if _, err := ix2.Index(context.Background(), manifest("https-untrusted", l)); err == nil || indexer.IsBadLayer(err) {
		t.Errorf("untrusted certificate: err = %v", err)
	}
}
