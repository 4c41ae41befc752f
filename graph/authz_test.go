package graph_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"p06/auth"
	"p06/rbac"
	"p06/seeds"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
	"p06/tasks"
)

// TestAuthorizationMatrix asks every query and mutation of the schema as
// every demo role, the anonymous caller and an administrator of Huế only
// (admin-46, made here), about an object in the caller's scope and, where
// the distinction exists, one outside it, and checks allow or deny with the
// error code. Successful mutations must write an audit_log row; refused ones
// must write none and change nothing.
//
// Subtests are named dialect/phase/role/field/scope: the read phase runs
// first (every role in parallel, nothing written), then the write phase
// (roles in parallel, each role's rows in order, each row acting on objects
// of its own or refused ones that stay unchanged).
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			e := azSetup(t, seedtest.Fresh(t, d))
			t.Run("read", func(t *testing.T) {
				for _, r := range azRoles {
					t.Run(r.label(), func(t *testing.T) {
						t.Parallel()
						for _, c := range azReadCases(t, e, r) {
							t.Run(c.field+"/"+c.scope, func(t *testing.T) { e.runRead(t, r, c) })
						}
					})
				}
			})
			t.Run("write", func(t *testing.T) {
				for _, r := range azRoles {
					t.Run(r.label(), func(t *testing.T) {
						t.Parallel()
						for _, w := range azWriteCases(t, e, r) {
							t.Run(w.field+"/"+w.scope, func(t *testing.T) { e.runWrite(t, r, w) })
						}
					})
				}
			})
		})
	}
}

// ---- roles ----

// azRole is a caller of the matrix.
type azRole struct {
	name  string // username; "" is the anonymous caller
	home  string // code of the unit of its grant; "VN" for national roles
	away  string // a unit outside home; "" for national roles
	admin bool   // ADMIN on home (user and policy administration, audit log)
}

var azRoles = []azRole{
	{"", "46", "01", false}, // anonymous: names the objects a Huế caller would
	{"admin", "VN", "", true},
	{"vpcp", "VN", "", false},
	{"c06", "VN", "", false},
	{"bca", "BCA", "46", false},
	{"btp", "BTP", "46", false},
	{"hanoi", "01", "46", false},
	{"hue", "46", "01", false},
	{"hanoi-approver", "01", "46", false},
	{"viewer-46", "46", "01", false},
	{"admin-46", "46", "01", true}, // made by azSetup
}

func (r azRole) anon() bool { return r.name == "" }

// readsAudit: administrators and coordinators hold READ_AUDIT, over their
// units.
func (r azRole) readsAudit() bool { return r.admin || r.name == "c06" }
func (r azRole) national() bool   { return r.home == "VN" }

func (r azRole) label() string {
	if r.anon() {
		return "anonymous"
	}
	return r.name
}

// unit is the unit in-scope rows name: home, or Huế for national roles.
func (r azRole) unit() string {
	if r.national() {
		return "46"
	}
	return r.home
}

// actor is the audit_log actor of the role's mutations.
func (r azRole) actor() string {
	if r.anon() {
		return "anonymous"
	}
	return r.name
}

// self is the user the role signs in as (anonymous: a user of its own).
func (r azRole) self() string {
	if r.anon() {
		return "anon-login"
	}
	return r.name
}

// fxUser is the shared fixture user whose home is unit code.
func fxUser(code string) string { return "fx-" + strings.ToLower(code) }

// administersFx reports whether r administers the fixture user of unit code:
// fx-46 holds roles beyond 46 (see the grants in azSetup), so a Huế-only
// administrator does not.
func administersFx(r azRole, code string) bool {
	return r.admin && (r.home == "VN" || code != "46")
}

// ---- fixtures ----

type azEnv struct {
	db     *store.DB
	url    map[string]string     // role label → server
	users  map[string]*auth.User // by username
	units  map[string]*azUnit    // by code
	pairs  map[[2]string]*azPair // by home, away
	tokens map[string]int64      // by name
	audit  map[string]int64      // an audit entry concerning the unit code
	scope  map[string]azCounts   // what each home's scope holds, by home code
}

// azUnit is a unit with objects of its own.
type azUnit struct {
	code, path string
	id         int64
	group      int64 // a working group of the unit, 0 if none
	assignment int64 // an assignment to the unit
	task       int64 // its task
	document   int64 // the task's document
	docNumber  string
}

// azPair holds objects a caller of home cannot see, from away.
type azPair struct {
	task      int64  // assigned to away, to nothing under home
	document  int64  // with no task assigned under home
	docNumber string // the document's number
	shared    int64  // a task assigned to both home and away (0 if none)
}

func azSetup(t *testing.T, db *store.DB) *azEnv {
	t.Helper()
	ctx := context.Background()
	e := &azEnv{db: db, url: map[string]string{}, users: map[string]*auth.User{}, units: map[string]*azUnit{},
		pairs: map[[2]string]*azPair{}, tokens: map[string]int64{}, audit: map[string]int64{}, scope: map[string]azCounts{}}
	authz, err := rbac.NewAuthorizer(ctx, db, 0)
	if err != nil {
		t.Fatal(err)
	}
	svc := auth.NewService(db, authz, store.FixedClock(today), auth.DefaultConfig)

	// The administrator of Huế only, and the user the anonymous caller signs
	// in as, through the auth service as the command line would.
	for _, n := range []auth.NewUser{
		{Username: "admin-46", DisplayName: "Quản trị Thừa Thiên Huế (test)", OrgUnit: "46", Password: seeds.DefaultDemoPassword},
		{Username: "anon-login", DisplayName: "Đăng nhập ẩn danh (test)", OrgUnit: "46", Password: seeds.DefaultDemoPassword},
	} {
		u, err := svc.CreateUser(ctx, nil, n)
		if err != nil {
			t.Fatal(err)
		}
		if n.Username == "admin-46" {
			if _, err := svc.GrantRole(ctx, nil, u.ID, rbac.Admin, "46"); err != nil {
				t.Fatal(err)
			}
		}
	}

	for _, code := range []string{"VN", "BCA", "BTP", "01", "46"} {
		u := &azUnit{code: code}
		var row struct {
			ID   int64  `bun:"id"`
			Path string `bun:"path"`
		}
		if err := db.NewRaw("SELECT id, path FROM org_units WHERE code = ?", code).Scan(ctx, &row); err != nil {
			t.Fatalf("unit %s: %v", code, err)
		}
		u.id, u.path = row.ID, row.Path
		u.group = int64(azCount(t, db, "SELECT COALESCE(MIN(id), 0) FROM working_groups WHERE org_unit_id = ?", u.id))
		var a struct {
			ID       int64  `bun:"id"`
			TaskID   int64  `bun:"task_id"`
			Document int64  `bun:"document_id"`
			Number   string `bun:"number"`
		}
		if code != "VN" {
			if err := db.NewRaw(`SELECT a.id, a.task_id, t.document_id, d.number FROM assignments AS a
				JOIN tasks AS t ON t.id = a.task_id JOIN documents AS d ON d.id = t.document_id
				WHERE a.org_unit_id = ? ORDER BY a.id LIMIT 1`, u.id).Scan(ctx, &a); err != nil {
				t.Fatalf("an assignment of %s: %v", code, err)
			}
			u.assignment, u.task, u.document, u.docNumber = a.ID, a.TaskID, a.Document, a.Number
		}
		e.units[code] = u
	}
	// Every demo document has a task for each province: add one whose only
	// task is Bộ Tư pháp's, so that provinces have a document out of scope.
	ts := tasks.NewStore(db, store.FixedClock(today))
	doc := &tasks.Document{Kind: tasks.QuyetDinh, Number: "999/QĐ-MATRIX", IssueDate: store.MustDate("2026-01-05"),
		Issuer: "Thủ tướng Chính phủ", Title: "Văn bản thử của ma trận phân quyền", Source: store.SourceDemo}
	if err := ts.CreateDocument(ctx, doc); err != nil {
		t.Fatal(err)
	}
	if err := ts.CreateTask(ctx, &tasks.Task{DocumentID: doc.ID, SortOrder: 1, Title: "Nhiệm vụ thử chỉ của Bộ Tư pháp",
		DeadlineText: "quý IV/2026", Source: store.SourceDemo},
		[]tasks.NewAssignment{{OrgUnitID: e.units["BTP"].id, Role: tasks.Lead}}); err != nil {
		t.Fatal(err)
	}
	// Two tasks led by each unit with assignments in the matrix, open and
	// due 31/12/2026: the requestDeadlineExtension rows ask on the first,
	// the decideDeadlineExtension rows decide on requests for the second.
	extDoc := &tasks.Document{Kind: tasks.KeHoach, Number: "998/KH-MATRIX", IssueDate: store.MustDate("2026-01-05"),
		Issuer: "Bộ Công an", Title: "Kế hoạch thử gia hạn của ma trận phân quyền", Source: store.SourceDemo}
	if err := ts.CreateDocument(ctx, extDoc); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		var leads []tasks.NewAssignment
		for _, code := range []string{"BCA", "BTP", "01", "46"} {
			leads = append(leads, tasks.NewAssignment{OrgUnitID: e.units[code].id, Role: tasks.Lead})
		}
		if err := ts.CreateTask(ctx, &tasks.Task{DocumentID: extDoc.ID, SortOrder: i, Title: fmt.Sprintf("Nhiệm vụ thử gia hạn %d", i),
			DeadlineText: "quý IV/2026", Source: store.SourceDemo}, leads); err != nil {
			t.Fatal(err)
		}
	}
	// Tasks of that document for the assignTask rows (not yet assigned:
	// only national readers see it) and the cancelTask rows (led by Bộ Tư
	// pháp, coordinated by Bộ Y tế, so no home unit of the matrix but BTP's
	// gains a task on the document).
	if err := ts.CreateTask(ctx, &tasks.Task{DocumentID: doc.ID, SortOrder: 2, Title: "mx-assign", DeadlineText: "quý IV/2027", Source: store.SourceDemo}, nil); err != nil {
		t.Fatal(err)
	}
	if err := ts.CreateTask(ctx, &tasks.Task{DocumentID: doc.ID, SortOrder: 3, Title: "mx-cancel", DeadlineText: "quý IV/2027", Source: store.SourceDemo},
		[]tasks.NewAssignment{{OrgUnitID: e.units["BTP"].id, Role: tasks.Lead}, {OrgUnitID: int64(azCount(t, db, "SELECT id FROM org_units WHERE code = 'BYT'")), Role: tasks.Coordinate}}); err != nil {
		t.Fatal(err)
	}
	for _, p := range [][2]string{{"BCA", "46"}, {"BTP", "46"}, {"01", "46"}, {"46", "01"}} {
		h, a := e.units[p[0]], e.units[p[1]]
		pr := &azPair{}
		pr.task = int64(azCount(t, db, `SELECT COALESCE(MIN(a.task_id), 0) FROM assignments AS a WHERE a.org_unit_id = ?
			AND NOT EXISTS (SELECT 1 FROM assignments AS b JOIN org_units AS ub ON ub.id = b.org_unit_id
			WHERE b.task_id = a.task_id AND ub.path LIKE ?)`, a.id, h.path+"%"))
		var doc struct {
			ID     int64  `bun:"id"`
			Number string `bun:"number"`
		}
		if err := db.NewRaw(`SELECT d.id, d.number FROM documents AS d WHERE NOT EXISTS (SELECT 1 FROM tasks AS t
			JOIN assignments AS b ON b.task_id = t.id JOIN org_units AS ub ON ub.id = b.org_unit_id
			WHERE t.document_id = d.id AND ub.path LIKE ?) ORDER BY d.id LIMIT 1`, h.path+"%").Scan(ctx, &doc); err != nil {
			t.Fatalf("a document outside %s: %v", h.code, err)
		}
		pr.document, pr.docNumber = doc.ID, doc.Number
		pr.shared = int64(azCount(t, db, `SELECT COALESCE(MIN(a.task_id), 0) FROM assignments AS a
			JOIN assignments AS b ON b.task_id = a.task_id WHERE a.org_unit_id = ? AND b.org_unit_id = ?`, h.id, a.id))
		if pr.task == 0 {
			t.Fatalf("no task of %s outside %s in the demo data", a.code, h.code)
		}
		e.pairs[p] = pr
	}

	// Plain users (no password needed) inserted directly: a fixture user per
	// unit, holding VIEWER on its unit (and, for revokeRole rows naming a
	// user out of scope, on the units whose callers name it), and targets of
	// their own for the mutations the administrators are allowed.
	plain := map[string]string{"fx-bca": "BCA", "fx-btp": "BTP", "fx-01": "01", "fx-46": "46"}
	for _, r := range azRoles {
		if r.admin {
			for _, p := range []string{"dis", "pw", "gr", "rv", "tok", "rvt"} {
				plain["tg-"+r.name+"-"+p] = r.unit()
			}
		}
	}
	now := today.UTC()
	for name, code := range plain {
		u := &auth.User{Username: name, DisplayName: "Người dùng thử " + name, OrgUnitID: e.units[code].id,
			PasswordHash: "!", CreatedAt: now, UpdatedAt: now, PasswordChangedAt: now}
		if _, err := db.NewInsert().Model(u).Exec(ctx); err != nil {
			t.Fatalf("user %s: %v", name, err)
		}
	}
	all, _, err := svc.ListUsers(ctx, rbac.National(), auth.UserFilter{}, store.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range all {
		e.users[u.Username] = u
	}
	grants := [][3]string{{"fx-bca", "VIEWER", "BCA"}, {"fx-btp", "VIEWER", "BTP"}, {"fx-01", "VIEWER", "01"}, {"fx-46", "VIEWER", "46"},
		{"fx-01", "VIEWER", "46"}, {"fx-46", "VIEWER", "BCA"}, {"fx-46", "VIEWER", "BTP"}, {"fx-46", "VIEWER", "01"}}
	for _, r := range azRoles {
		if r.admin {
			grants = append(grants, [3]string{"tg-" + r.name + "-rv", "VIEWER", r.unit()})
		}
	}
	for _, g := range grants {
		if _, err := svc.GrantRole(ctx, nil, e.user(t, g[0]).ID, rbac.Role(g[1]), g[2]); err != nil {
			t.Fatalf("grant %v: %v", g, err)
		}
	}

	// API tokens: each caller's own (one to read, one to revoke), each
	// fixture user's, and one per administrator's target.
	mk := func(owner, name string) {
		u := e.user(t, owner)
		tk, _, err := svc.CreateToken(ctx, &auth.Identity{User: u, Method: auth.MethodSession}, 0, name, time.Time{})
		if err != nil {
			t.Fatalf("token %s: %v", name, err)
		}
		e.tokens[name] = tk.ID
	}
	for _, r := range azRoles {
		if !r.anon() {
			mk(r.name, "read-"+r.name)
			mk(r.name, "rv-"+r.name)
		}
		if r.admin {
			mk("tg-"+r.name+"-rvt", "tg-"+r.name+"-rvt")
		}
	}
	for _, code := range []string{"BCA", "BTP", "01", "46"} {
		mk(fxUser(code), fxUser(code))
	}

	for _, code := range []string{"46", "01"} {
		e.audit[code] = int64(azCount(t, db, "SELECT COALESCE(MIN(id), 0) FROM audit_log WHERE org_path LIKE ?", e.units[code].path+"%"))
		if e.audit[code] == 0 {
			t.Fatalf("no audit entry concerning %s", code)
		}
	}
	// Nothing is written until the write phase: count each scope once.
	for _, code := range []string{"VN", "BCA", "BTP", "01", "46"} {
		e.scope[code] = azScopeCounts(t, db, e.units[code].path)
	}
	for _, r := range azRoles {
		e.url[r.label()] = serveAs(t, db, r.name)
	}

	// A pending extension request of each unit with an editor, for the
	// decideDeadlineExtension rows.
	for code, by := range map[string]string{"46": "hue", "01": "hanoi", "BCA": "bca", "BTP": "btp"} {
		a := azExtAssignment(t, db, code, 2)
		if _, err := db.NewRaw(`INSERT INTO extension_requests (assignment_id, deadline_text, requested_due_date, precision,
			previous_due_date, reason, state, requested_by, requested_at)
			SELECT id, 'ngày 31/12/2027', '2027-12-31', 'DAY', due_date, 'ma trận', 'PENDING', ?, ? FROM assignments WHERE id = ?`,
			e.user(t, by).ID, now, a).Exec(ctx); err != nil {
			t.Fatalf("an extension request of %s: %v", code, err)
		}
	}
	return e
}

// azExtAssignment is the assignment of unit code to the n-th task of the
// matrix's extension document (see azSetup).
func azExtAssignment(t testing.TB, db *store.DB, code string, n int) int64 {
	t.Helper()
	id := int64(azCount(t, db, `SELECT COALESCE(MIN(a.id), 0) FROM assignments AS a JOIN org_units AS u ON u.id = a.org_unit_id
		JOIN tasks AS t ON t.id = a.task_id JOIN documents AS d ON d.id = t.document_id
		WHERE u.code = ? AND d.number = '998/KH-MATRIX' AND t.sort_order = ?`, code, n))
	if id == 0 {
		t.Fatalf("no extension fixture of %s", code)
	}
	return id
}

func (e *azEnv) user(t testing.TB, name string) *auth.User {
	t.Helper()
	u := e.users[name]
	if u == nil {
		t.Fatalf("no user %q", name)
	}
	return u
}

func (e *azEnv) userID(t testing.TB, name string) string { return azGID("User", e.user(t, name).ID) }
func (e *azEnv) tokenID(t testing.TB, name string) string {
	t.Helper()
	id, ok := e.tokens[name]
	if !ok {
		t.Fatalf("no token %q", name)
	}
	return azGID("ApiToken", id)
}

// ---- reads ----

// azCase is a query row.
type azCase struct {
	field  string // schema field
	scope  string // in-scope, out-of-scope, own, other-user, made-up…
	public bool   // allowed to the anonymous caller
	query  string
	vars   map[string]any
	// check judges the answer to a signed-in caller; the anonymous caller
	// must get UNAUTHENTICATED unless public.
	check func(t *testing.T, c *client, res response)
}

func (e *azEnv) runRead(t *testing.T, r azRole, c azCase) {
	cl := &client{t: t, url: e.url[r.label()]}
	res := cl.do(c.query, c.vars, nil)
	if r.anon() && !c.public {
		azDenied(t, res, c.field, "UNAUTHENTICATED")
		return
	}
	c.check(t, cl, res)
}

// azObj is an object named by a node row.
type azObj struct {
	typ   string
	scope string
	id    string
	allow bool
}

// azNodeObjects lists the objects the role's node rows name.
func (e *azEnv) azNodeObjects(t *testing.T, r azRole) []azObj {
	in := e.units[r.unit()]
	var objs []azObj
	add := func(typ, scope string, id int64, allow bool) {
		if id != 0 {
			objs = append(objs, azObj{typ, scope, azGID(typ, id), allow})
		}
	}
	add("OrgUnit", "in-scope", in.id, true)
	add("WorkingGroup", "in-scope", in.group, true)
	add("Document", "in-scope", in.document, true)
	add("Task", "in-scope", in.task, true)
	add("Assignment", "in-scope", in.assignment, true)
	add("User", "in-scope", e.user(t, fxUser(in.code)).ID, true)
	add("User", "self", e.user(t, r.self()).ID, true)
	if !r.anon() {
		add("ApiToken", "own", e.tokens["read-"+r.name], true)
	}
	// Another user's token: visible only to who administers that user, which
	// means holding ADMIN_USERS over the user's home and every unit where the
	// user holds a role. fx-46 also holds roles on BCA, BTP and 01, so only a
	// national administrator administers it.
	add("ApiToken", "other-user", e.tokens[fxUser(in.code)], administersFx(r, in.code))
	if r.readsAudit() {
		add("AuditEntry", "in-scope", e.audit["46"], true)
	} else {
		add("AuditEntry", "no-permission", e.audit["46"], false)
	}
	if r.away != "" {
		away, pr := e.units[r.away], e.pairs[[2]string{r.home, r.away}]
		add("OrgUnit", "out-of-scope", away.id, false)
		add("WorkingGroup", "out-of-scope", away.group, false)
		add("Document", "out-of-scope", pr.document, false)
		add("Task", "out-of-scope", pr.task, false)
		add("Assignment", "out-of-scope", away.assignment, false)
		add("User", "out-of-scope", e.user(t, fxUser(away.code)).ID, false)
		add("ApiToken", "out-of-scope", e.tokens[fxUser(away.code)], false)
		if r.readsAudit() {
			add("AuditEntry", "out-of-scope", e.audit[r.away], false)
		}
	}
	return objs
}

// azReadCases are the query rows of role r: every query field, in scope
// and, for a caller of one unit, out of it.
func azReadCases(t *testing.T, e *azEnv, r azRole) []azCase {
	var cs []azCase
	add := func(c azCase) { cs = append(cs, c) }
	in := e.units[r.unit()]
	home := e.units[r.home]
	sc := e.scope[r.home]
	under := func(path string) bool { return strings.HasPrefix(path, home.path) }

	add(azCase{field: "me", scope: "self", public: true,
		query: `{ me { user { username } permissions { permission orgUnits { code } } } }`,
		check: func(t *testing.T, _ *client, res response) {
			d := azOK(t, res)
			if r.anon() {
				if d["me"] != nil {
					t.Fatalf("me = %v for nobody, want null", d["me"])
				}
				return
			}
			if got := azStr(d, "me", "user", "username"); got != r.name {
				t.Errorf("me.user.username = %q, want %q", got, r.name)
			}
			var read []string
			for _, p := range azList(d, "me", "permissions") {
				if azStr(p, "permission") == "READ_DATA" {
					for _, u := range azList(p, "orgUnits") {
						read = append(read, azStr(u, "code"))
					}
				}
			}
			if !slices.Equal(read, []string{r.home}) {
				t.Errorf("READ_DATA on %v, want [%s]", read, r.home)
			}
		}})

	// node and nodes.
	objs := e.azNodeObjects(t, r)
	const nodeQ = `query($id: ID!) { node(id: $id) { __typename id } }`
	var allowIDs, denyIDs []string
	for _, o := range objs {
		if o.allow {
			allowIDs = append(allowIDs, o.id)
		} else {
			denyIDs = append(denyIDs, o.id)
		}
		add(azCase{field: "node", scope: o.typ + "/" + o.scope, query: nodeQ, vars: map[string]any{"id": o.id},
			check: func(t *testing.T, c *client, res response) {
				if o.allow {
					d := azOK(t, res)
					if azStr(d, "node", "__typename") != o.typ || azStr(d, "node", "id") != o.id {
						t.Fatalf("node(%s) = %v, want the %s", o.id, d["node"], o.typ)
					}
					return
				}
				madeUp := azGID(o.typ, 987654321)
				azNotFoundLike(t, res, c.do(nodeQ, map[string]any{"id": madeUp}, nil), "node", o.id, madeUp)
			}})
	}
	add(azCase{field: "node", scope: "made-up", query: nodeQ, vars: map[string]any{"id": azGID("Task", 987654321)},
		check: func(t *testing.T, _ *client, res response) { azNotFound(t, res, "node") }})
	const nodesQ = `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`
	add(azCase{field: "nodes", scope: "in-scope", query: nodesQ, vars: map[string]any{"ids": allowIDs},
		check: func(t *testing.T, _ *client, res response) {
			d := azOK(t, res)
			ns := azList(d, "nodes")
			if len(ns) != len(allowIDs) {
				t.Fatalf("%d nodes for %d IDs", len(ns), len(allowIDs))
			}
			for i, id := range allowIDs {
				if azStr(ns[i], "id") != id {
					t.Errorf("nodes[%d] = %v, want %s", i, ns[i], id)
				}
			}
		}})
	if len(denyIDs) > 0 {
		add(azCase{field: "nodes", scope: "out-of-scope", query: nodesQ, vars: map[string]any{"ids": denyIDs},
			check: func(t *testing.T, _ *client, res response) {
				ns := azList(azTree(t, res), "nodes")
				if len(ns) != len(denyIDs) {
					t.Fatalf("%d nodes for %d IDs (errors %v)", len(ns), len(denyIDs), azErrs(res))
				}
				for i, n := range ns {
					if n != nil {
						t.Errorf("nodes[%d] = %v, want null", i, n)
					}
				}
				if len(res.Errors) != len(denyIDs) {
					t.Fatalf("%d errors for %d IDs out of scope: %v", len(res.Errors), len(denyIDs), azErrs(res))
				}
				for i, er := range res.Errors {
					if er.Extensions["code"] != "NOT_FOUND" || fmt.Sprint(er.Path) != fmt.Sprint([]any{"nodes", float64(i)}) {
						t.Errorf("error %d = %+v, want NOT_FOUND at [nodes %d]", i, er, i)
					}
				}
			}})
	}

	// Org units.
	add(azCase{field: "orgUnits", scope: "in-scope", query: `{ orgUnits(first: 100) { totalCount nodes { code path } } }`,
		check: func(t *testing.T, _ *client, res response) {
			d := azOK(t, res)
			if n := azInt(d, "orgUnits", "totalCount"); n != sc.Units {
				t.Errorf("totalCount = %d, want %d", n, sc.Units)
			}
			for _, u := range azList(d, "orgUnits", "nodes") {
				if !under(azStr(u, "path")) {
					t.Errorf("unit %s out of scope", azStr(u, "path"))
				}
			}
		}})
	add(azCase{field: "orgUnit", scope: "in-scope", query: `query($c: String!) { orgUnit(code: $c) { code } }`,
		vars: map[string]any{"c": in.code},
		check: func(t *testing.T, _ *client, res response) {
			if got := azStr(azOK(t, res), "orgUnit", "code"); got != in.code {
				t.Errorf("orgUnit = %q, want %q", got, in.code)
			}
		}})
	add(azCase{field: "parseDeadline", scope: "any", query: `{ parseDeadline(text: "quý I/2024") { dueDate precision } }`,
		check: func(t *testing.T, _ *client, res response) {
			if got := azStr(azOK(t, res), "parseDeadline", "dueDate"); got != "2024-03-31" {
				t.Errorf("dueDate = %q", got)
			}
		}})
	add(azCase{field: "workingGroups", scope: "in-scope",
		query: `{ workingGroups(first: 100) { totalCount nodes { code orgUnit { path } } } }`,
		check: func(t *testing.T, _ *client, res response) {
			d := azOK(t, res)
			if n := azInt(d, "workingGroups", "totalCount"); n != sc.Groups {
				t.Errorf("totalCount = %d, want %d", n, sc.Groups)
			}
			for _, g := range azList(d, "workingGroups", "nodes") {
				if !under(azStr(g, "orgUnit", "path")) {
					t.Errorf("group %s of %s out of scope", azStr(g, "code"), azStr(g, "orgUnit", "path"))
				}
			}
		}})
	add(azCase{field: "documents", scope: "in-scope", query: `{ documents(first: 100) { totalCount nodes { id } } }`,
		check: func(t *testing.T, _ *client, res response) {
			if n := azInt(azOK(t, res), "documents", "totalCount"); n != sc.Documents {
				t.Errorf("totalCount = %d, want %d", n, sc.Documents)
			}
		}})
	const docQ = `query($n: String!) { document(number: $n) { id number } }`
	add(azCase{field: "document", scope: "in-scope", query: docQ, vars: map[string]any{"n": in.docNumber},
		check: func(t *testing.T, _ *client, res response) {
			if got := azStr(azOK(t, res), "document", "id"); got != azGID("Document", in.document) {
				t.Errorf("document(%s).id = %q", in.docNumber, got)
			}
		}})
	add(azCase{field: "tasks", scope: "in-scope",
		query: `{ tasks(first: 100) { totalCount nodes { id assignments { orgUnit { path } } } } }`,
		check: func(t *testing.T, _ *client, res response) {
			d := azOK(t, res)
			if n := azInt(d, "tasks", "totalCount"); n != sc.Tasks {
				t.Errorf("totalCount = %d, want %d", n, sc.Tasks)
			}
			for _, tk := range azList(d, "tasks", "nodes") {
				as := azList(tk, "assignments")
				if !r.national() && len(as) == 0 {
					t.Errorf("task %s listed without an assignment in scope", azStr(tk, "id"))
				}
				for _, a := range as {
					if !under(azStr(a, "orgUnit", "path")) {
						t.Errorf("task %s shows an assignment to %s", azStr(tk, "id"), azStr(a, "orgUnit", "path"))
					}
				}
			}
		}})
	add(azCase{field: "assignments", scope: "in-scope",
		query: `{ assignments(first: 100) { totalCount nodes { orgUnit { path } } } }`,
		check: func(t *testing.T, _ *client, res response) {
			d := azOK(t, res)
			if n := azInt(d, "assignments", "totalCount"); n != sc.Assignments {
				t.Errorf("totalCount = %d, want %d", n, sc.Assignments)
			}
			for _, a := range azList(d, "assignments", "nodes") {
				if !under(azStr(a, "orgUnit", "path")) {
					t.Errorf("assignment to %s out of scope", azStr(a, "orgUnit", "path"))
				}
			}
		}})
	const sumQ = `query($u: String) { programmeSummary(orgUnit: $u) { orgUnit { code } documentCount taskCount assignmentCount workingGroupCount } }`
	sumCheck := func(want azCounts) func(t *testing.T, _ *client, res response) {
		return func(t *testing.T, _ *client, res response) {
			s := azAt(azOK(t, res), "programmeSummary")
			got := azCounts{Documents: azInt(s, "documentCount"), Tasks: azInt(s, "taskCount"),
				Assignments: azInt(s, "assignmentCount"), Groups: azInt(s, "workingGroupCount")}
			want.Units, want.Users = 0, 0
			if got != want {
				t.Errorf("summary counts %+v, want %+v", got, want)
			}
		}
	}
	add(azCase{field: "programmeSummary", scope: "in-scope", query: sumQ, check: sumCheck(sc)})
	add(azCase{field: "programmeSummary", scope: "in-scope-unit", query: sumQ, vars: map[string]any{"u": in.code},
		check: sumCheck(e.scope[in.code])})
	add(azCase{field: "users", scope: "in-scope", query: `{ users(first: 100) { totalCount nodes { username orgUnit { path } } } }`,
		check: func(t *testing.T, _ *client, res response) {
			d := azOK(t, res)
			if n := azInt(d, "users", "totalCount"); n != sc.Users {
				t.Errorf("totalCount = %d, want %d", n, sc.Users)
			}
			for _, u := range azList(d, "users", "nodes") {
				if !under(azStr(u, "orgUnit", "path")) {
					t.Errorf("user %s of %s out of scope", azStr(u, "username"), azStr(u, "orgUnit", "path"))
				}
			}
		}})
	const tokQ = `query($u: ID) { apiTokens(user: $u) { id name } }`
	add(azCase{field: "apiTokens", scope: "own", query: tokQ,
		check: func(t *testing.T, _ *client, res response) {
			if !azHasID(azList(azOK(t, res), "apiTokens"), e.tokenID(t, "read-"+r.name)) {
				t.Errorf("own tokens %v lack read-%s", res.Data, r.name)
			}
		}})
	other := fxUser(in.code)
	add(azCase{field: "apiTokens", scope: "other-user", query: tokQ, vars: map[string]any{"u": e.userID(t, other)},
		check: func(t *testing.T, _ *client, res response) {
			if !administersFx(r, in.code) {
				azDenied(t, res, "apiTokens", "FORBIDDEN", "NOT_FOUND")
				return
			}
			if !azHasID(azList(azOK(t, res), "apiTokens"), e.tokenID(t, other)) {
				t.Errorf("tokens of %s %v lack theirs", other, res.Data)
			}
		}})
	const auditQ = `{ auditLog(first: 100) { totalCount nodes { orgPath } } }`
	add(azCase{field: "auditLog", scope: "in-scope", query: auditQ,
		check: func(t *testing.T, _ *client, res response) {
			// Administrators and coordinators (READ_AUDIT), over their units.
			if !r.readsAudit() {
				azDenied(t, res, "auditLog", "FORBIDDEN")
				return
			}
			d := azOK(t, res)
			want := azCount(t, e.db, "SELECT COUNT(*) FROM audit_log WHERE org_path LIKE ?", home.path+"%")
			if n := azInt(d, "auditLog", "totalCount"); n != want {
				t.Errorf("totalCount = %d, want %d", n, want)
			}
			for _, a := range azList(d, "auditLog", "nodes") {
				if !under(azStr(a, "orgPath")) {
					t.Errorf("audit entry about %q out of scope", azStr(a, "orgPath"))
				}
			}
		}})

	// Task.assignments of a task shared with another unit: only the caller's.
	sharedPair := [2]string{r.home, r.away}
	if r.national() {
		sharedPair = [2]string{"46", "01"}
	}
	if pr := e.pairs[sharedPair]; pr != nil && pr.shared != 0 {
		all := azCount(t, e.db, "SELECT COUNT(*) FROM assignments WHERE task_id = ?", pr.shared)
		mine := azCount(t, e.db, `SELECT COUNT(*) FROM assignments AS a JOIN org_units AS u ON u.id = a.org_unit_id
			WHERE a.task_id = ? AND u.path LIKE ?`, pr.shared, home.path+"%")
		add(azCase{field: "Task.assignments", scope: "shared-task",
			query: `query($id: ID!) { node(id: $id) { ... on Task { assignments { orgUnit { path } } } } }`,
			vars:  map[string]any{"id": azGID("Task", pr.shared)},
			check: func(t *testing.T, _ *client, res response) {
				as := azList(azOK(t, res), "node", "assignments")
				want := mine
				if r.national() {
					want = all
				}
				if len(as) != want {
					t.Errorf("%d assignments, want %d (of %d)", len(as), want, all)
				}
				for _, a := range as {
					if !under(azStr(a, "orgUnit", "path")) {
						t.Errorf("assignment to %s out of scope", azStr(a, "orgUnit", "path"))
					}
				}
			}})
		add(azCase{field: "assignments", scope: "shared-task",
			query: `query($id: ID!) { assignments(filter: {task: $id}) { totalCount nodes { orgUnit { path } } } }`,
			vars:  map[string]any{"id": azGID("Task", pr.shared)},
			check: func(t *testing.T, _ *client, res response) {
				want := mine
				if r.national() {
					want = all
				}
				if n := azInt(azOK(t, res), "assignments", "totalCount"); n != want {
					t.Errorf("totalCount = %d, want %d (of %d)", n, want, all)
				}
			}})
	}

	// search finds a task of the unit by (up to 8 of) its title's words,
	// and never one out of scope.
	const searchQ = `query($q: String!) { search(query: $q, kinds: [TASK], first: 100) { totalCount nodes { node { id } } } }`
	titleWords := func(task int64) string {
		var title string
		if err := e.db.NewRaw("SELECT title FROM tasks WHERE id = ?", task).Scan(context.Background(), &title); err != nil {
			t.Fatal(err)
		}
		ws := store.SearchWords(title)
		return strings.Join(ws[:min(len(ws), store.SearchMaxWords)], " ")
	}
	found := func(res response, task int64) bool {
		for _, n := range azList(azOK(t, res), "search", "nodes") {
			if azStr(n, "node", "id") == azGID("Task", task) {
				return true
			}
		}
		return false
	}
	add(azCase{field: "search", scope: "in-scope", query: searchQ, vars: map[string]any{"q": titleWords(in.task)},
		check: func(t *testing.T, _ *client, res response) {
			if !found(res, in.task) {
				t.Errorf("task %d not found", in.task)
			}
		}})

	if r.away == "" {
		return cs
	}
	// Out of scope.
	away, pr := e.units[r.away], e.pairs[[2]string{r.home, r.away}]
	add(azCase{field: "search", scope: "out-of-scope", query: searchQ, vars: map[string]any{"q": titleWords(pr.task)},
		check: func(t *testing.T, _ *client, res response) {
			if found(res, pr.task) {
				t.Errorf("out-of-scope task %d found", pr.task)
			}
		}})
	zero := func(field string) func(t *testing.T, _ *client, res response) {
		return func(t *testing.T, _ *client, res response) {
			d := azOK(t, res)
			if n, l := azInt(d, field, "totalCount"), len(azList(d, field, "nodes")); n != 0 || l != 0 {
				t.Errorf("totalCount %d, %d nodes; want none", n, l)
			}
		}
	}
	add(azCase{field: "orgUnits", scope: "out-of-scope", query: `query($c: String) { orgUnits(filter: {search: $c}) { totalCount nodes { code } } }`,
		vars: map[string]any{"c": away.code}, check: zero("orgUnits")})
	const unitQ = `query($c: String!) { orgUnit(code: $c) { code } }`
	add(azCase{field: "orgUnit", scope: "out-of-scope", query: unitQ, vars: map[string]any{"c": away.code},
		check: func(t *testing.T, c *client, res response) {
			azNotFoundLike(t, res, c.do(unitQ, map[string]any{"c": "XX"}, nil), "orgUnit", away.code, "XX")
		}})
	add(azCase{field: "orgUnit", scope: "national", query: unitQ, vars: map[string]any{"c": "VN"},
		check: func(t *testing.T, c *client, res response) {
			azNotFoundLike(t, res, c.do(unitQ, map[string]any{"c": "XX"}, nil), "orgUnit", "VN", "XX")
		}})
	add(azCase{field: "OrgUnit.parent", scope: "out-of-scope", query: `query($c: String!) { orgUnit(code: $c) { parent { code } } }`,
		vars: map[string]any{"c": home.code},
		check: func(t *testing.T, _ *client, res response) {
			if p := azAt(azOK(t, res), "orgUnit", "parent"); p != nil {
				t.Errorf("parent = %v, out of scope", p)
			}
		}})
	// A unit code in a filter that the caller cannot see is NOT_FOUND, exactly
	// as for a code that does not exist (not an empty list).
	unitFilter := func(field, q string) {
		add(azCase{field: field, scope: "out-of-scope", query: q, vars: map[string]any{"c": away.code},
			check: func(t *testing.T, c *client, res response) {
				azNotFoundLike(t, res, c.do(q, map[string]any{"c": "XX"}, nil), field, away.code, "XX")
			}})
	}
	unitFilter("workingGroups", `query($c: String) { workingGroups(filter: {orgUnit: $c}) { totalCount nodes { code } } }`)
	add(azCase{field: "document", scope: "out-of-scope", query: docQ, vars: map[string]any{"n": pr.docNumber},
		check: func(t *testing.T, c *client, res response) {
			azNotFoundLike(t, res, c.do(docQ, map[string]any{"n": "999/XX-TTg"}, nil), "document", pr.docNumber, "999/XX-TTg")
		}})
	unitFilter("tasks", `query($c: String) { tasks(filter: {assignee: $c}) { totalCount nodes { id } } }`)
	add(azCase{field: "tasks", scope: "out-of-scope-document", query: `query($d: ID) { tasks(filter: {document: $d}) { totalCount nodes { id } } }`,
		vars: map[string]any{"d": azGID("Document", pr.document)}, check: zero("tasks")})
	unitFilter("assignments", `query($c: String) { assignments(filter: {orgUnit: $c}) { totalCount nodes { id } } }`)
	add(azCase{field: "assignments", scope: "out-of-scope-task", query: `query($id: ID) { assignments(filter: {task: $id}) { totalCount nodes { id } } }`,
		vars: map[string]any{"id": azGID("Task", pr.task)}, check: zero("assignments")})
	add(azCase{field: "programmeSummary", scope: "out-of-scope", query: sumQ, vars: map[string]any{"u": away.code},
		check: func(t *testing.T, _ *client, res response) { azDenied(t, res, "programmeSummary", "NOT_FOUND") }})
	unitFilter("users", `query($c: String) { users(filter: {orgUnit: $c}) { totalCount nodes { username } } }`)
	add(azCase{field: "users", scope: "out-of-scope-search", query: `query($s: String) { users(filter: {search: $s}) { totalCount nodes { username } } }`,
		vars: map[string]any{"s": fxUser(away.code)}, check: zero("users")})
	add(azCase{field: "apiTokens", scope: "out-of-scope", query: tokQ, vars: map[string]any{"u": e.userID(t, fxUser(away.code))},
		check: func(t *testing.T, _ *client, res response) { azDenied(t, res, "apiTokens", "NOT_FOUND", "FORBIDDEN") }})
	return cs
}

// ---- writes ----

type azKind int

const (
	azAllow     azKind = iota // succeeds, with an audit row
	azTopLevel                // a top-level error with one of codes
	azUserError               // a payload userError with one of codes (and field, if given)
	azRefused                 // either of the two above: anything but success
)

type azOutcome struct {
	kind  azKind
	codes []string
	field []string
	// check looks at the payload of a success.
	check func(t *testing.T, payload any)
}

// azWrite is a mutation row.
type azWrite struct {
	field, scope  string
	query         string
	vars          map[string]any
	actor         string // audit_log actor to count; the role's own by default
	public        bool   // allowed to the anonymous caller
	auditsFailure bool   // a refusal that is audited all the same (failed sign-in)
	file          []byte // sent as variables.in.file in a multipart request
	want          azOutcome
	// verify checks the database after the row, whatever its outcome.
	verify func(t *testing.T, succeeded bool)
}

func (e *azEnv) runWrite(t *testing.T, r azRole, w azWrite) {
	cl := &client{t: t, url: e.url[r.label()]}
	actor := w.actor
	if actor == "" {
		actor = r.actor()
	}
	before := e.auditCount(t, actor)
	var res response
	if w.file != nil {
		res = cl.doFile(w.query, w.vars, w.file)
	} else {
		res = cl.do(w.query, w.vars, nil)
	}
	want := w.want
	if r.anon() && !w.public {
		want = azOutcome{kind: azTopLevel, codes: []string{"UNAUTHENTICATED"}}
	}
	d := azTree(t, res)
	payload := azAt(d, w.field)
	succeeded := len(res.Errors) == 0 && payload != nil && len(azList(payload, "userErrors")) == 0
	switch want.kind {
	case azAllow:
		if len(res.Errors) > 0 {
			t.Fatalf("errors: %v", azErrs(res))
		}
		if ues := azList(payload, "userErrors"); len(ues) > 0 {
			t.Fatalf("userErrors: %v", ues)
		}
		if want.check != nil {
			want.check(t, payload)
		}
	case azTopLevel:
		azDenied(t, res, w.field, want.codes...)
	case azUserError:
		if len(res.Errors) > 0 {
			t.Fatalf("want a userError %v, got top-level errors %v", want.codes, azErrs(res))
		}
		azWantUserError(t, payload, want.codes, want.field)
	case azRefused:
		if len(res.Errors) > 0 {
			code := fmt.Sprint(res.Errors[0].Extensions["code"])
			if !slices.Contains(want.codes, code) {
				t.Errorf("error code %s (%s), want one of %v", code, res.Errors[0].Message, want.codes)
			}
		} else {
			azWantUserError(t, payload, want.codes, nil)
		}
	}
	if want.kind != azAllow {
		azNoSuccess(t, payload)
	}
	after := e.auditCount(t, actor)
	switch {
	case succeeded && after == before:
		t.Errorf("successful %s wrote no audit_log row (actor %s)", w.field, actor)
	case !succeeded && after != before && !w.auditsFailure:
		t.Errorf("refused %s wrote %d audit_log rows (actor %s)", w.field, after-before, actor)
	}
	if w.verify != nil {
		w.verify(t, succeeded)
	}
}

// azNoSuccess checks that a refused mutation's payload holds nothing but
// userErrors: no object, no token, ok false.
func azNoSuccess(t *testing.T, payload any) {
	t.Helper()
	m, _ := payload.(map[string]any)
	for k, v := range m {
		if k != "userErrors" && v != nil && v != false {
			t.Errorf("refused mutation returned %s = %v", k, v)
		}
	}
}

func azWantUserError(t *testing.T, payload any, codes, field []string) {
	t.Helper()
	ues := azList(payload, "userErrors")
	if len(ues) == 0 {
		t.Fatalf("want a userError %v, got none: %v", codes, payload)
	}
	code := azStr(ues[0], "code")
	if !slices.Contains(codes, code) {
		t.Errorf("userError code %s (%s), want one of %v", code, azStr(ues[0], "message"), codes)
	}
	if field != nil {
		var got []string
		for _, f := range azList(ues[0], "field") {
			got = append(got, fmt.Sprint(f))
		}
		if !slices.Equal(got, field) {
			t.Errorf("userError field %q, want %q", got, field)
		}
	}
}

func (e *azEnv) auditCount(t *testing.T, actor string) int {
	return azCount(t, e.db, "SELECT COUNT(*) FROM audit_log WHERE actor = ?", actor)
}

func (e *azEnv) hasGrant(t *testing.T, user, role, code string) bool {
	return azCount(t, e.db, "SELECT COUNT(*) FROM casbin_rules WHERE ptype = 'g' AND v0 = ? AND v1 = ? AND v2 = ?",
		rbac.Subject(e.user(t, user).ID), role, e.units[code].path) > 0
}

// azWriteCases are the mutation rows of role r, in the order they run.
func azWriteCases(t *testing.T, e *azEnv, r azRole) []azWrite {
	var ws []azWrite
	add := func(w azWrite) { ws = append(ws, w) }
	const ue = `userErrors { field message code }`
	in := r.unit()
	inUser := fxUser(in)
	var awayUser string
	if r.away != "" {
		awayUser = fxUser(r.away)
	}
	tg := func(p string) string { return "tg-" + r.name + "-" + p }
	allowIf := func(ok bool, check func(t *testing.T, payload any), otherwise azOutcome) azOutcome {
		if ok {
			return azOutcome{kind: azAllow, check: check}
		}
		return otherwise
	}
	forbidden := azOutcome{kind: azTopLevel, codes: []string{"FORBIDDEN"}}
	refused := azOutcome{kind: azRefused, codes: []string{"NOT_FOUND", "FORBIDDEN"}}
	notFound := azOutcome{kind: azRefused, codes: []string{"NOT_FOUND"}}
	userErr := func(code string, field ...string) azOutcome {
		return azOutcome{kind: azUserError, codes: []string{code}, field: field}
	}
	// adminOr is the outcome of a user-administration row: userErr (or
	// success) for administrators, FORBIDDEN (the @can directive) for others.
	adminOr := func(o azOutcome) azOutcome {
		if r.admin {
			return o
		}
		return forbidden
	}
	label := r.label()

	// Sign-in and sign-out.
	const loginQ = `mutation($in: LoginInput!) { login(input: $in) { me { user { username } } ` + ue + ` } }`
	add(azWrite{field: "login", scope: "self", public: true, actor: r.self(), query: loginQ,
		vars: map[string]any{"in": map[string]any{"username": r.self(), "password": seeds.DefaultDemoPassword}},
		want: azOutcome{kind: azAllow, check: func(t *testing.T, p any) {
			if got := azStr(p, "me", "user", "username"); got != r.self() {
				t.Errorf("signed in as %q, want %q", got, r.self())
			}
		}}})
	if r.anon() {
		add(azWrite{field: "login", scope: "wrong-password", public: true, actor: r.self(), auditsFailure: true, query: loginQ,
			vars: map[string]any{"in": map[string]any{"username": r.self(), "password": "not-the-password"}},
			want: userErr("UNAUTHENTICATED")})
	}
	add(azWrite{field: "logout", scope: "self", query: `mutation { logout { ok ` + ue + ` } }`,
		want: azOutcome{kind: azAllow, check: func(t *testing.T, p any) {
			if azAt(p, "ok") != true {
				t.Errorf("ok = %v", azAt(p, "ok"))
			}
		}}})

	// API tokens.
	const createTokQ = `mutation($in: CreateApiTokenInput!) { createApiToken(input: $in) { apiToken { id name user { username } } token ` + ue + ` } }`
	tokenCount := func(name string) func(t *testing.T, ok bool) {
		return func(t *testing.T, ok bool) {
			want := 0
			if ok {
				want = 1
			}
			if n := azCount(t, e.db, "SELECT COUNT(*) FROM api_tokens WHERE name = ?", name); n != want {
				t.Errorf("%d tokens named %s stored, want %d", n, name, want)
			}
		}
	}
	tokenOf := func(owner string) func(t *testing.T, p any) {
		return func(t *testing.T, p any) {
			if got := azStr(p, "apiToken", "user", "username"); got != owner {
				t.Errorf("token of %q, want %q", got, owner)
			}
			if !strings.HasPrefix(azStr(p, "token"), auth.TokenPrefix) {
				t.Errorf("token %q", azStr(p, "token"))
			}
		}
	}
	name := "mx-" + label + "-self"
	add(azWrite{field: "createApiToken", scope: "self", query: createTokQ, vars: map[string]any{"in": map[string]any{"name": name}},
		want: azOutcome{kind: azAllow, check: tokenOf(r.self())}, verify: tokenCount(name)})
	if r.label() == "hue" || r.admin {
		add(azWrite{field: "createApiToken", scope: "bad-name", query: createTokQ, vars: map[string]any{"in": map[string]any{"name": ""}},
			want: userErr("INVALID", "input", "name")})
	}
	target := inUser
	if r.admin {
		target = tg("tok")
	}
	name = "mx-" + label + "-other"
	add(azWrite{field: "createApiToken", scope: "other-user", query: createTokQ,
		vars: map[string]any{"in": map[string]any{"name": name, "user": e.userID(t, target)}},
		want: allowIf(r.admin, tokenOf(target), refused), verify: tokenCount(name)})
	if awayUser != "" {
		name = "mx-" + label + "-out"
		add(azWrite{field: "createApiToken", scope: "out-of-scope", query: createTokQ,
			vars: map[string]any{"in": map[string]any{"name": name, "user": e.userID(t, awayUser)}},
			want: refused, verify: tokenCount(name)})
	}
	const revokeTokQ = `mutation($in: RevokeApiTokenInput!) { revokeApiToken(input: $in) { apiToken { id revokedAt } ` + ue + ` } }`
	revoked := func(tok string) func(t *testing.T, ok bool) {
		return func(t *testing.T, ok bool) {
			n := azCount(t, e.db, "SELECT COUNT(*) FROM api_tokens WHERE id = ? AND revoked_at IS NOT NULL", e.tokens[tok])
			if (n == 1) != ok {
				t.Errorf("token %s revoked: %v, want %v", tok, n == 1, ok)
			}
		}
	}
	tok := fxUser(in)
	if !r.anon() {
		tok = "rv-" + r.name
	}
	add(azWrite{field: "revokeApiToken", scope: "self", query: revokeTokQ, vars: map[string]any{"in": map[string]any{"apiToken": e.tokenID(t, tok)}},
		want: azOutcome{kind: azAllow, check: func(t *testing.T, p any) {
			if azAt(p, "apiToken", "revokedAt") == nil {
				t.Error("revokedAt is null")
			}
		}}, verify: revoked(tok)})
	tok = fxUser(in)
	if r.admin {
		tok = tg("rvt")
	}
	add(azWrite{field: "revokeApiToken", scope: "other-user", query: revokeTokQ, vars: map[string]any{"in": map[string]any{"apiToken": e.tokenID(t, tok)}},
		want: allowIf(r.admin, nil, refused), verify: revoked(tok)})
	if awayUser != "" {
		add(azWrite{field: "revokeApiToken", scope: "out-of-scope", query: revokeTokQ,
			vars: map[string]any{"in": map[string]any{"apiToken": e.tokenID(t, awayUser)}}, want: refused, verify: revoked(awayUser)})
	}
	add(azWrite{field: "revokeApiToken", scope: "made-up", query: revokeTokQ,
		vars: map[string]any{"in": map[string]any{"apiToken": azGID("ApiToken", 987654321)}},
		want: userErr("NOT_FOUND", "input", "apiToken")})

	// Users.
	const createUserQ = `mutation($in: CreateUserInput!) { createUser(input: $in) { user { username orgUnit { code } } ` + ue + ` } }`
	newUser := func(username, unit, password string) map[string]any {
		return map[string]any{"in": map[string]any{"username": username, "displayName": "Người dùng mới " + username,
			"orgUnit": unit, "password": password}}
	}
	exists := func(username string) func(t *testing.T, ok bool) {
		return func(t *testing.T, ok bool) {
			if n := azCount(t, e.db, "SELECT COUNT(*) FROM users WHERE username = ?", username); (n == 1) != ok {
				t.Errorf("user %s stored: %v, want %v", username, n == 1, ok)
			}
		}
	}
	const goodPW = "matrix-password-1"
	unIn := "new-" + label + "-in"
	add(azWrite{field: "createUser", scope: "in-scope", query: createUserQ, vars: newUser(unIn, in, goodPW),
		want: allowIf(r.admin, func(t *testing.T, p any) {
			if azStr(p, "user", "username") != unIn || azStr(p, "user", "orgUnit", "code") != in {
				t.Errorf("created %v", p)
			}
		}, forbidden), verify: exists(unIn)})
	if r.away != "" {
		un := "new-" + label + "-out"
		add(azWrite{field: "createUser", scope: "out-of-scope", query: createUserQ, vars: newUser(un, r.away, goodPW),
			want: forbidden, verify: exists(un)})
		un2 := "new-" + label + "-vn"
		add(azWrite{field: "createUser", scope: "national-unit", query: createUserQ, vars: newUser(un2, "VN", goodPW),
			want: forbidden, verify: exists(un2)})
	}
	add(azWrite{field: "createUser", scope: "bad-username", query: createUserQ, vars: newUser("Not OK!", in, goodPW),
		want: adminOr(userErr("INVALID", "input", "username"))})
	un := "new-" + label + "-short"
	add(azWrite{field: "createUser", scope: "short-password", query: createUserQ, vars: newUser(un, in, "short"),
		want: adminOr(userErr("INVALID", "input", "password")), verify: exists(un)})
	un = "new-" + label + "-xx"
	add(azWrite{field: "createUser", scope: "unknown-unit", query: createUserQ, vars: newUser(un, "XX", goodPW),
		want: adminOr(userErr("NOT_FOUND", "input", "orgUnit")), verify: exists(un)})

	const disableQ = `mutation($in: DisableUserInput!) { disableUser(input: $in) { user { username disabled } ` + ue + ` } }`
	disabled := func(username string) func(t *testing.T, ok bool) {
		return func(t *testing.T, ok bool) {
			if n := azCount(t, e.db, "SELECT COUNT(*) FROM users WHERE username = ? AND disabled = ?", username, true); (n == 1) != ok {
				t.Errorf("user %s disabled: %v, want %v", username, n == 1, ok)
			}
		}
	}
	target = inUser
	if r.admin {
		target = tg("dis")
	}
	add(azWrite{field: "disableUser", scope: "in-scope", query: disableQ,
		vars: map[string]any{"in": map[string]any{"user": e.userID(t, target)}},
		want: allowIf(r.admin, func(t *testing.T, p any) {
			if azAt(p, "user", "disabled") != true {
				t.Errorf("user %v", azAt(p, "user"))
			}
		}, forbidden), verify: disabled(target)})
	if awayUser != "" {
		add(azWrite{field: "disableUser", scope: "out-of-scope", query: disableQ,
			vars: map[string]any{"in": map[string]any{"user": e.userID(t, awayUser)}},
			want: adminOr(notFound), verify: disabled(awayUser)})
	}
	if r.admin {
		add(azWrite{field: "disableUser", scope: "self", query: disableQ,
			vars: map[string]any{"in": map[string]any{"user": e.userID(t, r.name)}},
			want: userErr("INVALID", "input", "user"), verify: disabled(r.name)})
	}

	const resetQ = `mutation($in: ResetPasswordInput!) { resetPassword(input: $in) { ok ` + ue + ` } }`
	pwChanged := func(username string) func(t *testing.T, ok bool) {
		before := e.user(t, username).PasswordHash
		return func(t *testing.T, ok bool) {
			n := azCount(t, e.db, "SELECT COUNT(*) FROM users WHERE username = ? AND password_hash <> ?", username, before)
			if (n == 1) != ok {
				t.Errorf("password of %s changed: %v, want %v", username, n == 1, ok)
			}
		}
	}
	target = inUser
	if r.admin {
		target = tg("pw")
	}
	okTrue := func(t *testing.T, p any) {
		if azAt(p, "ok") != true {
			t.Errorf("ok = %v", azAt(p, "ok"))
		}
	}
	add(azWrite{field: "resetPassword", scope: "in-scope", query: resetQ,
		vars: map[string]any{"in": map[string]any{"user": e.userID(t, target), "password": "matrix-reset-pw"}},
		want: allowIf(r.admin, okTrue, forbidden), verify: pwChanged(target)})
	if awayUser != "" {
		add(azWrite{field: "resetPassword", scope: "out-of-scope", query: resetQ,
			vars: map[string]any{"in": map[string]any{"user": e.userID(t, awayUser), "password": "matrix-reset-pw"}},
			want: adminOr(notFound), verify: pwChanged(awayUser)})
	}
	add(azWrite{field: "resetPassword", scope: "short-password", query: resetQ,
		vars: map[string]any{"in": map[string]any{"user": e.userID(t, inUser), "password": "short"}},
		want: adminOr(userErr("INVALID", "input", "password")), verify: pwChanged(inUser)})

	// Grants.
	const grantQ = `mutation($in: RoleGrantInput!) { grantRole(input: $in) { user { username grants { role orgUnit { code } } } ` + ue + ` } }`
	const revokeQ = `mutation($in: RoleGrantInput!) { revokeRole(input: $in) { user { username grants { role orgUnit { code } } } ` + ue + ` } }`
	grantVars := func(user, role, unit string) map[string]any {
		return map[string]any{"in": map[string]any{"user": e.userID(t, user), "role": role, "orgUnit": unit}}
	}
	holds := func(user, role, unit string, want bool) func(t *testing.T, p any) {
		return func(t *testing.T, p any) {
			has := false
			for _, g := range azList(p, "user", "grants") {
				if azStr(g, "role") == role && azStr(g, "orgUnit", "code") == unit {
					has = true
				}
			}
			if has != want {
				t.Errorf("%s holds %s on %s: %v, want %v (grants %v)", user, role, unit, has, want, azAt(p, "user", "grants"))
			}
		}
	}
	granted := func(user, role, unit string, before bool) func(t *testing.T, ok bool) {
		return func(t *testing.T, ok bool) {
			want := before != ok // a success flips it
			if got := e.hasGrant(t, user, role, unit); got != want {
				t.Errorf("%s holds %s on %s: %v, want %v", user, role, unit, got, want)
			}
		}
	}
	target = inUser
	if r.admin {
		target = tg("gr")
	}
	add(azWrite{field: "grantRole", scope: "in-scope", query: grantQ, vars: grantVars(target, "PROVINCE_EDITOR", in),
		want: allowIf(r.admin, holds(target, "PROVINCE_EDITOR", in, true), forbidden), verify: granted(target, "PROVINCE_EDITOR", in, false)})
	// COORDINATOR (and ADMIN) only from a national administrator: a unit's
	// administrator cannot make its own unit coordinate itself.
	add(azWrite{field: "grantRole", scope: "reserved-role", query: grantQ, vars: grantVars(target, "COORDINATOR", in),
		want: allowIf(r.admin && r.national(), holds(target, "COORDINATOR", in, true), forbidden), verify: granted(target, "COORDINATOR", in, false)})
	// Nobody changes their own grants.
	if !r.anon() {
		add(azWrite{field: "grantRole", scope: "self", query: grantQ, vars: grantVars(r.self(), "VIEWER", "VN"),
			want: forbidden, verify: granted(r.self(), "VIEWER", "VN", false)})
	}
	if r.away != "" {
		add(azWrite{field: "grantRole", scope: "out-of-scope-unit", query: grantQ, vars: grantVars(target, "COORDINATOR", r.away),
			want: forbidden, verify: granted(target, "COORDINATOR", r.away, false)})
		add(azWrite{field: "grantRole", scope: "out-of-scope-user", query: grantQ, vars: grantVars(awayUser, "COORDINATOR", in),
			want: adminOr(notFound), verify: granted(awayUser, "COORDINATOR", in, false)})
		add(azWrite{field: "grantRole", scope: "escalate", query: grantQ, vars: grantVars(r.self(), "ADMIN", "VN"),
			want: forbidden, verify: granted(r.self(), "ADMIN", "VN", false)})
	}
	add(azWrite{field: "grantRole", scope: "unknown-unit", query: grantQ, vars: grantVars(inUser, "VIEWER", "XX"),
		want: adminOr(userErr("NOT_FOUND", "input", "orgUnit"))})
	add(azWrite{field: "grantRole", scope: "role-unit-mismatch", query: grantQ, vars: grantVars(inUser, "NATIONAL_VIEWER", in),
		want: adminOr(userErr("INVALID", "input", "orgUnit")), verify: granted(inUser, "NATIONAL_VIEWER", in, false)})

	target = inUser
	if r.admin {
		target = tg("rv")
	}
	add(azWrite{field: "revokeRole", scope: "in-scope", query: revokeQ, vars: grantVars(target, "VIEWER", in),
		want: allowIf(r.admin, holds(target, "VIEWER", in, false), forbidden), verify: granted(target, "VIEWER", in, true)})
	if r.away != "" {
		add(azWrite{field: "revokeRole", scope: "out-of-scope-unit", query: revokeQ, vars: grantVars(awayUser, "VIEWER", r.away),
			want: forbidden, verify: granted(awayUser, "VIEWER", r.away, true)})
		add(azWrite{field: "revokeRole", scope: "out-of-scope-user", query: revokeQ, vars: grantVars(awayUser, "VIEWER", in),
			want: adminOr(notFound), verify: granted(awayUser, "VIEWER", in, true)})
	}
	if r.admin {
		add(azWrite{field: "revokeRole", scope: "not-held", query: revokeQ, vars: grantVars(tg("pw"), "VIEWER", in),
			want: userErr("NOT_FOUND", "input", "role")})
	}

	// Reporting on an assignment: the editors of its unit only. Roles run in
	// parallel; of those naming one unit's assignment, only its editor's
	// write succeeds, so each sees version 1.
	updQ := `mutation($in: UpdateAssignmentInput!) { updateAssignment(input: $in) { assignment { progress version } ` + ue + ` } }`
	assignmentOf := func(code string) int64 {
		return int64(azCount(t, e.db, `SELECT MIN(a.id) FROM assignments AS a JOIN org_units AS u ON u.id = a.org_unit_id
			WHERE u.code = ? AND a.state IN ('NOT_STARTED', 'IN_PROGRESS')`, code))
	}
	// notSet checks that a refused update did not store the progress p it
	// sent (p is this role's own: another role's may have succeeded).
	notSet := func(id int64, p int) func(t *testing.T, succeeded bool) {
		return func(t *testing.T, succeeded bool) {
			if got := azCount(t, e.db, "SELECT progress FROM assignments WHERE id = ?", id); got == p && !succeeded {
				t.Errorf("a refused update stored progress %d", p)
			}
		}
	}
	upd := func(id int64, p int) map[string]any {
		return map[string]any{"in": map[string]any{"assignment": azGID("Assignment", id), "expectedVersion": 1, "progress": p}}
	}
	// Odd values the demo data does not use (it has multiples of 5).
	p := []int{1, 3, 7, 11, 13, 17, 19, 23, 29, 31, 37}[slices.IndexFunc(azRoles, func(x azRole) bool { return x.name == r.name })]
	editor := map[string]string{"hue": "46", "hanoi": "01", "bca": "BCA", "btp": "BTP"}[r.name]
	mine := assignmentOf(in)
	add(azWrite{field: "updateAssignment", scope: "bad-progress", query: updQ, vars: upd(mine, 150),
		want: map[bool]azOutcome{true: userErr("INVALID", "input", "progress"), false: forbidden}[editor == in]})
	add(azWrite{field: "updateAssignment", scope: "in-scope", query: updQ, vars: upd(mine, p),
		want: allowIf(editor == in, func(t *testing.T, payload any) {
			if azInt(payload, "assignment", "progress") != p || azInt(payload, "assignment", "version") != 2 {
				t.Errorf("after the update: %v", payload)
			}
		}, forbidden), verify: notSet(mine, p)})
	if r.away != "" {
		theirs := assignmentOf(r.away)
		add(azWrite{field: "updateAssignment", scope: "out-of-scope", query: updQ, vars: upd(theirs, p),
			want: refused, verify: notSet(theirs, p)})
	}

	// Asking for more time: the editors of the assignment's unit (each
	// names an assignment of its own unit that no other row's request
	// succeeds on); deciding: the coordinator (c06), on a request made in
	// azSetup. Refused rows leave the request as it was.
	reqQ := `mutation($in: RequestDeadlineExtensionInput!) { requestDeadlineExtension(input: $in) { extensionRequest { id state } ` + ue + ` } }`
	ask := func(a int64, reason string) map[string]any {
		return map[string]any{"in": map[string]any{"assignment": azGID("Assignment", a), "deadlineText": "ngày 31/12/2027", "reason": reason}}
	}
	requests := func(a int64, reason string) func(t *testing.T, succeeded bool) {
		return func(t *testing.T, succeeded bool) {
			want := 0
			if succeeded {
				want = 1
			}
			if n := azCount(t, e.db, "SELECT COUNT(*) FROM extension_requests WHERE assignment_id = ? AND reason = ?", a, reason); n != want {
				t.Errorf("%d requests stored with this row's reason, want %d", n, want)
			}
		}
	}
	if in != "VN" {
		askMine := azExtAssignment(t, e.db, in, 1)
		add(azWrite{field: "requestDeadlineExtension", scope: "no-reason", query: reqQ, vars: ask(askMine, " "),
			want: map[bool]azOutcome{true: userErr("INVALID", "input", "reason"), false: forbidden}[editor == in]})
		add(azWrite{field: "requestDeadlineExtension", scope: "in-scope", query: reqQ, vars: ask(askMine, "ma trận "+label),
			want: allowIf(editor == in, func(t *testing.T, payload any) {
				if azStr(payload, "extensionRequest", "state") != "PENDING" {
					t.Errorf("after the request: %v", payload)
				}
			}, forbidden), verify: requests(askMine, "ma trận "+label)})
	}
	if r.away != "" {
		theirs := azExtAssignment(t, e.db, r.away, 1)
		add(azWrite{field: "requestDeadlineExtension", scope: "out-of-scope", query: reqQ, vars: ask(theirs, "ma trận ngoài "+label),
			want: refused, verify: requests(theirs, "ma trận ngoài "+label)})
	}
	decQ := `mutation($in: DecideDeadlineExtensionInput!) { decideDeadlineExtension(input: $in) { extensionRequest { id state } assignment { dueDate } ` + ue + ` } }`
	pendingOf := func(code string) int64 {
		return int64(azCount(t, e.db, `SELECT r.id FROM extension_requests AS r JOIN assignments AS a ON a.id = r.assignment_id
			JOIN org_units AS u ON u.id = a.org_unit_id WHERE u.code = ? AND r.reason = 'ma trận'`, code))
	}
	undecidedBy := func(req int64) func(t *testing.T, succeeded bool) {
		return func(t *testing.T, succeeded bool) {
			if r.anon() || succeeded {
				return
			}
			if n := azCount(t, e.db, "SELECT COUNT(*) FROM extension_requests WHERE id = ? AND decided_by = ?", req, e.user(t, r.name).ID); n != 0 {
				t.Errorf("a refused decision was stored")
			}
		}
	}
	decider := r.name == "c06"
	mineReq := pendingOf(r.unit())
	add(azWrite{field: "decideDeadlineExtension", scope: "in-scope", query: decQ,
		vars: map[string]any{"in": map[string]any{"request": azGID("ExtensionRequest", mineReq), "approve": true, "note": "ma trận"}},
		want: allowIf(decider, func(t *testing.T, payload any) {
			if azStr(payload, "extensionRequest", "state") != "APPROVED" || azStr(payload, "assignment", "dueDate") != "2027-12-31" {
				t.Errorf("after the decision: %v", payload)
			}
		}, forbidden), verify: undecidedBy(mineReq)})
	if decider {
		add(azWrite{field: "decideDeadlineExtension", scope: "decided", query: decQ,
			vars: map[string]any{"in": map[string]any{"request": azGID("ExtensionRequest", mineReq), "approve": false}},
			want: userErr("CONFLICT", "input", "request")})
	}
	if r.away != "" {
		theirs := pendingOf(r.away)
		add(azWrite{field: "decideDeadlineExtension", scope: "out-of-scope", query: decQ,
			vars: map[string]any{"in": map[string]any{"request": azGID("ExtensionRequest", theirs), "approve": true}},
			want: refused, verify: undecidedBy(theirs)})
	}

	// The standing agency's rows: COORDINATOR (c06, on VN) enters documents
	// and tasks, assigns and cancels; every other role is refused by the
	// @can directive and changes nothing. Each role names objects of its own
	// (numbers and titles with its label), so the rows run in parallel.
	standing := r.name == "c06"
	countOf := func(q string, args ...any) func(t *testing.T, succeeded bool) {
		return func(t *testing.T, succeeded bool) {
			want := 0
			if succeeded {
				want = 1
			}
			if n := azCount(t, e.db, q, args...); n != want {
				t.Errorf("%d rows for %q, want %d", n, q, want)
			}
		}
	}
	const createDocQ = `mutation($in: CreateDocumentInput!) { createDocument(input: $in) { document { number } ` + ue + ` } }`
	docNumber := "mx-" + label + "/CT-TTg"
	add(azWrite{field: "createDocument", scope: "national", query: createDocQ,
		vars: map[string]any{"in": map[string]any{"kind": "CHI_THI", "number": docNumber, "issuedOn": "2026-11-30", "issuer": "Thủ tướng Chính phủ", "title": "Văn bản thử " + label}},
		want: allowIf(standing, func(t *testing.T, p any) {
			if azStr(p, "document", "number") != docNumber {
				t.Errorf("created %v", p)
			}
		}, forbidden), verify: countOf("SELECT COUNT(*) FROM documents WHERE number = ?", docNumber)})
	if standing {
		add(azWrite{field: "createDocument", scope: "same-number", query: createDocQ,
			vars: map[string]any{"in": map[string]any{"kind": "CHI_THI", "number": docNumber, "issuedOn": "2026-11-30", "issuer": "Thủ tướng Chính phủ", "title": "Lần hai"}},
			want: userErr("CONFLICT", "input", "number"), verify: func(t *testing.T, _ bool) {
				countOf("SELECT COUNT(*) FROM documents WHERE number = ?", docNumber)(t, true) // the first one only
			}})
	}
	matrixDoc := int64(azCount(t, e.db, "SELECT id FROM documents WHERE number = '999/QĐ-MATRIX'"))
	const createTaskQ = `mutation($in: CreateTaskInput!) { createTask(input: $in) { task { dueDate precision } ` + ue + ` } }`
	taskTitle := "mx-task-" + label
	add(azWrite{field: "createTask", scope: "national", query: createTaskQ,
		vars: map[string]any{"in": map[string]any{"document": azGID("Document", matrixDoc), "title": taskTitle, "deadlineText": "tháng 3/2027"}},
		want: allowIf(standing, func(t *testing.T, p any) {
			if azStr(p, "task", "dueDate") != "2027-03-31" || azStr(p, "task", "precision") != "MONTH" {
				t.Errorf("created %v", p)
			}
		}, forbidden), verify: countOf("SELECT COUNT(*) FROM tasks WHERE title = ?", taskTitle)})
	if standing {
		add(azWrite{field: "createTask", scope: "bad-deadline", query: createTaskQ,
			vars: map[string]any{"in": map[string]any{"document": azGID("Document", matrixDoc), "title": taskTitle + "-bad", "deadlineText": "sau này"}},
			want: userErr("INVALID", "input", "deadlineText"), verify: countOf("SELECT COUNT(*) FROM tasks WHERE title = ?", taskTitle+"-bad")})
	}
	// importTasks: a one-row workbook, imported for real.
	importTitle := "mx-import-" + label
	add(azWrite{field: "importTasks", scope: "national",
		query: `mutation($in: ImportTasksInput!) { importTasks(input: $in) { imported tasks { title } ` + ue + ` } }`,
		vars:  map[string]any{"in": map[string]any{"document": azGID("Document", matrixDoc), "file": nil, "dryRun": false}},
		file:  importSheet(t, [][]string{{"1", importTitle, "Bộ Công an", "", "tháng 3/2027", ""}}),
		want: allowIf(standing, func(t *testing.T, p any) {
			if azStr(p, "tasks", 0, "title") != importTitle {
				t.Errorf("imported %v", p)
			}
		}, forbidden), verify: countOf("SELECT COUNT(*) FROM tasks WHERE title = ?", importTitle)})
	assignTaskID := int64(azCount(t, e.db, "SELECT id FROM tasks WHERE title = 'mx-assign'"))
	const assignQ = `mutation($in: AssignTaskInput!) { assignTask(input: $in) { assignments { orgUnit { code } role } ` + ue + ` } }`
	assigned := func(code string) func(t *testing.T, succeeded bool) {
		return countOf(`SELECT COUNT(*) FROM assignments AS a JOIN org_units AS u ON u.id = a.org_unit_id WHERE a.task_id = ? AND u.code = ?`, assignTaskID, code)
	}
	// Each role names a unit no other role names: its home, Đà Nẵng (48)
	// for c06, Bộ Y tế or Bộ Tài chính for the other national roles.
	assignee := map[string]string{"c06": "48", "admin": "BYT", "vpcp": "BTC"}[r.name]
	if assignee == "" {
		assignee = r.home
	}
	add(azWrite{field: "assignTask", scope: "in-scope", query: assignQ,
		vars: map[string]any{"in": map[string]any{"task": azGID("Task", assignTaskID), "lead": []string{assignee}}},
		want: allowIf(standing, func(t *testing.T, p any) {
			if as := azList(p, "assignments"); len(as) != 1 || azStr(as[0], "orgUnit", "code") != assignee || azStr(as[0], "role") != "LEAD" {
				t.Errorf("assigned %v", p)
			}
		}, forbidden), verify: assigned(assignee)})
	if standing {
		add(azWrite{field: "assignTask", scope: "already-assigned", query: assignQ,
			vars: map[string]any{"in": map[string]any{"task": azGID("Task", assignTaskID), "lead": []string{"BXD"}, "coordinate": []string{assignee}}},
			want: userErr("CONFLICT", "input", "coordinate"), verify: func(t *testing.T, _ bool) { assigned("BXD")(t, false) }})
	}
	if r.away != "" {
		add(azWrite{field: "assignTask", scope: "out-of-scope", query: assignQ,
			vars: map[string]any{"in": map[string]any{"task": azGID("Task", e.units[r.away].task), "lead": []string{"BYT"}}},
			want: forbidden})
	}
	cancelTaskID := int64(azCount(t, e.db, "SELECT id FROM tasks WHERE title = 'mx-cancel'"))
	const cancelQ = `mutation($in: CancelTaskInput!) { cancelTask(input: $in) { task { status } assignments { state } ` + ue + ` } }`
	add(azWrite{field: "cancelTask", scope: "national", query: cancelQ,
		vars: map[string]any{"in": map[string]any{"task": azGID("Task", cancelTaskID), "reason": "Hủy thử " + label}},
		want: allowIf(standing, func(t *testing.T, p any) {
			if azStr(p, "task", "status") != "CANCELLED" || len(azList(p, "assignments")) != 2 {
				t.Errorf("cancelled %v", p)
			}
		}, forbidden), verify: func(t *testing.T, succeeded bool) {
			n := azCount(t, e.db, "SELECT COUNT(*) FROM assignment_facts AS f JOIN assignments AS a ON a.id = f.assignment_id WHERE a.task_id = ? AND f.note = ?",
				cancelTaskID, "Hủy thử "+label)
			if want := map[bool]int{true: 2, false: 0}[succeeded]; n != want {
				t.Errorf("%d history rows with this role's reason, want %d", n, want)
			}
		}})

	// Progress reports (plain JSON, no files; uploads are tested in
	// evidence_test.go): the editors of the assignment's unit only. A
	// refused report stores nothing.
	repQ := `mutation($in: ReportProgressInput!) { reportProgress(input: $in) { progressReport { text author { username } } ` + ue + ` } }`
	repText := "báo cáo của " + label
	rep := func(id int64) map[string]any {
		return map[string]any{"in": map[string]any{"assignment": azGID("Assignment", id), "text": repText}}
	}
	noReport := func(id int64) func(t *testing.T, succeeded bool) {
		return func(t *testing.T, succeeded bool) {
			n := azCount(t, e.db, "SELECT COUNT(*) FROM progress_reports WHERE assignment_id = ? AND text = ?", id, repText)
			if want := map[bool]int{true: 1, false: 0}[succeeded]; n != want {
				t.Errorf("%d reports stored, want %d", n, want)
			}
		}
	}
	add(azWrite{field: "reportProgress", scope: "empty-text", query: repQ,
		vars: map[string]any{"in": map[string]any{"assignment": azGID("Assignment", mine), "text": " "}},
		want: map[bool]azOutcome{true: userErr("INVALID", "input", "text"), false: forbidden}[editor == in]})
	add(azWrite{field: "reportProgress", scope: "in-scope", query: repQ, vars: rep(mine),
		want: allowIf(editor == in, func(t *testing.T, payload any) {
			if azStr(payload, "progressReport", "text") != repText || azStr(payload, "progressReport", "author", "username") != r.name {
				t.Errorf("report: %v", payload)
			}
		}, forbidden), verify: noReport(mine)})
	if r.away != "" {
		theirs := assignmentOf(r.away)
		add(azWrite{field: "reportProgress", scope: "out-of-scope", query: repQ, vars: rep(theirs),
			want: refused, verify: noReport(theirs)})
	}

	// Own password, last: the rows above sign in with the demo password.
	const changeQ = `mutation($in: ChangePasswordInput!) { changePassword(input: $in) { ok ` + ue + ` } }`
	pw := func(cur, next string) map[string]any {
		return map[string]any{"in": map[string]any{"currentPassword": cur, "newPassword": next}}
	}
	if r.label() == "hue" || r.anon() {
		add(azWrite{field: "changePassword", scope: "wrong-current", auditsFailure: true, query: changeQ, vars: pw("not-the-password", "matrix-new-password"),
			want: userErr("INVALID", "input", "currentPassword")})
		add(azWrite{field: "changePassword", scope: "short-new", query: changeQ, vars: pw(seeds.DefaultDemoPassword, "short"),
			want: userErr("INVALID", "input", "newPassword")})
	}
	add(azWrite{field: "changePassword", scope: "self", query: changeQ, vars: pw(seeds.DefaultDemoPassword, "matrix-new-password"),
		want: azOutcome{kind: azAllow, check: okTrue}})
	return ws
}

// ---- helpers shared with leak_test.go ----

// azGID is the global ID of a stored row, as graph/ids.go makes them
// (base64url of "Type:id"): for naming objects the test set up.
func azGID(typ string, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + strconv.FormatInt(id, 10)))
}

// azParseGID splits a global ID.
func azParseGID(gid string) (string, int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(gid)
	if err != nil {
		return "", 0, false
	}
	typ, num, ok := strings.Cut(string(b), ":")
	id, err := strconv.ParseInt(num, 10, 64)
	return typ, id, ok && err == nil
}

// azCount runs a query of one integer on db.
func azCount(tb testing.TB, db *store.DB, query string, args ...any) int {
	tb.Helper()
	var n int64
	if err := db.NewRaw(query, args...).Scan(context.Background(), &n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return int(n)
}

// azIDSet runs a query of ids on db.
func azIDSet(tb testing.TB, db *store.DB, query string, args ...any) map[int64]bool {
	tb.Helper()
	var ids []int64
	if err := db.NewRaw(query, args...).Scan(context.Background(), &ids); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out
}

// azCounts is what a scope holds.
type azCounts struct{ Units, Groups, Assignments, Tasks, Documents, Users int }

// azScopeCounts counts, in SQL, what a caller reading the subtree at path
// sees: units, working groups, assignments and users by their unit's path;
// tasks through their assignments and documents through those tasks, or all
// of them for the whole country.
func azScopeCounts(tb testing.TB, db *store.DB, path string) azCounts {
	tb.Helper()
	like := path + "%"
	c := azCounts{
		Units:       azCount(tb, db, "SELECT COUNT(*) FROM org_units WHERE path LIKE ?", like),
		Groups:      azCount(tb, db, "SELECT COUNT(*) FROM working_groups AS g JOIN org_units AS u ON u.id = g.org_unit_id WHERE u.path LIKE ?", like),
		Assignments: azCount(tb, db, "SELECT COUNT(*) FROM assignments AS a JOIN org_units AS u ON u.id = a.org_unit_id WHERE u.path LIKE ?", like),
		Users:       azCount(tb, db, "SELECT COUNT(*) FROM users AS us JOIN org_units AS u ON u.id = us.org_unit_id WHERE u.path LIKE ?", like),
	}
	if path == rbac.RootPath {
		c.Tasks = azCount(tb, db, "SELECT COUNT(*) FROM tasks")
		c.Documents = azCount(tb, db, "SELECT COUNT(*) FROM documents")
	} else {
		c.Tasks = azCount(tb, db, "SELECT COUNT(DISTINCT a.task_id) FROM assignments AS a JOIN org_units AS u ON u.id = a.org_unit_id WHERE u.path LIKE ?", like)
		c.Documents = azCount(tb, db, `SELECT COUNT(DISTINCT t.document_id) FROM tasks AS t JOIN assignments AS a ON a.task_id = t.id
			JOIN org_units AS u ON u.id = a.org_unit_id WHERE u.path LIKE ?`, like)
	}
	return c
}

// azTree decodes a response's data.
func azTree(tb testing.TB, res response) map[string]any {
	tb.Helper()
	var m map[string]any
	if len(res.Data) > 0 {
		if err := json.Unmarshal(res.Data, &m); err != nil {
			tb.Fatalf("decoding %s: %v", res.Data, err)
		}
	}
	return m
}

// azAt walks decoded JSON by keys and indexes; nil when absent.
func azAt(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k < 0 || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func azList(v any, path ...any) []any { l, _ := azAt(v, path...).([]any); return l }
func azStr(v any, path ...any) string { s, _ := azAt(v, path...).(string); return s }
func azInt(v any, path ...any) int    { f, _ := azAt(v, path...).(float64); return int(f) }

func azHasID(l []any, id string) bool {
	for _, v := range l {
		if azStr(v, "id") == id {
			return true
		}
	}
	return false
}

// azErrs describes a response's errors.
func azErrs(res response) string {
	var parts []string
	for _, e := range res.Errors {
		parts = append(parts, fmt.Sprintf("%v %q at %v", e.Extensions["code"], e.Message, e.Path))
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

// azOK fails on any error and returns the data.
func azOK(t *testing.T, res response) map[string]any {
	t.Helper()
	if len(res.Errors) > 0 {
		t.Fatalf("errors: %s (data %s)", azErrs(res), res.Data)
	}
	return azTree(t, res)
}

// azDenied checks that field failed with a top-level error of one of codes
// and gave nothing.
func azDenied(t *testing.T, res response, field string, codes ...string) {
	t.Helper()
	if len(res.Errors) == 0 {
		t.Fatalf("want a %v error, got none: data %s", codes, res.Data)
	}
	if code := fmt.Sprint(res.Errors[0].Extensions["code"]); !slices.Contains(codes, code) {
		t.Errorf("error code %s (%q), want one of %v", code, res.Errors[0].Message, codes)
	}
	if v := azAt(azTree(t, res), field); v != nil {
		t.Errorf("%s = %v despite the error", field, v)
	}
}

// azNotFound checks that field is null with exactly one NOT_FOUND error.
func azNotFound(t *testing.T, res response, field string) {
	t.Helper()
	if v := azAt(azTree(t, res), field); v != nil {
		t.Errorf("%s = %v, want null", field, v)
	}
	if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "NOT_FOUND" {
		t.Errorf("errors %s, want one NOT_FOUND", azErrs(res))
	}
}

// azNotFoundLike checks that res, asking for value out of scope, answers
// exactly as probe, asking for probeValue that does not exist: field null,
// one NOT_FOUND error with the same message (but for the value named), path
// and extensions.
func azNotFoundLike(t *testing.T, res, probe response, field, value, probeValue string) {
	t.Helper()
	azNotFound(t, res, field)
	if len(probe.Errors) != 1 {
		t.Fatalf("made-up %q gave errors %s", probeValue, azErrs(probe))
	}
	if len(res.Errors) != 1 {
		return
	}
	got, want := res.Errors[0], probe.Errors[0]
	if msg := strings.ReplaceAll(want.Message, probeValue, value); got.Message != msg {
		t.Errorf("message %q, want %q as for a made-up %q", got.Message, msg, probeValue)
	}
	if fmt.Sprint(got.Path) != fmt.Sprint(want.Path) || fmt.Sprint(got.Extensions) != fmt.Sprint(want.Extensions) {
		t.Errorf("error %+v, want it like the made-up one's %+v", got, want)
	}
}
