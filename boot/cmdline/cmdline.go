// Package cmdline parses the kernel command line: words separated by spaces,
// each of the form key=value (a bare key means key=on). It checks every word
// against the table of known options and reports each mistake with the word,
// what is wrong and what is accepted.
//
// Trap-safe: parsing allocates nothing (keys and values are substrings of
// the line), so early boot uses it before the Go runtime exists.
package cmdline

// Kind is the type of an option's value.
type Kind uint8

const (
	String Kind = iota // any non-empty text
	Int                // a decimal integer within [Min, Max], or one of the words in Values
	Bool               // on/off, yes/no, true/false, 1/0
	Enum               // one of the words in Values (separated by |)
	List               // comma-separated names, non-empty
	Size               // a byte count with an optional K, M or G suffix, within [Min, Max]
	Mesh               // XxY, both within [Min, Max]
)

// OnError says what a malformed value does.
type OnError uint8

const (
	// Stop: the boot stops (the machine powers off with a failing status),
	// because going on would run something other than what was asked.
	Stop OnError = iota
	// Default: the option keeps its default and a warning is printed.
	Default
)

// Option describes one key.
type Option struct {
	Key      string
	Kind     Kind
	Min, Max int64
	Values   string // for Enum: accepted words separated by |; for Int: words accepted besides numbers
	Default  string
	OnError  OnError
	Help     string
}

// MinRAM is the least RAM the kernel boots with and runs its tests in: the
// image and low memory take 5 MiB, each cluster's bank needs its allocator
// and descriptors, and the Go runtime grows its heap 4 MiB at a time in a
// direct map. Early boot refuses a machine with less (and mem= below it).
const MinRAM = 32 << 20

// Options is the table of known keys.
var Options = []Option{
	{Key: "test", Kind: List, OnError: Stop, Help: "run the in-kernel tests named (or all), print them in go test -v form, then power off with 0 if all passed, 1 if not"},
	{Key: "shell", Kind: Bool, Default: "on", OnError: Stop, Help: "start the console shell after boot (ignored when test= is given)"},
	{Key: "cpus", Kind: Int, Min: 1, Max: 16, OnError: Stop, Help: "bring up at most this many cores"},
	{Key: "clusters", Kind: Mesh, Min: 1, Max: 16, OnError: Stop, Help: "the cluster mesh, XxY (default: 4 cores per cluster, as square as possible)"},
	{Key: "cores-per-cluster", Kind: Int, Min: 1, Max: 4, OnError: Stop, Help: "cores in each cluster (default 4)"},
	{Key: "mem", Kind: Size, Min: MinRAM, Max: 1 << 30, OnError: Stop, Help: "use at most this much RAM (e.g. 64M)"},
	{Key: "gomaxprocs", Kind: Int, Min: 1, Max: 256, OnError: Stop, Help: "GOMAXPROCS for the kernel's Go runtime (default: the number of cores)"},
	{Key: "godebug", Kind: String, OnError: Stop, Help: "GODEBUG for the kernel's Go runtime"},
	{Key: "gotraceback", Kind: Enum, Values: "none|single|all|system|crash", Default: "crash", OnError: Default, Help: "GOTRACEBACK for the kernel's Go runtime"},
	{Key: "slice", Kind: Int, Min: 1, Max: 1000, Default: "10", OnError: Default, Help: "round-robin time slice in milliseconds"},
	// The runtime takes GOGC as a 32-bit integer or off; it would quietly
	// use 100 for anything else.
	{Key: "gogc", Kind: Int, Min: 0, Max: 1<<31 - 1, Values: "off", OnError: Stop, Help: "GOGC for the kernel's Go runtime (a percentage, or off)"},
	{Key: "ktestprocs", Kind: Int, Min: 1, Max: 64, OnError: Stop, Help: "GOMAXPROCS of the gomaxprocs in-kernel test (default 4)"},
	{Key: "loglevel", Kind: Enum, Values: "quiet|info|debug", Default: "info", OnError: Default, Help: "how much the kernel prints"},
}

// MaxLen is the longest command line QEMU's malta passes whole: its boot
// loader writes the line into one 256-byte entry of the argument table
// (ENVP_ENTRY_SIZE in hw/mips/malta.c) with vsnprintf, which keeps the first
// 255 bytes and drops the rest silently. A line that arrives with 255 bytes
// may therefore have lost its tail, so only lines of at most MaxLen bytes
// are known to be whole.
const MaxLen = 254

// Problem is one mistake found in the line.
type Problem struct {
	Word    string  // the word as written
	Key     string  // its key
	What    string  // what is wrong
	Opt     *Option // the option, if the key is known
	OnError OnError
	// Cut is set for the problem of a line longer than MaxLen: Word is
	// then its last word, which may have been cut short.
	Cut bool
}

// Next splits the first word off s: key, value (possibly empty) and whether
// an = was present. rest is what follows; ok is false when s holds no word.
func Next(s string) (word, key, value string, hasValue bool, rest string, ok bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	if i == len(s) {
		return "", "", "", false, "", false
	}
	j := i
	for j < len(s) && s[j] != ' ' && s[j] != '\t' && s[j] != '\n' && s[j] != '\r' {
		j++
	}
	word = s[i:j]
	rest = s[j:]
	for k := 0; k < len(word); k++ {
		if word[k] == '=' {
			return word, word[:k], word[k+1:], true, rest, true
		}
	}
	return word, word, "", false, rest, true
}

// Lookup returns the option for key.
func Lookup(key string) *Option {
	for i := range Options {
		if Options[i].Key == key {
			return &Options[i]
		}
	}
	return nil
}

// Check parses every word of s and calls report for each problem. It returns
// the number of problems that stop the boot. A line longer than MaxLen is
// one problem that stops the boot (its tail may be lost, so what it asks for
// is unknown); its last word, possibly cut short, is not checked, so that
// half a word does not pass for a mistake of its own.
func Check(s string, report func(p Problem)) (stops int) {
	rest := s
	var last string
	if len(s) > MaxLen {
		stops++
		i := len(s)
		for i > 0 && s[i-1] != ' ' && s[i-1] != '\t' && s[i-1] != '\n' && s[i-1] != '\r' {
			i--
		}
		last = s[i:]
		rest = s[:i]
		report(Problem{Word: last, What: "the command line is longer than QEMU's malta passes whole", OnError: Stop, Cut: true})
	}
	for {
		word, key, value, has, r, ok := Next(rest)
		if !ok {
			return stops
		}
		rest = r
		o := Lookup(key)
		if o == nil {
			stops++
			report(Problem{Word: word, Key: key, What: "unknown key", OnError: Stop})
			continue
		}
		if !has {
			value = "on"
			if o.Kind != Bool {
				if o.OnError == Stop {
					stops++
				}
				report(Problem{Word: word, Key: key, What: "needs a value", Opt: o, OnError: o.OnError})
				continue
			}
		}
		if what := o.Validate(value); what != "" {
			if o.OnError == Stop {
				stops++
			}
			report(Problem{Word: word, Key: key, What: what, Opt: o, OnError: o.OnError})
		}
	}
}

// Validate returns "" if value suits the option, else what is wrong.
func (o *Option) Validate(value string) string {
	switch o.Kind {
	case String:
		if value == "" {
			return "empty value"
		}
	case Int:
		if o.Values != "" && InList(o.Values, '|', value) {
			return ""
		}
		n, ok := ParseInt(value)
		if !ok {
			if isDigits(value) {
				return "out of range"
			}
			if o.Values != "" {
				return "neither a decimal number nor an accepted word"
			}
			return "not a decimal number"
		}
		if n < o.Min || n > o.Max {
			return "out of range"
		}
	case Bool:
		if _, ok := ParseBool(value); !ok {
			return "not on/off"
		}
	case Enum:
		if !InList(o.Values, '|', value) {
			return "not one of the accepted words"
		}
	case List:
		if value == "" {
			return "empty list"
		}
		start := 0
		for i := 0; i <= len(value); i++ {
			if i == len(value) || value[i] == ',' {
				if i == start {
					return "empty name in the list"
				}
				start = i + 1
			}
		}
	case Size:
		n, ok := ParseSize(value)
		if !ok {
			return "not a size (a number with an optional K, M or G)"
		}
		if n < o.Min || n > o.Max {
			return "out of range"
		}
	case Mesh:
		x, y, ok := ParseMesh(value)
		if !ok {
			return "not of the form XxY"
		}
		if int64(x) < o.Min || int64(x) > o.Max || int64(y) < o.Min || int64(y) > o.Max {
			return "out of range"
		}
	}
	return ""
}

// Describe writes into dst what values the option takes, with its bounds
// filled in (say "a number from 1 to 16"), and returns the bytes written; a
// dst too short gets the beginning. It allocates nothing, for early boot.
func (o *Option) Describe(dst []byte) int {
	w := writer{b: dst}
	switch o.Kind {
	case String:
		w.s("any text")
	case Int:
		w.s("a number from ").d(o.Min).s(" to ").d(o.Max)
		if o.Values != "" {
			w.s(", or ").words(o.Values)
		}
	case Bool:
		w.s("on or off")
	case Enum:
		w.words(o.Values)
	case List:
		w.s("names separated by commas")
	case Size:
		w.s("a size from ").size(o.Min).s(" to ").size(o.Max).s(" (a number of bytes with an optional K, M or G)")
	case Mesh:
		w.s("XxY with X and Y from ").d(o.Min).s(" to ").d(o.Max)
	}
	return w.n
}

// writer fills a fixed buffer, dropping what does not fit.
type writer struct {
	b []byte
	n int
}

func (w *writer) c(c byte) *writer {
	if w.n < len(w.b) {
		w.b[w.n] = c
		w.n++
	}
	return w
}

func (w *writer) s(s string) *writer {
	for i := 0; i < len(s); i++ {
		w.c(s[i])
	}
	return w
}

func (w *writer) d(v int64) *writer {
	if v < 0 {
		w.c('-')
		v = -v
	}
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	for ; i < len(tmp); i++ {
		w.c(tmp[i])
	}
	return w
}

// size writes a byte count with the largest suffix that divides it.
func (w *writer) size(v int64) *writer {
	switch {
	case v != 0 && v%(1<<30) == 0:
		return w.d(v >> 30).c('G')
	case v != 0 && v%(1<<20) == 0:
		return w.d(v >> 20).c('M')
	case v != 0 && v%(1<<10) == 0:
		return w.d(v >> 10).c('K')
	}
	return w.d(v)
}

// words writes a |-separated list as "a, b or c".
func (w *writer) words(list string) *writer {
	n := 1
	for i := 0; i < len(list); i++ {
		if list[i] == '|' {
			n++
		}
	}
	k := 0
	for i := 0; i < len(list); i++ {
		if list[i] != '|' {
			w.c(list[i])
			continue
		}
		k++
		if k == n-1 {
			w.s(" or ")
		} else {
			w.s(", ")
		}
	}
	return w
}

// Get returns the value of the last word with key in s (a bare key gives
// "on"), and whether there was one.
func Get(s, key string) (string, bool) {
	var val string
	found := false
	rest := s
	for {
		_, k, v, has, r, ok := Next(rest)
		if !ok {
			return val, found
		}
		rest = r
		if k == key {
			found = true
			val = v
			if !has {
				val = "on"
			}
		}
	}
}

// GetOr returns Get's value, or the option's default when the key is absent
// or its value is invalid.
func GetOr(s, key string) string {
	o := Lookup(key)
	v, ok := Get(s, key)
	if o == nil {
		return v
	}
	if !ok || o.Validate(v) != "" {
		return o.Default
	}
	return v
}

// ParseInt parses a non-negative decimal integer.
func ParseInt(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ParseBool parses on/off, yes/no, true/false, 1/0.
func ParseBool(s string) (bool, bool) {
	switch s {
	case "on", "yes", "true", "1":
		return true, true
	case "off", "no", "false", "0":
		return false, true
	}
	return false, false
}

// ParseSize parses a byte count with an optional K, M or G (binary) suffix.
func ParseSize(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	shift := uint(0)
	switch s[len(s)-1] {
	case 'K', 'k':
		shift = 10
	case 'M', 'm':
		shift = 20
	case 'G', 'g':
		shift = 30
	}
	if shift != 0 {
		s = s[:len(s)-1]
	}
	n, ok := ParseInt(s)
	if !ok || n > 1<<40>>shift {
		return 0, false
	}
	return n << shift, true
}

// ParseMesh parses XxY.
func ParseMesh(s string) (x, y int, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == 'x' || s[i] == 'X' {
			a, ok1 := ParseInt(s[:i])
			b, ok2 := ParseInt(s[i+1:])
			if !ok1 || !ok2 || a > 1<<16 || b > 1<<16 {
				return 0, 0, false
			}
			return int(a), int(b), true
		}
	}
	return 0, 0, false
}

// InList reports whether word is one of the sep-separated words of list.
func InList(list string, sep byte, word string) bool {
	start := 0
	for i := 0; i <= len(list); i++ {
		if i == len(list) || list[i] == sep {
			if list[start:i] == word {
				return true
			}
			start = i + 1
		}
	}
	return false
}

// Each calls f for each comma-separated name of a List value.
func Each(list string, f func(name string)) {
	start := 0
	for i := 0; i <= len(list); i++ {
		if i == len(list) || list[i] == ',' {
			if i > start {
				f(list[start:i])
			}
			start = i + 1
		}
	}
}
