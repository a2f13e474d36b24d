package rhel

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// DefaultRepo2CPEURL is Red Hat's repository-to-CPE mapping, the file
// Clair's repository scanner reads.
const DefaultRepo2CPEURL = "https://security.access.redhat.com/data/metrics/repository-to-cpe.json"

// Repo2CPE is Red Hat's mapping from repository IDs (content sets) to the
// CPEs of the products they ship, {"data": {"<repoid>": {"cpes": [...]}}}.
//
// A Matcher that has one resolves every content set through it, which
// covers layered products (Satellite, Ansible, JBoss, …) that DeriveCPEs
// does not know; without one, or for IDs the mapping lacks, the matcher
// derives CPEs from the ID. The mapping is read at match time, so a new
// mapping applies to images indexed before it, without indexing them
// again.
//
// The zero Repo2CPE holds no mapping. It is safe for concurrent use.
type Repo2CPE struct {
	data atomic.Pointer[map[string][]string]

	mu           sync.Mutex // serializes Refresh
	lastModified string
}

// Load replaces the mapping with the one r holds (JSON, optionally gzip-
// or zstd-compressed).
func (m *Repo2CPE) Load(r io.Reader) error {
	br := bufio.NewReader(r)
	magic, _ := br.Peek(4)
	var src io.Reader = br
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("rhel: repository-to-cpe mapping: %w", err)
		}
		defer zr.Close()
		src = zr
	case len(magic) == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd:
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return fmt.Errorf("rhel: repository-to-cpe mapping: %w", err)
		}
		defer zr.Close()
		src = zr
	}
	var file struct {
		Data map[string]struct {
			CPEs []string `json:"cpes"`
		} `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(src, 256<<20)).Decode(&file); err != nil {
		return fmt.Errorf("rhel: repository-to-cpe mapping: %w", err)
	}
	if len(file.Data) == 0 {
		return errors.New("rhel: repository-to-cpe mapping: no repositories")
	}
	data := make(map[string][]string, len(file.Data))
	for id, r := range file.Data {
		var cpes []string
		for _, c := range r.CPEs {
			if fs := formatCPE(c); fs != "" {
				cpes = append(cpes, fs)
			}
		}
		data[id] = cpes
	}
	m.data.Store(&data)
	return nil
}

// LoadFile loads the mapping from a file.
func (m *Repo2CPE) LoadFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("rhel: repository-to-cpe mapping: %w", err)
	}
	defer f.Close()
	return m.Load(f)
}

// Refresh fetches the mapping from rawURL (http, https or file), sending
// If-Modified-Since after a first success; an unmodified or failed fetch
// keeps the mapping in use.
func (m *Repo2CPE) Refresh(ctx context.Context, client *http.Client, rawURL string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("rhel: repository-to-cpe mapping url: %w", err)
	}
	switch u.Scheme {
	case "file":
		return m.LoadFile(u.Path)
	case "http", "https":
	default:
		return fmt.Errorf("rhel: repository-to-cpe mapping url %q: scheme must be http, https or file", rawURL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	if m.lastModified != "" && m.Len() > 0 {
		req.Header.Set("If-Modified-Since", m.lastModified)
	}
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("rhel: repository-to-cpe mapping: %w", err)
	}
	defer res.Body.Close()
	switch res.StatusCode {
	case http.StatusOK:
	case http.StatusNotModified:
		return nil
	default:
		return fmt.Errorf("rhel: repository-to-cpe mapping: %s: unexpected status %s", u.Redacted(), res.Status)
	}
	if err := m.Load(res.Body); err != nil {
		return err
	}
	m.lastModified = res.Header.Get("Last-Modified")
	return nil
}

// Run refreshes the mapping now and then every period (24h when 0)
// until ctx ends, logging failures: the mapping in use stays.
func (m *Repo2CPE) Run(ctx context.Context, client *http.Client, rawURL string, period time.Duration) {
	if period <= 0 {
		period = 24 * time.Hour
	}
	for {
		if err := m.Refresh(ctx, client, rawURL); err != nil && ctx.Err() == nil {
			slog.WarnContext(ctx, "repository-to-cpe mapping not refreshed; keeping the one in use", "reason", err)
		}
		t := time.NewTimer(period)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Len returns the number of repositories the mapping knows.
func (m *Repo2CPE) Len() int {
	if d := m.data.Load(); d != nil {
		return len(*d)
	}
	return 0
}

// CPEs returns the CPEs (formatted strings) of a repository, and whether
// the mapping knows it.
func (m *Repo2CPE) CPEs(repoID string) ([]string, bool) {
	if m == nil {
		return nil, false
	}
	d := m.data.Load()
	if d == nil {
		return nil, false
	}
	cpes, ok := (*d)[repoID]
	return cpes, ok
}

// RepositoryScannerName is the configuration key of Red Hat's repository
// settings, indexer.scanner.repo.<RepositoryScannerName>, as in Clair.
const RepositoryScannerName = "rhel-repository-scanner"

// RepositoryScannerConfig is Clair's configuration of its Red Hat
// repository scanner. Loupe reads the mapping it names in the matcher,
// where content sets are resolved (see Repo2CPE).
type RepositoryScannerConfig struct {
	// Repo2CPEMappingURL is where the mapping is fetched from (http,
	// https or file), once a day. Empty means DefaultRepo2CPEURL, unless
	// Repo2CPEMappingFile is set.
	Repo2CPEMappingURL string `json:"repo2cpe_mapping_url"`
	// Repo2CPEMappingFile is a copy of the mapping, read at start; with
	// no URL set, it is the only source (air-gapped installs).
	Repo2CPEMappingFile string `json:"repo2cpe_mapping_file"`
}

// OpenRepo2CPE returns the mapping cfg describes, with the file loaded
// (an error if it cannot be), and the URL to keep it fresh from with Run,
// "" for none: Repo2CPEMappingURL, or, when neither key is set and
// useDefault (Red Hat's data is being updated here), DefaultRepo2CPEURL.
// m is nil when there is nothing to read: the matcher then derives CPEs
// from repository IDs alone.
func OpenRepo2CPE(cfg RepositoryScannerConfig, useDefault bool) (m *Repo2CPE, refreshURL string, err error) {
	m = new(Repo2CPE)
	if cfg.Repo2CPEMappingFile != "" {
		if err := m.LoadFile(cfg.Repo2CPEMappingFile); err != nil {
			return nil, "", err
		}
	}
	refreshURL = cfg.Repo2CPEMappingURL
	if refreshURL == "" && cfg.Repo2CPEMappingFile == "" && useDefault {
		refreshURL = DefaultRepo2CPEURL
	}
	if refreshURL == "" && m.Len() == 0 {
		return nil, "", nil
	}
	return m, refreshURL, nil
}
