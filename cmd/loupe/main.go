package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/loupe-dev/loupe/config"
	"github.com/loupe-dev/loupe/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs Loupe until ctx ends and returns the process exit code: 2 for
// a usage or config-load error, 1 for an invalid config or a fatal
// runtime error, 0 otherwise.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	fs := flag.NewFlagSet("loupe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	conf := fs.String("conf", "", "config file, .yaml or .json (env LOUPE_CONF, CLAIR_CONF)")
	modeFlag := fs.String("mode", "", "combo, indexer, matcher or notifier (env LOUPE_MODE, CLAIR_MODE; default combo)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "loupe: unexpected arguments %q\n", fs.Args())
		return 2
	}
	path := firstSet(*conf, getenv("LOUPE_CONF"), getenv("CLAIR_CONF"))
	modeName := firstSet(*modeFlag, getenv("LOUPE_MODE"), getenv("CLAIR_MODE"), "combo")
	mode, err := config.ParseMode(modeName)
	if err != nil {
		fmt.Fprintf(stderr, "loupe: -mode: %v\n", err)
		return 2
	}
	cfg := &config.Config{}
	if path != "" {
		if cfg, err = config.Load(path); err != nil {
			fmt.Fprintf(stderr, "loupe: %v\n", err)
			return 2
		}
	}
	lints, err := config.Validate(cfg, mode)
	if err != nil {
		fmt.Fprintf(stderr, "loupe: invalid configuration: %v\n", err)
		return 1
	}
	slog.SetDefault(slog.New(logHandler(stderr, cfg.LogLevel)))
	slog.Info("loupe starting", "mode", mode.String(), "config", path)
	for _, l := range lints {
		slog.Info("configuration lint", "lint", l.String())
	}

	opts := server.Options{Config: cfg, Mode: mode}
	if v := getenv("LOUPE_TEST_INTERVALS"); v != "" {
		if err := testIntervals(&opts, v); err != nil {
			fmt.Fprintf(stderr, "loupe: LOUPE_TEST_INTERVALS: %v\n", err)
			return 2
		}
		slog.Warn("background intervals shortened for testing", "LOUPE_TEST_INTERVALS", v)
	}
	if err := server.Run(ctx, opts); err != nil {
		if ctx.Err() != nil {
			// Stopped while starting: a clean shutdown.
			slog.Info("stopped during startup", "reason", err)
			return 0
		}
		slog.Error("fatal", "reason", err)
		return 1
	}
	return 0
}

// testIntervals applies LOUPE_TEST_INTERVALS.
func testIntervals(opts *server.Options, v string) error {
	for _, kv := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		d, err := time.ParseDuration(val)
		if !ok || err != nil || d <= 0 {
			return fmt.Errorf("%q: want name=duration, such as poll=200ms", kv)
		}
		switch k {
		case "updater":
			opts.UpdaterPeriod = d
		case "poll":
			opts.NotifierPollInterval = d
		case "retry":
			opts.NotifierRetryMin = d
		case "reload":
			opts.ReloadInterval = d
		default:
			return fmt.Errorf("unknown interval %q (updater, poll, retry, reload)", k)
		}
	}
	return nil
}

func firstSet(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// logHandler logs JSON lines, or text for debug-color, at the config's
// level.
func logHandler(w io.Writer, l config.LogLevel) slog.Handler {
	var level slog.Level
	switch l {
	case config.LogDebug, config.LogDebugColor:
		level = slog.LevelDebug
	case config.LogWarn:
		level = slog.LevelWarn
	case config.LogError:
		level = slog.LevelError
	case config.LogFatal, config.LogPanic:
		level = slog.LevelError + 4
	default:
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if l == config.LogDebugColor {
		return slog.NewTextHandler(w, opts)
	}
	return slog.NewJSONHandler(w, opts)
}
