package pgtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

func TestDB(t *testing.T) {
	conn := DB(t)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var name string
	if err := c.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if len(name) < len("loupe_test_") || name[:len("loupe_test_")] != "loupe_test_" {
		t.Errorf("database %q is not a fresh test database", name)
	}
}

// TestCluster starts, restarts and removes a throwaway cluster.
func TestCluster(t *testing.T) {
	c, err := StartCluster(t.TempDir())
	if errors.Is(err, ErrNoCluster) {
		Skip(t, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := ping(c.ConnString("postgres")); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := ping(c.ConnString("postgres")); err == nil {
		t.Fatal("stopped cluster still answers")
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitReady(30 * time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestWithDatabase(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u@h:5432/postgres?sslmode=disable": "postgres://u@h:5432/x?sslmode=disable",
		"host=h user=u dbname=postgres":                "host=h user=u dbname=x",
		"host=h user=u":                                "host=h user=u dbname=x",
	} {
		if got := withDatabase(in, "x"); got != want {
			t.Errorf("withDatabase(%q) = %q, want %q", in, got, want)
		}
	}
	_ = pgx.Identifier{}
}
