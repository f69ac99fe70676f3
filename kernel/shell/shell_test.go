package shell

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestShell(t *testing.T) {
	in := strings.NewReader("hellp\x7fo x y\r\nbogus\n\x15\nfail\r\nabc\x15quit\nnever\n")
	var out bytes.Buffer
	var got [][]string
	s := New(in, &out, []*Command{
		{Name: "hello", Args: "ARGS", Help: "greet", Run: func(s *Shell, a []string) error { got = append(got, a); return nil }},
		{Name: "fail", Help: "fails", Run: func(s *Shell, a []string) error { return errors.New("it failed") }},
		{Name: "quit", Help: "stop", Quits: true, Run: func(s *Shell, a []string) error { return nil }},
	})
	s.Run()
	if len(got) != 1 || strings.Join(got[0], ",") != "x,y" {
		t.Fatalf("hello got %v", got)
	}
	o := out.String()
	for _, want := range []string{`unknown command "bogus": type help for the list`, "it failed"} {
		if !strings.Contains(o, want) {
			t.Errorf("output lacks %q:\n%q", want, o)
		}
	}
	if strings.Contains(o, "never") {
		t.Error("shell read past quit")
	}
	// A line ended by CR alone is executed without waiting for more input.
	r, w := io.Pipe()
	s2 := New(r, &bytes.Buffer{}, []*Command{{Name: "quit", Quits: true, Run: func(*Shell, []string) error { return nil }}})
	done := make(chan bool)
	go func() { s2.Run(); done <- true }()
	w.Write([]byte("quit\r"))
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a CR-terminated line waited for more input")
	}
	out.Reset()
	s.Exec("help")
	if !strings.Contains(out.String(), "hello ARGS") || !strings.Contains(out.String(), "greet") {
		t.Errorf("help: %q", out.String())
	}
}

// Arrow and function keys send escape sequences: none of their bytes may
// land in the line.
func TestEscapeSequences(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"ab\x1b[Ac\r", "abc"},           // up arrow (CSI)
		{"\x1b[D\x1b[Cx\r", "x"},         // left, right
		{"a\x1bOAb\r", "ab"},             // up arrow in application mode (SS3)
		{"\x1b[1;5Cq\r", "q"},            // ctrl+right: parameters
		{"\x1b[15~f\r", "f"},             // F5
		{"z\x1bx\r", "z"},                // Alt+x
		{"k\x1b\r", "k"},                 // a lone ESC, then Enter
		{"\x1b[1;\rnext\r", ""},          // a control byte ends a broken sequence
		{"up\x1b[A\x1b[A\x1b[B\r", "up"}, // history keys do nothing
	} {
		var out bytes.Buffer
		s := New(strings.NewReader(c.in), &out, nil)
		got, err := s.ReadLine()
		if err != nil || got != c.want {
			t.Errorf("%q: line %q, %v; want %q", c.in, got, err, c.want)
		}
		if strings.ContainsAny(out.String(), "[~\x1b") {
			t.Errorf("%q: echoed %q", c.in, out.String())
		}
	}
}

// A command that quits stops the shell only when it succeeds: poweroff with
// a bad argument must leave the shell running.
func TestQuitOnlyOnSuccess(t *testing.T) {
	var out bytes.Buffer
	var calls []string
	s := New(strings.NewReader("quit bad\rquit\rnever\r"), &out, []*Command{
		{Name: "quit", Quits: true, Run: func(s *Shell, a []string) error {
			calls = append(calls, strings.Join(a, " "))
			if len(a) > 0 {
				return errors.New("quit: bad argument")
			}
			return nil
		}},
		{Name: "never", Run: func(s *Shell, a []string) error { t.Error("shell ran past a successful quit"); return nil }},
	})
	s.Run()
	if len(calls) != 2 || !strings.Contains(out.String(), "quit: bad argument") {
		t.Fatalf("calls %q, output %q", calls, out.String())
	}
}
