package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/loupe-dev/loupe/api"
)

var (
	pskKey   = []byte("a pre-shared key of thirty-two b")
	otherKey = []byte("some other key, not the psk one!")
)

// authServer serves both route groups behind PSK auth accepting the
// issuers "quay" and "clairctl".
func authServer(t *testing.T) *testServer {
	t.Helper()
	return newServer(t, api.Routes{
		Indexer: api.IndexerHandler(&fakeIndexer{}, api.IndexerOptions{Concurrency: 4}),
		Matcher: api.MatcherHandler(&fakeMatcher{}, finishedGetter, api.MatcherOptions{}),
		Auth:    &api.PSK{Key: pskKey, Issuers: []string{"quay", "clairctl"}},
	})
}

// authRoutes are every API route, with requests the fakes answer without
// error.
var authRoutes = []struct{ method, path, body string }{
	{http.MethodPost, indexReportPath, manifestJSON()},
	{http.MethodDelete, indexReportPath, `[]`},
	{http.MethodGet, indexReportPath + "/" + digestA.String(), ""},
	{http.MethodDelete, indexReportPath + "/" + digestA.String(), ""},
	{http.MethodGet, indexStatePath, ""},
	{http.MethodGet, vulnReportPath + "/" + digestA.String(), ""},
	{http.MethodGet, updateOpPath, ""},
	{http.MethodDelete, updateOpPath + "/" + refA, ""},
	{http.MethodGet, updateDiffPath + "?cur=" + refA, ""},
	// Wrong methods and unknown paths are behind auth too.
	{http.MethodPut, indexStatePath, ""},
	{http.MethodGet, "/indexer/api/v1/nope", ""},
	{http.MethodGet, "/nope", ""},
	{http.MethodGet, "/openapi/v1", ""},
}

// mint signs claims with key.
func mint(t *testing.T, method jwt.SigningMethod, key []byte, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatalf("signing token: %v", err)
	}
	return s
}

// quayClaims are what Quay sends: iss and exp only.
func quayClaims() jwt.MapClaims {
	return jwt.MapClaims{"iss": "quay", "exp": time.Now().Add(5 * time.Minute).Unix()}
}

func withClaim(c jwt.MapClaims, k string, v any) jwt.MapClaims {
	c[k] = v
	return c
}

func TestAuthRefused(t *testing.T) {
	now := time.Now()
	noneToken, err := jwt.NewWithClaims(jwt.SigningMethodNone, quayClaims()).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	good := mint(t, jwt.SigningMethodHS256, pskKey, quayClaims())
	tampered := good[:strings.LastIndexByte(good, '.')] + "." + strings.Repeat("A", 43)
	tests := []struct {
		name string
		auth []string // Authorization header lines
	}{
		{"NoHeader", nil},
		{"Empty", []string{""}},
		{"BearerOnly", []string{"Bearer "}},
		{"Basic", []string{"Basic cXVheTpzZWNyZXQ="}},
		{"NotAJWT", []string{"Bearer not-a-jwt"}},
		{"Garbage", []string{"Bearer a.b.c"}},
		{"LowercaseScheme", []string{"bearer " + good}},
		{"NoScheme", []string{good}},
		{"OtherKey", []string{"Bearer " + mint(t, jwt.SigningMethodHS256, otherKey, quayClaims())}},
		{"TamperedSignature", []string{"Bearer " + tampered}},
		{"AlgNone", []string{"Bearer " + noneToken}},
		{"UnknownIssuer", []string{"Bearer " + mint(t, jwt.SigningMethodHS256, pskKey, withClaim(quayClaims(), "iss", "evil"))}},
		{"IssuerCase", []string{"Bearer " + mint(t, jwt.SigningMethodHS256, pskKey, withClaim(quayClaims(), "iss", "Quay"))}},
		{"IssuerPrefix", []string{"Bearer " + mint(t, jwt.SigningMethodHS256, pskKey, withClaim(quayClaims(), "iss", "qua"))}},
		{"NoIssuer", []string{"Bearer " + mint(t, jwt.SigningMethodHS256, pskKey, jwt.MapClaims{"exp": now.Add(time.Minute).Unix()})}},
		{"Expired", []string{"Bearer " + mint(t, jwt.SigningMethodHS256, pskKey, withClaim(quayClaims(), "exp", now.Add(-30*time.Second).Unix()))}},
		{"ExpiredLongAgo", []string{"Bearer " + mint(t, jwt.SigningMethodHS256, pskKey, withClaim(quayClaims(), "exp", now.Add(-time.Hour).Unix()))}},
		{"NotYetValid", []string{"Bearer " + mint(t, jwt.SigningMethodHS256, pskKey, withClaim(quayClaims(), "nbf", now.Add(30*time.Second).Unix()))}},
		{"IssuedInFuture", []string{"Bearer " + mint(t, jwt.SigningMethodHS256, pskKey, withClaim(quayClaims(), "iat", now.Add(time.Minute).Unix()))}},
		{"ExpNotNumber", []string{"Bearer " + mint(t, jwt.SigningMethodHS256, pskKey, withClaim(quayClaims(), "exp", "tomorrow"))}},
		{"FirstBearerBad", []string{"Bearer " + mint(t, jwt.SigningMethodHS256, otherKey, quayClaims()), "Bearer " + good}},
	}
	srv := authServer(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, rt := range authRoutes {
				var hdr []string
				for _, a := range tc.auth {
					hdr = append(hdr, "Authorization", a)
				}
				r := srv.do(t, rt.method, rt.path, rt.body, hdr...)
				if r.status != http.StatusUnauthorized {
					t.Errorf("%s %s: got status %d, want 401", rt.method, rt.path, r.status)
					continue
				}
				if len(r.raw) != 0 {
					t.Errorf("%s %s: 401 body: got %q, want empty", rt.method, rt.path, r.raw)
				}
				if v := r.header.Get("WWW-Authenticate"); v != "" {
					t.Errorf("%s %s: WWW-Authenticate: got %q, want none", rt.method, rt.path, v)
				}
			}
		})
	}
}

func TestAuthAccepted(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name string
		auth []string
	}{
		{"QuayHS256", []string{"Bearer " + mint(t, jwt.SigningMethodHS256, pskKey, quayClaims())}},
		{"ClairctlHS384", []string{"Bearer " + mint(t, jwt.SigningMethodHS384, pskKey, withClaim(quayClaims(), "iss", "clairctl"))}},
		{"QuayHS512", []string{"Bearer " + mint(t, jwt.SigningMethodHS512, pskKey, quayClaims())}},
		{"Intraservice", []string{"Bearer " + mint(t, jwt.SigningMethodHS256, pskKey, jwt.MapClaims{
			"iss": api.IntraserviceIssuer, "iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Minute).Unix(),
		})}},
		{"IntraserviceHS512", []string{"Bearer " + mint(t, jwt.SigningMethodHS512, pskKey, jwt.MapClaims{"iss": "clair-intraservice"})}},
		{"NoExp", []string{"Bearer " + mint(t, jwt.SigningMethodHS256, pskKey, jwt.MapClaims{"iss": "quay"})}},
		{"ExpWithinLeeway", []string{"Bearer " + mint(t, jwt.SigningMethodHS256, pskKey, withClaim(quayClaims(), "exp", now.Add(-10*time.Second).Unix()))}},
		{"NbfWithinLeeway", []string{"Bearer " + mint(t, jwt.SigningMethodHS256, pskKey, withClaim(quayClaims(), "nbf", now.Add(10*time.Second).Unix()))}},
		{"IatWithinLeeway", []string{"Bearer " + mint(t, jwt.SigningMethodHS256, pskKey, withClaim(quayClaims(), "iat", now.Add(10*time.Second).Unix()))}},
		{"ExtraClaims", []string{"Bearer " + mint(t, jwt.SigningMethodHS256, pskKey, withClaim(withClaim(quayClaims(), "aud", "someone"), "sub", "x"))}},
		{"BasicThenBearer", []string{"Basic cXVheTpzZWNyZXQ=", "Bearer " + mint(t, jwt.SigningMethodHS256, pskKey, quayClaims())}},
	}
	srv := authServer(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, rt := range authRoutes {
				var hdr []string
				for _, a := range tc.auth {
					hdr = append(hdr, "Authorization", a)
				}
				r := srv.do(t, rt.method, rt.path, rt.body, hdr...)
				if r.status == http.StatusUnauthorized || r.status >= 500 {
					t.Errorf("%s %s: got status %d, want it let through", rt.method, rt.path, r.status)
				}
			}
		})
	}
	// Spot-check that an accepted request really reaches the route.
	tok := "Bearer " + mint(t, jwt.SigningMethodHS256, pskKey, quayClaims())
	r := srv.do(t, http.MethodPost, indexReportPath, manifestJSON(), "Authorization", tok)
	checkStatus(t, r, http.StatusCreated)
	r = srv.do(t, http.MethodGet, indexReportPath+"/"+digestA.String(), "", "Authorization", tok)
	checkError(t, r, http.StatusNotFound, "not-found")
	r = srv.do(t, http.MethodGet, "/nope", "", "Authorization", tok)
	checkStatus(t, r, http.StatusNotFound)
}

func TestAuthRobots(t *testing.T) {
	srv := authServer(t)
	for _, auth := range [][]string{nil, {"Authorization", "Bearer garbage"}} {
		r := srv.do(t, http.MethodGet, "/robots.txt", "", auth...)
		checkRobots(t, r)
	}
}
