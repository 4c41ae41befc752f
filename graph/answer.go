package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// postTransport is gqlgen's POST transport with the operation's answer
// written by writeAnswer: gqlgen writes it with json.Marshal, which
// validates and compacts again the data the executor has just written
// compactly (7% of the server's CPU on P1 in a profile). Everything else
// (headers, the request's decoding, errors before the operation runs) is
// gqlgen's own.
type postTransport struct{ transport.POST }

func (t postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	aw := &answerWriter{ResponseWriter: w}
	t.POST.Do(aw, r, answering{GraphExecutor: exec, w: aw})
}

// answering is exec with the answer of each operation written to w by
// writeAnswer, and what the transport then writes dropped.
type answering struct {
	graphql.GraphExecutor
	w *answerWriter
}

func (a answering) DispatchOperation(ctx context.Context, rc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	next, ctx := a.GraphExecutor.DispatchOperation(ctx, rc)
	return func(ctx context.Context) *graphql.Response {
		resp := next(ctx)
		b, err := appendAnswer(nil, resp)
		if err != nil || a.w.answered {
			return resp // the transport's own way
		}
		a.w.answered = true
		_, _ = a.w.ResponseWriter.Write(b)
		return &graphql.Response{} // dropped by the answerWriter
	}, ctx
}

// answerWriter passes writes on until the answer has been written.
type answerWriter struct {
	http.ResponseWriter
	answered bool
}

func (w *answerWriter) Write(b []byte) (int, error) {
	if w.answered {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// appendAnswer appends resp as json.Marshal writes it (errors, data,
// label, path, hasNext, extensions), with its data copied as it is: the
// executor wrote it, compact and valid. Data that json.Marshal would
// change (it escapes <, >, &, U+2028 and U+2029) is left to it.
func appendAnswer(b []byte, resp *graphql.Response) ([]byte, error) {
	if resp == nil || escapes(resp.Data) {
		return nil, errNoAnswer
	}
	b = append(b, '{')
	if len(resp.Errors) > 0 {
		errs, err := json.Marshal(resp.Errors)
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, `"errors":`...), errs...), ',')
	}
	b = append(b, `"data":`...)
	if resp.Data == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, resp.Data...)
	}
	rest, err := json.Marshal(&graphql.Response{Label: resp.Label, Path: resp.Path, HasNext: resp.HasNext, Extensions: resp.Extensions})
	if err != nil {
		return nil, err
	}
	// rest is {"data":null…}: what follows its data goes after ours.
	rest, ok := bytes.CutPrefix(rest, []byte(`{"data":null`))
	if !ok {
		return nil, errNoAnswer
	}
	return append(b, rest...), nil
}

var errNoAnswer = errors.New("graph: an answer for json.Marshal")

// escapes reports whether data holds a byte json.Marshal writes otherwise.
func escapes(data []byte) bool {
	for i, c := range data {
		switch c {
		case '<', '>', '&':
			return true
		case 0xE2: // U+2028 and U+2029 are E2 80 A8 and E2 80 A9
			if i+2 < len(data) && data[i+1] == 0x80 && (data[i+2] == 0xA8 || data[i+2] == 0xA9) {
				return true
			}
		}
	}
	return false
}
