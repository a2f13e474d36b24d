package rpmfeeds

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestEachRecord(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
		wantErr  bool
	}{
		{"record", `{"id":"a"}`, []string{`{"id":"a"}`}, false},
		{"list", `[{"id":"a"},{"id":"b"}]`, []string{`{"id":"a"}`, `{"id":"b"}`}, false},
		{"page", `{"total":2,"items":[{"id":"a"},{"id":"b"}],"page":1}`, []string{`{"id":"a"}`, `{"id":"b"}`}, false},
		{"null page", `{"items":null}`, nil, false},
		{"stream", "{\"id\":\"a\"}\n[{\"id\":\"b\"}]\n{\"items\":[{\"id\":\"c\"}]}", []string{`{"id":"a"}`, `{"id":"b"}`, `{"id":"c"}`}, false},
		{"escaped key", `{"i\"d":1}`, []string{`{"i\"d":1}`}, false},
		{"empty", ``, nil, false},
		{"items not a list", `{"items":{}}`, nil, true},
		{"number", `7`, nil, true},
		{"not json", `<x>`, nil, true},
		{"unterminated", `{"id":`, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			err := EachRecord(context.Background(), strings.NewReader(tc.in), "items", func(raw json.RawMessage) { got = append(got, string(raw)) })
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr && !slices.Equal(got, tc.want) {
				t.Errorf("records %q, want %q", got, tc.want)
			}
		})
	}
	var s Text
	if err := json.Unmarshal([]byte(`12`), &s); err != nil || s != "12" {
		t.Errorf("Text from a number: %q, %v", s, err)
	}
	if err := json.Unmarshal([]byte(`null`), &s); err != nil || s != "" {
		t.Errorf("Text from null: %q, %v", s, err)
	}
	if err := json.Unmarshal([]byte(`true`), &s); err == nil {
		t.Error("Text from a boolean")
	}
}

func TestGetAndSpool(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ok" {
			io.WriteString(w, "hello")
			return
		}
		http.Error(w, "no", http.StatusNotFound)
	}))
	defer srv.Close()
	rc, err := Get(context.Background(), srv.Client(), srv.URL+"/ok")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadAll(rc, 5)
	rc.Close()
	if err != nil || string(b) != "hello" {
		t.Errorf("ReadAll = %q, %v", b, err)
	}
	rc, _ = Get(context.Background(), srv.Client(), srv.URL+"/ok")
	if _, err := ReadAll(rc, 4); err == nil {
		t.Error("ReadAll over the limit: no error")
	}
	rc.Close()
	for _, u := range []string{srv.URL + "/missing", "ftp://example.com/x", "::"} {
		if _, err := Get(context.Background(), srv.Client(), u); err == nil {
			t.Errorf("Get(%q): no error", u)
		}
	}

	s, err := NewSpool()
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(s, "abc")
	if s.Sum() != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("Sum = %s", s.Sum())
	}
	body, err := s.Body()
	if err != nil {
		t.Fatal(err)
	}
	name := body.(*spoolBody).Name()
	if b, _ := io.ReadAll(body); string(b) != "abc" {
		t.Errorf("body %q", b)
	}
	if err := body.Close(); err != nil {
		t.Fatal(err)
	}
	body.Close()
	if _, err := os.Stat(name); !os.IsNotExist(err) {
		t.Errorf("spool %s not removed: %v", name, err)
	}
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, []byte("file"), 0o644)
	rc, err = Get(context.Background(), nil, "file://"+p)
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
}
