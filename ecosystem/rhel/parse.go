package rhel

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/loupe-dev/loupe"
)

// Bounds on what a feed may hold.
const (
	maxDocumentSize  = 256 << 20 // one CSAF document
	maxDeletionsSize = 64 << 20  // deletions.csv
)

// Parse implements updater.Updater. It reads any of:
//
//   - what Fetch returns: a tar holding deletions.csv, the documents
//     changed since the archive (changes/YYYY/cve-….json) and the archive
//     itself (archive/csaf_vex_YYYY-MM-DD.tar.zst);
//   - Red Hat's archive alone, a tar.zst (or tar.gz, or tar) of
//     YYYY/cve-….json documents;
//   - a single CSAF document.
//
// Documents are parsed in parallel. The first copy of a document (by its
// YYYY/name.json path) wins, so changed documents replace the archive's
// copies; documents listed in deletions.csv are dropped. Documents of
// CVEs older than min_year are skipped. A document that does not decode,
// or that is too large, is skipped with a warning; an archive that does
// not decompress or untar fails the parse.
func (u *Updater) Parse(ctx context.Context, body io.Reader) ([]*loupe.Vulnerability, error) {
	vulns, stats, err := u.parse(ctx, body)
	if err != nil {
		return nil, err
	}
	slog.InfoContext(ctx, "rhel-vex feed parsed", "documents", stats.Documents, "skipped", stats.Skipped,
		"vulnerabilities", len(vulns), "unusable_products", stats.Products,
		"not_affected_overrides", stats.NotAffected, "under_investigation", stats.Investigating)
	return vulns, nil
}

func (u *Updater) parse(ctx context.Context, body io.Reader) ([]*loupe.Vulnerability, ParseStats, error) {
	fp := &feedParser{
		updater:      u.Name(),
		ignoreKernel: u.cfg.IgnoreKernelPackages,
		minYear:      u.minYear(),
		seen:         make(map[string]bool),
		deleted:      make(map[string]bool),
	}
	return fp.run(ctx, body)
}

// feedParser reads documents from a feed and parses them in a pool of
// workers.
type feedParser struct {
	updater      string
	ignoreKernel bool
	minYear      int

	// Owned by the reading goroutine.
	seen    map[string]bool
	deleted map[string]bool
	seq     int
	old     int // documents left out by year before parsing

	jobs chan job
	mu   sync.Mutex
	docs []parsedDoc // by sequence number
	errs int
}

type job struct {
	seq  int
	key  string
	data []byte
}

type parsedDoc struct {
	key   string
	vulns []*loupe.Vulnerability
	stats ParseStats
}

func (fp *feedParser) run(ctx context.Context, body io.Reader) ([]*loupe.Vulnerability, ParseStats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := max(1, runtime.GOMAXPROCS(0))
	fp.jobs = make(chan job, 2*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fp.work(ctx)
		}()
	}
	err := fp.read(ctx, body)
	close(fp.jobs)
	wg.Wait()
	stats := ParseStats{Skipped: fp.old}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, stats, err
	}
	n := 0
	for i := range fp.docs {
		n += len(fp.docs[i].vulns)
	}
	out := make([]*loupe.Vulnerability, 0, n)
	for i := range fp.docs {
		d := &fp.docs[i]
		stats.add(d.stats)
		if d.key != "" && fp.deleted[d.key] {
			if d.stats.Documents > 0 {
				stats.Documents--
				stats.Skipped++
			}
			continue
		}
		out = append(out, d.vulns...)
	}
	if stats.Documents == 0 && fp.errs > 0 {
		return nil, stats, fmt.Errorf("rhel-vex: none of %d documents could be parsed", fp.errs)
	}
	return out, stats, nil
}

func (fp *feedParser) work(ctx context.Context) {
	p := newParser(fp.updater, fp.ignoreKernel)
	for j := range fp.jobs {
		if ctx.Err() != nil {
			continue // drain
		}
		p.stats = ParseStats{}
		id, vulns, err := p.parse(j.data)
		switch {
		case err == nil && fp.tooOld(id):
			vulns = nil
			p.stats.Skipped++
		case err == nil:
			p.stats.Documents++
		case errors.Is(err, errDeleted):
			p.stats.Skipped++
		default:
			p.stats.Skipped++
			fp.mu.Lock()
			fp.errs++
			n := fp.errs
			fp.mu.Unlock()
			if n <= 10 {
				slog.WarnContext(ctx, "rhel-vex: skipping malformed document", "document", j.key, "reason", err)
			}
		}
		fp.mu.Lock()
		fp.docs[j.seq] = parsedDoc{key: j.key, vulns: vulns, stats: p.stats}
		fp.mu.Unlock()
	}
}

// tooOld reports whether a tracking ID ("CVE-2014-0160", "RHSA-2014:0376")
// names a year before the minimum.
func (fp *feedParser) tooOld(id string) bool {
	if fp.minYear <= 0 {
		return false
	}
	_, rest, ok := strings.Cut(id, "-")
	if !ok || len(rest) < 4 {
		return false
	}
	y, err := strconv.Atoi(rest[:4])
	return err == nil && y < fp.minYear
}

// dispatch hands a document to the workers, unless one with the same key
// came first.
func (fp *feedParser) dispatch(ctx context.Context, key string, data []byte) error {
	if key != "" {
		if fp.seen[key] || fp.deleted[key] {
			return nil
		}
		fp.seen[key] = true
		if y := keyYear(key); y > 0 && y < fp.minYear {
			fp.old++
			return nil
		}
	}
	fp.mu.Lock()
	fp.docs = append(fp.docs, parsedDoc{})
	fp.mu.Unlock()
	select {
	case fp.jobs <- job{seq: fp.seq, key: key, data: data}:
		fp.seq++
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

var (
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
	gzipMagic = []byte{0x1f, 0x8b}
)

// read sniffs the body's format and reads it.
func (fp *feedParser) read(ctx context.Context, body io.Reader) error {
	br := bufio.NewReaderSize(body, 1<<20)
	head, _ := br.Peek(512)
	switch {
	case bytes.HasPrefix(head, zstdMagic), bytes.HasPrefix(head, gzipMagic):
		return fp.readArchive(ctx, br, 0)
	case isTar(head):
		return fp.readTar(ctx, br, 0)
	}
	trimmed := bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		b, err := io.ReadAll(io.LimitReader(br, maxDocumentSize+1))
		if err != nil {
			return fmt.Errorf("rhel-vex: reading document: %w", err)
		}
		if len(b) > maxDocumentSize {
			return errors.New("rhel-vex: document too large")
		}
		return fp.dispatch(ctx, "", b)
	}
	if len(head) == 0 {
		return errors.New("rhel-vex: empty feed")
	}
	return errors.New("rhel-vex: feed is neither a CSAF document nor an archive of them")
}

func isTar(head []byte) bool {
	return len(head) >= 262 && string(head[257:262]) == "ustar"
}

// readArchive decompresses a zstd or gzip archive and reads the tar in it.
func (fp *feedParser) readArchive(ctx context.Context, r io.Reader, depth int) error {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 1<<20)
	}
	head, _ := br.Peek(4)
	var src io.Reader
	switch {
	case bytes.HasPrefix(head, zstdMagic):
		zr, err := zstd.NewReader(br)
		if err != nil {
			return fmt.Errorf("rhel-vex: archive: %w", err)
		}
		defer zr.Close()
		src = zr
	case bytes.HasPrefix(head, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("rhel-vex: archive: %w", err)
		}
		defer zr.Close()
		src = zr
	default:
		src = br
	}
	return fp.readTar(ctx, src, depth)
}

// readTar reads a tar of documents, or Fetch's tar holding the archive.
func (fp *feedParser) readTar(ctx context.Context, r io.Reader, depth int) error {
	tr := tar.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("rhel-vex: archive: %w", err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		name := cleanEntryName(hdr.Name)
		base := path.Base(name)
		switch {
		case base == "deletions.csv":
			b, err := io.ReadAll(io.LimitReader(tr, maxDeletionsSize))
			if err != nil {
				return fmt.Errorf("rhel-vex: deletions: %w", err)
			}
			for _, p := range readCSVPaths(b) {
				fp.deleted[docKey(p)] = true
			}
		case depth == 0 && isArchiveName(base):
			if err := fp.readArchive(ctx, tr, depth+1); err != nil {
				return fmt.Errorf("%s: %w", base, err)
			}
		case strings.HasSuffix(base, ".json"):
			key := docKey(name)
			if fp.seen[key] || fp.deleted[key] {
				continue
			}
			if hdr.Size > maxDocumentSize {
				slog.WarnContext(ctx, "rhel-vex: skipping oversized document", "document", name, "size", hdr.Size)
				continue
			}
			if y := keyYear(key); y > 0 && y < fp.minYear {
				fp.seen[key] = true
				fp.old++
				continue
			}
			b := make([]byte, hdr.Size)
			if _, err := io.ReadFull(tr, b); err != nil {
				return fmt.Errorf("rhel-vex: archive: %s: %w", name, err)
			}
			if err := fp.dispatch(ctx, key, b); err != nil {
				return err
			}
		}
	}
}

func isArchiveName(base string) bool {
	for _, s := range []string{".tar.zst", ".tar.gz", ".tgz", ".tar"} {
		if strings.HasSuffix(base, s) {
			return true
		}
	}
	return false
}

func cleanEntryName(name string) string {
	name = path.Clean("/" + name)
	return strings.TrimPrefix(name, "/")
}

// docKey identifies a document by its path in Red Hat's tree,
// "2024/cve-2024-1234.json", whatever directory holds that tree.
func docKey(name string) string {
	name = strings.ToLower(cleanEntryName(strings.TrimSpace(name)))
	base := path.Base(name)
	dir := path.Base(path.Dir(name))
	if len(dir) == 4 && strings.Trim(dir, "0123456789") == "" {
		return dir + "/" + base
	}
	return base
}

// keyYear returns the year of a document key, 0 if it has none.
func keyYear(key string) int {
	if len(key) > 5 && key[4] == '/' {
		if y, err := strconv.Atoi(key[:4]); err == nil {
			return y
		}
	}
	return 0
}

// readCSVPaths returns the first column of changes.csv or deletions.csv:
// "2024/cve-2024-1234.json","2025-01-01T00:00:00+00:00" lines. Malformed
// lines are skipped.
func readCSVPaths(b []byte) []string {
	var out []string
	for _, rec := range readCSV(b) {
		out = append(out, rec.path)
	}
	return out
}

type csvRecord struct {
	path, time string
}

func readCSV(b []byte) []csvRecord {
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	var out []csvRecord
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				continue
			}
			return out
		}
		if len(rec) == 0 || rec[0] == "" {
			continue
		}
		c := csvRecord{path: strings.TrimSpace(rec[0])}
		if len(rec) > 1 {
			c.time = strings.TrimSpace(rec[1])
		}
		out = append(out, c)
	}
}
