package deploy

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const unitFile = "systemd/loupe.service"

// TestSystemdUnit runs systemd-analyze verify on the unit, when
// systemd-analyze is installed (quietly skipped otherwise). The unit's
// binary is not installed here, so the copy verified names the test binary
// in its place; everything else is the unit as shipped. Any complaint
// fails the test: verify reports unknown keys and bad values as warnings.
func TestSystemdUnit(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	b, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil || strings.ContainsAny(self, " \t") {
		t.Skipf("no usable path for the test binary (%q, %v)", self, err)
	}
	const bin = "/usr/local/bin/loupe"
	if !strings.Contains(string(b), "ExecStart="+bin+" ") {
		t.Fatalf("%s: ExecStart does not run %s", unitFile, bin)
	}
	unit := filepath.Join(t.TempDir(), "loupe.service")
	if err := os.WriteFile(unit, []byte(strings.ReplaceAll(string(b), "ExecStart="+bin, "ExecStart="+self)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", unit).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify %s: %v\n%s", unitFile, err, out)
	}

	// The hardening, as systemd scores it (older systemd-analyze has no
	// --offline; then this part is skipped).
	out, err = exec.Command(analyze, "security", "--offline=yes", "--no-pager", unit).CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindSubmatch(out)
	if err != nil || m == nil {
		t.Logf("systemd-analyze security --offline: %v; not checked", err)
		return
	}
	if score, _ := strconv.ParseFloat(string(m[1]), 64); score > 2.5 {
		t.Errorf("systemd-analyze security: exposure %.1f, want at most 2.5:\n%s", score, out)
	}
}

// TestSystemdUnitSettings checks what the unit must say for Loupe, which
// systemd-analyze cannot know.
func TestSystemdUnitSettings(t *testing.T) {
	f, err := os.Open(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	set := map[string][]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			section = line
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Errorf("%s: %q is not key=value", unitFile, line)
			}
			set[section+k] = append(set[section+k], v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"[Service]ExecStart":       "/usr/local/bin/loupe -conf /etc/loupe/config.yaml -mode combo",
		"[Service]StateDirectory":  "loupe",
		"[Service]ProtectSystem":   "strict",
		"[Service]NoNewPrivileges": "yes",
		"[Service]KillSignal":      "SIGTERM",
		"[Install]WantedBy":        "multi-user.target",
	} {
		if got := set[k]; len(got) != 1 || got[0] != want {
			t.Errorf("%s: %s = %q, want %q", unitFile, k, got, want)
		}
	}
	if u := set["[Service]User"]; len(u) == 0 && len(set["[Service]DynamicUser"]) == 0 {
		t.Errorf("%s: runs as root", unitFile)
	}
	// Loupe gives requests in flight 30 s after SIGTERM.
	if stop := set["[Service]TimeoutStopSec"]; len(stop) != 1 || int64(parseSeconds(stop[0])) <= loupeShutdownGrace {
		t.Errorf("%s: TimeoutStopSec %q must exceed Loupe's %d s shutdown grace", unitFile, stop, loupeShutdownGrace)
	}
}

// parseSeconds reads a systemd time span of plain seconds ("45", "45s").
func parseSeconds(s string) int {
	n, err := strconv.Atoi(strings.TrimSuffix(s, "s"))
	if err != nil {
		return -1
	}
	return n
}
