package pgtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// Cluster is a throwaway PostgreSQL cluster: its own data directory and
// port on loopback, trust authentication, stopped and removed by Stop.
type Cluster struct {
	dir, bin string
	port     int
	asUser   string // run the server as this user (root cannot)

	mu      sync.Mutex
	running bool
}

// StartCluster initializes and starts a cluster in a new directory under
// dir (or the system's temporary directory, always when running as root,
// since the server then runs as the postgres user).
func StartCluster(dir string) (*Cluster, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root.
		if _, err := user.Lookup("postgres"); err != nil {
			return nil, fmt.Errorf("running as root and there is no postgres user to run the cluster as")
		}
		c.asUser = "postgres"
		// The server's user must reach its directory: use the system's
		// temporary directory, not one only root can enter.
		dir = ""
	}
	if c.dir, err = os.MkdirTemp(dir, "loupe-pgtest-"); err != nil {
		return nil, err
	}
	if c.asUser != "" {
		if err := exec.Command("chown", c.asUser, c.dir).Run(); err != nil {
			return nil, fmt.Errorf("chown %s: %w", c.dir, err)
		}
	}
	data := filepath.Join(c.dir, "data")
	if out, err := c.cmd("initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8").CombinedOutput(); err != nil {
		c.remove()
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	if c.port, err = freePort(); err != nil {
		c.remove()
		return nil, err
	}
	if err := c.Start(); err != nil {
		c.remove()
		return nil, err
	}
	return c, nil
}

// findBin finds the directory with initdb and pg_ctl: on the PATH, or in
// Debian's /usr/lib/postgresql/<version>/bin.
func findBin() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	for i := len(matches) - 1; i >= 0; i-- {
		dir := filepath.Dir(matches[i])
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	return "", ErrNoCluster
}

func (c *Cluster) cmd(name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, name)
	if c.asUser != "" {
		return exec.Command("runuser", append([]string{"-u", c.asUser, "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// ConnString returns a connection string for database on the cluster.
func (c *Cluster) ConnString(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, database)
}

// Start starts the server (again) on the same port and data.
func (c *Cluster) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	opts := "-h 127.0.0.1 -p " + strconv.Itoa(c.port) + " -k " + c.dir + " -c fsync=off -c max_connections=200"
	out, err := c.cmd("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-l", filepath.Join(c.dir, "log"), "-o", opts, "-w", "-t", "60", "start").CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	c.running = true
	return nil
}

// Stop stops the server (fast shutdown: clients are disconnected).
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return nil
	}
	out, err := c.cmd("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "fast", "-w", "-t", "60", "stop").CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	c.running = false
	return nil
}

// Close stops the server and removes its files.
func (c *Cluster) Close() error {
	err := c.Stop()
	c.remove()
	return err
}

func (c *Cluster) remove() { os.RemoveAll(c.dir) }

// WaitReady waits until the server accepts connections.
func (c *Cluster) WaitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ping(c.ConnString("postgres"))
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
