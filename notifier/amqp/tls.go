package amqp

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/loupe-dev/loupe/config"
)

// tlsConfig returns the client TLS settings c describes: the system's
// roots plus RootCA, and the certificate Cert and Key when set. Unlike
// config.Validate, it accepts a RootCA alone.
func tlsConfig(c *config.TLS) (*tls.Config, error) {
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
