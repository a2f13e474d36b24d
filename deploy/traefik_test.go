package deploy

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// The Traefik files are checked against the small part of Traefik v3's
// file-provider schema they use, mirrored below: Traefik's own Go module
// would pull in most of Traefik. Field names are Traefik's (its
// configuration reference); a key outside these structs fails the test,
// so using a new Traefik option means adding it here.

type traefikDynamic struct {
	HTTP struct {
		Routers           map[string]traefikRouter           `yaml:"routers"`
		Services          map[string]traefikService          `yaml:"services"`
		Middlewares       map[string]traefikMiddleware       `yaml:"middlewares"`
		ServersTransports map[string]traefikServersTransport `yaml:"serversTransports"`
	} `yaml:"http"`
}

type traefikRouter struct {
	EntryPoints []string `yaml:"entryPoints"`
	Rule        string   `yaml:"rule"`
	Service     string   `yaml:"service"`
	Priority    int      `yaml:"priority"`
	Middlewares []string `yaml:"middlewares"`
}

type traefikService struct {
	LoadBalancer *struct {
		Servers []struct {
			URL string `yaml:"url"`
		} `yaml:"servers"`
		HealthCheck *struct {
			Path     string `yaml:"path"`
			Port     int    `yaml:"port"`
			Interval string `yaml:"interval"`
			Timeout  string `yaml:"timeout"`
		} `yaml:"healthCheck"`
		PassHostHeader   *bool  `yaml:"passHostHeader"`
		ServersTransport string `yaml:"serversTransport"`
	} `yaml:"loadBalancer"`
}

type traefikMiddleware struct {
	Retry *struct {
		Attempts        int    `yaml:"attempts"`
		InitialInterval string `yaml:"initialInterval"`
	} `yaml:"retry"`
	IPAllowList *struct {
		SourceRange []string `yaml:"sourceRange"`
	} `yaml:"ipAllowList"`
}

type traefikServersTransport struct {
	MaxIdleConnsPerHost int `yaml:"maxIdleConnsPerHost"`
	ForwardingTimeouts  *struct {
		DialTimeout           string `yaml:"dialTimeout"`
		ResponseHeaderTimeout string `yaml:"responseHeaderTimeout"`
		IdleConnTimeout       string `yaml:"idleConnTimeout"`
	} `yaml:"forwardingTimeouts"`
}

type traefikStatic struct {
	EntryPoints map[string]struct {
		Address   string `yaml:"address"`
		Transport *struct {
			RespondingTimeouts *struct {
				ReadTimeout  string `yaml:"readTimeout"`
				WriteTimeout string `yaml:"writeTimeout"`
				IdleTimeout  string `yaml:"idleTimeout"`
			} `yaml:"respondingTimeouts"`
			LifeCycle *struct {
				RequestAcceptGraceTimeout string `yaml:"requestAcceptGraceTimeout"`
				GraceTimeOut              string `yaml:"graceTimeOut"`
			} `yaml:"lifeCycle"`
		} `yaml:"transport"`
	} `yaml:"entryPoints"`
	Ping *struct {
		EntryPoint string `yaml:"entryPoint"`
	} `yaml:"ping"`
	Providers struct {
		File *struct {
			Directory string `yaml:"directory"`
			Filename  string `yaml:"filename"`
			Watch     bool   `yaml:"watch"`
		} `yaml:"file"`
	} `yaml:"providers"`
	Log *struct {
		Level string `yaml:"level"`
	} `yaml:"log"`
	AccessLog *struct{} `yaml:"accessLog"`
}

// decodeYAMLStrict decodes the YAML file into v, refusing unknown keys.
func decodeYAMLStrict(t *testing.T, file string, v any) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// Loupe closes idle connections after this long (server.Run's
// IdleTimeout); a proxy must let go of them first.
const loupeIdleTimeout = 2 * time.Minute

func TestTraefik(t *testing.T) {
	var st traefikStatic
	decodeYAMLStrict(t, "traefik/traefik.yaml", &st)
	var dyn traefikDynamic
	decodeYAMLStrict(t, "traefik/dynamic.yaml", &dyn)
	h := &dyn.HTTP

	duration := func(where, s string) time.Duration {
		t.Helper()
		if s == "" {
			return 0
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Errorf("%s: %v", where, err)
		}
		return d
	}

	// Static configuration.
	if len(st.EntryPoints) == 0 {
		t.Error("static: no entry points")
	}
	for name, ep := range st.EntryPoints {
		if _, _, err := net.SplitHostPort(ep.Address); err != nil {
			t.Errorf("static: entry point %s: address %q: %v", name, ep.Address, err)
		}
		if tr := ep.Transport; tr != nil {
			if rt := tr.RespondingTimeouts; rt != nil {
				duration("entry point "+name+" readTimeout", rt.ReadTimeout)
				duration("entry point "+name+" idleTimeout", rt.IdleTimeout)
				if w := duration("entry point "+name+" writeTimeout", rt.WriteTimeout); w != 0 && w < 30*time.Minute {
					t.Errorf("static: entry point %s: writeTimeout %v cuts index requests short", name, w)
				}
			}
			if lc := tr.LifeCycle; lc != nil {
				duration("entry point "+name+" requestAcceptGraceTimeout", lc.RequestAcceptGraceTimeout)
				duration("entry point "+name+" graceTimeOut", lc.GraceTimeOut)
			}
		}
	}
	if st.Ping != nil {
		if _, ok := st.EntryPoints[st.Ping.EntryPoint]; !ok {
			t.Errorf("static: ping on entry point %q, which does not exist", st.Ping.EntryPoint)
		}
	}
	if f := st.Providers.File; f == nil || (f.Directory == "") == (f.Filename == "") {
		t.Error("static: want the file provider, with a directory or a filename")
	}

	// Dynamic configuration: references.
	type route struct {
		name  string
		r     traefikRouter
		match func(method, path string) bool
	}
	var routes []route
	for name, r := range h.Routers {
		if _, ok := h.Services[r.Service]; !ok {
			t.Errorf("router %s: no service %q", name, r.Service)
		}
		for _, m := range r.Middlewares {
			if _, ok := h.Middlewares[m]; !ok {
				t.Errorf("router %s: no middleware %q", name, m)
			}
		}
		if len(r.EntryPoints) == 0 {
			t.Errorf("router %s: no entry points (it would listen on all, the ping one included)", name)
		}
		for _, ep := range r.EntryPoints {
			if _, ok := st.EntryPoints[ep]; !ok {
				t.Errorf("router %s: entry point %q is not in the static configuration", name, ep)
			}
		}
		match, err := parseTraefikRule(r.Rule)
		if err != nil {
			t.Errorf("router %s: rule %q: %v", name, r.Rule, err)
			continue
		}
		if r.Priority == 0 {
			r.Priority = len(r.Rule) // Traefik's default
		}
		routes = append(routes, route{name, r, match})
	}
	for name, s := range h.Services {
		lb := s.LoadBalancer
		if lb == nil || len(lb.Servers) == 0 {
			t.Errorf("service %s: no load balancer servers", name)
			continue
		}
		for _, srv := range lb.Servers {
			u, err := url.Parse(srv.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Port() == "" || (u.Path != "" && u.Path != "/") {
				t.Errorf("service %s: server %q: want http://host:port", name, srv.URL)
			}
		}
		if hc := lb.HealthCheck; hc == nil {
			t.Errorf("service %s: no health check", name)
		} else {
			if hc.Path != "/readyz" || hc.Port != introspectionPort {
				t.Errorf("service %s: health check %s on port %d, want /readyz on %d", name, hc.Path, hc.Port, introspectionPort)
			}
			if i, to := duration(name+" interval", hc.Interval), duration(name+" timeout", hc.Timeout); to >= i {
				t.Errorf("service %s: health check timeout %v is not below its interval %v", name, to, i)
			}
		}
		if lb.ServersTransport != "" {
			if _, ok := h.ServersTransports[lb.ServersTransport]; !ok {
				t.Errorf("service %s: no serversTransport %q", name, lb.ServersTransport)
			}
		}
	}
	for name, m := range h.Middlewares {
		n := 0
		if r := m.Retry; r != nil {
			n++
			duration(name+" initialInterval", r.InitialInterval)
			if r.Attempts < 1 {
				t.Errorf("middleware %s: attempts %d", name, r.Attempts)
			}
		}
		if a := m.IPAllowList; a != nil {
			n++
			for _, cidr := range a.SourceRange {
				if _, _, err := net.ParseCIDR(cidr); err != nil && net.ParseIP(cidr) == nil {
					t.Errorf("middleware %s: %q is not an address or CIDR", name, cidr)
				}
			}
		}
		if n != 1 {
			t.Errorf("middleware %s: want exactly one kind, got %d", name, n)
		}
	}
	for name, tr := range h.ServersTransports {
		if ft := tr.ForwardingTimeouts; ft != nil {
			duration(name+" dialTimeout", ft.DialTimeout)
			duration(name+" responseHeaderTimeout", ft.ResponseHeaderTimeout)
			if idle := duration(name+" idleConnTimeout", ft.IdleConnTimeout); idle == 0 || idle >= loupeIdleTimeout {
				t.Errorf("serversTransport %s: idleConnTimeout %v must be below Loupe's %v", name, idle, loupeIdleTimeout)
			}
		}
	}

	// Routing, as Traefik decides it: the matching router of highest
	// priority wins.
	usedBy := func(r traefikRouter, kind func(traefikMiddleware) bool) bool {
		return slices.ContainsFunc(r.Middlewares, func(m string) bool { return kind(h.Middlewares[m]) })
	}
	retries := func(m traefikMiddleware) bool { return m.Retry != nil }
	restricted := func(m traefikMiddleware) bool { return m.IPAllowList != nil }
	for _, tc := range []struct {
		method, path string
		service      string // "" for no route
		retry        bool
		internal     bool
	}{
		{"POST", "/indexer/api/v1/index_report", "loupe-indexer", false, false},
		{"GET", "/indexer/api/v1/index_report/sha256:abc", "loupe-indexer", true, false},
		{"DELETE", "/indexer/api/v1/index_report", "loupe-indexer", true, false},
		{"DELETE", "/indexer/api/v1/index_report/sha256:abc", "loupe-indexer", true, false},
		{"GET", "/indexer/api/v1/index_state", "loupe-indexer", true, false},
		{"POST", "/indexer/api/v1/internal/affected_manifest/", "loupe-indexer", false, true},
		{"GET", "/indexer/api/v1/internal/affected_manifest/", "loupe-indexer", false, true},
		{"GET", "/matcher/api/v1/vulnerability_report/sha256:abc", "loupe-matcher", true, false},
		{"GET", "/matcher/api/v1/internal/update_operation", "loupe-matcher", true, true},
		{"DELETE", "/matcher/api/v1/internal/update_operation/5e4b387e-88d3-4364-86fd-063447a6fad2", "loupe-matcher", true, true},
		{"GET", "/matcher/api/v1/internal/update_diff", "loupe-matcher", true, true},
		{"POST", "/matcher/api/v1/vulnerability_report/sha256:abc", "loupe-matcher", false, false},
		{"GET", "/notifier/api/v1/notification/5e4b387e-88d3-4364-86fd-063447a6fad2", "loupe-notifier", true, false},
		{"DELETE", "/notifier/api/v1/notification/5e4b387e-88d3-4364-86fd-063447a6fad2", "loupe-notifier", true, false},
		{"GET", "/openapi/v1", "loupe-indexer", false, false},
		{"GET", "/debug/pprof/", "", false, false},
		{"GET", "/indexerx/api", "", false, false},
	} {
		req := tc.method + " " + tc.path
		var best *route
		tie := false
		for i, r := range routes {
			if !r.match(tc.method, tc.path) {
				continue
			}
			switch {
			case best == nil || r.r.Priority > best.r.Priority:
				best, tie = &routes[i], false
			case r.r.Priority == best.r.Priority:
				tie = true
			}
		}
		switch {
		case best == nil && tc.service != "":
			t.Errorf("%s: no router", req)
		case best == nil:
		case tc.service == "":
			t.Errorf("%s: router %s takes it; want none", req, best.name)
		case tie:
			t.Errorf("%s: routers of equal priority %d match; Traefik's choice is arbitrary", req, best.r.Priority)
		case best.r.Service != tc.service:
			t.Errorf("%s: router %s sends it to %s, want %s", req, best.name, best.r.Service, tc.service)
		case usedBy(best.r, retries) != tc.retry:
			t.Errorf("%s: router %s: retried = %v, want %v", req, best.name, !tc.retry, tc.retry)
		case usedBy(best.r, restricted) != tc.internal:
			t.Errorf("%s: router %s: restricted to private addresses = %v, want %v", req, best.name, !tc.internal, tc.internal)
		}
		if best != nil && tc.method == "POST" && usedBy(best.r, retries) {
			t.Errorf("%s: router %s retries a POST", req, best.name)
		}
	}

	// The indexer's transport must wait out index requests.
	if lb := h.Services["loupe-indexer"].LoadBalancer; lb != nil {
		tr := h.ServersTransports[lb.ServersTransport]
		if ft := tr.ForwardingTimeouts; ft != nil {
			if d := duration("indexer responseHeaderTimeout", ft.ResponseHeaderTimeout); d != 0 && d < 30*time.Minute {
				t.Errorf("loupe-indexer: responseHeaderTimeout %v cuts index requests short", d)
			}
		}
	}
}

// parseTraefikRule parses the subset of Traefik v3's rule syntax used here
// (Path, PathPrefix, Method, Host; &&, ||, parentheses) into a matcher.
func parseTraefikRule(rule string) (func(method, path string) bool, error) {
	p := &ruleParser{s: rule}
	m, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.skipSpace(); p.i != len(p.s) {
		return nil, fmt.Errorf("unexpected %q", p.s[p.i:])
	}
	return m, nil
}

type ruleParser struct {
	s string
	i int
}

type ruleMatch = func(method, path string) bool

func (p *ruleParser) skipSpace() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *ruleParser) eat(tok string) bool {
	p.skipSpace()
	if strings.HasPrefix(p.s[p.i:], tok) {
		p.i += len(tok)
		return true
	}
	return false
}

func (p *ruleParser) or() (ruleMatch, error) {
	var terms []ruleMatch
	for {
		m, err := p.and()
		if err != nil {
			return nil, err
		}
		terms = append(terms, m)
		if !p.eat("||") {
			break
		}
	}
	return func(method, path string) bool {
		return slices.ContainsFunc(terms, func(m ruleMatch) bool { return m(method, path) })
	}, nil
}

func (p *ruleParser) and() (ruleMatch, error) {
	var factors []ruleMatch
	for {
		m, err := p.factor()
		if err != nil {
			return nil, err
		}
		factors = append(factors, m)
		if !p.eat("&&") {
			break
		}
	}
	return func(method, path string) bool {
		return !slices.ContainsFunc(factors, func(m ruleMatch) bool { return !m(method, path) })
	}, nil
}

func (p *ruleParser) factor() (ruleMatch, error) {
	if p.eat("(") {
		m, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.eat(")") {
			return nil, fmt.Errorf("missing ) at %d", p.i)
		}
		return m, nil
	}
	p.skipSpace()
	j := p.i
	for j < len(p.s) && (p.s[j] >= 'A' && p.s[j] <= 'Z' || p.s[j] >= 'a' && p.s[j] <= 'z') {
		j++
	}
	name := p.s[p.i:j]
	p.i = j
	if !p.eat("(`") {
		return nil, fmt.Errorf("want %s(`...`) at %d", name, p.i)
	}
	end := strings.IndexByte(p.s[p.i:], '`')
	if end < 0 {
		return nil, fmt.Errorf("unterminated argument of %s", name)
	}
	arg := p.s[p.i : p.i+end]
	p.i += end + 1
	if !p.eat(")") {
		return nil, fmt.Errorf("%s takes one argument in Traefik v3", name)
	}
	switch name {
	case "Path":
		return func(_, path string) bool { return path == arg }, nil
	case "PathPrefix":
		if !strings.HasPrefix(arg, "/") {
			return nil, fmt.Errorf("PathPrefix(%q) must start with /", arg)
		}
		return func(_, path string) bool { return strings.HasPrefix(path, arg) }, nil
	case "Method":
		if arg != strings.ToUpper(arg) {
			return nil, fmt.Errorf("Method(%q): methods are upper case", arg)
		}
		return func(method, _ string) bool { return method == arg }, nil
	case "Host":
		return func(_, _ string) bool { return true }, nil
	}
	return nil, fmt.Errorf("matcher %q is not one this test knows", name)
}

func TestTraefikRuleParser(t *testing.T) {
	m, err := parseTraefikRule("PathPrefix(`/a/`) && (Method(`GET`) || Method(`HEAD`))")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, path string
		want         bool
	}{{"GET", "/a/b", true}, {"HEAD", "/a/", true}, {"POST", "/a/b", false}, {"GET", "/b", false}} {
		if got := m(tc.method, tc.path); got != tc.want {
			t.Errorf("%s %s: %v", tc.method, tc.path, got)
		}
	}
	for _, bad := range []string{"PathPrefix(`/a`", "Method(`GET`,`HEAD`)", "Foo(`x`)", "Path(`/a`) &&", "Path(`/a`) extra"} {
		if _, err := parseTraefikRule(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
