// Command gqlgen generates the GraphQL executor (graph/*.generated.go): it
// runs gqlgen as `go tool gqlgen generate` does, with gqlgen.yml, and then
// points the generated code at functions of package graph (graph/exec.go,
// graph/fieldset.go) in place of gqlgen's own:
//
//   - graphql.ResolveField → resolveField (the same work without the field
//     middleware's closures; it checks the response budget itself), and
//     resolvePlain for a field that reads a scalar from its struct (its
//     field context says neither method nor resolver);
//   - graphql.MarshalSliceConcurrently → marshalList (the elements of a list
//     one after another, in the caller's goroutine, when nothing selected
//     under them waits for a loader);
//   - graphql.NewDeferredGroup(ctx) → newDeferredGroup(ctx, fields) (no
//     bookkeeping for @defer unless a field of the object is deferred);
//   - graphql.NewFieldSet → newFieldSet, and graphql.CollectFields →
//     collectFields (graph/fieldset.go: from a slab per request, kept per
//     request);
//   - an enum's value is marshalled by marshalEnum, once per value;
//   - a field scheduled for the field set's Dispatch is resolved at once
//     when resolvesNow says it waits for nothing.
//
// Run it from the module root: go run ./graph/gqlgen
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen/config"
)

// rewrites are applied to every generated file of the executor; each must
// match somewhere, so a gqlgen upgrade that changes the generated shape
// fails here rather than silently running gqlgen's versions.
var rewrites = []struct{ from, to string }{
	{"graphql.ResolveField(", "resolveField("},
	{"graphql.MarshalSliceConcurrently(", "marshalList("},
	{"graphql.NewDeferredGroup(ctx)", "newDeferredGroup(ctx, fields)"},
	{"graphql.CollectFields(ec.OperationContext, sel, ", "collectFields(ctx, ec.OperationContext, sel, "},
	{"out := graphql.NewFieldSet(fields)", "out := newFieldSet(ctx, fields)"},
	// Only the marshallers of enums convert their value to a string.
	{"graphql.MarshalString(string(v))", "marshalEnum(string(v))"},
	{"graphql.MarshalString(string(*v))", "marshalEnum(string(*v))"},
}

// scheduled matches a field of an object scheduled to be resolved at
// Dispatch; it is rewritten to be resolved at once when resolvesNow says
// it waits for nothing (its resolver recovers from panics itself).
var scheduled = regexp.MustCompile(`(?m)^(\t\tcase "\w+":\n)(\t\t\tout\.ResolveConcurrently\(ec\.OperationContext, &deferred, i,\n\t\t\t\ttrue, (true|false),\n\t\t\t\tfunc\(ctx context\.Context\) graphql\.Marshaler \{\n\t\t\t\t\treturn ec\._(\w+?)_(\w+)\(ctx, field, obj\)\n\t\t\t\t\}\)\n)`)

func resolvedNow(m [][]byte) []byte {
	invalid := "graphql.RequiredNull"
	if string(m[3]) == "true" {
		invalid = "graphql.Null"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\t\t\tif resolvesNow(%q, field) {\n\t\t\t\tout.Values[i] = ec._%s_%s(ctx, field, obj)\n"+
		"\t\t\t\tif out.Values[i] == %s {\n\t\t\t\t\tatomic.AddUint32(&out.Invalids, 1)\n\t\t\t\t}\n\t\t\t} else {\n",
		m[1], m[4], m[4], m[5], invalid)
	b.WriteString("\t")
	b.Write(bytes.ReplaceAll(m[2], []byte("\n\t"), []byte("\n\t\t")))
	b.Truncate(b.Len() - 1)
	b.WriteString("\n\t\t\t}\n")
	return b.Bytes()
}

// plainField matches the field context of a field that reads a scalar from
// its object's struct, and plainCall the call that resolves it.
var plainField = regexp.MustCompile(`(?m)^func \(ec \*executionContext\) fieldContext_(\w+)\(_ context.Context, field graphql.CollectedField\) \(fc \*graphql.FieldContext, err error\) \{\n\treturn graphql.NewScalarFieldContext\("\w+", field, false, false, "\w+"\)\n\}`)

func plainCall(name string) []byte {
	return []byte("func (ec *executionContext) _" + name + "(")
}

// marshalledType matches the type a field's marshaller takes.
var marshalledType = regexp.MustCompile(`func\(ctx context.Context, selections ast.SelectionSet, v ([^)]+)\) graphql.Marshaler \{`)

// plainBody rewrites the function resolving a plain scalar field to call
// resolvePlain with a getter of the field's own type (no boxing in any).
func plainBody(fn []byte) ([]byte, error) {
	typ := marshalledType.FindSubmatch(fn)
	if typ == nil || bytes.Count(fn, []byte("\treturn resolveField(")) != 1 || bytes.Count(fn, []byte("func(ctx context.Context) (any, error) {")) != 1 {
		return nil, fmt.Errorf("not in the expected shape")
	}
	fn = bytes.Replace(fn, []byte("\treturn resolveField("), []byte("\treturn resolvePlain("), 1)
	return bytes.Replace(fn, []byte("func(ctx context.Context) (any, error) {"), []byte("func(ctx context.Context) ("+string(typ[1])+", error) {"), 1), nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gqlgen:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		return err
	}
	if err := api.Generate(cfg); err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(cfg.Exec.Dir(), "*.generated.go"))
	if err != nil {
		return err
	}
	found := make([]int, len(rewrites))
	plain, now := 0, 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		out := src
		for i, r := range rewrites {
			found[i] += bytes.Count(out, []byte(r.from))
			out = bytes.ReplaceAll(out, []byte(r.from), []byte(r.to))
		}
		out = scheduled.ReplaceAllFunc(out, func(b []byte) []byte {
			now++
			return resolvedNow(scheduled.FindSubmatch(b))
		})
		for _, m := range plainField.FindAllSubmatch(out, -1) {
			fn := bytes.Index(out, plainCall(string(m[1])))
			end := bytes.Index(out[max(fn, 0):], []byte("\n}\n"))
			if fn < 0 || end < 0 {
				return fmt.Errorf("%s: no function _%s", f, m[1])
			}
			body, err := plainBody(out[fn : fn+end])
			if err != nil {
				return fmt.Errorf("%s: _%s: %w", f, m[1], err)
			}
			out = append(out[:fn:fn], append(body, out[fn+end:]...)...)
			plain++
		}
		if !bytes.Equal(out, src) {
			if err := os.WriteFile(f, out, 0o644); err != nil {
				return err
			}
		}
	}
	if now == 0 {
		return fmt.Errorf("no scheduled fields in the generated code: has gqlgen changed its output?")
	}
	if plain == 0 {
		return fmt.Errorf("no plain scalar fields in the generated code: has gqlgen changed its output?")
	}
	for i, r := range rewrites {
		if found[i] == 0 {
			return fmt.Errorf("no %q in the generated code: has gqlgen changed its output?", r.from)
		}
	}
	return nil
}
