package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// serverVars reads the counters a p06 server publishes under "p06" on its
// debug listener's /debug/vars (P06_PPROF): sql_statements and
// graphql_requests, both counted since the process started.
func serverVars(ctx context.Context, url string) (map[string]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading the server's counters: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("reading the server's counters: %s answered %s", url, res.Status)
	}
	var v struct {
		P06 map[string]int64 `json:"p06"`
	}
	if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
		return nil, fmt.Errorf("reading the server's counters from %s: %w", url, err)
	}
	for _, k := range []string{"sql_statements", "graphql_requests"} {
		if _, ok := v.P06[k]; !ok {
			return nil, fmt.Errorf("%s has no p06.%s", url, k)
		}
	}
	return v.P06, nil
}
