package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// IntraserviceIssuer is the JWT issuer Loupe's services sign their calls
// to each other with; it is always accepted.
const IntraserviceIssuer = "clair-intraservice"

// PSK is pre-shared-key authentication, config key auth.psk.
type PSK struct {
	// Key is the decoded HMAC key.
	Key []byte
	// Issuers are accepted in addition to IntraserviceIssuer.
	Issuers []string
}

// authLeeway is the clock skew allowed on exp, nbf and iat.
const authLeeway = 15 * time.Second

// authenticate refuses, with 401 and no body, requests without a valid
// bearer token: an HMAC-signed JWT (HS256, HS384 or HS512) with the PSK,
// from an accepted issuer, within its time claims (all optional).
func authenticate(psk *PSK, next http.Handler) http.Handler {
	issuers := append([]string{IntraserviceIssuer}, psk.Issuers...)
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"HS256", "HS384", "HS512"}),
		jwt.WithLeeway(authLeeway),
		jwt.WithIssuedAt(),
	)
	keyFunc := func(*jwt.Token) (any, error) { return psk.Key, nil }
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !validToken(parser, keyFunc, issuers, r.Header.Values("Authorization")) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func validToken(parser *jwt.Parser, keyFunc jwt.Keyfunc, issuers []string, headers []string) bool {
	for _, h := range headers {
		raw, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			continue
		}
		var claims jwt.RegisteredClaims
		if _, err := parser.ParseWithClaims(strings.TrimSpace(raw), &claims, keyFunc); err != nil {
			return false
		}
		return slices.Contains(issuers, claims.Issuer)
	}
	return false
}
