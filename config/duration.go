package config

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Duration is a time.Duration as written in the configuration file.
//
// It decodes from a string in time.ParseDuration syntax ("90s", "6h") or from
// an integer number of nanoseconds, the form configs written for Clair before
// 4.7 use. Load reports the integer form as a lint, because current Clair
// refuses it. It always encodes as a string.
type Duration time.Duration

// String formats the duration like time.Duration.String.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON encodes the duration as a time.ParseDuration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(d.String())
}

// UnmarshalJSON decodes a duration string or integer nanoseconds. JSON null
// leaves the value unchanged.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf(`invalid duration %q (want a string like "90s" or "6h")`, s)
		}
		*d = Duration(v)
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf(`invalid duration %s (want a string like "90s" or "6h", or integer nanoseconds)`, b)
	}
	*d = Duration(n)
	return nil
}
