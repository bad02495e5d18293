// Package logsafe keeps personal data out of dsrflow's logs. New wraps any slog.Handler: attributes
// whose key names personal data (email, name, phone, code, corrections, ...) lose their value, and
// email addresses, phone numbers and verification codes found in messages, values and errors are
// masked. It is the last line of defence, not a licence to log subjects' data: code still logs ids.
package logsafe

import (
	"context"
	"encoding"
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"unicode"
)

// What replaces masked data.
const (
	Redacted = "[redacted]" // the value of a personal key
	Email    = "[email]"
	Phone    = "[phone]"
	Code     = "[code]"
)

// New returns a handler that masks personal data, then passes each record to h.
func New(h slog.Handler) slog.Handler {
	if s, ok := h.(*handler); ok {
		return s
	}
	return &handler{next: h}
}

type handler struct {
	next slog.Handler
	// redactAll is set under a group whose name is personal: every attribute below it is redacted.
	redactAll bool
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	codeInMsg := containsCode(r.Message)
	msg := MaskText(r.Message, codeInMsg)
	changed := msg != r.Message
	var buf [8]slog.Attr
	attrs := buf[:0]
	r.Attrs(func(a slog.Attr) bool {
		c, ch := h.clean(a, codeInMsg)
		changed = changed || ch
		attrs = append(attrs, c)
		return true
	})
	if !changed {
		return h.next.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, msg, r.PC)
	out.AddAttrs(attrs...)
	return h.next.Handle(ctx, out)
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i], _ = h.clean(a, false)
	}
	return &handler{next: h.next.WithAttrs(clean), redactAll: h.redactAll}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{next: h.next.WithGroup(name), redactAll: h.redactAll || (name != "" && personalKey(name))}
}

func (h *handler) clean(a slog.Attr, codeInMsg bool) (slog.Attr, bool) {
	if h.redactAll {
		return redact(a)
	}
	return cleanAttr(a, codeInMsg)
}

// redact replaces a non-empty attribute's value, keeping its key so the reader sees the field existed.
func redact(a slog.Attr) (slog.Attr, bool) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return a, false
	}
	if a.Value.Kind() == slog.KindGroup && a.Key == "" {
		// An inline group: its attributes stand at this level and keep their keys.
		attrs := a.Value.Group()
		out := make([]slog.Attr, len(attrs))
		for i, g := range attrs {
			out[i], _ = redact(g)
		}
		return slog.Attr{Value: slog.GroupValue(out...)}, true
	}
	return slog.String(a.Key, Redacted), true
}

// cleanAttr masks one attribute; codeInMsg says the record's message (or an enclosing group's key)
// mentions a code, so six-digit numbers anywhere in it are treated as codes.
func cleanAttr(a slog.Attr, codeInMsg bool) (slog.Attr, bool) {
	if a.Key != "" && personalKey(a.Key) {
		return redact(a)
	}
	v := a.Value.Resolve()
	resolved := a.Value.Kind() == slog.KindLogValuer
	codeCtx := codeInMsg || containsCode(a.Key)
	switch v.Kind() {
	case slog.KindGroup:
		attrs := v.Group()
		var out []slog.Attr
		for i, g := range attrs {
			c, changed := cleanAttr(g, codeCtx)
			if changed && out == nil {
				out = make([]slog.Attr, len(attrs))
				copy(out, attrs[:i])
			}
			if out != nil {
				out[i] = c
			}
		}
		if out == nil {
			return slog.Attr{Key: a.Key, Value: v}, resolved
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}, true
	case slog.KindString:
		s := v.String()
		if m := MaskText(s, codeCtx || containsCode(s)); m != s {
			return slog.String(a.Key, m), true
		}
	case slog.KindInt64, slog.KindUint64:
		// A code logged as a number; ports, counts and durations are never exactly six digits under
		// a key or message that talks of codes.
		if codeCtx && isSixDigits(v.String()) {
			return slog.String(a.Key, Code), true
		}
	case slog.KindAny:
		if s, ok := text(v.Any()); ok {
			if m := MaskText(s, codeCtx || containsCode(s)); m != s {
				return slog.String(a.Key, m), true
			}
		}
	}
	return slog.Attr{Key: a.Key, Value: v}, resolved
}

// text is what a handler would print for an arbitrary value; false for values that hold no text.
func text(v any) (_ string, ok bool) {
	defer func() {
		if recover() != nil { // a nil pointer's Error or String: the handler prints <nil>
			ok = false
		}
	}()
	switch x := v.(type) {
	case nil:
		return "", false
	case error:
		return x.Error(), true
	case fmt.Stringer:
		return x.String(), true
	case encoding.TextMarshaler:
		b, err := x.MarshalText()
		return string(b), err == nil
	case bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return fmt.Sprint(x), true
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
		return string(rv.Bytes()), true // []byte, json.RawMessage
	}
	return fmt.Sprintf("%+v", v), true
}

// PersonalKey reports whether an attribute key names personal data. Keys are split into words
// (user.name, subject_email, phoneNumber). A key is personal when one of its words holds email, phone,
// identity, correction or recipient; when it ends in to, body or another word that is personal on its
// own (reply_to, mail_body); or when it ends in name, code or address not qualified as technical
// (signal_name, status_code and http_address are kept, subject_name and verification_code are not).
func PersonalKey(key string) bool {
	words := splitKey(key)
	if len(words) == 0 {
		return false
	}
	for _, w := range words {
		for _, p := range personalParts {
			if strings.Contains(w, p) {
				return true
			}
		}
	}
	last := words[len(words)-1]
	if personalLast[last] {
		return true
	}
	qualified := func(technical map[string]bool) bool {
		for _, w := range words[:len(words)-1] {
			if technical[w] {
				return true
			}
		}
		return false
	}
	switch last {
	case "name", "names":
		return !qualified(technicalNames)
	case "code", "codes":
		return !qualified(technicalCodes)
	case "address", "addresses":
		return !qualified(technicalAddresses)
	case "text":
		return len(words) > 1 && words[len(words)-2] == "subject"
	}
	return false
}

// keys remembers PersonalKey's answers: a program logs a few hundred distinct keys, each many times.
var keys struct {
	sync.RWMutex
	personal map[string]bool
}

const maxKeys = 4096 // beyond this, keys built at run time are judged afresh each time

func personalKey(key string) bool {
	keys.RLock()
	p, ok := keys.personal[key]
	keys.RUnlock()
	if ok {
		return p
	}
	p = PersonalKey(key)
	keys.Lock()
	if keys.personal == nil {
		keys.personal = map[string]bool{}
	}
	if len(keys.personal) < maxKeys {
		keys.personal[key] = p
	}
	keys.Unlock()
	return p
}

// personalParts make a key personal wherever they appear in one of its words.
var personalParts = []string{"email", "phone", "identit", "correction", "recipient", "surname", "birth", "passport"}

// personalLast make a key personal as its last word.
var personalLast = words("to cc bcc body mobile tel telephone street postcode ssn dob otp pin firstname lastname " +
	"fullname username")

var technicalNames = words("signal update query activity workflow type task queue file host hostname service namespace " +
	"connector metric span field column table job action method operation op event app bucket purpose category kind " +
	"index key attribute search env var variable role binary build endpoint nexus")

var technicalCodes = words("status http exit error err response reason grpc rpc result country lang language currency " +
	"jurisdiction region locale state return")

var technicalAddresses = words("http https listen bind remote local tcp udp server host frontend temporal ip net network " +
	"socket peer smtp health metrics codec dial broadcast mac")

func words(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// splitKey lowers a key and splits it into words at punctuation and at camelCase boundaries.
func splitKey(key string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(key)
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
			continue
		case unicode.IsUpper(r) && len(cur) > 0:
			prevLower := unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1])
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			// WorkflowID → workflow, id; HTTPStatus → http, status.
			if prevLower || (unicode.IsUpper(rs[i-1]) && nextLower) {
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return out
}

var (
	emailRe = regexp.MustCompile(`(?i)[a-z0-9._%+\-]+(?:@|%40)[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}`)
	// A plus, then at least eight digits with single spaces, dashes or brackets between: +47 400 00 000.
	phoneRe = regexp.MustCompile(`\+\(?\d(?:[ \-]?\(?\d\)?){7,}`)
)

// MaskText masks email addresses and phone numbers in s and, when codes is set, standalone six-digit
// numbers (verification codes). Ids such as dsr_123456, timestamps and durations are left alone.
func MaskText(s string, codes bool) string {
	if strings.ContainsAny(s, "@%") {
		s = emailRe.ReplaceAllString(s, Email)
	}
	if strings.IndexByte(s, '+') >= 0 {
		s = phoneRe.ReplaceAllString(s, Phone)
	}
	if codes {
		s = maskCodes(s)
	}
	return s
}

func containsCode(s string) bool {
	for i := 0; i+4 <= len(s); i++ {
		if (s[i]|0x20) == 'c' && (s[i+1]|0x20) == 'o' && (s[i+2]|0x20) == 'd' && (s[i+3]|0x20) == 'e' {
			return true
		}
	}
	return false
}

// maskCodes replaces runs of exactly six digits that stand alone: not part of an id (dsr_123456,
// job-123456), a decimal (1.123456s), a time (09:30:00.123456) or a word.
func maskCodes(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if j-i == 6 && codeBefore(s, i) && codeAfter(s, j) {
			b.WriteString(s[last:i])
			b.WriteString(Code)
			last = j
		}
		i = j
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func codeBefore(s string, i int) bool {
	if i == 0 {
		return true
	}
	switch s[i-1] {
	case ' ', '\t', '\n', '"', '\'', '=', ':', '(', '[', '{', ',', '`':
		// A time's seconds field (12:30:123456) is not a code; "code: 123456" is.
		return !(s[i-1] == ':' && i >= 2 && isDigit(s[i-2]))
	}
	return false
}

func codeAfter(s string, j int) bool {
	if j == len(s) {
		return true
	}
	switch s[j] {
	case ' ', '\t', '\n', '"', '\'', ',', ';', ')', ']', '}', '!', '?', '`':
		return true
	case '.', ':':
		return j+1 == len(s) || !isDigit(s[j+1]) && s[j+1] != '_' && !unicode.IsLetter(rune(s[j+1]))
	}
	return false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isSixDigits(s string) bool {
	if len(s) != 6 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
