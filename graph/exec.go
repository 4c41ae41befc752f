package graph

import (
	"context"
	"unsafe"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// The generated executor calls the three functions of this file in place of
// gqlgen's graphql.ResolveField, graphql.MarshalSliceConcurrently and
// graphql.NewDeferredGroup (graph/gqlgen rewrites the calls after
// generating). gqlgen's versions spend more on bookkeeping than a page's
// fields cost: a goroutine for every element of every list of objects, a
// path and a field set for @defer on every object, and closures around every
// field for the field middleware. These do the same work without them.

// resolveField resolves one field as graphql.ResolveField does, charging it
// to the response budget (spend) instead of through a field middleware: the
// server registers none, and one here would be skipped.
func resolveField[T any](
	ctx context.Context,
	oc *graphql.OperationContext,
	field graphql.CollectedField,
	initializeFieldContext func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error),
	fieldResolver func(ctx context.Context) (any, error),
	middlewareChain func(ctx context.Context, next graphql.Resolver) graphql.Resolver,
	marshal func(ctx context.Context, sel ast.SelectionSet, v T) graphql.Marshaler,
	recoverFromPanic bool,
	nonNull bool,
) (ret graphql.Marshaler) {
	fc, err := initializeFieldContext(ctx, field)
	if err != nil {
		return graphql.Null
	}
	ctx = graphql.WithFieldContext(ctx, fc)
	if recoverFromPanic {
		defer recoverField(ctx, oc, &ret)
	}
	var res any
	if middlewareChain != nil {
		res, ctx, err = resolveChain(ctx, middlewareChain, fieldResolver)
	} else {
		res, err = spend(ctx, fieldResolver)
	}
	return finishField(ctx, oc, fc, field, res, err, marshal, nonNull)
}

// resolvePlain resolves a field that reads a scalar from its object's
// struct (graph/gqlgen picks them: no resolver, no method), with get typed:
// its value is marshalled without boxing and without a field context of its
// own, which is made only when the budget refuses the field, to say where. A
// marshaller's own complaint (a null in a non-null field, which only a bug
// can cause) is reported at the object's path.
func resolvePlain[T any](
	ctx context.Context,
	oc *graphql.OperationContext,
	field graphql.CollectedField,
	initializeFieldContext func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error),
	get func(ctx context.Context) (T, error),
	middlewareChain func(ctx context.Context, next graphql.Resolver) graphql.Resolver,
	marshal func(ctx context.Context, sel ast.SelectionSet, v T) graphql.Marshaler,
	recoverFromPanic bool,
	nonNull bool,
) (ret graphql.Marshaler) {
	if middlewareChain != nil {
		// Reading the field has no effect, so it may precede the
		// directives (get must not escape: it is made per field).
		res, err := get(ctx)
		return resolveField(ctx, oc, field, initializeFieldContext, func(context.Context) (any, error) { return res, err }, middlewareChain, marshal, recoverFromPanic, nonNull)
	}
	if recoverFromPanic {
		defer recoverField(ctx, oc, &ret)
	}
	b, err := charge(ctx)
	var v T
	if err == nil {
		v, err = get(ctx)
	}
	if s, ok := any(&v).(*string); ok && err == nil {
		err = b.chargeBytes(len(*s))
	}
	if err == nil {
		return marshal(ctx, field.Selections, v)
	}
	fc, ferr := initializeFieldContext(ctx, field)
	if ferr != nil {
		return graphql.Null
	}
	return finishField(graphql.WithFieldContext(ctx, fc), oc, fc, field, nil, err, marshal, nonNull)
}

// resolveChain runs a field's directives around its resolver; a directive
// may hand its own context to the resolver, and the field's children are
// resolved in it.
func resolveChain(ctx context.Context, chain func(ctx context.Context, next graphql.Resolver) graphql.Resolver, resolver graphql.Resolver) (any, context.Context, error) {
	rctx := ctx
	res, err := spend(ctx, chain(ctx, func(c context.Context) (any, error) {
		rctx = c
		return resolver(c)
	}))
	return res, rctx, err
}

func recoverField(ctx context.Context, oc *graphql.OperationContext, ret *graphql.Marshaler) {
	if r := recover(); r != nil {
		oc.Error(ctx, oc.Recover(ctx, r))
		*ret = graphql.Null
	}
}

// finishField reports a resolver's error or null, or marshals its value, as
// graphql.ResolveField does; ctx carries the field's context fc.
func finishField[T any](ctx context.Context, oc *graphql.OperationContext, fc *graphql.FieldContext, field graphql.CollectedField, res any, err error, marshal func(ctx context.Context, sel ast.SelectionSet, v T) graphql.Marshaler, nonNull bool) graphql.Marshaler {
	if err != nil {
		oc.Error(ctx, graphql.AddFieldLocationToError(ctx, err))
		if fc.NonNull && !nonNull {
			return graphql.RequiredNull
		}
		return graphql.Null
	}
	if res == nil {
		if nonNull || fc.NonNull {
			graphql.AddInvalidNullError(ctx, "")
		}
		if fc.NonNull && !nonNull {
			return graphql.RequiredNull
		}
		return graphql.Null
	}
	if v, ok := res.(T); ok {
		fc.Result = v
		return marshal(ctx, field.Selections, v)
	}
	if m, ok := res.(graphql.Marshaler); ok {
		fc.Result = m
		return m
	}
	var t T
	oc.Errorf(ctx, `unexpected type %T from middleware/directive chain, should be %T`, res, t)
	return graphql.Null
}

// newDeferredGroup is graphql.NewDeferredGroup for an object whose fields
// are fields: without a deferred field the group stays empty (gqlgen reads
// its field set and labels only for deferred fields), so it costs no path.
func newDeferredGroup(ctx context.Context, fields []graphql.CollectedField) graphql.DeferredGroup {
	for i := range fields {
		if fields[i].IsDeferred() {
			return graphql.NewDeferredGroup(ctx)
		}
	}
	return graphql.DeferredGroup{Context: ctx}
}

// marshalList marshals the elements of a list of objects. gqlgen runs each
// in a goroutine of its own, so that elements whose fields wait for a loader
// wait together for one batch. When no field selected under the elements can
// wait (inlineList), they are marshalled one after another in the caller's
// goroutine; otherwise as gqlgen does.
func marshalList(ctx context.Context, length int, workerLimit int64, omitPanicHandler bool, marshalElement func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	if length <= 1 || !inlineList(ctx) {
		return graphql.MarshalSliceConcurrently(ctx, length, workerLimit, omitPanicHandler, marshalElement)
	}
	ret := make(graphql.Array, length)
	index := make([]int, length)
	fcs := make([]graphql.FieldContext, length)
	ctx = context.WithValue(ctx, inlineKey{}, true)
	for i := range length {
		index[i] = i
		fcs[i].Index = &index[i]
		ret[i] = marshalElementSafely(graphql.WithFieldContext(ctx, &fcs[i]), i, omitPanicHandler, marshalElement)
	}
	return ret
}

func marshalElementSafely(ctx context.Context, i int, omitPanicHandler bool, marshalElement func(ctx context.Context, i int) graphql.Marshaler) (ret graphql.Marshaler) {
	if !omitPanicHandler {
		defer func() {
			if r := recover(); r != nil {
				graphql.AddError(ctx, graphql.Recover(ctx, r))
				ret = graphql.Null
			}
		}()
	}
	return marshalElement(ctx, i)
}

// inlineKey marks the context of the elements of a list marshalled inline:
// nothing under them waits for a loader's batch (or each waits for one
// already enqueued for every element), so an object's delayed fields are
// resolved one after another too (fieldSet.Dispatch).
type inlineKey struct{}

// inlineResolvers are the resolvers that answer without waiting for a
// loader: global IDs, and units, which come from org.Store's cache (units
// are primed with the assignments and the units that name them; only a unit
// the process has never read waits for a batch).
var inlineResolvers = map[[2]string]bool{
	{"Assignment", "orgUnit"}: true,
	{"OrgUnit", "parent"}:     true,
}

// resolvesNow says whether a field of an object of type typeName is
// resolved with its object rather than scheduled for its field set's
// Dispatch: it is not deferred and waits for no loader (a global id, or one
// of inlineResolvers).
func resolvesNow(typeName string, field graphql.CollectedField) bool {
	return !field.IsDeferred() && (field.Name == "id" || inlineResolvers[[2]string{typeName, field.Name}])
}

// inlineList says whether the elements of the list being marshalled (the
// field of ctx) can be marshalled one after another: they are objects of one
// type, and no field selected under them, however deep, is a resolver that
// may wait (a resolver other than an id or one of inlineResolvers). The
// verdict is kept per selection for the rest of the request.
func inlineList(ctx context.Context) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || fc.Field.Definition == nil || fc.Child == nil {
		return false
	}
	sel := fc.Field.Selections
	if len(sel) == 0 {
		return false
	}
	memo := execMemoOf(ctx)
	if memo == nil {
		return false
	}
	key := selectionKey{unsafe.SliceData(sel), len(sel)}
	memo.mu.Lock()
	v, ok := memo.inline[key]
	memo.mu.Unlock()
	if !ok {
		v = inlineSelection(ctx, fc, fc.Field.Definition.Type.Name(), sel, 0, nil)
		memo.mu.Lock()
		memo.inline[key] = v
		memo.mu.Unlock()
	}
	return v
}

// seedInline gives the verdict of inlineList for the `nodes` lists of the
// connection being resolved (the field of ctx), whose elements are of type
// typeName, before they are marshalled: inline when every resolver field
// selected on an element is in ready (its loader primed, or one batch
// enqueued for every element, by the connection's prefetch) and nothing
// deeper waits, else not (execMemo.seedInline combines the verdicts of
// connections sharing a selection).
// The connection's fields are collected as the executor will collect them
// (collectFields, with its implementors), so that the verdict is found again
// by their selections' address.
func seedInline(ctx context.Context, implementors []string, typeName string, ready map[string]bool) {
	fc := graphql.GetFieldContext(ctx)
	memo := execMemoOf(ctx)
	if fc == nil || memo == nil {
		return
	}
	for _, f := range collectFields(ctx, graphql.GetOperationContext(ctx), fc.Field.Selections, implementors) {
		if f.Name != "nodes" || len(f.Selections) == 0 {
			continue
		}
		child, err := fc.Child(ctx, f)
		if err != nil {
			continue
		}
		memo.seedInline(selectionKey{unsafe.SliceData(f.Selections), len(f.Selections)}, inlineSelection(ctx, child, typeName, f.Selections, 0, ready))
	}
}

// seedInline records the verdict v of one connection for the selection
// key. Connections may share a selection (a fragment spread in two) while
// only one of them prefetched every field: a verdict is the AND of the
// verdicts given for it, so a list not ready is never marshalled inline on
// another's word (at worst, a ready one is not).
func (m *execMemo) seedInline(key selectionKey, v bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.inline[key]; ok {
		v = v && old
	}
	m.inline[key] = v
}

// maxInlineDepth bounds the walk; deeper selections are run as gqlgen does.
const maxInlineDepth = 8

// ready names resolver fields of the list's own elements (depth 0) that
// do not wait either: their loaders are primed, or hold one batch enqueued
// for every element (seedInline).
func inlineSelection(ctx context.Context, fc *graphql.FieldContext, typeName string, sel ast.SelectionSet, depth int, ready map[string]bool) bool {
	def := parsedSchema.Types[typeName]
	if def == nil || def.Kind != ast.Object || depth > maxInlineDepth {
		return false
	}
	oc := graphql.GetOperationContext(ctx)
	for _, f := range graphql.CollectFields(oc, sel, []string{typeName}) {
		if f.Name == "__typename" {
			continue
		}
		child, err := fc.Child(ctx, f)
		if err != nil {
			return false
		}
		if child.IsResolver && f.Name != "id" && !inlineResolvers[[2]string{typeName, f.Name}] && !(depth == 0 && ready[f.Name]) {
			return false
		}
		if len(f.Selections) > 0 && !inlineSelection(ctx, child, f.Definition.Type.Name(), f.Selections, depth+1, nil) {
			return false
		}
	}
	return true
}

// selectionKey names a selection set by its array, as gqlgen's own cache of
// collected fields does: the sets of the parsed document, or the new one
// gqlgen makes when it merges fields of the same name.
type selectionKey struct {
	first *ast.Selection
	n     int
}
