package api

import (
	"cmp"
	"errors"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Media types.
const (
	typeJSON         = "application/json"
	typeIndexReport  = "application/vnd.clair.index_report.v1+json"
	typeIndexState   = "application/vnd.clair.index_state.v1+json"
	typeAffected     = "application/vnd.clair.affected_manifests.v1+json"
	typeNotification = "application/vnd.clair.notification_page.v1+json"
)

var errUnacceptable = errors.New("no acceptable content type")

type acceptRange struct {
	typ, sub string
	q        float64
}

// negotiate picks the response type for r from allowed (first is the
// default when there is no Accept header), as Clair does: Accept ranges
// sorted by q, stably, and the first allowed type a range matches. An
// unparsable Accept is a bad request; no match is unacceptable.
func negotiate(r *http.Request, allowed ...string) (string, error) {
	vals := r.Header.Values("Accept")
	if len(vals) == 0 {
		return allowed[0], nil
	}
	var ranges []acceptRange
	for _, v := range vals {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			mt, params, err := mime.ParseMediaType(part)
			if err != nil {
				return "", err
			}
			q := 1.0
			if qs, ok := params["q"]; ok {
				if q, err = strconv.ParseFloat(qs, 64); err != nil {
					return "", err
				}
			}
			typ, sub, _ := strings.Cut(mt, "/")
			ranges = append(ranges, acceptRange{typ, sub, q})
		}
	}
	slices.SortStableFunc(ranges, func(a, b acceptRange) int { return byQ(a.q, b.q) })
	for _, ar := range ranges {
		for _, t := range allowed {
			typ, sub, _ := strings.Cut(t, "/")
			if (ar.typ == "*" || ar.typ == typ) && (ar.sub == "*" || ar.sub == sub) {
				return t, nil
			}
		}
	}
	return "", errUnacceptable
}

// negotiateOrFail negotiates and writes the error response on failure.
func negotiateOrFail(w http.ResponseWriter, r *http.Request, allowed ...string) (string, bool) {
	t, err := negotiate(r, allowed...)
	switch {
	case errors.Is(err, errUnacceptable):
		apiError(w, r, http.StatusUnsupportedMediaType, "unable to negotiate common content type for %v", allowed)
		return "", false
	case err != nil:
		apiError(w, r, http.StatusBadRequest, "malformed accept header: %v", err)
		return "", false
	}
	return t, true
}

// byQ orders quality values highest first.
func byQ(a, b float64) int { return cmp.Compare(b, a) }
