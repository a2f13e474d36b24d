package config

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// LogLevel is the verbosity of the process log. The zero value is LogInfo,
// which is what an absent log_level key means.
type LogLevel int

// The log levels, named as in the configuration file.
const (
	LogInfo       LogLevel = iota // info
	LogDebugColor                 // debug-color: debug, rendered as human-readable text
	LogDebug                      // debug
	LogWarn                       // warn
	LogError                      // error
	LogFatal                      // fatal: above error, so almost nothing is logged
	LogPanic                      // panic: above fatal
)

var logLevelNames = [...]string{
	LogInfo:       "info",
	LogDebugColor: "debug-color",
	LogDebug:      "debug",
	LogWarn:       "warn",
	LogError:      "error",
	LogFatal:      "fatal",
	LogPanic:      "panic",
}

// ParseLogLevel returns the level named by s, ignoring case. The empty string
// is an error: an explicit empty log_level is refused rather than read as
// "info".
func ParseLogLevel(s string) (LogLevel, error) {
	for l, n := range logLevelNames {
		if strings.EqualFold(s, n) {
			return LogLevel(l), nil
		}
	}
	return -1, fmt.Errorf("unknown log level %q (want one of %s)", s, strings.Join(logLevelNames[:], ", "))
}

// String returns the configuration-file name of the level.
func (l LogLevel) String() string {
	if !l.valid() {
		return fmt.Sprintf("LogLevel(%d)", int(l))
	}
	return logLevelNames[l]
}

func (l LogLevel) valid() bool { return l >= 0 && int(l) < len(logLevelNames) }

// MarshalJSON encodes the level as its name.
func (l LogLevel) MarshalJSON() ([]byte, error) {
	if !l.valid() {
		return nil, fmt.Errorf("invalid log level %d", int(l))
	}
	return json.Marshal(l.String())
}

// UnmarshalJSON accepts a level name in any case. JSON null leaves the level
// unchanged.
func (l *LogLevel) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("log level must be a string, got %s", b)
	}
	v, err := ParseLogLevel(s)
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// Compression is the payload compression of an OTLP exporter: "" (the
// exporter's default), "none" or "gzip".
//
// Besides those strings, the integers 0, 1 and 2 are accepted for the same
// three values, because that is the only form Clair's own decoder takes.
type Compression string

// The compression settings.
const (
	CompressionDefault Compression = ""
	CompressionNone    Compression = "none"
	CompressionGzip    Compression = "gzip"
)

var compressions = [...]Compression{CompressionDefault, CompressionNone, CompressionGzip}

// UnmarshalJSON accepts "", "none", "gzip" (any case) or 0, 1, 2.
func (c *Compression) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		for _, v := range compressions {
			if strings.EqualFold(s, string(v)) {
				*c = v
				return nil
			}
		}
		return fmt.Errorf(`unknown compression %q (want "none" or "gzip")`, s)
	}
	n, err := strconv.Atoi(string(b))
	if err != nil || n < 0 || n >= len(compressions) {
		return fmt.Errorf(`compression must be "none", "gzip", 0, 1 or 2, got %s`, b)
	}
	*c = compressions[n]
	return nil
}
