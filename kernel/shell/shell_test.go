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
