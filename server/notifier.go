package server

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loupe-dev/loupe/config"
	"github.com/loupe-dev/loupe/notifier"
	"github.com/loupe-dev/loupe/notifier/amqp"
	"github.com/loupe-dev/loupe/notifier/stomp"
	"github.com/loupe-dev/loupe/notifier/webhook"
	"github.com/loupe-dev/loupe/store/postgres"
	"github.com/loupe-dev/loupe/store/sqlite"
)

// userAgent is what Loupe's outgoing requests say they are.
const userAgent = "loupe"

type notifierStore interface {
	notifier.Store
	Collector() prometheus.Collector
	Close() error
}

// openNotifierStore opens the notifier's database, as openIndexerStore.
func openNotifierStore(ctx context.Context, cfg *config.Config) (s notifierStore, where string, err error) {
	if path, ok := config.IsEmbedded(cfg.Notifier.ConnString); ok {
		if path, err = embeddedPath(cfg, path, "notifier.db"); err != nil {
			return nil, "", err
		}
		s, err := sqlite.OpenNotifier(ctx, path)
		return s, path, err
	}
	s, err = postgres.OpenNotifier(ctx, cfg.Notifier.ConnString, cfg.Notifier.Migrations)
	return s, "postgresql", err
}

// newDeliverer builds the configured delivery mechanism (webhook, then
// AMQP, then STOMP, as Clair prefers them) and returns it with the base of
// its callback URLs.
func newDeliverer(cfg *config.Config, client *http.Client) (notifier.Deliverer, string, error) {
	nc := &cfg.Notifier
	switch nc.Delivery() {
	case "webhook":
		var key []byte
		if psk := cfg.Auth.PSK; psk != nil {
			key = psk.Secret()
		}
		d, err := webhook.New(nc.Webhook, webhook.Options{Client: client, SignKey: key, UserAgent: userAgent})
		return d, nc.Webhook.Callback, err
	case "amqp":
		d, err := amqp.New(nc.AMQP)
		return d, nc.AMQP.Callback, err
	case "stomp":
		d, err := stomp.New(nc.STOMP)
		return d, nc.STOMP.Callback, err
	}
	return nil, "", errors.New("no delivery mechanism configured")
}

// newNotifier builds the notifier with its store and deliverer; the
// returned function closes both.
func newNotifier(ctx context.Context, cfg *config.Config, opts Options, m notifier.Matcher, ix notifier.Indexer,
	client *http.Client, reg prometheus.Registerer) (*notifier.Notifier, func() error, error) {
	st, where, err := openNotifierStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	if err := reg.Register(st.Collector()); err != nil {
		st.Close()
		return nil, nil, err
	}
	d, callback, err := newDeliverer(cfg, client)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	n, err := notifier.New(notifier.Options{
		Store:             st,
		Matcher:           m,
		Indexer:           ix,
		Deliverer:         d,
		CallbackBase:      callback,
		PollInterval:      cmp.Or(opts.NotifierPollInterval, time.Duration(cfg.Notifier.PollInterval)),
		DeliveryInterval:  time.Duration(cfg.Notifier.DeliveryInterval),
		RetryMin:          opts.NotifierRetryMin,
		Summary:           !cfg.Notifier.DisableSummary,
		NotifyFirstUpdate: cfg.Notifier.NotifyFirstUpdate,
		Registerer:        reg,
	})
	if err != nil {
		d.Close()
		st.Close()
		return nil, nil, err
	}
	slog.InfoContext(ctx, "notifier ready", "database", where, "delivery", d.Name(), "summary", !cfg.Notifier.DisableSummary)
	return n, func() error { return errors.Join(d.Close(), st.Close()) }, nil
}
