package tasks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"p06/auth"
	"p06/rbac"
	"p06/store"
)

// ProgressReport is a dated report on an assignment by its unit, in words,
// with evidence files.
type ProgressReport struct {
	bun.BaseModel `bun:"table:progress_reports,alias:pr"`

	ID           int64           `bun:"id,pk,autoincrement"`
	AssignmentID int64           `bun:"assignment_id"`
	AuthorID     int64           `bun:"author_id,nullzero"`
	Text         string          `bun:"text"`
	SearchText   string          `bun:"search_text"`
	ReportedAt   time.Time       `bun:"reported_at"`
	ReportedOn   store.Date      `bun:"reported_on,type:text"` // Asia/Ho_Chi_Minh
	Files        []*EvidenceFile `bun:"-"`
}

// EvidenceFile is one file of a report. Its bytes are the blob with its
// hash, shared by every file with the same content.
type EvidenceFile struct {
	bun.BaseModel `bun:"table:evidence_files,alias:ef"`

	ID          int64  `bun:"id,pk,autoincrement"`
	ReportID    int64  `bun:"report_id"`
	Ord         int    `bun:"ord"`
	Name        string `bun:"name"`
	Size        int    `bun:"size"`
	ContentType string `bun:"content_type"`
	SHA256      string `bun:"sha256"`
}

// EvidencePath is where files are downloaded: EvidencePath + the file's id.
const EvidencePath = "/evidence/"

// URL is the file's download address, relative to the server.
func (f *EvidenceFile) URL() string { return EvidencePath + strconv.FormatInt(f.ID, 10) }

// evidenceBlob is the bytes of files, once per content.
type evidenceBlob struct {
	bun.BaseModel `bun:"table:evidence_blobs,alias:eb"`

	SHA256    string    `bun:"sha256,pk"`
	Size      int64     `bun:"size"`
	Content   []byte    `bun:"content"`
	CreatedAt time.Time `bun:"created_at"`
}

// Bounds of a report.
const (
	// MaxReportText bounds a report's text, in characters.
	MaxReportText = 5000
	// MaxReportFiles bounds the files of one report.
	MaxReportFiles = 10
	// MaxReports bounds how many reports ProgressReports returns per
	// assignment.
	MaxReports = 100
)

// Upload is a file sent with a report. Its name and the client's content
// type are not trusted: the type is detected from the bytes and the name is
// made safe.
type Upload struct {
	Name    string
	Content io.Reader
}

// NewReport is a progress report to record.
type NewReport struct {
	AssignmentID int64
	Text         string
	Files        []Upload
}

// preparedFile is an upload read, hashed and typed, before the transaction.
type preparedFile struct {
	file    EvidenceFile
	content []byte
	err     *store.Error // the file is refused
}

// ReportProgress records a progress report on an assignment for actor:
// the assignment must be in the actor's scope and the actor must hold
// UPDATE_ASSIGNMENT on its unit. The text is required (at most
// MaxReportText characters); at most MaxReportFiles files, each a type of
// AcceptedTypes by its bytes. The report, its files' bytes (stored once per
// content) and the audit row commit together: a refused report stores
// nothing.
func (s *Service) ReportProgress(ctx context.Context, actor *auth.Identity, in NewReport) (*ProgressReport, *Assignment, error) {
	if err := signedIn(actor); err != nil {
		return nil, nil, err
	}
	text := store.NFC(in.Text)
	files, err := prepareFiles(in.Files)
	if err != nil {
		return nil, nil, err
	}
	now := s.clock()
	r := &ProgressReport{AssignmentID: in.AssignmentID, AuthorID: actor.User.ID, Text: text, SearchText: store.Fold(text),
		ReportedAt: now.UTC(), ReportedOn: store.Today(s.clock)}
	var a *Assignment
	err = s.inTx(ctx, ChangeReported, func(ctx context.Context, tx bun.Tx) error {
		t, err := s.assignmentForWrite(ctx, tx, actor, in.AssignmentID, rbac.UpdateAssignment)
		if err != nil {
			return err
		}
		a = &t.Assignment
		path := t.Path
		switch n := utf8.RuneCountInString(text); {
		case n == 0:
			return errField(store.Invalid, "text", "báo cáo cần nội dung", "the report needs a text")
		case n > MaxReportText:
			return errField(store.Invalid, "text", fmt.Sprintf("nội dung báo cáo dài quá %d ký tự", MaxReportText),
				fmt.Sprintf("the report's text is longer than %d characters", MaxReportText))
		}
		if len(files) > MaxReportFiles {
			return errField(store.Invalid, "files", fmt.Sprintf("mỗi báo cáo kèm tối đa %d tệp", MaxReportFiles),
				fmt.Sprintf("a report takes at most %d files", MaxReportFiles))
		}
		for _, f := range files {
			if f.err != nil {
				return f.err
			}
		}
		if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
			return fmt.Errorf("tasks: recording report: %w", err)
		}
		if err := store.IndexSearch(ctx, tx, store.SearchReport, r.ID, "", r.Text); err != nil {
			return err
		}
		detail := make([]map[string]any, len(files))
		for i, f := range files {
			blob := &evidenceBlob{SHA256: f.file.SHA256, Size: int64(f.file.Size), Content: f.content, CreatedAt: now.UTC()}
			if _, err := tx.NewInsert().Model(blob).On("CONFLICT (sha256) DO NOTHING").Exec(ctx); err != nil {
				return fmt.Errorf("tasks: storing evidence %s: %w", f.file.SHA256, err)
			}
			ef := f.file
			ef.ReportID = r.ID
			if _, err := tx.NewInsert().Model(&ef).Exec(ctx); err != nil {
				return fmt.Errorf("tasks: recording evidence file: %w", err)
			}
			r.Files = append(r.Files, &ef)
			detail[i] = map[string]any{"name": ef.Name, "size": ef.Size, "contentType": ef.ContentType, "sha256": ef.SHA256}
		}
		if r.Files == nil {
			r.Files = []*EvidenceFile{}
		}
		changed(ctx, a.ID) // the assignment's row is unchanged, but it has a new report
		return store.Audit(ctx, tx, auth.AuditEntry(actor, now, "assignment.report", "Assignment", a.ID, path),
			map[string]any{"report": r.ID, "text": text, "files": detail})
	})
	if err != nil {
		return nil, nil, err
	}
	return r, a, nil
}

// prepareFiles reads, hashes and types the uploads. A file of a type not
// accepted gets its refusal, returned once the caller's right to report
// has been checked.
func prepareFiles(ups []Upload) ([]preparedFile, error) {
	out := make([]preparedFile, 0, min(len(ups), MaxReportFiles+1))
	for i, u := range ups {
		if i > MaxReportFiles {
			break // refused for their number; no need to read them
		}
		b, err := io.ReadAll(u.Content)
		if err != nil {
			return nil, fmt.Errorf("tasks: reading upload %d: %w", i, err)
		}
		sum := sha256.Sum256(b)
		f := preparedFile{content: b, file: EvidenceFile{Ord: i + 1, Size: len(b), SHA256: hex.EncodeToString(sum[:])}}
		shown := store.NFC(u.Name)
		if utf8.RuneCountInString(shown) > MaxFileName {
			shown = string([]rune(shown)[:MaxFileName]) + "…"
		}
		t, ok := DetectType(b)
		switch {
		case len(b) == 0:
			f.err = errField(store.Invalid, fmt.Sprintf("files.%d", i), fmt.Sprintf("tệp %q rỗng", shown), fmt.Sprintf("file %q is empty", shown))
		case !ok:
			f.err = errField(store.Invalid, fmt.Sprintf("files.%d", i),
				fmt.Sprintf("tệp %q không được nhận: nội dung của nó không phải một trong các loại %s (loại được xét theo nội dung tệp, không theo tên)", shown, AcceptedTypes),
				fmt.Sprintf("file %q is refused: its content is not one of %s (the type is judged by the bytes, not the name)", shown, AcceptedTypes))
		default:
			f.file.Name, f.file.ContentType = SafeFileName(u.Name, t), t.ContentType
		}
		out = append(out, f)
	}
	return out, nil
}

// ProgressReports returns the reports of each assignment among ids that is
// in scope, newest first, at most first (itself at most MaxReports) per
// assignment, with their files.
func (s *Store) ProgressReports(ctx context.Context, sc rbac.Scope, assignmentIDs []int64, first int) ([]*ProgressReport, error) {
	var rs []*ProgressReport
	if len(assignmentIDs) == 0 || first <= 0 {
		return rs, nil
	}
	ranked := s.db.NewSelect().TableExpr("progress_reports AS r").ColumnExpr("r.id").
		ColumnExpr("ROW_NUMBER() OVER (PARTITION BY r.assignment_id ORDER BY r.reported_at DESC, r.id DESC) AS n").
		Where("r.assignment_id IN (?)", bun.In(assignmentIDs)).
		Apply(ofVisibleAssignment(sc, "r.assignment_id"))
	err := s.db.NewSelect().Model(&rs).Where("pr.id IN (SELECT x.id FROM (?) AS x WHERE x.n <= ?)", ranked, min(first, MaxReports)).
		OrderExpr("pr.assignment_id, pr.reported_at DESC, pr.id DESC").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("tasks: progress reports: %w", err)
	}
	return rs, s.attachFiles(ctx, rs)
}

// ProgressReportsByIDs returns the reports in scope among ids, with their
// files.
func (s *Store) ProgressReportsByIDs(ctx context.Context, sc rbac.Scope, ids []int64) ([]*ProgressReport, error) {
	var rs []*ProgressReport
	if len(ids) == 0 {
		return rs, nil
	}
	err := s.db.NewSelect().Model(&rs).Where("pr.id IN (?)", bun.In(ids)).
		Apply(ofVisibleAssignment(sc, "pr.assignment_id")).
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("tasks: progress reports by id: %w", err)
	}
	return rs, s.attachFiles(ctx, rs)
}

// attachFiles loads the files of rs (one query).
func (s *Store) attachFiles(ctx context.Context, rs []*ProgressReport) error {
	if len(rs) == 0 {
		return nil
	}
	ids := make([]int64, len(rs))
	byID := make(map[int64]*ProgressReport, len(rs))
	for i, r := range rs {
		ids[i], byID[r.ID] = r.ID, r
		r.Files = []*EvidenceFile{}
	}
	var fs []*EvidenceFile
	if err := s.db.NewSelect().Model(&fs).Where("ef.report_id IN (?)", bun.In(ids)).OrderExpr("ef.report_id, ef.ord").Scan(ctx); err != nil {
		return fmt.Errorf("tasks: evidence files: %w", err)
	}
	for _, f := range fs {
		byID[f.ReportID].Files = append(byID[f.ReportID].Files, f)
	}
	return nil
}

// EvidenceContent is a file to serve.
type EvidenceContent struct {
	EvidenceFile
	ReportedAt time.Time
	Content    []byte
}

var errNoEvidence = store.Errorf(store.NotFound, "không tìm thấy tệp", "file not found")

// Evidence returns the file with its bytes when its report's assignment is
// in scope; NOT_FOUND otherwise, exactly as for a file that does not exist.
func (s *Store) Evidence(ctx context.Context, sc rbac.Scope, id int64) (*EvidenceContent, error) {
	out := new(EvidenceContent)
	cond, args := sc.ReadFilter("ru.path")
	err := s.db.NewSelect().TableExpr("evidence_files AS ef").
		Join("JOIN progress_reports AS pr ON pr.id = ef.report_id").
		Join("JOIN assignments AS ra ON ra.id = pr.assignment_id").
		Join("JOIN org_units AS ru ON ru.id = ra.org_unit_id").
		Join("JOIN evidence_blobs AS eb ON eb.sha256 = ef.sha256").
		ColumnExpr("ef.id, ef.report_id, ef.ord, ef.name, ef.size, ef.content_type, ef.sha256, pr.reported_at, eb.content").
		Where("ef.id = ?", id).Where(cond, args...).
		Scan(ctx, &out.ID, &out.ReportID, &out.Ord, &out.Name, &out.Size, &out.ContentType, &out.SHA256, &out.ReportedAt, &out.Content)
	if err != nil {
		if store.IsNoRows(err) {
			return nil, errNoEvidence
		}
		return nil, fmt.Errorf("tasks: evidence %d: %w", id, err)
	}
	return out, nil
}
