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
	Int                // a decimal integer within [Min, Max]
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
	Values   string // for Enum: accepted words separated by |
	Default  string
	OnError  OnError
	Help     string
}

// Options is the table of known keys.
var Options = []Option{
	{Key: "test", Kind: List, OnError: Stop, Help: "run the in-kernel tests named (or all), print them in go test -v form, then power off with 0 if all passed, 1 if not"},
	{Key: "shell", Kind: Bool, Default: "on", OnError: Stop, Help: "start the console shell after boot (ignored when test= is given)"},
	{Key: "cpus", Kind: Int, Min: 1, Max: 16, OnError: Stop, Help: "bring up at most this many cores"},
	{Key: "clusters", Kind: Mesh, Min: 1, Max: 16, OnError: Stop, Help: "the cluster mesh, XxY (default: 4 cores per cluster, as square as possible)"},
	{Key: "cores-per-cluster", Kind: Int, Min: 1, Max: 4, OnError: Stop, Help: "cores in each cluster (default 4)"},
	{Key: "mem", Kind: Size, Min: 16 << 20, Max: 1 << 30, OnError: Stop, Help: "use at most this much RAM (e.g. 64M)"},
	{Key: "gomaxprocs", Kind: Int, Min: 1, Max: 256, OnError: Stop, Help: "GOMAXPROCS for the kernel's Go runtime (default: the number of cores)"},
	{Key: "godebug", Kind: String, OnError: Stop, Help: "GODEBUG for the kernel's Go runtime"},
	{Key: "gotraceback", Kind: Enum, Values: "none|single|all|system|crash", Default: "crash", OnError: Default, Help: "GOTRACEBACK for the kernel's Go runtime"},
	{Key: "slice", Kind: Int, Min: 1, Max: 1000, Default: "10", OnError: Default, Help: "round-robin time slice in milliseconds"},
	{Key: "gogc", Kind: String, OnError: Stop, Help: "GOGC for the kernel's Go runtime (a percentage, or off)"},
	{Key: "ktestprocs", Kind: Int, Min: 1, Max: 64, OnError: Stop, Help: "GOMAXPROCS of the gomaxprocs in-kernel test (default 4)"},
	{Key: "loglevel", Kind: Enum, Values: "quiet|info|debug", Default: "info", OnError: Default, Help: "how much the kernel prints"},
}

// Problem is one mistake found in the line.
type Problem struct {
	Word    string  // the word as written
	Key     string  // its key
	What    string  // what is wrong
	Opt     *Option // the option, if the key is known
	OnError OnError
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
// the number of problems that stop the boot.
func Check(s string, report func(p Problem)) (stops int) {
	rest := s
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
		n, ok := ParseInt(value)
		if !ok {
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

// Accepted describes the values an option takes, for messages.
func (o *Option) Accepted() (what string, lo, hi int64) {
	switch o.Kind {
	case String:
		return "any text", 0, 0
	case Int:
		return "a number from Min to Max", o.Min, o.Max
	case Bool:
		return "on or off", 0, 0
	case Enum:
		return o.Values, 0, 0
	case List:
		return "names separated by commas", 0, 0
	case Size:
		return "a size from Min to Max bytes (K, M, G suffixes)", o.Min, o.Max
	case Mesh:
		return "XxY with X and Y from Min to Max", o.Min, o.Max
	}
	return "", 0, 0
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
