package server

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certCheckInterval bounds how often the certificate files are checked
// for changes: at most once per interval, on a handshake.
const certCheckInterval = time.Second

// certReloader serves the certificate in a pair of PEM files, and loads
// it again when either file changes (a renewal by cert-manager, a Secret
// update, a rotation by hand), without a restart. A pair that does not
// load (a renewal half written) is logged and the previous one kept.
type certReloader struct {
	certFile, keyFile string

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   string // the files' sizes and times when cert was loaded
	checked time.Time
}

func newCertReloader(certFile, keyFile string) (*certReloader, error) {
	c := &certReloader{certFile: certFile, keyFile: keyFile}
	stamp, err := c.fileStamp()
	if err != nil {
		return nil, err
	}
	if err := c.load(stamp); err != nil {
		return nil, err
	}
	c.checked = time.Now()
	return c, nil
}

// fileStamp identifies the files' current contents by size and
// modification time (stat follows the symlinks Kubernetes swaps).
func (c *certReloader) fileStamp() (string, error) {
	var s string
	for _, f := range []string{c.certFile, c.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return "", err
		}
		s += fmt.Sprintf("%d@%d;", fi.Size(), fi.ModTime().UnixNano())
	}
	return s, nil
}

func (c *certReloader) load(stamp string) error {
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return err
	}
	c.cert, c.stamp = &cert, stamp
	return nil
}

// GetCertificate is for tls.Config.
func (c *certReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.checked) >= certCheckInterval {
		c.checked = time.Now()
		stamp, err := c.fileStamp()
		switch {
		case err != nil:
			slog.Warn("checking the TLS certificate files; serving the loaded one", "reason", err)
		case stamp != c.stamp:
			if err := c.load(stamp); err != nil {
				slog.Warn("reloading the TLS certificate; serving the previous one", "reason", err)
				c.stamp = stamp // do not retry until the files change again
			} else {
				slog.Info("TLS certificate reloaded", "cert", c.certFile)
			}
		}
	}
	return c.cert, nil
}
