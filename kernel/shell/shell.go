// Package shell is the kernel's console: a line editor over the serial
// line and a few commands to look at the running kernel. It runs in thread
// context on the kernel's Go runtime and talks to the trap side only through
// system calls (package kapi).
package shell

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Command is one shell command.
type Command struct {
	Name  string
	Args  string
	Help  string
	Run   func(s *Shell, args []string) error
	Quits bool // the shell stops after it succeeds (poweroff)
}

// Shell holds the console's state.
type Shell struct {
	in       *bufio.Reader
	Out      io.Writer
	Prompt   string
	commands map[string]*Command
	stop     bool
	afterCR  bool
	esc      escState
}

// escState follows a terminal's escape sequence (an arrow or function key)
// through its bytes, so that none of them lands in the line.
type escState uint8

const (
	escNone  escState = iota
	escStart          // after ESC
	escCSI            // after ESC [: parameters until a final byte 0x40-0x7e
	escSS3            // after ESC O: one more byte
)

// New makes a shell reading in and writing out, with the given commands.
func New(in io.Reader, out io.Writer, cmds []*Command) *Shell {
	s := &Shell{in: bufio.NewReader(in), Out: out, Prompt: "almos> ", commands: map[string]*Command{}}
	for _, c := range cmds {
		s.commands[c.Name] = c
	}
	s.commands["help"] = &Command{Name: "help", Help: "list the commands", Run: func(s *Shell, _ []string) error {
		s.help()
		return nil
	}}
	return s
}

// Stop ends Run after the current command.
func (s *Shell) Stop() { s.stop = true }

func (s *Shell) help() {
	names := make([]string, 0, len(s.commands))
	for n := range s.commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := s.commands[n]
		fmt.Fprintf(s.Out, "  %-22s %s\n", strings.TrimSpace(c.Name+" "+c.Args), c.Help)
	}
}

// ReadLine reads one line with echo and simple editing: backspace, ^U to
// erase the line, ^C to abandon it. Escape sequences (arrow and function
// keys: ESC [ ... final byte, ESC O x) are ignored. It returns io.EOF at the
// end of input.
func (s *Shell) ReadLine() (string, error) {
	var line []byte
	for {
		c, err := s.in.ReadByte()
		if err != nil {
			if len(line) > 0 {
				return string(line), nil
			}
			return "", err
		}
		if s.esc != escNone {
			if c < 0x20 {
				// A control byte (Enter after a lone ESC) ends the
				// sequence and counts as itself.
				s.esc = escNone
			} else {
				switch {
				case s.esc == escStart && c == '[':
					s.esc = escCSI
				case s.esc == escStart && c == 'O':
					s.esc = escSS3
				case s.esc == escCSI && (c < 0x40 || c > 0x7e):
					// a parameter or intermediate byte
				default:
					// the final byte; after a lone ESC, the key it
					// prefixed (Alt+key)
					s.esc = escNone
				}
				continue
			}
		}
		switch c {
		case 0x1b:
			s.esc = escStart
		case '\r', '\n':
			// A CR LF pair ends one line, not two. The LF is skipped when
			// it comes (peeking for it would wait for the next key).
			if c == '\n' && s.afterCR && len(line) == 0 {
				s.afterCR = false
				continue
			}
			s.afterCR = c == '\r'
			fmt.Fprint(s.Out, "\n")
			return string(line), nil
		case 0x7f, 0x08:
			if len(line) > 0 {
				line = line[:len(line)-1]
				fmt.Fprint(s.Out, "\b \b")
			}
		case 0x15: // ^U
			for range line {
				fmt.Fprint(s.Out, "\b \b")
			}
			line = line[:0]
		case 0x03: // ^C
			fmt.Fprint(s.Out, "^C\n")
			return "", nil
		default:
			s.afterCR = false
			if c >= 0x20 && c < 0x7f && len(line) < 512 {
				line = append(line, c)
				fmt.Fprintf(s.Out, "%c", c)
			}
		}
	}
}

// Exec runs one command line and returns its error, if any.
func (s *Shell) Exec(line string) error {
	f := strings.Fields(line)
	if len(f) == 0 {
		return nil
	}
	c, ok := s.commands[f[0]]
	if !ok {
		return fmt.Errorf("unknown command %q: type help for the list", f[0])
	}
	err := c.Run(s, f[1:])
	if c.Quits && err == nil {
		s.stop = true
	}
	return err
}

// Run reads and executes commands until poweroff or the end of input.
func (s *Shell) Run() {
	for !s.stop {
		fmt.Fprint(s.Out, s.Prompt)
		line, err := s.ReadLine()
		if err != nil {
			return
		}
		if err := s.Exec(line); err != nil {
			fmt.Fprintf(s.Out, "%v\n", err)
		}
	}
}
