package main

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ticksPerSecond is USER_HZ, the unit of the times in /proc/PID/stat: 100
// on every Linux architecture this tool runs on (the kernel converts to it
// whatever its own HZ).
const ticksPerSecond = 100

// procStat is what this tool reads of one line of /proc/PID/stat.
type procStat struct {
	pid, ppid int
	// cpu is utime+stime+cutime+cstime in ticks: the process's own CPU
	// (all its threads) and that of its children that ended and were
	// waited for.
	cpu int64
}

// parseStat reads a /proc/PID/stat line. The command name (field 2) is in
// parentheses and may itself hold spaces and parentheses, so the fields
// after it are counted from the last ')'.
func parseStat(line []byte) (procStat, error) {
	open, end := bytes.IndexByte(line, '('), bytes.LastIndexByte(line, ')')
	if open < 1 || end < open {
		return procStat{}, fmt.Errorf("not a /proc stat line: %.60q", line)
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(line[:open])))
	if err != nil {
		return procStat{}, fmt.Errorf("stat: pid: %w", err)
	}
	// After ")": 3 state, 4 ppid, …, 14 utime, 15 stime, 16 cutime, 17 cstime.
	f := strings.Fields(string(line[end+1:]))
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("stat of %d: only %d fields", pid, len(f)+2)
	}
	s := procStat{pid: pid}
	if s.ppid, err = strconv.Atoi(f[1]); err != nil {
		return procStat{}, fmt.Errorf("stat of %d: ppid: %w", pid, err)
	}
	for _, v := range f[11:15] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return procStat{}, fmt.Errorf("stat of %d: cpu times: %w", pid, err)
		}
		s.cpu += n
	}
	return s, nil
}

// procFS reads processes from a /proc directory (a fake one in tests).
type procFS struct{ root string }

// all returns the stat of every process (not thread) in the directory;
// processes that end while it reads are left out.
func (p procFS) all() (map[int]procStat, error) {
	ents, err := os.ReadDir(p.root)
	if err != nil {
		return nil, err
	}
	out := make(map[int]procStat, len(ents))
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(p.root, e.Name(), "stat"))
		if err != nil {
			continue // gone
		}
		s, err := parseStat(b)
		if err != nil {
			return nil, err
		}
		out[pid] = s
	}
	return out, nil
}

// treeCPU is the CPU in ticks of pid and of its live descendants (a server
// started through a wrapper, a Node.js process with workers), each with
// its waited-for children: what the tree has used since it started.
func (p procFS) treeCPU(pid int) (int64, error) {
	procs, err := p.all()
	if err != nil {
		return 0, err
	}
	if _, ok := procs[pid]; !ok {
		return 0, fmt.Errorf("no process %d", pid)
	}
	children := make(map[int][]int)
	for _, s := range procs {
		children[s.ppid] = append(children[s.ppid], s.pid)
	}
	var total int64
	for todo := []int{pid}; len(todo) > 0; {
		q := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		total += procs[q].cpu
		todo = append(todo, children[q]...)
	}
	return total, nil
}

// backendCPU is the CPU in ticks of the PostgreSQL backends connected to
// database db, keyed by pid: the processes titled
// "postgres: [CLUSTER: ]USER DB HOST STATE".
func (p procFS) backendCPU(db string) (map[int]int64, error) {
	procs, err := p.all()
	if err != nil {
		return nil, err
	}
	out := make(map[int]int64)
	for pid, s := range procs {
		b, err := os.ReadFile(filepath.Join(p.root, strconv.Itoa(pid), "cmdline"))
		if err != nil {
			continue
		}
		if backendOf(string(b)) == db {
			out[pid] = s.cpu
		}
	}
	return out, nil
}

// backendOf is the database of a PostgreSQL backend's process title, or ""
// when it is not a client backend.
func backendOf(cmdline string) string {
	title, ok := strings.CutPrefix(strings.TrimRight(cmdline, "\x00 "), "postgres: ")
	if !ok {
		return ""
	}
	f := strings.Fields(title)
	if len(f) > 0 && strings.HasSuffix(f[0], ":") { // cluster_name, "15/main:"
		f = f[1:]
	}
	// USER DB HOST(PORT) STATE; the auxiliary processes have other shapes
	// ("checkpointer", "logical replication launcher").
	if len(f) < 3 || !strings.Contains(f[2], "(") && f[2] != "[local]" {
		return ""
	}
	return f[1]
}

// cpuMeter measures the CPU a server process tree and, optionally, the
// PostgreSQL backends of one database use between start and stop.
//
// A backend that ends takes its CPU with it (its parent, the postmaster,
// gathers the CPU of every database's backends), so while it runs the
// meter reads the backends every poll and keeps the last figure of each:
// a backend that ends (pgbench's, at the end of its run; a pool's, when it
// closes a connection) loses at most one poll's worth.
type cpuMeter struct {
	fs   procFS
	pid  int           // 0: no server
	db   string        // "": no backends
	poll time.Duration // 0: read the backends at start and stop only

	server  int64         // the tree's CPU at start
	first   map[int]int64 // each backend's CPU when first seen (0 for those that started later)
	mu      sync.Mutex
	last    map[int]int64 // each backend's CPU when last seen
	err     error         // of a poll
	halt    chan struct{}
	stopped chan struct{}
}

func (m *cpuMeter) start() error {
	var err error
	if m.pid != 0 {
		if m.server, err = m.fs.treeCPU(m.pid); err != nil {
			return err
		}
	}
	if m.db == "" {
		return nil
	}
	if m.first, err = m.fs.backendCPU(m.db); err != nil {
		return err
	}
	m.last = maps.Clone(m.first)
	if m.poll > 0 {
		m.halt, m.stopped = make(chan struct{}), make(chan struct{})
		go func() {
			defer close(m.stopped)
			tick := time.NewTicker(m.poll)
			defer tick.Stop()
			for {
				select {
				case <-m.halt:
					return
				case <-tick.C:
					m.sample()
				}
			}
		}()
	}
	return nil
}

// sample reads the backends' CPU now.
func (m *cpuMeter) sample() {
	now, err := m.fs.backendCPU(m.db)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.err = err
		return
	}
	maps.Copy(m.last, now)
}

// stop returns the CPU used since start by the server tree and by the
// backends.
func (m *cpuMeter) stop() (server, backends time.Duration, err error) {
	if m.pid != 0 {
		now, err := m.fs.treeCPU(m.pid)
		if err != nil {
			return 0, 0, err
		}
		server = ticks(now - m.server)
	}
	if m.db == "" {
		return server, 0, nil
	}
	if m.halt != nil {
		close(m.halt)
		<-m.stopped
	}
	m.sample()
	if m.err != nil {
		return 0, 0, m.err
	}
	var sum int64
	for pid, t := range m.last {
		sum += t - m.first[pid]
	}
	return server, ticks(sum), nil
}

func ticks(n int64) time.Duration { return time.Duration(n) * time.Second / ticksPerSecond }
