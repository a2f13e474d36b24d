package broker

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"slices"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/config"
	"github.com/loupe-dev/loupe/notifier"
)

// Messages returns the message bodies of a set. Without direct mode it
// is one message, the JSON object {"notification_id", "callback"}. In
// direct mode it is the set's notifications, as JSON arrays of at most
// rollup (at least 1) notifications, each followed by a newline; a set
// with no notifications is no message.
func Messages(ctx context.Context, dl *notifier.Delivery, direct bool, rollup int) ([][]byte, error) {
	if !direct {
		b, err := json.Marshal(loupe.Callback{NotificationID: dl.ID, Callback: dl.Callback})
		if err != nil {
			return nil, err
		}
		return [][]byte{b}, nil
	}
	ns, err := dl.Notifications(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading set %s: %w", dl.ID, err)
	}
	var bodies [][]byte
	for chunk := range slices.Chunk(ns, max(rollup, 1)) {
		b, err := json.Marshal(chunk)
		if err != nil {
			return nil, fmt.Errorf("set %s: %w", dl.ID, err)
		}
		bodies = append(bodies, append(b, '\n'))
	}
	return bodies, nil
}

// TLS returns the client TLS settings c describes: the system's roots
// plus RootCA, and the certificate Cert and Key when set. Unlike a server
// certificate, a client certificate is optional: RootCA alone will do.
func TLS(c *config.TLS) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.RootCA != "" {
		pem, err := os.ReadFile(c.RootCA)
		if err != nil {
			return nil, err
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("root_ca %s: no PEM certificate", c.RootCA)
		}
		cfg.RootCAs = pool
	}
	if c.Cert != "" || c.Key != "" {
		cert, err := tls.LoadX509KeyPair(c.Cert, c.Key)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
