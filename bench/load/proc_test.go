package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A stat line as the kernel writes it; fields 14–17 are utime, stime,
// cutime, cstime.
func statLine(pid, ppid int, comm string, utime, stime, cutime, cstime int) string {
	return fmt.Sprintf("%d (%s) S %d %d %d 0 -1 4194560 100 0 0 0 %d %d %d %d 20 0 7 0 1234 1000000 500 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n",
		pid, comm, ppid, pid, pid, utime, stime, cutime, cstime)
}

func TestParseStat(t *testing.T) {
	// The command name may hold spaces and parentheses.
	s, err := parseStat([]byte(statLine(4242, 17, "node (worker) 2", 300, 45, 7, 3)))
	if err != nil {
		t.Fatal(err)
	}
	if s.pid != 4242 || s.ppid != 17 || s.cpu != 355 {
		t.Fatalf("parsed %+v, want pid 4242, ppid 17, cpu 355", s)
	}
	if _, err := parseStat([]byte("4242 (short) S 17 1 2\n")); err == nil {
		t.Error("a truncated line parsed")
	}
	// This process's own line.
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Skip("no /proc here:", err)
	}
	self, err := parseStat(b)
	if err != nil {
		t.Fatal(err)
	}
	if self.pid != os.Getpid() || self.ppid != os.Getppid() {
		t.Errorf("/proc/self/stat read as pid %d ppid %d, want %d %d", self.pid, self.ppid, os.Getpid(), os.Getppid())
	}
}

// fakeProc writes a /proc directory: pid → stat line and command line.
func fakeProc(t *testing.T, procs map[int][2]string) procFS {
	root := t.TempDir()
	for pid, p := range procs {
		dir := filepath.Join(root, fmt.Sprint(pid))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "stat"), []byte(p[0]), 0o644)
		os.WriteFile(filepath.Join(dir, "cmdline"), []byte(p[1]), 0o644)
	}
	os.WriteFile(filepath.Join(root, "uptime"), []byte("1.0 1.0\n"), 0o644) // not a process
	return procFS{root: root}
}

func TestTreeCPUCountsLiveDescendants(t *testing.T) {
	fs := fakeProc(t, map[int][2]string{
		1:  {statLine(1, 0, "init", 5, 5, 0, 0), "init\x00"},
		10: {statLine(10, 1, "sh", 1, 1, 0, 0), "sh\x00-c\x00postgraphile\x00"},       // the wrapper given as --pid
		11: {statLine(11, 10, "node", 200, 50, 20, 10), "node\x00cli-run.js\x00"},     // with a child that ended (cutime/cstime)
		12: {statLine(12, 11, "node worker", 40, 10, 0, 0), "node\x00worker.js\x00"},  // a grandchild
		20: {statLine(20, 1, "other", 1000, 1000, 0, 0), "other\x00"},                 // not in the tree
		21: {statLine(21, 20, "other child", 1000, 1000, 0, 0), "other\x00child\x00"}, // nor this
	})
	got, err := fs.treeCPU(10)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(2 + 280 + 50); got != want {
		t.Errorf("tree of 10: %d ticks, want %d", got, want)
	}
	if _, err := fs.treeCPU(99); err == nil {
		t.Error("no error for a process that does not exist")
	}
	if d := ticks(332); d != 3320*time.Millisecond {
		t.Errorf("332 ticks = %v", d)
	}
}

func TestBackendCPUOfOneDatabase(t *testing.T) {
	title := func(s string) string { return s + "\x00\x00\x00" } // PostgreSQL pads its title
	fs := fakeProc(t, map[int][2]string{
		100: {statLine(100, 1, "postgres", 50, 50, 0, 0), "/usr/lib/postgresql/15/bin/postgres\x00-D\x00/var/lib/postgresql/15/main\x00"},
		101: {statLine(101, 100, "postgres", 9, 1, 0, 0), title("postgres: 15/main: checkpointer")},
		102: {statLine(102, 100, "postgres", 30, 5, 0, 0), title("postgres: 15/main: postgres p06_bench 127.0.0.1(40000) idle")},
		103: {statLine(103, 100, "postgres", 60, 5, 0, 0), title("postgres: 15/main: postgres p06_bench 127.0.0.1(40002) SELECT")},
		104: {statLine(104, 100, "postgres", 70, 7, 0, 0), title("postgres: 15/main: postgres p06_other 127.0.0.1(40004) idle")},
		105: {statLine(105, 100, "postgres", 11, 0, 0, 0), title("postgres: app p06_bench [local] idle")}, // no cluster name, a socket
		106: {statLine(106, 100, "postgres", 5, 0, 0, 0), title("postgres: 15/main: logical replication launcher")},
	})
	m := cpuMeter{fs: fs, db: "p06_bench"}
	if err := m.start(); err != nil {
		t.Fatal(err)
	}
	if want := map[int]int64{102: 35, 103: 65, 105: 11}; fmt.Sprint(m.first) != fmt.Sprint(want) {
		t.Fatalf("backends of p06_bench: %v, want %v", m.first, want)
	}
	// 102 works 100 ticks; 103 works 50, is read by a poll, works 10 more
	// and ends (those are lost); 107 starts and works 20.
	os.WriteFile(filepath.Join(fs.root, "102", "stat"), []byte(statLine(102, 100, "postgres", 130, 5, 0, 0)), 0o644)
	os.WriteFile(filepath.Join(fs.root, "103", "stat"), []byte(statLine(103, 100, "postgres", 110, 5, 0, 0)), 0o644)
	m.sample()
	os.WriteFile(filepath.Join(fs.root, "103", "stat"), []byte(statLine(103, 100, "postgres", 120, 5, 0, 0)), 0o644)
	os.RemoveAll(filepath.Join(fs.root, "103"))
	os.MkdirAll(filepath.Join(fs.root, "107"), 0o755)
	os.WriteFile(filepath.Join(fs.root, "107", "stat"), []byte(statLine(107, 100, "postgres", 15, 5, 0, 0)), 0o644)
	os.WriteFile(filepath.Join(fs.root, "107", "cmdline"), []byte(title("postgres: 15/main: postgres p06_bench 127.0.0.1(40010) idle")), 0o644)
	_, backends, err := m.stop()
	if err != nil {
		t.Fatal(err)
	}
	if backends != 1700*time.Millisecond {
		t.Errorf("backends used %v, want 1.7s (100 + 50 + 20 ticks)", backends)
	}
}
