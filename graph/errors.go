package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vikstrous/dataloadgen"

	"p06/graph/model"
	"p06/kpi"
	"p06/store"
	"p06/tasks"
)

// withLanguage records whether the client prefers English
// (store.PrefersEnglish); Vietnamese is the default.
func withLanguage(ctx context.Context, accept string) context.Context {
	if store.PrefersEnglish(accept) {
		return context.WithValue(ctx, langKey, "en")
	}
	return ctx
}

func english(ctx context.Context) bool { return ctx.Value(langKey) == "en" }

// presentError gives every error an extensions.code and a message in the
// client's language:
//   - a *store.Error keeps its code, message and field; one raised while
//     reading a field's arguments names the argument it came from;
//   - GraphQL parse and validation errors (which have no cause) keep their
//     GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED code; their messages
//     are translated into Vietnamese where the form is known, and a bad
//     variable is named ($d) in the message;
//   - anything else is our own bug: logged at ERROR and shown as INTERNAL
//     without details.
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		if silenced(ctx) {
			return nil // the response is over its cap: one RESPONSE_TOO_LARGE replaces it
		}
		var gerr *gqlerror.Error
		if errors.As(err, &gerr) && gerr.Err == nil {
			return presentGraphQLError(ctx, gerr)
		}
		out := graphql.DefaultErrorPresenter(ctx, err)
		var se *store.Error
		switch {
		case errors.As(err, &se):
			if se.Field == "" {
				if arg := argumentPath(ctx, out.Path); arg != "" {
					se = atPath(arg, se)
					out.Path = graphql.GetFieldContext(ctx).Path()
				}
			}
			out.Message = se.Message
			if english(ctx) && se.English != "" {
				out.Message = se.English
			}
			out.Extensions = map[string]any{"code": string(se.Code)}
			if se.Field != "" {
				out.Extensions["field"] = se.Field
			}
		case errors.Is(err, dataloadgen.ErrNotFound):
			out.Message = "không tìm thấy đối tượng"
			if english(ctx) {
				out.Message = "not found"
			}
			out.Extensions = map[string]any{"code": string(store.NotFound)}
		case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
			out.Message = "yêu cầu đã bị hủy hoặc quá thời gian"
			if english(ctx) {
				out.Message = "the request was cancelled or timed out"
			}
			out.Extensions = map[string]any{"code": string(store.Internal)}
		default:
			log.ErrorContext(ctx, "graphql error", "path", out.Path.String(), "err", err)
			out.Message = "lỗi hệ thống, vui lòng thử lại sau"
			if english(ctx) {
				out.Message = "internal error, please try again later"
			}
			out.Extensions = map[string]any{"code": string(store.Internal)}
		}
		return out
	}
}

// argumentPath is the argument an error raised while reading the current
// field's arguments concerns ("filter.statusAsOf"): what its path has beyond
// the field's own path. It is "" for errors of the field itself.
func argumentPath(ctx context.Context, path ast.Path) string {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return ""
	}
	own := fc.Path()
	if len(path) <= len(own) || path[:len(own)].String() != own.String() {
		return ""
	}
	if _, ok := path[len(own)].(ast.PathName); !ok {
		return "" // an element of the field's own list (see addError)
	}
	return pathString(path[len(own):])
}

// pathString writes a path the way messages name inputs: a.b[2].c.
func pathString(p ast.Path) string {
	var b strings.Builder
	for _, e := range p {
		switch e := e.(type) {
		case ast.PathIndex:
			fmt.Fprintf(&b, "[%d]", int(e))
		case ast.PathName:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(string(e))
		}
	}
	return b.String()
}

// atPath returns e with its message prefixed by the input it concerns.
func atPath(path string, e *store.Error) *store.Error {
	en := e.English
	if en == "" {
		en = e.Message
	}
	return &store.Error{Code: e.Code, Field: path, Message: path + ": " + e.Message, English: path + ": " + en}
}

// presentGraphQLError is presentError for errors gqlgen and gqlparser make
// themselves: parse and validation errors, and bad variables.
func presentGraphQLError(ctx context.Context, gerr *gqlerror.Error) *gqlerror.Error {
	if gerr.Extensions == nil {
		gerr.Extensions = map[string]any{}
	}
	if _, ok := gerr.Extensions["code"]; !ok {
		gerr.Extensions["code"] = string(store.Invalid)
	}
	msg := gerr.Message
	if msg == "operation  not found" { // gqlgen's, for several operations and no operationName
		msg = "the document holds several operations: name the one to run in operationName"
		if !english(ctx) {
			msg = "tài liệu có nhiều thao tác: ghi tên thao tác cần chạy vào operationName"
		}
	} else if !english(ctx) {
		msg = translate(msg)
	}
	// Variable errors have the path ["variable", name, …] and a message
	// ("cannot be null") that does not say which variable.
	if len(gerr.Path) >= 2 && gerr.Path[0] == ast.PathName("variable") {
		v := "$" + pathString(gerr.Path[1:])
		gerr.Extensions["field"] = v
		msg = v + ": " + msg
	}
	gerr.Message = msg
	return gerr
}

// translation turns one of gqlparser's English message forms into
// Vietnamese; names from the query and the schema are kept as they are.
type translation struct {
	re *regexp.Regexp
	vi string // with $1… for the submatches
}

// translations cover the parse and validation errors a user commonly meets
// (gqlparser v2 validator/rules, validator/vars.go, parser and lexer).
// Messages of other forms stay in English, with their code.
var translations = func() []translation {
	rules := [][2]string{
		{`Cannot query field "([^"]*)" on type "([^"]*)"\.(.*)`, `Kiểu "$2" không có trường "$1".$3`},
		{`Unknown argument "([^"]*)" on field "([^"]*)"\.(.*)`, `Trường "$2" không có tham số "$1".$3`},
		{`Unknown argument "([^"]*)" on directive "([^"]*)"\.(.*)`, `Chỉ thị "$2" không có tham số "$1".$3`},
		{`Field "([^"]*)" argument "([^"]*)" of type "([^"]*)" is required, but it was not provided\.`,
			`Thiếu tham số bắt buộc "$2" (kiểu "$3") của trường "$1".`},
		{`Directive "([^"]*)" argument "([^"]*)" of type "([^"]*)" is required, but it was not provided\.`,
			`Thiếu tham số bắt buộc "$2" (kiểu "$3") của chỉ thị "$1".`},
		{`Field "([^"]*)" of required type "([^"]*)" was not provided\.`, `Thiếu trường bắt buộc "$1" (kiểu "$2").`},
		{`Field "([^"]*)" is not defined by type "([^"]*)"\.(.*)`, `Kiểu "$2" không có trường "$1".$3`},
		{`Field "([^"]*)" must not have a selection since type "([^"]*)" has no subfields\.`,
			`Trường "$1" có kiểu "$2", không có trường con để chọn.`},
		{`Field "([^"]*)" of type "([^"]*)" must have a selection of subfields\.(.*)`,
			`Trường "$1" có kiểu "$2", cần chọn các trường con.$3`},
		{`Field "([^"]*)" must be non-null\.`, `Trường "$1" không được để trống (null).`},
		{`Expected value of type "([^"]*)", found (.*)\.`, `Cần giá trị kiểu "$1", nhận được $2.`},
		{`Value "([^"]*)" does not exist in "([^"]*)" enum\.(.*)`, `Giá trị "$1" không có trong kiểu liệt kê "$2".$3`},
		{`Enum "([^"]*)" cannot represent non-enum value: (.*)\.`, `Kiểu liệt kê "$1" không nhận giá trị $2.`},
		{`Int cannot represent non 32-bit signed integer value: (.*)`, `Số $1 vượt quá phạm vi số nguyên 32 bit (Int).`},
		{`Int cannot represent non-integer value: (.*)`, `Giá trị $1 không phải số nguyên (Int).`},
		{`String cannot represent a non string value: (.*)`, `Giá trị $1 không phải chuỗi (String).`},
		{`Boolean cannot represent a non boolean value: (.*)`, `Giá trị $1 không phải true/false (Boolean).`},
		{`Float cannot represent non numeric value: (.*)`, `Giá trị $1 không phải số (Float).`},
		{`ID cannot represent a non-string and non-integer value: (.*)`, `Giá trị $1 không phải ID (chuỗi hoặc số nguyên).`},
		{`Variable "([^"]*)" of type "([^"]*)" used in position expecting type "([^"]*)"\.`,
			`Biến "$1" có kiểu "$2" nhưng được dùng ở chỗ cần kiểu "$3".`},
		{`Variable "([^"]*)" is not defined by operation "([^"]*)"\.`, `Biến "$1" chưa được khai báo trong thao tác "$2".`},
		{`Variable "([^"]*)" is not defined\.`, `Biến "$1" chưa được khai báo.`},
		{`Variable "([^"]*)" is never used(?: in operation "([^"]*)")?\.`, `Biến "$1" được khai báo nhưng không dùng đến.`},
		{`Unknown type "([^"]*)"\.(.*)`, `Không có kiểu "$1".$2`},
		{`Unknown fragment "([^"]*)"\.`, `Không có fragment "$1".`},
		{`Fragment "([^"]*)" is never used\.`, `Fragment "$1" được khai báo nhưng không dùng đến.`},
		{`Unknown directive "([^"]*)"\.`, `Không có chỉ thị "$1".`},
		{`There can be only one argument named "([^"]*)"\.`, `Tham số "$1" chỉ được có một lần.`},
		{`There can be only one input field named "([^"]*)"\.`, `Trường "$1" chỉ được có một lần.`},
		{`There can be only one variable named "([^"]*)"\.`, `Biến "$1" chỉ được khai báo một lần.`},
		{`This anonymous operation must be the only defined operation\.`, `Thao tác không tên phải là thao tác duy nhất trong tài liệu.`},
		{`operation (.*) not found`, `không có thao tác $1`},
		{`Expected (.*), found (.*)`, `Lỗi cú pháp: cần $1, gặp $2`},
		{`Unexpected (.*)`, `Lỗi cú pháp: không mong đợi $1`},
		{`Unterminated string\.`, `Lỗi cú pháp: chuỗi chưa đóng.`},
		{`Invalid character within String: (.*)\.`, `Lỗi cú pháp: ký tự $1 không được có trong chuỗi.`},
		{`Cannot parse the unexpected character (.*)\.`, `Lỗi cú pháp: ký tự không mong đợi $1.`},
		// validator/vars.go: the presenter puts "$name: " in front.
		{`cannot be null`, `không được để trống (null)`},
		{`must be defined`, `phải có giá trị`},
		{`unknown field`, `không có trường này`},
		{`cannot use (\S+) as (\S+)`, `không dùng được giá trị kiểu $1 cho kiểu $2`},
		{`must be a (\S+), not a (\S+)`, `cần một $1, không phải $2`},
		{`(.*) is not a valid (\S+)`, `$1 không phải là giá trị hợp lệ của $2`},
		{`no operation provided`, `không có truy vấn nào`},
		{`operation has complexity (\d+), which exceeds the limit of (\d+)`,
			`truy vấn có độ phức tạp $1, vượt giới hạn $2 (xem README, mục Limits: chọn ít trường hơn hoặc trang nhỏ hơn)`},
		{`provided APQ hash does not match query`, `mã băm của truy vấn đã lưu (APQ) không khớp với nội dung truy vấn`},
		{`unsupported APQ version`, `phiên bản APQ không được hỗ trợ`},
		{`Cannot spread fragment "([^"]*)" within itself via (.*)\.`, `Fragment "$1" không được tự dùng lại chính nó (qua $2).`},
		{`Cannot spread fragment "([^"]*)" within itself\.`, `Fragment "$1" không được tự dùng lại chính nó.`},
		{`Schema does not support operation type "([^"]*)"`, `Lược đồ không hỗ trợ thao tác kiểu "$1"`},
		// PersistedQueryNotFound stays as it is: clients match it literally.
	}
	out := make([]translation, len(rules))
	for i, r := range rules {
		out[i] = translation{regexp.MustCompile(`^` + r[0] + `$`), r[1]}
	}
	return out
}()

// didYouMean translates the suggestion gqlparser appends to some messages.
var didYouMean = strings.NewReplacer(" Did you mean ", " Có phải ý bạn là ", " or ", " hoặc ")

// translate returns the Vietnamese form of a gqlparser message, or the
// message itself when its form is not known.
func translate(msg string) string {
	for _, t := range translations {
		if m := t.re.FindStringSubmatchIndex(msg); m != nil {
			return didYouMean.Replace(string(t.re.ExpandString(nil, t.vi, msg, m)))
		}
	}
	return msg
}

// Text limits, in characters, of string arguments and input fields, by
// their name. Search terms are short because they become LIKE patterns;
// everything else not named here (codes, numbers, IDs, cursors, actions)
// has DefaultTextLimit. Passwords are further limited to
// auth.MaxPasswordLength bytes by auth, which says so as a userError.
var textLimits = map[string]int{
	"search":      100,
	"query":       100,                         // Query.search
	"text":        tasks.MaxDeadlineTextLength, // parseDeadline: a deadline phrase
	"username":    64,
	"displayName": 200,
	"name":        200,
	"email":       254,
	"password":    1024,
	// The tasks services' own limits, so the input check and the service agree.
	"title":        tasks.MaxTitleLength,
	"description":  tasks.MaxDescriptionLength,
	"number":       tasks.MaxDocNumberLength,
	"clause":       tasks.MaxClauseLength,
	"issuer":       tasks.MaxIssuerLength,
	"deadlineText": tasks.MaxDeadlineTextLength,
	"reason":       tasks.MaxReasonLength,
	"note":         tasks.MaxNoteLength,
	// auth's own limits come after the input check, as userErrors.
	"currentPassword": 1024,
	"newPassword":     1024,
	// An input field may have its own limit, named Type.field.
	"ReportProgressInput.text": tasks.MaxReportText,
}

// fieldKey is the textLimits key of an input object's field: Type.field
// when that has a limit of its own, else the field's name.
func fieldKey(typ, field string) string {
	if k := typ + "." + field; textLimits[k] != 0 {
		return k
	}
	return field
}

// listLimits are the most items a list argument or input field of this name
// may hold; others hold at most DefaultListLimit.
var listLimits = map[string]int{
	"lead":       tasks.MaxAssignCodes,
	"coordinate": tasks.MaxAssignCodes,
	// a batch of indicator values, or of their ids or targets
	"values":  kpi.MaxBatch,
	"targets": kpi.MaxBatch,
}

// DefaultListLimit bounds every list argument not in listLimits: enum
// filters hold a handful, ids and pages at most 100.
const DefaultListLimit = 100

// ListLimit is the most items accepted for a list argument or input field of
// this name.
func ListLimit(name string) int {
	if n, ok := listLimits[name]; ok {
		return n
	}
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return ListLimit(name[i+1:])
	}
	return DefaultListLimit
}

// DefaultTextLimit bounds every string argument not in textLimits.
const DefaultTextLimit = 200

// TextLimit is the longest value, in characters, accepted for a string
// argument or input field of this name.
func TextLimit(name string) int {
	if n, ok := textLimits[name]; ok {
		return n
	}
	return DefaultTextLimit
}

// inputCheck checks every argument value of an operation before anything
// runs, whether written in the query or passed in a variable, down through
// input objects and lists: strings have no NUL character and are within
// their TextLimit, and Date and Time values are valid. A bad value is
// INVALID, named by its path in the arguments (filter.statusAsOf) or by its
// variable ($d), in the caller's language, and nothing is logged.
// Each selection set and each fragment definition is visited once, so the
// check is linear in the size of the document.
type inputCheck struct{ schema *ast.Schema }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &inputCheck{}

func (*inputCheck) ExtensionName() string { return "InputCheck" }

func (ic *inputCheck) Validate(es graphql.ExecutableSchema) error {
	ic.schema = es.Schema()
	return nil
}

func (ic *inputCheck) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Doc == nil {
		return nil
	}
	c := checker{vars: oc.Variables, types: ic.schema.Types}
	c.selections(oc.Operation.SelectionSet)
	for _, f := range oc.Doc.Fragments {
		c.selections(f.SelectionSet)
	}
	if c.err == nil {
		return nil
	}
	return &gqlerror.Error{
		Err:        c.err,
		Message:    c.err.Message,
		Locations:  []gqlerror.Location{{Line: c.pos.Line, Column: c.pos.Column}},
		Extensions: map[string]any{"code": string(c.err.Code), "field": c.err.Field},
	}
}

// checker walks one operation; it stops at the first bad value.
type checker struct {
	vars  map[string]any
	types map[string]*ast.Definition // the schema's types by name
	err   *store.Error
	pos   ast.Position
}

func (c *checker) selections(set ast.SelectionSet) {
	for _, s := range set {
		if c.err != nil {
			return
		}
		switch s := s.(type) {
		case *ast.Field:
			if s.Definition != nil {
				for _, a := range s.Arguments {
					def := s.Definition.Arguments.ForName(a.Name)
					if def == nil || a.Value == nil {
						continue
					}
					if a.Position != nil {
						c.pos = *a.Position
					}
					c.literal(a.Name, a.Name, def.Type, a.Value)
					if c.err != nil {
						return
					}
				}
				if s.ObjectDefinition != nil {
					c.count(s)
				}
			}
			c.selections(s.SelectionSet)
		case *ast.InlineFragment:
			c.selections(s.SelectionSet)
		}
	}
}

// count checks the length argument of a bounded list field (countBounds),
// written in the query or passed in a variable: within 1–bound.
func (c *checker) count(f *ast.Field) {
	b, ok := countBounds[f.ObjectDefinition.Name+"."+f.Name]
	if !ok {
		return
	}
	a := f.Arguments.ForName(b.arg)
	if a == nil || a.Value == nil {
		return
	}
	shown, v := b.arg, any(nil)
	if a.Value.Kind == ast.Variable {
		shown, v = "$"+a.Value.Raw, c.vars[a.Value.Raw]
	} else if lit, err := a.Value.Value(nil); err == nil {
		v = lit
	}
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case int:
		n = int64(x)
	case json.Number:
		var err error
		if n, err = x.Int64(); err != nil {
			return // not an Int: the variables' check says so
		}
	default:
		return // null (the default), or not an Int
	}
	if n < 1 || n > int64(b.bound) {
		if a.Position != nil {
			c.pos = *a.Position
		}
		c.err = atPath(shown, store.Errorf(store.Invalid, "phải trong khoảng 1–%d", "must be within 1–%d", b.bound))
	}
}

// literal checks a value written in the query. shown is how messages name
// it; key is the name of the argument or input field it is given to.
func (c *checker) literal(shown, key string, typ *ast.Type, v *ast.Value) {
	if c.err != nil || v == nil || typ == nil {
		return
	}
	switch v.Kind {
	case ast.NullValue:
		return
	case ast.Variable:
		c.value("$"+v.Raw, key, typ, c.vars[v.Raw])
		return
	}
	if typ.Elem != nil {
		if v.Kind != ast.ListValue {
			c.literal(shown, key, typ.Elem, v) // a single value where a list is expected
			return
		}
		if c.tooLong(shown, key, len(v.Children)) {
			return
		}
		for i, child := range v.Children {
			c.literal(fmt.Sprintf("%s[%d]", shown, i), key, typ.Elem, child.Value)
		}
		return
	}
	def := c.types[typ.NamedType]
	if def == nil {
		return
	}
	switch def.Kind {
	case ast.InputObject:
		if v.Kind != ast.ObjectValue {
			return
		}
		for _, child := range v.Children {
			if f := def.Fields.ForName(child.Name); f != nil {
				c.literal(shown+"."+child.Name, fieldKey(def.Name, child.Name), f.Type, child.Value)
			}
		}
	case ast.Scalar:
		raw, err := v.Value(nil)
		if err == nil {
			c.scalar(shown, key, def.Name, raw)
		}
	}
}

// value checks a value passed in a variable: JSON decoded into Go values.
func (c *checker) value(shown, key string, typ *ast.Type, v any) {
	if c.err != nil || v == nil || typ == nil {
		return
	}
	if typ.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			c.value(shown, key, typ.Elem, v)
			return
		}
		if c.tooLong(shown, key, len(list)) {
			return
		}
		for i, e := range list {
			c.value(fmt.Sprintf("%s[%d]", shown, i), key, typ.Elem, e)
		}
		return
	}
	if m, ok := v.(map[string]any); ok {
		def := c.types[typ.NamedType]
		if def == nil {
			return
		}
		for name, e := range m {
			if f := def.Fields.ForName(name); f != nil {
				c.value(shown+"."+name, fieldKey(def.Name, name), f.Type, e)
			}
		}
		return
	}
	c.scalar(shown, key, typ.NamedType, v)
}

// tooLong reports (and records) a list argument with more than its limit of
// items.
func (c *checker) tooLong(shown, key string, n int) bool {
	if limit := ListLimit(key); n > limit {
		c.err = atPath(shown, store.Errorf(store.Invalid, "có %d phần tử, quá giới hạn %d", "has %d items, more than the limit of %d", n, limit))
		return true
	}
	return false
}

// controlChar is the first C0 or C1 control character of s other than tab,
// line feed and carriage return, or -1: nothing a person types, and what a
// JSON answer would have to escape six bytes for.
func controlChar(s string) rune {
	for _, r := range s {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0x7f && r < 0xa0) {
			return r
		}
	}
	return -1
}

// scalar checks one leaf value of the named type.
func (c *checker) scalar(shown, key, typ string, v any) {
	var err error
	switch typ {
	case "Date":
		_, err = model.UnmarshalDate(v)
	case "Time":
		_, err = model.UnmarshalTime(v)
	default:
		s, ok := v.(string)
		if !ok {
			return
		}
		if strings.IndexByte(s, 0) >= 0 {
			err = store.Errorf(store.Invalid, "không được chứa ký tự NUL (U+0000)", "must not contain the NUL character (U+0000)")
		} else if r := controlChar(s); r >= 0 {
			err = store.Errorf(store.Invalid, "không được chứa ký tự điều khiển U+%04X", "must not contain the control character U+%04X", r)
		} else if n, limit := utf8.RuneCountInString(s), TextLimit(key); n > limit {
			err = store.Errorf(store.Invalid, "dài %d ký tự, quá giới hạn %d ký tự", "is %d characters long, more than the limit of %d", n, limit)
		}
	}
	var se *store.Error
	if errors.As(err, &se) {
		c.err = atPath(shown, se)
	}
}
