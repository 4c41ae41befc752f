package graph_test

import (
	"strings"
	"testing"

	"p06/seeds/seedtest"
	"p06/store"
)

// standardIntrospection is the query graphql-js 16 builds with
// getIntrospectionQuery() and its default options (descriptions on;
// specifiedByURL, isRepeatable, the schema's description and input-value
// deprecation off). GraphiQL, Postman and code generators send it.
const standardIntrospection = `
    query IntrospectionQuery {
      __schema {
        
        queryType { name }
        mutationType { name }
        subscriptionType { name }
        types {
          ...FullType
        }
        directives {
          name
          description
          
          locations
          args {
            ...InputValue
          }
        }
      }
    }

    fragment FullType on __Type {
      kind
      name
      description
      
      fields(includeDeprecated: true) {
        name
        description
        args {
          ...InputValue
        }
        type {
          ...TypeRef
        }
        isDeprecated
        deprecationReason
      }
      inputFields {
        ...InputValue
      }
      interfaces {
        ...TypeRef
      }
      enumValues(includeDeprecated: true) {
        name
        description
        isDeprecated
        deprecationReason
      }
      possibleTypes {
        ...TypeRef
      }
    }

    fragment InputValue on __InputValue {
      name
      description
      type { ...TypeRef }
      defaultValue
      
      
    }

    fragment TypeRef on __Type {
      kind
      name
      ofType {
        kind
        name
        ofType {
          kind
          name
          ofType {
            kind
            name
            ofType {
              kind
              name
              ofType {
                kind
                name
                ofType {
                  kind
                  name
                  ofType {
                    kind
                    name
                  }
                }
              }
            }
          }
        }
      }
    }
  `

type introspectionOut struct {
	Schema struct {
		QueryType struct{ Name string }
		Types     []struct {
			Kind   string
			Name   string
			Fields []struct {
				Name string
				Args []struct{ Name string }
				Type struct {
					Kind   string
					OfType *struct{ Kind string }
				}
			}
		}
		Directives []struct{ Name string }
	} `json:"__schema"`
}

// The IDE's introspection query works for a signed-in caller, although it
// nests deeper than ordinary queries may; introspection subtrees keep bounds
// of their own.
func TestStandardIntrospectionQuery(t *testing.T) {
	t.Parallel()
	// Signed in as the single-page app is (serveAs); sign-in itself is
	// tested in auth_test.go.
	b := &client{t: t, url: serveAs(t, seedtest.Shared(t, store.SQLite), "viewer-46")}

	var out introspectionOut
	if r := b.do(standardIntrospection, nil, &out); len(r.Errors) > 0 {
		t.Fatalf("standard introspection query: %+v", r.Errors)
	}
	s := out.Schema
	if s.QueryType.Name != "Query" || len(s.Directives) == 0 {
		t.Fatalf("schema = %+v", s.QueryType)
	}
	var tasksArgs []string
	for _, ty := range s.Types {
		if ty.Name != "Query" {
			continue
		}
		for _, f := range ty.Fields {
			if f.Name == "tasks" {
				for _, a := range f.Args {
					tasksArgs = append(tasksArgs, a.Name)
				}
			}
		}
	}
	if strings.Join(tasksArgs, ",") != "filter,orderBy,first,after" {
		t.Fatalf("Query.tasks args = %v", tasksArgs)
	}

	// graphql-js 17 goes two ofType levels deeper by default; it fits too.
	deeper := strings.Replace(standardIntrospection, "ofType {\n                    kind\n                    name\n                  }",
		"ofType {\n kind\n name\n ofType { kind name ofType { kind name } } }", 1)
	if deeper == standardIntrospection {
		t.Fatal("test bug: TypeRef not made deeper")
	}
	if r := b.do(deeper, nil, nil); len(r.Errors) > 0 {
		t.Fatalf("introspection with typeDepth 9: %+v", r.Errors)
	}

	// Introspection is not a way around the depth limit or into
	// multiplying lists.
	for name, q := range map[string]string{
		"lists nested four deep": `{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }`,
		"__type lists nested":    `{ __type(name: "Query") { fields { type { fields { type { fields { type { fields { name } } } } } } } } }`,
		"too deep":               `{ __type(name: "Query") { ` + strings.Repeat("ofType { ", 16) + "name" + strings.Repeat(" }", 16) + " } }",
		"ordinary query too deep": `{ orgUnit(code: "46") { parent { parent { parent { parent { parent { parent { parent { parent {
			parent { parent { parent { parent { code } } } } } } } } } } } } } }`,
	} {
		r := b.do(q, nil, nil)
		if code(r) != "QUERY_TOO_DEEP" {
			t.Errorf("%s: %+v", name, r.Errors)
		}
	}
	// __typename is free: it adds no depth.
	if r := b.do(`{ orgUnit(code: "46") { parent { parent { parent { parent { parent { parent { parent { parent {
			parent { parent { code __typename } } } } } } } } } } } }`, nil, nil); len(r.Errors) > 0 {
		t.Errorf("depth 12 with __typename: %+v", r.Errors)
	}
}
