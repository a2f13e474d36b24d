package main

import (
	"bytes"
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/config"
	"github.com/loupe-dev/loupe/internal/layertest"
	"github.com/loupe-dev/loupe/server"
)

// feed is a small sample in the Debian security tracker's JSON format.
// It is illustrative, not authoritative: use the real tracker (Loupe's
// default) for real scans.
//
//go:embed feed.json
var feed []byte

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	serve := fs.Bool("serve", false, "keep Loupe running after printing the report")
	dir := fs.String("dir", "", "working directory for the database, feed and layer (default: a new temporary directory)")
	verbose := fs.Bool("v", false, "show Loupe's logs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))

	if *dir == "" {
		d, err := os.MkdirTemp("", "loupe-quickstart-")
		if err != nil {
			return err
		}
		*dir = d
	}
	feedPath := filepath.Join(*dir, "debian-tracker-sample.json")
	if err := os.WriteFile(feedPath, feed, 0o644); err != nil {
		return err
	}
	layerPath, layer, err := writeLayer(*dir)
	if err != nil {
		return err
	}

	// The whole configuration: the embedded database, the Debian updater
	// pointed at the sample feed, everything else at its default.
	cfg := &config.Config{
		HTTPListenAddr:    "127.0.0.1:0",
		IntrospectionAddr: "127.0.0.1:0",
		DataDir:           filepath.Join(*dir, "data"),
		Updaters: config.Updaters{
			Sets:   []string{"debian"},
			Config: map[string]json.RawMessage{"debian": json.RawMessage(fmt.Sprintf(`{"json_url": %q}`, "file://"+feedPath))},
		},
	}
	if _, err := config.Validate(cfg, config.ComboMode); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPListenAddr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- server.Run(ctx, server.Options{Config: cfg, Mode: config.ComboMode, Listener: ln, Ready: func(net.Addr) { close(ready) }})
	}()
	select {
	case <-ready:
	case err := <-done:
		return err
	}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "Loupe is running in combo mode at %s (data in %s)\n", base, cfg.DataDir)

	manifest := loupe.Manifest{
		Hash:   loupe.MustParseDigest(layertest.Digest([]byte("quickstart image " + layer.Hash.String()))),
		Layers: []*loupe.Layer{layer},
	}
	fmt.Fprintf(stdout, "Indexing image %s (one layer, %s)\n", manifest.Hash, layerPath)
	if err := post(base+"/indexer/api/v1/index_report", manifest); err != nil {
		return err
	}
	report, err := vulnerabilityReport(ctx, base+"/matcher/api/v1/vulnerability_report/"+manifest.Hash.String())
	if err != nil {
		return err
	}
	printReport(stdout, report)

	if *serve {
		fmt.Fprintf(stdout, "\nLoupe keeps running; try:\n  curl -s %s/matcher/api/v1/vulnerability_report/%s\nPress Ctrl-C to stop.\n", base, manifest.Hash)
		<-ctx.Done()
	}
	cancel()
	return <-done
}

// writeLayer builds a small Debian bookworm layer: an os-release and a
// dpkg database, some of whose packages the sample feed affects.
func writeLayer(dir string) (string, *loupe.Layer, error) {
	debs := []layertest.Deb{
		{Name: "base-files", Version: "12.4+deb12u5"},
		{Name: "bash", Version: "5.2.15-2+b2"},
		{Name: "bsdutils", Version: "1:2.38.1-5+b1", Source: "util-linux (2.38.1-5)"},
		{Name: "mount", Version: "2.38.1-5+b1", Source: "util-linux"},
		{Name: "curl", Version: "7.88.1-10+deb12u8"},
		{Name: "libc6", Version: "2.36-9+deb12u7", Source: "glibc"},
		{Name: "openssh-client", Version: "1:9.2p1-2+deb12u2", Source: "openssh"},
		{Name: "tar", Version: "1.34+dfsg-1.2+deb12u1"},
		{Name: "liblzma5", Version: "5.4.1-0.2", Source: "xz-utils"},
		{Name: "tzdata", Version: "2024a-0+deb12u1", Arch: "all"},
	}
	blob := layertest.Gzip(layertest.Tar(
		layertest.Dir("etc"),
		layertest.File("etc/os-release", layertest.DebianOSRelease("12", "bookworm")),
		layertest.Dir("var/lib/dpkg"),
		layertest.File("var/lib/dpkg/status", layertest.DpkgStatus(debs...)),
	))
	path := filepath.Join(dir, "layer.tar.gz")
	if err := os.WriteFile(path, blob, 0o644); err != nil {
		return "", nil, err
	}
	return path, &loupe.Layer{Hash: loupe.MustParseDigest(layertest.Digest(blob)), URI: "file://" + path}, nil
}

func post(url string, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	res, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		msg, _ := io.ReadAll(res.Body)
		return fmt.Errorf("index: %s: %s", res.Status, msg)
	}
	return nil
}

// vulnerabilityReport waits for the first vulnerability data (202 until
// the updater has landed it), then returns the report.
func vulnerabilityReport(ctx context.Context, url string) (*loupe.VulnerabilityReport, error) {
	for {
		res, err := http.Get(url)
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return nil, err
		}
		switch res.StatusCode {
		case http.StatusOK:
			var r loupe.VulnerabilityReport
			return &r, json.Unmarshal(b, &r)
		case http.StatusAccepted:
		default:
			return nil, fmt.Errorf("vulnerability report: %s: %s", res.Status, b)
		}
		select {
		case <-ctx.Done():
			return nil, errors.New("interrupted while waiting for vulnerability data")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func printReport(stdout io.Writer, r *loupe.VulnerabilityReport) {
	type row struct {
		pkg, version, vuln, fixed string
		sev                       loupe.Severity
	}
	var rows []row
	for pid, vids := range r.PackageVulnerabilities {
		p := r.Packages[pid]
		for _, vid := range vids {
			v := r.Vulnerabilities[vid]
			fixed := v.FixedInVersion
			if fixed == "" {
				fixed = "(no fix yet)"
			}
			rows = append(rows, row{p.Name, p.Version, v.Name, fixed, v.NormalizedSeverity})
		}
	}
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(cmp.Compare(b.sev, a.sev), cmp.Compare(a.pkg, b.pkg), cmp.Compare(a.vuln, b.vuln))
	})
	fmt.Fprintf(stdout, "\n%d packages, %d vulnerable, %d vulnerabilities:\n\n", len(r.Packages), len(r.PackageVulnerabilities), len(r.Vulnerabilities))
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PACKAGE\tINSTALLED\tVULNERABILITY\tSEVERITY\tFIXED IN")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.pkg, r.version, r.vuln, r.sev, r.fixed)
	}
	tw.Flush()
}
