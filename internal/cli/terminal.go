package cli

import (
	"io"
	"strings"
	"unicode/utf8"
)

// What starter and dsrflow-admin print comes partly from others: reasons, names and details typed by
// reviewers, agents and connectors reach the operator's terminal through the front door and the store.
// A terminal obeys control characters, so a reason holding "\x1b]0;...\x07" could retitle the window,
// hide lines or, on some terminals, answer back. Everything the CLIs print passes NewTerminalWriter, and
// values printed inside a line pass OneLine, so that a value cannot start a line of its own either.

// terminalWriter passes text to w without C0 and C1 control characters (U+0000–U+001F, U+007F,
// U+0080–U+009F) and without the escape sequences they begin (CSI, OSC, DCS, SOS, PM, APC and
// two-character ESC sequences). Newline and tab pass: they are the structure of the CLIs' own output
// (lines, tables). A sequence left open ends at the next newline, so it cannot swallow what follows.
// It keeps its state across writes, so a sequence or a UTF-8 character split between writes is still
// recognised.
type terminalWriter struct {
	w       io.Writer
	state   escState
	partial []byte // the start of a UTF-8 character cut by the end of the last write
}

type escState int

const (
	escNone   escState = iota
	escStart           // after ESC
	escCSI             // control sequence: parameters until a final byte
	escString          // OSC, DCS, SOS, PM, APC: until BEL or ST
	escStrEsc          // ESC inside a string: ST if '\' follows
)

// NewTerminalWriter returns w behind a terminalWriter (w itself when it is one already).
func NewTerminalWriter(w io.Writer) io.Writer {
	if tw, ok := w.(*terminalWriter); ok {
		return tw
	}
	return &terminalWriter{w: w}
}

// Write filters p and reports len(p) written when the filtered text was written whole.
func (t *terminalWriter) Write(p []byte) (int, error) {
	in := p
	if len(t.partial) > 0 {
		in = append(t.partial, p...)
		t.partial = nil
	}
	out := make([]byte, 0, len(in))
	for len(in) > 0 {
		if !utf8.FullRune(in) {
			t.partial = append([]byte(nil), in...)
			break
		}
		r, size := utf8.DecodeRune(in)
		seg := in[:size]
		in = in[size:]
		if t.keep(r) {
			out = append(out, seg...)
		}
	}
	if _, err := t.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// keep advances the escape state by r and reports whether r is printed.
func (t *terminalWriter) keep(r rune) bool {
	switch t.state {
	case escStart:
		switch r {
		case '[':
			t.state = escCSI
		case ']', 'P', 'X', '^', '_':
			t.state = escString
		default:
			t.state = escNone
			if r == '\n' {
				return true
			}
		}
		return false
	case escCSI:
		if r >= 0x20 && r <= 0x3f { // parameter and intermediate bytes
			return false
		}
		t.state = escNone
		return r == '\n'
	case escString, escStrEsc:
		switch {
		case r == '\n':
			t.state = escNone
			return true
		case r == 0x07 || r == 0x9c || t.state == escStrEsc && r == '\\':
			t.state = escNone
		case r == 0x1b:
			t.state = escStrEsc
		default:
			t.state = escString
		}
		return false
	}
	switch {
	case r == '\n' || r == '\t':
		return true
	case r == 0x1b:
		t.state = escStart
		return false
	case r == 0x9b:
		t.state = escCSI
		return false
	case r == 0x90 || r == 0x98 || r == 0x9d || r == 0x9e || r == 0x9f:
		t.state = escString
		return false
	case r < 0x20 || r >= 0x7f && r <= 0x9f:
		return false
	}
	return true
}

// OneLine is a value printed inside a line (a table cell, a field): its newlines, tabs and carriage
// returns become spaces, so a value cannot fake rows or columns; terminalWriter removes the rest.
func OneLine(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '\n', '\r', '\t', '\v', '\f', 0x85, 0x2028, 0x2029:
			return ' '
		}
		return r
	}, s)
}
