package gen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"p06/store"
	"p06/tasks"
)

// writeDocuments writes the documents and their search words.
func (g *generator) writeDocuments(ctx context.Context) error {
	docs := newBatch(g.pg, "documents", "id", "kind", "number", "issue_date", "issuer", "title", "search_text", "source", "note")
	words := newBatch(g.pg, "search_words", "word", "kind", "object_id", "weight")
	for _, d := range g.docs {
		d.number, d.title, d.issuer = store.NFC(d.number), store.NFC(d.title), store.NFC(d.issuer)
		docs.int(d.id)
		docs.str(string(d.kind))
		docs.str(d.number)
		docs.date(d.issued)
		docs.str(d.issuer)
		docs.str(d.title)
		docs.str(store.Fold(d.number + " " + d.title))
		docs.str(string(store.SourceDemo))
		docs.str(g.note)
		docs.end()
		g.index(words, store.SearchDocument, d.id, d.number+" "+d.title, "")
	}
	g.rep.Documents = len(g.docs)
	if err := g.w.write(ctx, docs); err != nil {
		return err
	}
	if err := g.w.write(ctx, words); err != nil {
		return err
	}
	g.progress("%d documents (%s)", len(g.docs), g.since())
	return nil
}

// index adds the search words of one object, as store.IndexSearch writes them.
func (g *generator) index(b *batch, kind store.SearchKind, id int64, title, body string) {
	store.EachSearchWord(title, body, func(w string, weight int) {
		b.str(w)
		b.str(string(kind))
		b.int(id)
		b.int(int64(weight))
		b.end()
		g.rep.SearchWords++
	})
}

// tasksPerWrite is how many tasks' rows are written at a time.
const tasksPerWrite = 1000

// writeTasks makes and writes the tasks with their assignments, history,
// reports and search words, a thousand tasks at a time (parents before
// children, for the foreign keys).
func (g *generator) writeTasks(ctx context.Context) error {
	b := &rowsOut{
		tasks: newBatch(g.pg, "tasks", "id", "document_id", "sort_order", "clause", "title", "description", "search_text",
			"deadline_text", "due_date", "precision", "source", "note", "recorded_on", "updated_at", "assignment_count"),
		assignments: newBatch(g.pg, "assignments", "id", "task_id", "org_unit_id", "role", "state", "progress", "due_date",
			"completed_on", "source", "version", "updated_at"),
		facts: newBatch(g.pg, "assignment_facts", "id", "assignment_id", "version", "valid_from", "valid_to", "state", "progress",
			"due_date", "completed_on", "note", "changed_at"),
		reports: newBatch(g.pg, "progress_reports", "id", "assignment_id", "text", "search_text", "reported_at", "reported_on"),
		words:   newBatch(g.pg, "search_words", "word", "kind", "object_id", "weight"),
	}
	sortOrder := 0
	lastDoc := -1
	step := max(tasksPerWrite, g.o.Tasks/10)
	for i, p := range g.plans {
		if p.doc != lastDoc {
			lastDoc, sortOrder = p.doc, 0
		}
		sortOrder++
		if err := g.task(i, p, sortOrder, b); err != nil {
			return err
		}
		if (i+1)%tasksPerWrite == 0 || i+1 == len(g.plans) {
			for _, x := range []*batch{b.tasks, b.assignments, b.facts, b.reports, b.words} {
				if err := g.w.write(ctx, x); err != nil {
					return err
				}
			}
			if (i+1)%step == 0 || i+1 == len(g.plans) {
				g.progress("%s/%s tasks, %s assignments, %s history rows, %s search words (%s)", thousands(i+1), thousands(len(g.plans)),
					thousands(g.rep.Assignments), thousands(g.rep.Facts), thousands(g.rep.SearchWords), g.since())
			}
		}
	}
	return nil
}

// rowsOut are the batches a task's rows go to.
type rowsOut struct {
	tasks, assignments, facts, reports, words *batch
}

// taskFacts is what an assignment's history depends on.
type taskFacts struct {
	issued, recorded, due day
	precision             tasks.Precision
	cancelled             day    // the day the task was cancelled, or 0
	reason                string // why
	diligence             float64
}

// task makes the rows of the i-th task.
func (g *generator) task(i int, p taskPlan, sortOrder int, b *rowsOut) error {
	// Each task has its own random stream, so what it is does not depend
	// on how many rows came before it.
	r := rand.New(rand.NewPCG(g.o.Seed, uint64(i)+1))
	d := g.docs[p.doc]
	id := g.nextTask + int64(i)
	title := store.NFC(g.words.phrase(r, 7, 24))
	desc := g.words.phrase(r, 8, 28) + "."
	if r.IntN(3) == 0 {
		desc += " " + g.words.phrase(r, 6, 20) + "."
	}
	if tail := pick(r, taskTails...); tail != "" {
		desc += " " + tail
	}
	if i%1000 == 7 {
		desc += " Từ khóa đo tìm kiếm: " + RareWord + "."
	}
	desc = store.NFC(desc)
	dl, err := deadline(r, pickPrecision(r), d.issued+20+day(r.IntN(700)))
	if err != nil {
		return err
	}
	tf := taskFacts{issued: d.issued, recorded: min(g.today, d.issued+day(r.IntN(15))), due: dayOf(dl.Due),
		precision: dl.Precision, diligence: r.Float64()}
	if r.IntN(100) == 0 && g.today-tf.recorded > 60 {
		tf.cancelled = between(r, tf.recorded+30, g.today)
		tf.reason = pick(r, cancelReasons...)
	}
	created := tf.recorded.at(8*60 + r.IntN(9*60))
	updated := created

	// Who: the units and their roles.
	var units []int64
	var lead int // the first lead units lead
	switch {
	case p.all:
		ms := g.sample(r, g.nationalMinistries, p.size-len(g.provinceIDs))
		if r.IntN(2) == 0 { // the provinces lead, the ministries coordinate
			units, lead = append(slices.Clone(g.provinceIDs), ms...), len(g.provinceIDs)
		} else {
			units, lead = append(ms, g.provinceIDs...), len(ms)
		}
		g.rep.AllProvinceTasks++
	case d.province >= 0:
		units = g.sample(r, g.local[d.province], p.size)
	default:
		units = g.sample(r, g.national, p.size)
	}
	if !p.all {
		lead = 1
		if n := r.IntN(100); n < 5 {
			lead = 3
		} else if n < 20 {
			lead = 2
		}
		lead = min(lead, len(units))
	}
	for j, u := range units {
		role := tasks.Coordinate
		if j < lead {
			role = tasks.Lead
		}
		aid := g.nextAssignment
		g.nextAssignment++
		vs := g.history(r, &tf)
		last := vs[len(vs)-1]
		a := b.assignments
		a.int(aid)
		a.int(id)
		a.int(u)
		a.str(string(role))
		a.str(string(last.state))
		a.int(int64(last.progress))
		a.date(tf.due)
		a.date(last.completed)
		a.str(string(store.SourceDemo))
		a.int(int64(len(vs)))
		a.instant(last.at)
		a.end()
		g.rep.Assignments++
		g.rep.ByState[last.state]++
		if last.at.After(updated) {
			updated = last.at
		}
		for k, v := range vs {
			f := b.facts
			f.int(g.nextFact)
			g.nextFact++
			f.int(aid)
			f.int(int64(k + 1))
			f.date(v.from)
			if k+1 < len(vs) {
				f.date(vs[k+1].from)
			} else {
				f.null()
			}
			f.str(string(v.state))
			f.int(int64(v.progress))
			f.date(tf.due)
			f.date(v.completed)
			f.str(v.note)
			f.instant(v.at)
			f.end()
			g.rep.Facts++
		}
		g.reports(r, aid, vs, b)
	}

	t := b.tasks
	t.int(id)
	t.int(d.id)
	t.int(int64(sortOrder))
	t.str(clause(sortOrder))
	t.str(title)
	t.str(desc)
	t.str(store.Fold(title + " " + desc))
	t.str(dl.Text)
	t.date(tf.due)
	t.str(string(dl.Precision))
	t.str(string(store.SourceDemo))
	t.str(g.note)
	t.date(tf.recorded)
	t.instant(updated)
	t.int(int64(len(units)))
	t.end()
	g.rep.Tasks++
	g.index(b.words, store.SearchTask, id, title, desc)
	return nil
}

// clause is where the n-th task of a document is: "Mục II.3".
func clause(n int) string {
	sec := (n-1)/8 + 1
	return fmt.Sprintf("Mục %s.%d", romanNumeral(sec), (n-1)%8+1)
}

func romanNumeral(n int) string {
	var b strings.Builder
	for _, x := range []struct {
		v int
		s string
	}{{1000, "M"}, {900, "CM"}, {500, "D"}, {400, "CD"}, {100, "C"}, {90, "XC"}, {50, "L"}, {40, "XL"}, {10, "X"}, {9, "IX"}, {5, "V"}, {4, "IV"}, {1, "I"}} {
		for ; n >= x.v; n -= x.v {
			b.WriteString(x.s)
		}
	}
	return b.String()
}

// version is one version of an assignment's facts.
type version struct {
	from      day
	state     tasks.State
	progress  int
	completed day
	note      string
	at        time.Time
}

// history makes the versions of one assignment's facts, as units would have
// reported them through updateAssignment and the assigning level through
// cancelTask, keeping their rules: it starts NOT_STARTED at 0% on the day
// the task was recorded; IN_PROGRESS is below 100%; DONE is 100% with a
// completion date not before the document was issued nor after today,
// recorded on or after that date; a cancelled task cancels what was still
// open on the day it was cancelled, and what was done stays done. Days
// never go back, and instants increase. How likely an assignment is done,
// and late, depends on its due date and today.
func (g *generator) history(r *rand.Rand, t *taskFacts) []version {
	today := g.today
	stamp := func(d day, prev *version) time.Time {
		at := d.at(8*60 + r.IntN(9*60))
		if prev != nil && !at.After(prev.at) {
			at = prev.at.Add(time.Duration(1+r.IntN(30)) * time.Minute)
		}
		return at
	}
	vs := []version{{from: t.recorded, state: tasks.NotStarted}}
	vs[0].at = stamp(t.recorded, nil)
	// updates adds m IN_PROGRESS versions between from and to, rising to
	// progress p.
	updates := func(m int, from, to day, p int) {
		days := make([]day, m)
		if to < from {
			from = to
		}
		for k := range days {
			days[k] = max(between(r, from, to), vs[len(vs)-1].from)
		}
		slices.Sort(days)
		for k, d := range days {
			pk := max(5, min(95, (p*(k+1)/m+2)/5*5))
			prev := &vs[len(vs)-1]
			if pk < prev.progress {
				pk = prev.progress
			}
			vs = append(vs, version{from: d, state: tasks.InProgress, progress: pk,
				note: fmt.Sprintf(pick(r, progressNotes...), pk), at: stamp(d, prev)})
		}
	}
	var pDone float64
	switch {
	case t.precision == tasks.PrecisionContinuous:
		pDone = 0
	case t.due == 0:
		pDone = min(0.85, float64(today-t.recorded)/365*0.8)
	case t.due < today:
		pDone = 0.88
	default:
		pDone = 0.35 * float64(today-t.recorded) / float64(t.due-t.recorded+1)
	}
	if pDone > 0 {
		pDone = max(0, min(0.97, pDone+(t.diligence-0.5)*0.5))
	}
	var done day
	if r.Float64() < pDone {
		lo, hi := t.recorded, today
		if t.due != 0 {
			if t.due < today && r.Float64() < 0.22 { // late
				lo, hi = max(lo, t.due+1), min(today, t.due+day(30+r.IntN(240)))
			} else {
				hi = min(hi, max(t.due, t.recorded))
			}
		}
		done = max(t.issued, between(r, lo, hi))
		if t.cancelled != 0 && done > t.cancelled {
			done = 0
		}
	}
	switch {
	case done != 0:
		updates(r.IntN(3), t.recorded+1, done, 40+5*r.IntN(12))
		on := min(today, max(done+day(r.IntN(8)), vs[len(vs)-1].from))
		prev := &vs[len(vs)-1]
		vs = append(vs, version{from: on, state: tasks.Done, progress: 100, completed: done,
			note: pick(r, doneNotes...), at: stamp(on, prev)})
	case t.cancelled != 0:
		updates(r.IntN(2), t.recorded+1, t.cancelled-1, 5+5*r.IntN(15))
		prev := &vs[len(vs)-1]
		vs = append(vs, version{from: t.cancelled, state: tasks.Cancelled, progress: prev.progress, note: t.reason,
			at: stamp(t.cancelled, prev)})
	case r.IntN(4) > 0 || t.precision == tasks.PrecisionContinuous && r.IntN(6) > 0:
		updates(1+r.IntN(3), t.recorded+1, today, 5+5*r.IntN(19))
	}
	return vs
}

// reports adds progress reports (a share of the started assignments, one
// to three each, dated between the first update and the last, or today),
// each saying the progress of the facts in force on its day.
func (g *generator) reports(r *rand.Rand, aid int64, vs []version, b *rowsOut) {
	if len(vs) < 2 || r.Float64()*100 >= g.o.ReportsPercent {
		return
	}
	from, to := vs[1].from, vs[len(vs)-1].from
	if vs[len(vs)-1].state == tasks.InProgress {
		to = g.today
	}
	n := 1 + r.IntN(3)
	days := make([]day, n)
	for k := range days {
		days[k] = between(r, from, to)
	}
	slices.Sort(days)
	for _, d := range days {
		progress := 0
		for _, v := range vs {
			if v.from <= d {
				progress = v.progress
			}
		}
		rt := pick(r, reportTexts...)
		text := fmt.Sprintf(rt.format, rt.lo+r.IntN(rt.hi-rt.lo+1), progress)
		if r.IntN(2) == 0 {
			text += " " + g.words.phrase(r, 6, 18) + "."
		}
		text = store.NFC(text)
		id := g.nextReport
		g.nextReport++
		x := b.reports
		x.int(id)
		x.int(aid)
		x.str(text)
		x.str(store.Fold(text))
		x.instant(d.at(8*60 + r.IntN(10*60)))
		x.date(d)
		x.end()
		g.rep.ProgressReports++
		g.index(b.words, store.SearchReport, id, "", text)
	}
}
