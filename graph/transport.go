package graph

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// postJSON is gqlgen's POST transport (transport.POST: which requests it
// takes, the content type it answers in, its statuses) except for how the
// answer is written. gqlgen writes it with json.Marshal, which re-reads the
// whole of data (a json.RawMessage the executor has just written) to check
// and compact it: about 5% of the CPU of a page of tasks (BENCHMARKS.md).
// writeResponse writes data as the executor made it. The body has already
// been checked to be one JSON object with members of the right types
// (plainRequest).
type postJSON struct{ transport.POST }

var _ graphql.Transport = postJSON{}

func (postJSON) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	contentType := responseType(r.Header.Get("Accept"))
	w.Header().Set("Content-Type", contentType)
	// data is written as the executor made it, without json.Marshal's
	// escaping of <, > and & for HTML: no browser may read it as a page.
	w.Header().Set("X-Content-Type-Options", "nosniff")
	start := graphql.Now()
	var params graphql.RawParams
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&params); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{gqlerror.Errorf("json request body could not be decoded: %v", err)}))
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	rc, errs := exec.CreateOperationContext(ctx, &params)
	if errs != nil {
		status := http.StatusOK
		if errcode.GetErrorKind(errs) == errcode.KindProtocol {
			status = http.StatusUnprocessableEntity
			if contentType == graphqlResponseJSON {
				status = http.StatusBadRequest
			}
		}
		w.WriteHeader(status)
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	writeResponse(w, responses(ctx))
}

const graphqlResponseJSON = "application/graphql-response+json"

// responseType is the media type of the answer for an Accept header, as
// gqlgen's POST chooses it: application/json when none is named or for a
// wildcard, else the first of the two JSON types accepted, else
// application/graphql-response+json.
func responseType(accept string) string {
	if accept == "" {
		return "application/json"
	}
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "*/*", "application/*", "application/json":
			return "application/json"
		case graphqlResponseJSON:
			return graphqlResponseJSON
		}
	}
	return graphqlResponseJSON
}

// writeResponse writes resp as json.Marshal would, its members in the same
// order, but with data copied as it is.
func writeResponse(w io.Writer, resp *graphql.Response) {
	var b bytes.Buffer
	b.Grow(len(resp.Data) + 64)
	b.WriteByte('{')
	if len(resp.Errors) > 0 {
		errs, err := json.Marshal(resp.Errors)
		if err != nil {
			panic("graph: writing errors: " + err.Error())
		}
		b.WriteString(`"errors":`)
		b.Write(errs)
		b.WriteByte(',')
	}
	b.WriteString(`"data":`)
	if len(resp.Data) == 0 {
		b.WriteString("null")
	} else {
		b.Write(resp.Data)
	}
	// The other members, each omitted when empty.
	rest, err := json.Marshal(struct {
		Label      string         `json:"label,omitempty"`
		Path       any            `json:"path,omitempty"`
		HasNext    *bool          `json:"hasNext,omitempty"`
		Extensions map[string]any `json:"extensions,omitempty"`
	}{resp.Label, pathOrNil(resp), resp.HasNext, resp.Extensions})
	if err != nil {
		panic("graph: writing a response: " + err.Error())
	}
	if len(rest) > 2 {
		b.WriteByte(',')
		b.Write(rest[1 : len(rest)-1])
	}
	b.WriteByte('}')
	w.Write(b.Bytes())
}

func pathOrNil(resp *graphql.Response) any {
	if len(resp.Path) == 0 {
		return nil
	}
	return resp.Path
}
