package graph

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// The generated executor builds every object in a fieldSet (in place of
// gqlgen's graphql.FieldSet; graph/gqlgen rewrites the calls) and collects
// its fields with collectFields (in place of graphql.CollectFields). Both do
// gqlgen's work with fewer allocations, which a page of a few hundred
// objects multiplies: the field sets and their values come from a slab per
// request, the set is its own JSON writer, a field that waits for nothing
// is not wrapped in a closure to be run later, and the collected fields are
// found again by the selection's address instead of a key built per object.

// fieldSet holds an object's fields and their values, resolving the fields
// given to ResolveConcurrently or ResolveRootConcurrently when Dispatch is
// called, as graphql.FieldSet does: one in the caller's goroutine, the
// others in goroutines of their own, so that fields waiting for loaders wait
// together.
type fieldSet struct {
	Values   []graphql.Marshaler
	Invalids uint32
	fields   []graphql.CollectedField
	delayed  []delayedField
}

// delayedField is a field resolved at Dispatch; the object is invalid when
// its value is invalid.
type delayedField struct {
	i       int
	invalid graphql.Marshaler
	resolve func(context.Context) graphql.Marshaler
}

// newFieldSet returns a field set for fields, from the request's slab.
func newFieldSet(ctx context.Context, fields []graphql.CollectedField) *fieldSet {
	if m := execMemoOf(ctx); m != nil {
		return m.slab.fieldSet(fields)
	}
	return &fieldSet{fields: fields, Values: make([]graphql.Marshaler, len(fields))}
}

// invalidFor is the value that, resolved for a field, makes its object
// invalid: a null in a non-null field, or a required null from below.
func invalidFor(nonNull bool) graphql.Marshaler {
	if nonNull {
		return graphql.Null
	}
	return graphql.RequiredNull
}

// ResolveConcurrently schedules field i for Dispatch. A deferred field goes
// to the object's deferred group, by gqlgen's own code.
func (m *fieldSet) ResolveConcurrently(oc *graphql.OperationContext, deferred *graphql.DeferredGroup, i int, recoverFromPanic, nonNull bool, resolve func(ctx context.Context) graphql.Marshaler) {
	if m.fields[i].IsDeferred() {
		graphql.NewFieldSet(m.fields).ResolveConcurrently(oc, deferred, i, recoverFromPanic, nonNull, resolve)
		m.Values[i] = graphql.Null
		return
	}
	if recoverFromPanic {
		inner := resolve
		resolve = func(ctx context.Context) graphql.Marshaler { return recoverToNull(ctx, oc, inner) }
	}
	m.delayed = append(m.delayed, delayedField{i: i, invalid: invalidFor(nonNull), resolve: resolve})
}

// ResolveRootConcurrently schedules field i of Query for Dispatch, run in
// ctx (the field's root context) under the operation's root middleware.
func (m *fieldSet) ResolveRootConcurrently(ctx context.Context, oc *graphql.OperationContext, i int, recoverFromPanic, nonNull bool, resolve func(ctx context.Context) graphql.Marshaler) {
	m.delayed = append(m.delayed, delayedField{i: i, invalid: invalidFor(nonNull), resolve: func(context.Context) graphql.Marshaler {
		return oc.RootResolverMiddleware(ctx, func(ctx context.Context) graphql.Marshaler {
			if recoverFromPanic {
				return recoverToNull(ctx, oc, resolve)
			}
			return resolve(ctx)
		})
	}})
}

func recoverToNull(ctx context.Context, oc *graphql.OperationContext, resolve func(ctx context.Context) graphql.Marshaler) (ret graphql.Marshaler) {
	defer recoverField(ctx, oc, &ret)
	return resolve(ctx)
}

// Dispatch resolves the scheduled fields and waits for them.
func (m *fieldSet) Dispatch(ctx context.Context) {
	switch len(m.delayed) {
	case 0:
		return
	case 1:
		m.resolve(ctx, &m.delayed[0])
		return
	}
	if ctx.Value(inlineKey{}) != nil { // nothing here waits (marshalList)
		for k := range m.delayed {
			m.resolve(ctx, &m.delayed[k])
		}
		return
	}
	var wg sync.WaitGroup
	for k := range m.delayed[1:] {
		wg.Go(func() { m.resolve(ctx, &m.delayed[1+k]) })
	}
	m.resolve(ctx, &m.delayed[0])
	wg.Wait()
}

func (m *fieldSet) resolve(ctx context.Context, d *delayedField) {
	v := d.resolve(ctx)
	m.Values[d.i] = v
	if v == d.invalid {
		atomic.AddUint32(&m.Invalids, 1)
	}
}

// MarshalGQL writes the object's fields, as graphql.FieldSet does without
// its set of written names: collectFields has already merged the fields
// that share a name.
func (m *fieldSet) MarshalGQL(w io.Writer) {
	io.WriteString(w, "{")
	for i := range m.fields {
		if i > 0 {
			io.WriteString(w, `,"`)
		} else {
			io.WriteString(w, `"`)
		}
		io.WriteString(w, m.fields[i].Alias) // a GraphQL name: nothing to escape
		io.WriteString(w, `":`)
		m.Values[i].MarshalGQL(w)
	}
	io.WriteString(w, "}")
}

// slab hands out a request's field sets and their values from chunks that
// grow with the request, rather than two allocations per object.
type slab struct {
	mu     sync.Mutex
	sets   []fieldSet
	values []graphql.Marshaler
	chunk  int
}

// maxChunk bounds a chunk of the slab, in field sets (values: 8 times more).
const maxChunk = 1024

func (s *slab) fieldSet(fields []graphql.CollectedField) *fieldSet {
	n := len(fields)
	s.mu.Lock()
	if len(s.sets) == 0 {
		s.chunk = min(max(2*s.chunk, 16), maxChunk)
		s.sets = make([]fieldSet, s.chunk)
	}
	m := &s.sets[0]
	s.sets = s.sets[1:]
	if n > len(s.values) {
		s.values = make([]graphql.Marshaler, max(8*s.chunk, n))
	}
	m.Values, s.values = s.values[:n:n], s.values[n:]
	s.mu.Unlock()
	m.fields = fields
	return m
}

// collectFields is graphql.CollectFields, kept per request by the address
// of the selection set and of the list of types it is collected for (both
// live as long as the request's document and the executor).
func collectFields(ctx context.Context, oc *graphql.OperationContext, sel ast.SelectionSet, satisfies []string) []graphql.CollectedField {
	m := execMemoOf(ctx)
	if m == nil || len(sel) == 0 {
		return graphql.CollectFields(oc, sel, satisfies)
	}
	key := collectKey{selectionKey{unsafe.SliceData(sel), len(sel)}, unsafe.SliceData(satisfies), len(satisfies)}
	m.mu.Lock()
	fields, ok := m.collected[key]
	m.mu.Unlock()
	if !ok {
		fields = graphql.CollectFields(oc, sel, satisfies)
		m.mu.Lock()
		m.collected[key] = fields
		m.mu.Unlock()
	}
	return fields
}

type collectKey struct {
	sel        selectionKey
	satisfies  *string
	nSatisfies int
}

// execMemo is what the executor keeps for one request.
type execMemo struct {
	mu        sync.Mutex
	inline    map[selectionKey]bool // inlineList's verdicts
	collected map[collectKey][]graphql.CollectedField
	slab      slab
}

func newExecMemo() *execMemo {
	return &execMemo{inline: map[selectionKey]bool{}, collected: map[collectKey][]graphql.CollectedField{}}
}

// marshalEnum is graphql.MarshalString for the value of an enum: the few
// values of every enum are marshalled once for the process, not once per
// field (graph/gqlgen rewrites the enums' marshallers to call it).
func marshalEnum(v string) graphql.Marshaler {
	enums.RLock()
	m, ok := enums.m[v]
	enums.RUnlock()
	if ok {
		return m
	}
	m = graphql.MarshalString(v)
	enums.Lock()
	if len(enums.m) < maxEnumValues {
		enums.m[v] = m
	}
	enums.Unlock()
	return m
}

// maxEnumValues bounds the values marshalEnum keeps: far more than the
// schema's enums have, so a bug cannot make it grow without end.
const maxEnumValues = 4096

var enums = struct {
	sync.RWMutex
	m map[string]graphql.Marshaler
}{m: map[string]graphql.Marshaler{}}
