package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// pgbenchLog adds the transactions of one pgbench per-transaction log
// (pgbench -l) to t, and widens [first, last] (Unix microseconds; 0 for
// unset) to cover them. Each line is
// "client_id transaction_no time script_no time_epoch time_us
// [schedule_lag]": time is the transaction's latency in microseconds (or
// "failed" / "skipped"), time_epoch.time_us when it ended.
func pgbenchLog(r io.Reader, t *tally, first, last *int64) error {
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) < 6 {
			return fmt.Errorf("line %d: not a pgbench -l line: %q", line, sc.Text())
		}
		if f[2] == "failed" || f[2] == "skipped" {
			t.add(0, outcome{err: fmt.Errorf("pgbench: a transaction %s", f[2])})
			continue
		}
		us, err1 := strconv.ParseInt(f[2], 10, 64)
		sec, err2 := strconv.ParseInt(f[4], 10, 64)
		frac, err3 := strconv.ParseInt(f[5], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return fmt.Errorf("line %d: not a pgbench -l line: %q", line, sc.Text())
		}
		end := sec*1e6 + frac
		begin := end - us
		if *first == 0 || begin < *first {
			*first = begin
		}
		*last = max(*last, end)
		t.add(time.Duration(us)*time.Microsecond, outcome{})
	}
	return sc.Err()
}
