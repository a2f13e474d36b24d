package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/api"
)

// FuzzManifestDecode posts arbitrary bytes as an Index request: the
// answer is always 201 with an index report or 400 with Clair's error
// body, never a panic or a 5xx.
func FuzzManifestDecode(f *testing.F) {
	layer := `{"hash":"` + layerC.String() + `","uri":"https://r/b"}`
	for _, seed := range []string{
		manifestJSON(),
		`{"hash":"` + digestA.String() + `","layers":[` + layer + `]}`,
		`{"hash":"` + digestA.String() + `","layers":[]}`,
		`{"hash":"` + digestA.String() + `","layers":[null]}`,
		`{"hash":"` + digestA.String() + `","layers":[{"hash":"","uri":""}]}`,
		`{"hash":"` + digestA.String() + `","layers":[{"hash":"` + layerC.String() + `","uri":"x","headers":{"A":["b"]}}]}`,
		`{"hash":"` + digestA.String() + `","layers":[{"hash":"` + layerC.String() + `","uri":"x","headers":{"A":"b"}}]}`,
		`{"hash":"sha256:zz","layers":[` + layer + `]}`,
		`{"hash":"sha512:` + strings.Repeat("F", 128) + `","layers":[` + layer + `]}`,
		`{"layers":[` + layer + `]}`,
		`{}`, `[]`, `null`, `""`, `0`, ``, `{`, "\x00\xff", `{"hash":null,"layers":null}`,
		`{"hash":"` + digestA.String() + `","layers":[` + layer + `]} trailing`,
	} {
		f.Add([]byte(seed))
	}
	ix := &fakeIndexer{}
	h := api.Handler(api.Routes{Indexer: api.IndexerHandler(ix, api.IndexerOptions{})})
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, indexReportPath, strings.NewReader(string(body)))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusCreated:
			var report loupe.IndexReport
			if err := json.Unmarshal(rec.Body.Bytes(), &report); err != nil {
				t.Fatalf("201 body %q is not an index report: %v", rec.Body.Bytes(), err)
			}
			if report.Hash.IsZero() {
				t.Errorf("201 for a manifest without a hash: %q", body)
			}
			if got, want := rec.Header().Get("Location"), indexReportPath+"/"+report.Hash.String(); got != want {
				t.Errorf("Location: got %q, want %q", got, want)
			}
			if got, want := rec.Header().Get("ETag"), `"`+testState+`"`; got != want {
				t.Errorf("ETag: got %q, want %q", got, want)
			}
		case http.StatusBadRequest:
			if got := rec.Header().Get("Content-Type"); got != "application/json" {
				t.Errorf("400 Content-Type: got %q, want application/json", got)
			}
			e, err := parseErrorBody(rec.Body.Bytes())
			if err != nil {
				t.Fatalf("400 body %q is not a Clair error: %v", rec.Body.Bytes(), err)
			}
			if e.Code != "bad-request" {
				t.Errorf("400 code: got %q, want bad-request", e.Code)
			}
		default:
			t.Fatalf("status: got %d, want 201 or 400 (body %q, input %q)", rec.Code, rec.Body.Bytes(), body)
		}
	})
}
