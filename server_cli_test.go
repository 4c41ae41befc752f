package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"strings"
	"testing"
)

// Asking for help prints the usage on stdout and succeeds, without opening
// or creating a database; an unknown command still fails with the usage.
func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"admin", "--help"}, {"admin", "-h"}, {"admin", "help"},
		{"admin", "create", "--help"}, {"serve", "--help"}, {"gen", "--help"}} {
		dir := t.TempDir()
		var out bytes.Buffer
		err := run(context.Background(), args, func(k string) string {
			if k == "P06_DATA_DIR" {
				return dir
			}
			return ""
		}, &out, io.Discard)
		if err != nil {
			t.Errorf("%v: %v", args, err)
		}
		if !strings.HasPrefix(out.String(), "usage:") || !strings.Contains(out.String(), "p06 admin create") {
			t.Errorf("%v printed %q, want the usage", args, out.String())
		}
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			t.Errorf("%v touched the data directory: %v", args, entries)
		}
	}
	err := run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `unknown command "frobnicate"`) || !strings.Contains(err.Error(), "usage:") {
		t.Errorf("unknown command: %v", err)
	}
}

// The start-up line gives an address a browser can open.
func TestListeningLineIsUsable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, "localhost:8080"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}, "localhost:8080"},
		{&net.TCPAddr{Port: 8080}, "localhost:8080"},
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}, "127.0.0.1:80"},
		{&net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 8443}, "10.1.2.3:8443"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 8080}, "[::1]:8080"},
	} {
		if got := displayAddr(tc.addr); got != tc.want {
			t.Errorf("displayAddr(%v) = %q, want %q", tc.addr, got, tc.want)
		}
	}
	// The whole program on all interfaces: the line names localhost, and
	// that URL answers (startServer polls /healthz on it).
	base := startServer(t, map[string]string{"P06_ADDR": ":0", "P06_DATA_DIR": t.TempDir(), "P06_SEED": "reference"})
	if !strings.HasPrefix(base, "http://localhost:") {
		t.Errorf("listening on %s, want http://localhost:PORT", base)
	}
}

// Standard input that is not a terminal (a pipe, as in scripts) gives its
// first line as the password. On a terminal, term.ReadPassword reads it
// without echo; that needs a real terminal and is not tested here.
func TestReadPasswordFromPipe(t *testing.T) {
	t.Parallel()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() { io.WriteString(w, "a-long-secret-1\r\nsecond line\n"); w.Close() }()
	var out bytes.Buffer
	got, err := readPassword(r, &out)
	if err != nil || got != "a-long-secret-1" {
		t.Errorf("readPassword = %q, %v", got, err)
	}
	if !strings.Contains(out.String(), "Mật khẩu") {
		t.Errorf("no prompt: %q", out.String())
	}
}
