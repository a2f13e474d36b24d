package rhel

import (
	"errors"
	"net/url"
	"strings"
)

// purl is the part of a package URL (https://github.com/package-url/purl-spec)
// that Red Hat's data uses: "pkg:rpm/redhat/name@version?arch=…&epoch=…&rpmmod=…".
type purl struct {
	Type, Namespace, Name, Version string
	Arch, Epoch, RPMMod            string
}

var errBadPURL = errors.New("malformed package url")

// parsePURL parses a package URL. Only the qualifiers Red Hat's rpm data
// uses are kept; others are ignored.
func parsePURL(s string) (purl, error) {
	var p purl
	rest, ok := strings.CutPrefix(s, "pkg:")
	if !ok {
		return p, errBadPURL
	}
	rest, _, _ = strings.Cut(rest, "#") // subpath
	rest, quals, _ := strings.Cut(rest, "?")
	rest = strings.TrimLeft(rest, "/")
	typ, rest, ok := strings.Cut(rest, "/")
	if !ok || typ == "" {
		return p, errBadPURL
	}
	p.Type = strings.ToLower(typ)
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		v, err := url.PathUnescape(rest[i+1:])
		if err != nil {
			return p, errBadPURL
		}
		p.Version, rest = v, rest[:i]
	}
	ns, name := "", rest
	if i := strings.LastIndexByte(rest, '/'); i >= 0 {
		ns, name = rest[:i], rest[i+1:]
	}
	var err error
	if p.Name, err = url.PathUnescape(name); err != nil || p.Name == "" {
		return p, errBadPURL
	}
	if p.Namespace, err = url.PathUnescape(ns); err != nil {
		return p, errBadPURL
	}
	for quals != "" {
		var kv string
		kv, quals, _ = strings.Cut(quals, "&")
		k, v, _ := strings.Cut(kv, "=")
		v, err := url.PathUnescape(v)
		if err != nil {
			return p, errBadPURL
		}
		switch strings.ToLower(k) {
		case "arch":
			p.Arch = v
		case "epoch":
			p.Epoch = v
		case "rpmmod":
			p.RPMMod = v
		}
	}
	return p, nil
}

// evr returns the package's version as Clair writes fixed versions:
// "epoch:version-release", the epoch 0 when the purl gives none; "" when
// the purl has no version.
func (p *purl) evr() string {
	if p.Version == "" {
		return ""
	}
	e := p.Epoch
	if e == "" {
		e = "0"
	}
	return e + ":" + p.Version
}

var errBadModule = errors.New("malformed rpmmod qualifier")

// module returns the "name:stream" of the package's module, "" when it
// has none. A module label without a stream is an error.
func (p *purl) module() (string, error) {
	if p.RPMMod == "" {
		return "", nil
	}
	return moduleStream(p.RPMMod)
}

// moduleStream reduces a modularity label, "name:stream[:version[:context]]",
// to "name:stream".
func moduleStream(label string) (string, error) {
	name, rest, ok := strings.Cut(label, ":")
	stream, _, _ := strings.Cut(rest, ":")
	if !ok || name == "" || stream == "" {
		return "", errBadModule
	}
	return name + ":" + stream, nil
}
