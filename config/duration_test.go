package config

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	tests := []struct {
		yaml string
		want time.Duration
		err  string
	}{
		{yaml: `period: 6h`, want: 6 * time.Hour},
		{yaml: `period: "90s"`, want: 90 * time.Second},
		{yaml: `period: 1h30m`, want: 90 * time.Minute},
		{yaml: `period: 21600000000000`, want: 6 * time.Hour},
		{yaml: `period: 0`, want: 0},
		{yaml: `period: null`, want: 0},
		{yaml: `period: "6 hours"`, err: `$.matcher.period: invalid duration "6 hours"`},
		{yaml: `period: ""`, err: `$.matcher.period: invalid duration ""`},
		{yaml: `period: 1.5`, err: `$.matcher.period: invalid duration 1.5`},
		{yaml: `period: true`, err: `$.matcher.period: invalid duration true`},
		{yaml: `period: [1]`, err: `$.matcher.period: invalid duration [1]`},
	}
	for _, tc := range tests {
		c, err := Decode("doc", strings.NewReader("matcher:\n  "+tc.yaml+"\n"), "yaml")
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: got error %v, want %q", tc.yaml, err, tc.err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.yaml, err)
		case time.Duration(c.Matcher.Period) != tc.want:
			t.Errorf("%s: got %v, want %v", tc.yaml, c.Matcher.Period, tc.want)
		}
	}
}

func TestDurationFields(t *testing.T) {
	// Every duration key takes both forms, including the pointer ones.
	const doc = `{
		"matcher": {"period": "1h", "cache_age": 60000000000},
		"notifier": {"poll_interval": "2h", "delivery_interval": 7200000000000},
		"trace": {"otlp": {"http": {"timeout": "3s"}, "grpc": {"timeout": 3000000000, "reconnect": "4s"}}}
	}`
	c, err := Decode("doc", strings.NewReader(doc), "json")
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]Duration{
		"period":            c.Matcher.Period,
		"cache_age":         c.Matcher.CacheAge,
		"poll_interval":     c.Notifier.PollInterval,
		"delivery_interval": c.Notifier.DeliveryInterval,
		"http.timeout":      *c.Trace.OTLP.HTTP.Timeout,
		"grpc.timeout":      *c.Trace.OTLP.GRPC.Timeout,
		"grpc.reconnect":    *c.Trace.OTLP.GRPC.Reconnect,
	} {
		if got <= 0 {
			t.Errorf("%s = %v", name, got)
		}
	}
	if n := len(c.notes); n != 3 {
		t.Errorf("got %d integer-duration notes, want 3: %v", n, c.notes)
	}
}

func TestDurationMarshal(t *testing.T) {
	b, err := json.Marshal(struct {
		D Duration
		P *Duration
	}{Duration(90 * time.Minute), ptr(Duration(time.Second))})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"D":"1h30m0s","P":"1s"}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
