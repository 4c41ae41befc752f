package graph_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"p06/org"
	"p06/rbac"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
	"p06/tasks"
)

const searchQ = `query($q: String!, $k: [SearchKind!], $n: Int, $a: String) {
  search(query: $q, kinds: $k, first: $n, after: $a) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { kind title snippet rank node { id __typename } } }
  } }`

type searchHit struct {
	Kind, Title, Snippet string
	Rank                 int
	Node                 struct {
		ID       string
		Typename string `json:"__typename"`
	}
}

type searchPage struct {
	Search struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage bool
			EndCursor   string
		}
		Edges []struct {
			Cursor string
			Node   searchHit
		}
	}
}

// search runs searchQ and returns the hits' node IDs, the hits and the total.
func search(c *client, q string, kinds []string, first int, after string) ([]string, []searchHit, searchPage) {
	c.t.Helper()
	vars := map[string]any{"q": q, "n": first}
	if kinds != nil {
		vars["k"] = kinds
	}
	if after != "" {
		vars["a"] = after
	}
	var out searchPage
	c.must(searchQ, vars, &out)
	var ids []string
	var hits []searchHit
	for _, e := range out.Search.Edges {
		ids = append(ids, e.Node.Node.ID)
		hits = append(hits, e.Node)
	}
	return ids, hits, out
}

// Search through the API on both databases, on rows the test makes: the
// review's spellings of a title, ranking (title before body, whole words
// before starts of words, then kind and id), scope (Huế against the whole
// country), NFD input, kinds, paging, bounds, and the list filters agreeing.
func TestSearch(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			ctx := context.Background()
			units := map[string]int64{}
			for _, code := range []string{"46", "01"} {
				u, err := org.NewStore(db).UnitByCode(ctx, rbac.National(), code)
				if err != nil {
					t.Fatal(err)
				}
				units[code] = u.ID
			}
			ts := tasks.NewStore(db, store.FixedClock(today))
			doc := &tasks.Document{Kind: tasks.ChiThi, Number: "97/CT-TTg", IssueDate: store.MustDate("2026-11-02"),
				Issuer: "Thủ tướng Chính phủ", Title: "Chỉ thị về Quokkaquy và xylanh", Source: store.SourceDemo}
			if err := ts.CreateDocument(ctx, doc); err != nil {
				t.Fatal(err)
			}
			task := func(unit, title, desc string) string {
				t.Helper()
				tk := &tasks.Task{DocumentID: doc.ID, Title: title, Description: desc, DeadlineText: "quý IV/2026", Source: store.SourceDemo}
				if err := ts.CreateTask(ctx, tk, []tasks.NewAssignment{{OrgUnitID: units[unit], Role: tasks.Lead}}); err != nil {
					t.Fatal(err)
				}
				return azGID("Task", tk.ID)
			}
			// Made in id order: r5 ties r1 and comes after it.
			lltp := task("46", "Cấp Phiếu lý lịch tư pháp qua VNeID cho Zebrađô", "Đăng ký trực tuyến")
			r1 := task("46", "Triển khai xylanh tại Huế", "")
			r2 := task("01", "Triển khai xylanhs tại Hà Nội", "")
			r3 := task("46", "Nhiệm vụ ba", "Mở rộng xylanh cho các xã")
			r4 := task("01", "Nhiệm vụ bốn", "Mở rộng xylanhđa")
			r5 := task("01", "Xylanh cho Hà Nội", "")
			long := task("01", "Nhiệm vụ có mô tả dài", strings.Repeat("Nội dung mở đầu không liên quan. ", 20)+
				"Ở đây mới nói về Kỳlânthử cần tìm. "+strings.Repeat("Phần kết. ", 20))

			vpcp := &client{t: t, url: serveAs(t, db, "vpcp")}
			hue := &client{t: t, url: serveAs(t, db, "hue")}

			// A progress report of Huế's on r3's assignment (body only).
			var r3a int64
			if err := db.NewRaw("SELECT a.id FROM assignments AS a JOIN tasks AS t ON t.id = a.task_id WHERE t.title = ?", "Nhiệm vụ ba").Scan(ctx, &r3a); err != nil {
				t.Fatal(err)
			}
			var rep struct {
				ReportProgress struct {
					ProgressReport struct{ ID string }
					UserErrors     []userError
				}
			}
			hue.must(`mutation($in: ReportProgressInput!) { reportProgress(input: $in) { progressReport { id } userErrors { field message code } } }`,
				map[string]any{"in": map[string]any{"assignment": azGID("Assignment", r3a), "text": "Đã thử xylanh ở 3 xã"}}, &rep)
			if len(rep.ReportProgress.UserErrors) > 0 {
				t.Fatal(rep.ReportProgress.UserErrors)
			}
			report := rep.ReportProgress.ProgressReport.ID
			docID := azGID("Document", doc.ID)

			// Case, diacritics, đ and NFC/NFD.
			for _, q := range []string{"phieu ly lich tu phap", "PHIẾU LÝ LỊCH", norm.NFD.String("Phiếu lý lịch"), "zebrado", "ZEBRAĐÔ", "dang ky truc tuyen", "đăng ký", "phi ly"} {
				ids, _, _ := search(vpcp, q, []string{"TASK"}, 100, "")
				if !contains(ids, lltp) {
					t.Errorf("search %q (national) does not find the task: %v", q, ids)
				}
				ids, _, _ = search(hue, q, []string{"TASK"}, 100, "")
				if !contains(ids, lltp) {
					t.Errorf("search %q (Huế) does not find the task: %v", q, ids)
				}
			}
			if ids, _, _ := search(vpcp, "hieu ly lich", nil, 100, ""); contains(ids, lltp) {
				t.Errorf("the middle of a word matched: %v", ids)
			}

			// Ranking: title whole (r1, r5 by id), title start (r2), then the
			// body's whole word (r3, then the report: tasks before reports),
			// then the body's start of a word (r4). The document has it in its title.
			ids, hits, page := search(vpcp, "xylanh", []string{"TASK", "PROGRESS_REPORT"}, 100, "")
			if want := []string{r1, r5, r2, r3, report, r4}; strings.Join(ids, " ") != strings.Join(want, " ") {
				t.Errorf("ranked %v; want %v (%+v)", ids, want, hits)
			}
			if page.Search.TotalCount != 6 || hits[0].Rank != 17 || hits[2].Rank != 16 || hits[3].Rank != 1 || hits[5].Rank != 0 {
				t.Errorf("total %d, hits %+v", page.Search.TotalCount, hits)
			}
			if hits[0].Title != "Triển khai xylanh tại Huế" || hits[4].Title != "Nhiệm vụ ba" || hits[4].Snippet != "Đã thử xylanh ở 3 xã" ||
				hits[4].Node.Typename != "ProgressReport" || hits[4].Kind != "PROGRESS_REPORT" {
				t.Errorf("hits %+v", hits)
			}
			// Two words: both must match; the title's count first.
			if ids, _, _ := search(vpcp, "xylanh ha noi", nil, 100, ""); strings.Join(ids, " ") != r5+" "+r2 {
				t.Errorf("xylanh ha noi: %v; want r5 r2", ids)
			}

			// Scope: Huế finds its own tasks and report, and the document
			// through them; nothing of Hà Nội's, not Hà Nội itself.
			ids, _, page = search(hue, "xylanh", nil, 100, "")
			if want := []string{docID, r1, r3, report}; strings.Join(ids, " ") != strings.Join(want, " ") || page.Search.TotalCount != 4 {
				t.Errorf("Huế: %v (total %d); want %v", ids, page.Search.TotalCount, want)
			}
			if ids, _, _ := search(hue, "ha noi", []string{"ORG_UNIT"}, 100, ""); len(ids) != 0 {
				t.Errorf("Huế finds units out of scope: %v", ids)
			}
			if ids, _, _ := search(vpcp, "ha noi", []string{"ORG_UNIT"}, 100, ""); !contains(ids, azGID("OrgUnit", units["01"])) {
				t.Errorf("national: ha noi finds %v", ids)
			}
			if ids, _, _ := search(hue, "thua thien", []string{"ORG_UNIT"}, 100, ""); len(ids) != 1 || ids[0] != azGID("OrgUnit", units["46"]) {
				t.Errorf("Huế: thua thien finds %v", ids)
			}

			// Kinds.
			if ids, hits, _ := search(vpcp, "quokkaquy", nil, 100, ""); len(ids) != 1 || ids[0] != docID || hits[0].Title != "97/CT-TTg Chỉ thị về Quokkaquy và xylanh" {
				t.Errorf("document: %v %+v", ids, hits)
			}
			if ids, _, _ := search(vpcp, "xylanh", []string{"DOCUMENT"}, 100, ""); len(ids) != 1 || ids[0] != docID {
				t.Errorf("kinds DOCUMENT: %v", ids)
			}

			// The snippet is cut around the match.
			if _, hits, _ := search(vpcp, "kylanthu", nil, 10, ""); len(hits) != 1 || hits[0].Node.ID != long ||
				!strings.Contains(hits[0].Snippet, "Kỳlânthử") || !strings.HasPrefix(hits[0].Snippet, "…") ||
				len([]rune(hits[0].Snippet)) > tasks.SnippetLength+2 {
				t.Errorf("snippet: %+v", hits)
			}

			// Paging with after gives the same order, each once.
			all, _, _ := search(vpcp, "xylanh", nil, 100, "")
			var paged []string
			after := ""
			for range 10 {
				ids, _, p := search(vpcp, "xylanh", nil, 2, after)
				paged = append(paged, ids...)
				if !p.Search.PageInfo.HasNextPage {
					break
				}
				after = p.Search.PageInfo.EndCursor
			}
			if strings.Join(paged, " ") != strings.Join(all, " ") || len(all) != 7 {
				t.Errorf("paged %v; all %v", paged, all)
			}

			// The list filters match the same way, in the same scope.
			var tl struct{ Tasks struct{ TotalCount int } }
			vpcp.must(`{ tasks(filter: {search: "XYLANH"}) { totalCount } }`, nil, &tl)
			if tl.Tasks.TotalCount != 5 {
				t.Errorf("tasks filter (national): %d; want 5", tl.Tasks.TotalCount)
			}
			hue.must(`{ tasks(filter: {search: "xylanh"}) { totalCount } }`, nil, &tl)
			if tl.Tasks.TotalCount != 2 {
				t.Errorf("tasks filter (Huế): %d; want 2", tl.Tasks.TotalCount)
			}
			var dl struct {
				Documents struct{ Nodes []struct{ Number string } }
			}
			hue.must(`{ documents(filter: {search: "QUOKKAQUY"}) { nodes { number } } }`, nil, &dl)
			if len(dl.Documents.Nodes) != 1 || dl.Documents.Nodes[0].Number != "97/CT-TTg" {
				t.Errorf("documents filter: %+v", dl)
			}
			var ul struct {
				OrgUnits struct{ Nodes []struct{ Code string } }
			}
			vpcp.must(`{ orgUnits(filter: {search: "`+norm.NFD.String("Thừa Thiên")+`"}) { nodes { code } } }`, nil, &ul)
			if len(ul.OrgUnits.Nodes) != 1 || ul.OrgUnits.Nodes[0].Code != "46" {
				t.Errorf("orgUnits filter: %+v", ul)
			}

			var gl struct {
				WorkingGroups struct{ Nodes []struct{ Code string } }
			}
			vpcp.must(`{ workingGroups(filter: {search: "to cong tac THUA THIEN"}) { nodes { code } } }`, nil, &gl)
			if len(gl.WorkingGroups.Nodes) != 1 || gl.WorkingGroups.Nodes[0].Code != "TCT-46" {
				t.Errorf("workingGroups filter: %+v", gl)
			}

			// Bounds: blank is INVALID; wildcards alone find nothing; at most
			// 8 words, 100 characters and first 100.
			for q, want := range map[string]string{"": "INVALID", "   ": "INVALID", "a b c d e f g h i": "INVALID",
				strings.Repeat("a", 101): "INVALID"} {
				r := vpcp.do(searchQ, map[string]any{"q": q}, nil, "Accept-Language", "en")
				if len(r.Errors) == 0 {
					t.Errorf("search %q: no error", q)
					continue
				}
				if f := fmt.Sprint(r.Errors[0].Extensions["field"]); code(r) != want || (f != "query" && f != "$q") || string(r.Data) != "null" {
					t.Errorf("search %q: %+v; want %s naming query", q, r, want)
				}
			}
			if r := vpcp.do(searchQ, map[string]any{"q": " "}, nil, "Accept-Language", "en"); len(r.Errors) > 0 && !strings.Contains(r.Errors[0].Message, "blank") {
				t.Errorf("blank: %s", r.Errors[0].Message)
			}
			for _, q := range []string{"%", "_", `\`, "%%_\\%", "% _"} {
				ids, _, p := search(vpcp, q, nil, 100, "")
				if len(ids) != 0 || p.Search.TotalCount != 0 {
					t.Errorf("search %q: %d hits", q, p.Search.TotalCount)
				}
				vpcp.must(`query($s: String) { tasks(filter: {search: $s}) { totalCount } }`, map[string]any{"s": q}, &tl)
				if tl.Tasks.TotalCount != 0 {
					t.Errorf("tasks filter %q: %d", q, tl.Tasks.TotalCount)
				}
			}
			if r := vpcp.do(searchQ, map[string]any{"q": "xylanh", "n": 101}, nil); code(r) != "INVALID" {
				t.Errorf("first 101: %+v", r)
			}
			if r := vpcp.do(`{ tasks(filter: {search: "a b c d e f g h i"}) { totalCount } }`, nil, nil); code(r) != "INVALID" {
				t.Errorf("9-word filter: %+v", r)
			}

			// The migration's backfill indexes existing rows as the writers do
			// (those of the tables made before search_words: not indicators).
			words := func() (n int, sum int) {
				if err := db.NewRaw("SELECT COUNT(*), COALESCE(SUM(weight), 0) FROM search_words WHERE kind <> 'INDICATOR'").Scan(ctx, &n, &sum); err != nil {
					t.Fatal(err)
				}
				return n, sum
			}
			n0, w0 := words()
			if _, err := db.NewRaw("DELETE FROM search_words WHERE kind <> 'INDICATOR'").Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if err := store.BackfillSearch(ctx, db); err != nil {
				t.Fatal(err)
			}
			if n1, w1 := words(); n1 != n0 || w1 != w0 || n0 < 1000 {
				t.Errorf("backfill: %d words (weight %d); the writers made %d (%d)", n1, w1, n0, w0)
			}
			if again, _, _ := search(vpcp, "xylanh", nil, 100, ""); strings.Join(again, " ") != strings.Join(all, " ") {
				t.Errorf("after backfill: %v; want %v", again, all)
			}
		})
	}
}

// A search is priced: many of them in one request are refused before any runs.
func TestSearchIsPriced(t *testing.T) {
	t.Parallel()
	db := seedtest.Shared(t, store.SQLite)
	c := &client{t: t, url: serveAs(t, db, "vpcp")}
	var b strings.Builder
	b.WriteString("{")
	for i := range 10 {
		fmt.Fprintf(&b, ` s%d: search(query: "thuc hien", first: 1) { totalCount }`, i)
	}
	b.WriteString("}")
	if r := c.do(b.String(), nil, nil); code(r) != "COMPLEXITY_LIMIT_EXCEEDED" {
		t.Errorf("10 searches: %+v", r.Errors)
	}
	var one struct{ Search struct{ TotalCount int } }
	c.must(`{ search(query: "thuc hien", first: 100) { totalCount nodes { title snippet node { id } } } }`, nil, &one)
	if one.Search.TotalCount == 0 {
		t.Error("no demo task mentions thực hiện")
	}
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
