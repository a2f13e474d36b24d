package deploy

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/template"
)

//go:embed nginx/loupe.conf.tmpl
var nginxTemplate string

var nginxTmpl = template.Must(template.New("loupe.conf").Option("missingkey=error").Parse(nginxTemplate))

// Nginx is what varies between nginx configurations for Loupe in
// distributed mode. Render turns it into a complete nginx.conf.
type Nginx struct {
	// Listen is the argument of the server's listen directive: a port
	// ("80"), or an address and port ("127.0.0.1:8080", "[::]:80").
	Listen string
	// Indexers, Matchers and Notifiers are the upstream servers of each
	// service, host:port, one per Loupe process. Each list needs at least
	// one.
	Indexers, Matchers, Notifiers []string
	// RuntimeDir, when set, is an absolute directory that receives the pid
	// file, the error and access logs and nginx's temporary directories, so
	// that nginx runs without root: nginx -c FILE -p RuntimeDir -e stderr.
	// When empty, the system's paths are used (/run/nginx.pid,
	// /var/log/nginx, the compiled-in temporary directories).
	RuntimeDir string
}

// DefaultNginx returns the values deploy/nginx/loupe.conf is rendered
// with: port 80 and placeholder host names, two indexers, two matchers and
// one notifier.
func DefaultNginx() Nginx {
	return Nginx{
		Listen:    "80",
		Indexers:  []string{"loupe-indexer-1:6060", "loupe-indexer-2:6060"},
		Matchers:  []string{"loupe-matcher-1:6060", "loupe-matcher-2:6060"},
		Notifiers: []string{"loupe-notifier-1:6060"},
	}
}

// Render returns the nginx.conf for n, or an error naming the field that
// cannot go into an nginx configuration as it is.
func (n Nginx) Render() ([]byte, error) {
	if err := n.check(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := nginxTmpl.Execute(&b, n); err != nil {
		return nil, fmt.Errorf("nginx config: %w", err)
	}
	return b.Bytes(), nil
}

func (n Nginx) check() error {
	var errs []error
	if n.Listen == "" || !nginxToken(n.Listen) {
		errs = append(errs, fmt.Errorf("nginx config: Listen %q is not a port or address:port", n.Listen))
	}
	for _, up := range []struct {
		field string
		addrs []string
	}{{"Indexers", n.Indexers}, {"Matchers", n.Matchers}, {"Notifiers", n.Notifiers}} {
		if len(up.addrs) == 0 {
			errs = append(errs, fmt.Errorf("nginx config: %s is empty", up.field))
		}
		for _, a := range up.addrs {
			host, port, err := net.SplitHostPort(a)
			if err != nil || host == "" || port == "" || !nginxToken(a) {
				errs = append(errs, fmt.Errorf("nginx config: %s: %q is not host:port", up.field, a))
			}
		}
	}
	if d := n.RuntimeDir; d != "" && (!filepath.IsAbs(d) || !nginxToken(d)) {
		errs = append(errs, fmt.Errorf("nginx config: RuntimeDir %q is not an absolute path without spaces or quotes", d))
	}
	return errors.Join(errs...)
}

// nginxToken reports whether s can stand unquoted as one argument of an
// nginx directive.
func nginxToken(s string) bool {
	return !strings.ContainsAny(s, " \t\r\n;{}#'\"$\\")
}

// NginxPath returns the nginx binary: the one on PATH, else
// /usr/sbin/nginx, which unprivileged users' PATH often lacks.
func NginxPath() (string, error) {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p, nil
	}
	const sbin = "/usr/sbin/nginx"
	if fi, err := os.Stat(sbin); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
		return sbin, nil
	}
	return "", errors.New("nginx not found on PATH or at /usr/sbin/nginx")
}
