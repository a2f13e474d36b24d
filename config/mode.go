package config

import (
	"fmt"
	"strings"
)

// Mode selects which services a process runs. It comes from the command line
// (-mode or CLAIR_MODE), never from the configuration file.
type Mode int

// The modes. The zero value is ComboMode.
const (
	// ComboMode runs the indexer, the matcher and (when a delivery mechanism is
	// configured) the notifier in one process.
	ComboMode Mode = iota
	// IndexerMode runs only the indexer.
	IndexerMode
	// MatcherMode runs only the matcher, which reaches the indexer at
	// matcher.indexer_addr.
	MatcherMode
	// NotifierMode runs only the notifier, which reaches the indexer and the
	// matcher at notifier.indexer_addr and notifier.matcher_addr.
	NotifierMode
)

var modeNames = [...]string{
	ComboMode:    "combo",
	IndexerMode:  "indexer",
	MatcherMode:  "matcher",
	NotifierMode: "notifier",
}

// ParseMode returns the Mode named by s, ignoring case.
func ParseMode(s string) (Mode, error) {
	for m, n := range modeNames {
		if strings.EqualFold(s, n) {
			return Mode(m), nil
		}
	}
	return -1, fmt.Errorf("unknown mode %q (want one of combo, indexer, matcher, notifier)", s)
}

// String returns the lower-case name of the mode, as accepted by ParseMode.
func (m Mode) String() string {
	if !m.valid() {
		return fmt.Sprintf("Mode(%d)", int(m))
	}
	return modeNames[m]
}

func (m Mode) valid() bool { return m >= 0 && int(m) < len(modeNames) }

// runsIndexer, runsMatcher and runsNotifier report whether the mode runs the
// service locally, and so whether its config block is validated.
func (m Mode) runsIndexer() bool  { return m == ComboMode || m == IndexerMode }
func (m Mode) runsMatcher() bool  { return m == ComboMode || m == MatcherMode }
func (m Mode) runsNotifier() bool { return m == ComboMode || m == NotifierMode }
