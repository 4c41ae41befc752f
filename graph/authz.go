package graph

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"p06/auth"
	"p06/graph/model"
	"p06/org"
	"p06/rbac"
	"p06/store"
)

// Access is decided in two places only: the @signedIn and @can directives
// on the schema (is there a caller, and do they hold the permission at all),
// and the stores and services, which filter reads by the caller's scope and
// check the object's own unit before a change. Resolvers decide nothing.

var errSignIn = store.Errorf(store.Unauthenticated, "cần đăng nhập", "sign-in required")

func signedIn(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	if auth.IdentityFrom(ctx) == nil {
		if err := auth.FailureFrom(ctx); err != nil {
			return nil, err
		}
		return nil, errSignIn
	}
	return next(ctx)
}

func (r *Resolver) can(ctx context.Context, obj any, next graphql.Resolver, perm rbac.Permission) (any, error) {
	id := auth.IdentityFrom(ctx)
	if id == nil {
		return signedIn(ctx, obj, next)
	}
	if !r.Auth.Authorizer().CanAnywhere(id.Subject(), perm) {
		return nil, store.Errorf(store.Forbidden, "bạn không có quyền %s", "you do not have the %s permission", perm)
	}
	return next(ctx)
}

// directives returns the schema's directive implementations.
func (r *Resolver) directives() DirectiveRoot {
	return DirectiveRoot{SignedIn: signedIn, Can: r.can}
}

// csrfCheck refuses mutations made with the session cookie that do not echo
// the session's CSRF token in X-CSRF-Token. API tokens are not sent by
// browsers on their own, so they need no such check.
type csrfCheck struct{}

func (csrfCheck) ExtensionName() string                   { return "CSRF" }
func (csrfCheck) Validate(graphql.ExecutableSchema) error { return nil }

func (csrfCheck) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		return nil
	}
	if id := auth.IdentityFrom(ctx); id != nil && id.Method == auth.MethodSession && !id.CSRFOK {
		msg := "thiếu hoặc sai mã chống giả mạo yêu cầu: gửi giá trị cookie " + auth.CSRFCookie + " trong tiêu đề " + auth.CSRFHeader
		if english(ctx) {
			msg = "missing or wrong CSRF token: send the " + auth.CSRFCookie + " cookie's value in the " + auth.CSRFHeader + " header"
		}
		return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": string(store.Forbidden)}}
	}
	return nil
}

// signedInIntrospection allows schema introspection (__schema, __type) to
// signed-in callers, when enabled at all. Anyone else asking gets a coded
// error before anything runs: UNAUTHENTICATED (or why their credentials were
// refused) when signed out, FORBIDDEN when introspection is turned off.
// These are the caller's situation, not our failure: nothing is logged.
type signedInIntrospection struct{ enabled bool }

var errIntrospectionOff = store.Errorf(store.Forbidden,
	"máy chủ này đã tắt tra cứu lược đồ (introspection)", "schema introspection is turned off on this server")

func (signedInIntrospection) ExtensionName() string                   { return "SignedInIntrospection" }
func (signedInIntrospection) Validate(graphql.ExecutableSchema) error { return nil }

func (i signedInIntrospection) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	id := auth.IdentityFrom(ctx)
	oc.DisableIntrospection = !i.enabled || id == nil
	if !oc.DisableIntrospection || oc.Operation == nil || !introspects(oc.Operation.SelectionSet, oc.Doc.Fragments, map[string]bool{}) {
		return nil
	}
	var err error = errIntrospectionOff
	if i.enabled {
		if err = auth.FailureFrom(ctx); err == nil {
			err = errSignIn
		}
	}
	// The error presenter gives it its code and the caller's language.
	return &gqlerror.Error{Err: err, Message: err.Error()}
}

// introspects reports whether a selection set asks for __schema or __type,
// directly or through fragments. Each named fragment is looked at once, so the
// walk is linear in the size of the document.
func introspects(set ast.SelectionSet, frags ast.FragmentDefinitionList, seen map[string]bool) bool {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if sel.Name == "__schema" || sel.Name == "__type" || introspects(sel.SelectionSet, frags, seen) {
				return true
			}
		case *ast.InlineFragment:
			if introspects(sel.SelectionSet, frags, seen) {
				return true
			}
		case *ast.FragmentSpread:
			if seen[sel.Name] {
				continue
			}
			seen[sel.Name] = true
			if f := frags.ForName(sel.Name); f != nil && introspects(f.SelectionSet, frags, seen) {
				return true
			}
		}
	}
	return false
}

// me describes the caller.
func (r *Resolver) me(ctx context.Context, id *auth.Identity) (*model.Me, error) {
	gs, err := r.grants(ctx, id.User.ID)
	if err != nil {
		return nil, err
	}
	perms := r.Auth.Authorizer().Permissions(id.Subject())
	var codes []string
	for _, domains := range perms {
		for _, d := range domains {
			codes = append(codes, codeOfPath(d))
		}
	}
	units, err := r.unitsByCode(ctx, codes)
	if err != nil {
		return nil, err
	}
	me := &model.Me{User: id.User, AuthMethod: id.Method, Grants: gs, Permissions: []*model.PermissionGrant{}}
	for _, p := range rbacPermissions {
		domains := perms[p]
		if len(domains) == 0 {
			continue
		}
		pg := &model.PermissionGrant{Permission: p}
		slices.Sort(domains)
		for _, d := range domains {
			if u := units[codeOfPath(d)]; u != nil {
				pg.OrgUnits = append(pg.OrgUnits, u)
			}
		}
		me.Permissions = append(me.Permissions, pg)
	}
	if id.Method == auth.MethodSession {
		me.CsrfToken = &id.CSRFToken
	}
	return me, nil
}

// rbacPermissions lists the permissions in schema order.
var rbacPermissions = []rbac.Permission{rbac.ReadData, rbac.AdminUsers, rbac.AdminPolicy, rbac.ReadAudit, rbac.CreateDocument,
	rbac.AssignTask, rbac.DecideExtension, rbac.AcceptKPI, rbac.UpdateAssignment, rbac.RequestExtension, rbac.EnterKPI,
	rbac.ApproveKPI, rbac.ApproveReport, rbac.ConfigureKPI, rbac.AcknowledgeAlert}

// grants lists a user's role grants with their units. Grants describe the
// user, whom the caller may already see, so their units are shown even when
// outside the caller's own scope.
func (r *Resolver) grants(ctx context.Context, userID int64) ([]*model.RoleGrant, error) {
	gs := r.Auth.Authorizer().Grants(rbac.Subject(userID))
	codes := make([]string, len(gs))
	for i, g := range gs {
		codes[i] = codeOfPath(g.Domain)
	}
	units, err := r.unitsByCode(ctx, codes)
	if err != nil {
		return nil, err
	}
	out := []*model.RoleGrant{}
	for _, g := range gs {
		if u := units[codeOfPath(g.Domain)]; u != nil {
			out = append(out, &model.RoleGrant{Role: g.Role, OrgUnit: u})
		}
	}
	return out, nil
}

func (r *Resolver) unitsByCode(ctx context.Context, codes []string) (map[string]*org.Unit, error) {
	us, err := r.OrgStore.UnitsByCodes(ctx, rbac.National(), codes)
	if err != nil {
		return nil, err
	}
	m := make(map[string]*org.Unit, len(us))
	for _, u := range us {
		m[u.Code] = u
	}
	return m, nil
}

// codeOfPath is the code of the unit at a path: "/VN/46/" → "46".
func codeOfPath(p string) string {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	return parts[len(parts)-1]
}

func (r *Resolver) changeGrant(ctx context.Context, in model.RoleGrantInput,
	change func(context.Context, *auth.Identity, int64, rbac.Role, string) (*auth.User, error)) (*model.RoleGrantPayload, error) {
	id, err := idOf(in.User, typeUser, "user")
	if err == nil {
		var u *auth.User
		if u, err = change(ctx, auth.IdentityFrom(ctx), id, in.Role, in.OrgUnit); err == nil {
			return &model.RoleGrantPayload{User: u, UserErrors: []*model.UserError{}}, nil
		}
	}
	ues, err := userErrors(ctx, err)
	return &model.RoleGrantPayload{UserErrors: ues}, err
}

func (r *Resolver) setDisabled(ctx context.Context, user string, disabled bool) (*model.UserPayload, error) {
	id, err := idOf(user, typeUser, "user")
	if err == nil {
		var u *auth.User
		if u, err = r.Auth.SetDisabled(ctx, auth.IdentityFrom(ctx), id, disabled); err == nil {
			return &model.UserPayload{User: u, UserErrors: []*model.UserError{}}, nil
		}
	}
	ues, err := userErrors(ctx, err)
	return &model.UserPayload{UserErrors: ues}, err
}

// userErrors turns the mistakes a user can correct (bad input, a conflict,
// a missing referenced object, wrong credentials) into the payload's
// userErrors; anything else (forbidden, internal) stays an error.
func userErrors(ctx context.Context, err error) ([]*model.UserError, error) {
	if err == nil {
		return []*model.UserError{}, nil
	}
	var se *store.Error
	if !errors.As(err, &se) {
		return nil, err
	}
	switch se.Code {
	case store.Invalid, store.Conflict, store.NotFound, store.Unauthenticated:
	default:
		return nil, err
	}
	msg := se.Message
	if english(ctx) && se.English != "" {
		msg = se.English
	}
	field := []string{}
	if se.Field != "" {
		field = append([]string{"input"}, strings.Split(se.Field, ".")...)
	}
	return []*model.UserError{{Field: field, Message: msg, Code: se.Code}}, nil
}

func clientOf(ctx context.Context) auth.Client { return auth.ClientFrom(ctx) }

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
