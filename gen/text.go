package gen

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"p06/store"
	"p06/tasks"
)

// day is a calendar day as the number of days since 1970-01-01; 0 is no day.
type day int

func dayOf(d store.Date) day {
	if d.IsZero() {
		return 0
	}
	return day(time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func (d day) Date() store.Date {
	if d == 0 {
		return store.Date{}
	}
	t := time.Unix(int64(d)*86400, 0).UTC()
	return store.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
}

func (d day) String() string { return d.Date().String() }

// at is the instant of day d at minutes past midnight in Vietnam.
func (d day) at(minutes int) time.Time {
	return time.Unix(int64(d)*86400-7*3600+int64(minutes)*60, 0).UTC()
}

// between is a uniform day in [lo, hi] (lo when hi < lo).
func between(r *rand.Rand, lo, hi day) day {
	if hi <= lo {
		return lo
	}
	return lo + day(r.IntN(int(hi-lo)+1))
}

// chain is a Markov chain over the words (syllables) of a set of titles:
// each word follows the two before it as it does somewhere in them, so
// generated text reads like the titles' Vietnamese (a syllable alone would
// join halves of words) without copying them whole.
type chain struct {
	starts [][2]string
	next   map[[2]string][]string // "" ends a title
}

// punct is what a word of a title may carry that generated text drops: quotes
// and brackets would come out unbalanced.
const punct = "\"“”‘’()[]"

func newChain(titles []string) *chain {
	c := &chain{next: map[[2]string][]string{}}
	for _, t := range titles {
		var ws []string
		for _, w := range strings.Fields(t) {
			if w = strings.Map(func(r rune) rune {
				if strings.ContainsRune(punct, r) {
					return -1
				}
				return r
			}, w); w != "" {
				ws = append(ws, w)
			}
		}
		if len(ws) < 2 {
			continue
		}
		c.starts = append(c.starts, [2]string{ws[0], ws[1]})
		for i := 1; i < len(ws); i++ {
			nx := ""
			if i+1 < len(ws) {
				nx = ws[i+1]
			}
			k := [2]string{ws[i-1], ws[i]}
			c.next[k] = append(c.next[k], nx)
		}
	}
	return c
}

// dangling are words a generated phrase must not end on: function words,
// and first syllables of words ("thực" of "thực hiện").
var dangling = map[string]bool{"và": true, "của": true, "với": true, "các": true, "cho": true, "trong": true, "về": true,
	"để": true, "những": true, "tại": true, "theo": true, "từ": true, "trên": true, "đến": true, "là": true, "được": true,
	"có": true, "đối": true, "việc": true, "giữa": true, "hoặc": true, "bằng": true, "vào": true, "nhằm": true, "sử": true,
	"do": true, "khi": true, "không": true, "đã": true, "đang": true, "sẽ": true, "mức": true, "số": true, "bảo": true,
	"thực": true, "triển": true, "hoàn": true, "cung": true, "giải": true, "phục": true, "đẩy": true, "tăng": true, "nâng": true,
	"dữ": true, "cơ": true, "dịch": true, "thủ": true, "hành": true, "định": true, "điện": true, "quốc": true, "công": true,
	"tài": true, "thông": true, "chia": true, "kết": true, "xác": true, "hệ": true, "chính": true, "an": true, "tổ": true, "sở": true, "cổng": true}

// phrase generates a title of minWords to maxWords words, starting with a
// capital letter and with no dangling end.
func (c *chain) phrase(r *rand.Rand, minWords, maxWords int) string {
	var ws []string
	for try := 0; try < 8; try++ {
		s := c.starts[r.IntN(len(c.starts))]
		ws = append(ws[:0], s[0], s[1])
		for len(ws) < maxWords {
			nx := c.next[[2]string{ws[len(ws)-2], ws[len(ws)-1]}]
			w := nx[r.IntN(len(nx))]
			if w == "" {
				break
			}
			ws = append(ws, w)
		}
		for len(ws) > 0 {
			last := strings.TrimRight(ws[len(ws)-1], ",;:-–.")
			if last != "" && !dangling[strings.ToLower(last)] {
				ws[len(ws)-1] = last
				break
			}
			ws = ws[:len(ws)-1]
		}
		if len(ws) >= minWords {
			break
		}
	}
	if len(ws) == 0 {
		return "Triển khai Đề án 06"
	}
	return upperFirst(strings.Join(ws, " "))
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// lowerFirst lowers the first letter of s to run it on after other words
// ("Về " + …), unless s starts with a name (its second word is capitalised
// too: "Bộ Công an", "Cổng Dịch vụ công").
func lowerFirst(s string) string {
	ws := strings.Fields(s)
	if len(ws) > 1 {
		if r, _ := utf8.DecodeRuneInString(ws[1]); unicode.IsUpper(r) {
			return s
		}
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}

// pick is one of xs.
func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

// roman are the quarters as documents write them.
var roman = []string{"", "I", "II", "III", "IV"}

// weighted precisions of generated deadlines, in per mille.
var precisions = []struct {
	p tasks.Precision
	w int
}{
	{tasks.PrecisionDay, 120}, {tasks.PrecisionMonth, 250}, {tasks.PrecisionQuarter, 250},
	{tasks.PrecisionHalfYear, 60}, {tasks.PrecisionYear, 170}, {tasks.PrecisionContinuous, 100}, {tasks.PrecisionNone, 50},
}

func pickPrecision(r *rand.Rand) tasks.Precision {
	n := r.IntN(1000)
	for _, x := range precisions {
		if n < x.w {
			return x.p
		}
		n -= x.w
	}
	return precisions[len(precisions)-1].p
}

// deadline writes a deadline of precision p falling on or after the day t
// (in t's period) the way documents write them, and resolves it with tasks.ParseDeadline, the
// parser of createTask and the import: the due date and precision stored
// are the parser's.
func deadline(r *rand.Rand, p tasks.Precision, t day) (tasks.Deadline, error) {
	d := t.Date()
	y, m := d.Year, int(d.Month)
	var text string
	switch p {
	case tasks.PrecisionDay:
		if r.IntN(20) == 0 {
			// The first Tết after t: its eve is the due date.
			ty := y
			if tet, err := tasks.TetDate(ty); err == nil && dayOf(tet) <= t {
				ty++
			}
			if _, err := tasks.TetDate(ty); err == nil {
				text = pick(r, "trước Tết Nguyên đán "+tasks.CanChi(ty)+" ", "từ nay đến Tết Nguyên đán "+tasks.CanChi(ty)+" ", "trước Tết ") + fmt.Sprint(ty)
				break
			}
		}
		text = pick(r, fmt.Sprintf("ngày %d/%d/%d", d.Day, m, y), fmt.Sprintf("trước ngày %d/%d/%d", d.Day, m, y),
			fmt.Sprintf("%02d/%02d/%d", d.Day, m, y), fmt.Sprintf("chậm nhất ngày %02d/%02d/%d", d.Day, m, y),
			fmt.Sprintf("ngày %d tháng %d năm %d", d.Day, m, y))
	case tasks.PrecisionMonth:
		text = pick(r, fmt.Sprintf("tháng %d/%d", m, y), fmt.Sprintf("tháng %d/%d", m, y), fmt.Sprintf("trong tháng %d/%d", m, y),
			fmt.Sprintf("trước tháng %d/%d", m%12+1, y+m/12), fmt.Sprintf("cuối tháng %d/%d", m, y), fmt.Sprintf("đến hết tháng %d/%d", m, y),
			fmt.Sprintf("tháng %02d năm %d", m, y))
	case tasks.PrecisionQuarter:
		q := (m-1)/3 + 1
		text = pick(r, fmt.Sprintf("quý %s/%d", roman[q], y), fmt.Sprintf("quý %s/%d", roman[q], y), fmt.Sprintf("trong quý %s/%d", roman[q], y),
			fmt.Sprintf("đến hết quý %s/%d", roman[q], y), fmt.Sprintf("quý %d năm %d", q, y))
		if q == 1 && r.IntN(4) == 0 {
			text = fmt.Sprintf("đầu năm %d", y)
		}
	case tasks.PrecisionHalfYear:
		half := "đầu"
		if m > 6 {
			half = "cuối"
		}
		text = pick(r, "", "", "trong ") + fmt.Sprintf("6 tháng %s năm %d", half, y)
	case tasks.PrecisionYear:
		text = pick(r, fmt.Sprintf("năm %d", y), fmt.Sprintf("trong năm %d", y), fmt.Sprintf("cuối năm %d", y),
			fmt.Sprintf("đến hết năm %d", y), fmt.Sprintf("trước năm %d", y+1), fmt.Sprintf("năm %d và các năm tiếp theo", y))
	case tasks.PrecisionContinuous:
		text = pick(r, "thường xuyên", "thường xuyên", "hằng năm", "thường xuyên, liên tục", "định kỳ hằng quý", "hằng tháng")
	default:
		text = pick(r, "khẩn trương", "khẩn trương", "sớm", "kịp thời", "ngay", "trong thời gian sớm nhất")
	}
	dl, err := tasks.ParseDeadline(text)
	if err != nil {
		return dl, fmt.Errorf("gen: a generated deadline does not parse: %w", err)
	}
	return dl, nil
}

// Notes of the versions of an assignment's facts, as units write them.
var (
	progressNotes = []string{
		"Đang triển khai, đạt khoảng %d%% khối lượng công việc",
		"Đã ban hành kế hoạch triển khai; tiến độ %d%%",
		"Đang phối hợp với các cơ quan liên quan; tiến độ %d%%",
		"Cập nhật tiến độ theo báo cáo định kỳ: %d%%",
		"Đã hoàn thành một phần, đạt %d%%; tiếp tục triển khai",
	}
	doneNotes = []string{
		"Đã hoàn thành, báo cáo kết quả về Tổ công tác",
		"Hoàn thành theo kế hoạch",
		"Đã hoàn thành và gửi báo cáo kết quả",
		"Hoàn thành; đã rà soát, đánh giá kết quả thực hiện",
	}
	cancelReasons = []string{
		"Nhiệm vụ được thay thế bằng văn bản chỉ đạo mới",
		"Không còn phù hợp sau khi sắp xếp lại tổ chức bộ máy",
		"Đã được lồng ghép vào nhiệm vụ khác",
	}
	// reportTexts are progress reports' texts: a count from lo to hi,
	// then the progress.
	reportTexts = []struct {
		format string
		lo, hi int
	}{
		{"Đã triển khai tại %d xã, phường; đạt khoảng %d%% khối lượng công việc.", 3, 120},
		{"Đã cấp %d tài khoản định danh điện tử mức 2 cho công dân trên địa bàn; tiến độ chung %d%%.", 500, 90000},
		{"Đã tổ chức %d hội nghị tập huấn cho cán bộ, công chức; tiến độ %d%%. Đang phối hợp với Công an tỉnh hoàn thiện số liệu.", 1, 40},
		{"Đã rà soát, làm sạch %d hồ sơ, kết nối với Cơ sở dữ liệu quốc gia về dân cư; tiến độ %d%%.", 200, 50000},
		{"Đã số hóa %d hồ sơ thủ tục hành chính; đạt %d%% chỉ tiêu được giao.", 100, 20000},
	}
	// taskTails end descriptions, as documents end a task's paragraph.
	taskTails = []string{
		"Báo cáo kết quả thực hiện về Bộ Công an (qua Cục C06) trước ngày 15 hằng tháng.",
		"Kinh phí thực hiện từ nguồn ngân sách nhà nước và các nguồn hợp pháp khác.",
		"Định kỳ báo cáo Tổ công tác triển khai Đề án 06 của Chính phủ.",
		"Kết quả thực hiện là tiêu chí đánh giá, xếp loại thi đua của cơ quan, đơn vị.",
		"",
		"",
	}
)

// RareWord is in the description of one generated task in a thousand,
// so a search can be measured on a word that is rare but present.
const RareWord = "quokkax"
