package cmdline

import (
	"strings"
	"testing"
)

func problems(s string) ([]Problem, int) {
	var ps []Problem
	stops := Check(s, func(p Problem) { ps = append(ps, p) })
	return ps, stops
}

func TestValidLines(t *testing.T) {
	for _, s := range []string{
		"",
		"   ",
		"test=all",
		"test=boot,gc shell=off",
		"cpus=4 clusters=2x2 cores-per-cluster=2 mem=64M",
		"gomaxprocs=8 godebug=gctrace=1 gotraceback=all slice=5 loglevel=debug",
		"shell",
		"mem=1G",
		"test=all\n",
		"gogc=off", "gogc=0", "gogc=400", "gogc=2147483647",
		"test=panic " + strings.Repeat("loglevel=info ", 17) + "shell", // MaxLen bytes
	} {
		if ps, _ := problems(s); len(ps) != 0 {
			t.Errorf("%q: unexpected problems %+v", s, ps)
		}
	}
}

func TestMistakes(t *testing.T) {
	cases := []struct {
		line  string
		word  string
		what  string
		stops int
	}{
		{"tset=all", "tset=all", "unknown key", 1},
		{"cpus=four", "cpus=four", "not a decimal number", 1},
		{"cpus=0", "cpus=0", "out of range", 1},
		{"cpus=17", "cpus=17", "out of range", 1},
		{"clusters=2x", "clusters=2x", "not of the form XxY", 1},
		{"clusters=2by2", "clusters=2by2", "not of the form XxY", 1},
		{"mem=12Q", "mem=12Q", "not a size (a number with an optional K, M or G)", 1},
		{"mem=1M", "mem=1M", "out of range", 1},
		{"shell=maybe", "shell=maybe", "not on/off", 1},
		{"test=", "test=", "empty list", 1},
		{"test=a,,b", "test=a,,b", "empty name in the list", 1},
		{"cpus", "cpus", "needs a value", 1},
		{"slice=0", "slice=0", "out of range", 0},
		{"gotraceback=loud", "gotraceback=loud", "not one of the accepted words", 0},
		// The runtime would take a malformed GOGC for 100.
		{"gogc=abc", "gogc=abc", "neither a decimal number nor an accepted word", 1},
		{"gogc=99999999999999999999", "gogc=99999999999999999999", "out of range", 1},
		{"gogc=2147483648", "gogc=2147483648", "out of range", 1},
		{"gogc=-1", "gogc=-1", "neither a decimal number nor an accepted word", 1},
		{"gogc=", "gogc=", "neither a decimal number nor an accepted word", 1},
		{"cpus=99999999999999999999", "cpus=99999999999999999999", "out of range", 1},
	}
	for _, c := range cases {
		ps, stops := problems(c.line)
		if len(ps) != 1 {
			t.Errorf("%q: %d problems, want 1", c.line, len(ps))
			continue
		}
		if ps[0].Word != c.word || ps[0].What != c.what || stops != c.stops {
			t.Errorf("%q: got %q %q stops=%d, want %q %q stops=%d", c.line, ps[0].Word, ps[0].What, stops, c.word, c.what, c.stops)
		}
	}
}

func TestGet(t *testing.T) {
	s := "cpus=2 test=all cpus=4 shell"
	if v, ok := Get(s, "cpus"); !ok || v != "4" {
		t.Fatalf("cpus = %q %v (last wins)", v, ok)
	}
	if v, ok := Get(s, "shell"); !ok || v != "on" {
		t.Fatalf("bare key: %q", v)
	}
	if _, ok := Get(s, "mem"); ok {
		t.Fatal("absent key found")
	}
	if GetOr("slice=0", "slice") != "10" || GetOr("", "gotraceback") != "crash" || GetOr("slice=3", "slice") != "3" {
		t.Fatal("defaults")
	}
}

func TestEach(t *testing.T) {
	var got []string
	Each("a,bb,,c", func(n string) { got = append(got, n) })
	if strings.Join(got, "/") != "a/bb/c" {
		t.Fatalf("%v", got)
	}
}

func TestParsers(t *testing.T) {
	if n, ok := ParseSize("64M"); !ok || n != 64<<20 {
		t.Fatal("64M")
	}
	if n, ok := ParseSize("4096"); !ok || n != 4096 {
		t.Fatal("4096")
	}
	if _, ok := ParseSize("M"); ok {
		t.Fatal("bare suffix accepted")
	}
	if x, y, ok := ParseMesh("4X2"); !ok || x != 4 || y != 2 {
		t.Fatal("mesh")
	}
	if _, ok := ParseInt("99999999999999999999"); ok {
		t.Fatal("overflow accepted")
	}
}

func TestCheckAllocatesNothing(t *testing.T) {
	line := "test=all cpus=4 clusters=2x2 mem=64M bogus=1 slice=0"
	n := testing.AllocsPerRun(100, func() {
		Check(line, func(p Problem) {})
		Get(line, "cpus")
		var b [160]byte
		for i := range Options {
			Options[i].Describe(b[:])
		}
	})
	if n != 0 {
		t.Fatalf("%v allocations", n)
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{"test=all", "cpus=4 clusters=2x2", "mem=64M x", "=", "a=b=c", "clusters=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Never panics; every problem names a word of the line.
		Check(s, func(p Problem) {
			if !strings.Contains(s, p.Word) || p.What == "" {
				t.Fatalf("problem %+v not about the line %q", p, s)
			}
		})
	})
}

// A line longer than MaxLen may have lost its tail: one problem that stops
// the boot, naming the last word, which is not itself reported as unknown.
func TestCutLine(t *testing.T) {
	long := "test=panic " + strings.Repeat("loglevel=info ", 17) + "loglev"
	if len(long) != MaxLen+1 {
		t.Fatalf("test line is %d bytes, want %d", len(long), MaxLen+1)
	}
	ps, stops := problems(long)
	if len(ps) != 1 || stops != 1 || !ps[0].Cut || ps[0].Word != "loglev" || ps[0].OnError != Stop {
		t.Fatalf("problems %+v stops %d; want one Cut problem about \"loglev\"", ps, stops)
	}
	// The other words are still checked.
	ps, stops = problems("tset=1 " + strings.Repeat("loglevel=info ", 17) + "loglevel=in")
	if len(ps) != 2 || stops != 2 || !ps[0].Cut || ps[1].Word != "tset=1" {
		t.Fatalf("problems %+v stops %d; want the cut and the unknown key", ps, stops)
	}
	// One word longer than the limit.
	ps, _ = problems(strings.Repeat("a", 300))
	if len(ps) != 1 || !ps[0].Cut {
		t.Fatalf("problems %+v", ps)
	}
	if ps, _ := problems(long[:MaxLen]); len(ps) != 1 || ps[0].Cut {
		t.Fatalf("a line of MaxLen bytes: problems %+v; want only the unknown key", ps)
	}
}

// Every option's description has its bounds filled in.
func TestDescribe(t *testing.T) {
	want := map[string]string{
		"cpus":        "a number from 1 to 16",
		"gogc":        "a number from 0 to 2147483647, or off",
		"mem":         "a size from 16M to 1G (a number of bytes with an optional K, M or G)",
		"clusters":    "XxY with X and Y from 1 to 16",
		"gotraceback": "none, single, all, system or crash",
		"loglevel":    "quiet, info or debug",
		"shell":       "on or off",
	}
	for i := range Options {
		o := &Options[i]
		var b [160]byte
		got := string(b[:o.Describe(b[:])])
		if got == "" || strings.Contains(got, "Min") || strings.Contains(got, "Max") {
			t.Errorf("%s: %q", o.Key, got)
		}
		if w, ok := want[o.Key]; ok && got != w {
			if o.Key == "mem" && strings.HasPrefix(got, "a size from ") {
				continue // its minimum is set elsewhere
			}
			t.Errorf("%s: %q, want %q", o.Key, got, w)
		}
	}
	var short [5]byte
	if n := Lookup("cpus").Describe(short[:]); string(short[:n]) != "a num" {
		t.Errorf("short buffer: %q", short[:n])
	}
}
