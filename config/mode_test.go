package config

import "testing"

func TestParseMode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Mode
	}{
		{"combo", ComboMode}, {"INDEXER", IndexerMode}, {"Matcher", MatcherMode}, {"notifier", NotifierMode},
	} {
		got, err := ParseMode(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseMode(%q) = %v, %v", tc.in, got, err)
		}
		if got.String() != tc.want.String() {
			t.Errorf("String: %q", got)
		}
	}
	for _, in := range []string{"", "all", "combo "} {
		if _, err := ParseMode(in); err == nil {
			t.Errorf("ParseMode(%q): no error", in)
		}
	}
	if s := Mode(7).String(); s != "Mode(7)" {
		t.Errorf("String = %q", s)
	}
}
