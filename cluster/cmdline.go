package cluster

import (
	"fmt"
	"strings"
)

// Command-line keys understood by ParseCmdline.
const (
	KeyClusters        = "clusters"
	KeyCoresPerCluster = "cores-per-cluster"
)

// ParseCmdline reads the topology keys from a kernel command line: words
// separated by blanks, of which clusters=XxY and cores-per-cluster=N are
// ours and every other word is left to other parsers. A key given twice is
// an error rather than "last one wins", so that a mistyped boot line is
// reported instead of silently half-applied.
func ParseCmdline(cmdline string) (Spec, error) {
	var s Spec
	var seenMesh, seenCores string
	for _, w := range strings.Fields(cmdline) {
		key, val, ok := strings.Cut(w, "=")
		if !ok {
			continue
		}
		switch key {
		case KeyClusters:
			if seenMesh != "" {
				return Spec{}, fmt.Errorf("cluster: %s= given twice (%q and %q); give it once", KeyClusters, seenMesh, val)
			}
			seenMesh = val
			x, y, err := ParseMesh(val)
			if err != nil {
				return Spec{}, err
			}
			s.X, s.Y = x, y
		case KeyCoresPerCluster:
			if seenCores != "" {
				return Spec{}, fmt.Errorf("cluster: %s= given twice (%q and %q); give it once", KeyCoresPerCluster, seenCores, val)
			}
			seenCores = val
			n, ok := parseDecimal(val, MaxCoresPerCluster)
			if !ok || n < 1 {
				return Spec{}, fmt.Errorf("cluster: %s=%q: accepted values are 1 to %d", KeyCoresPerCluster, val, MaxCoresPerCluster)
			}
			s.CoresPerCluster = n
		}
	}
	return s, nil
}

// ParseMesh parses the value of clusters=: two decimal numbers joined by an
// 'x' (or 'X'), each from 1 to MaxSide, e.g. "2x2" or "4x1".
func ParseMesh(v string) (x, y int, err error) {
	xs, ys, ok := strings.Cut(v, "x")
	if !ok {
		xs, ys, ok = strings.Cut(v, "X")
	}
	if !ok {
		return 0, 0, fmt.Errorf("cluster: %s=%q: want XxY, two decimal numbers joined by 'x' (e.g. %s=2x2)", KeyClusters, v, KeyClusters)
	}
	x, okx := parseDecimal(xs, MaxSide)
	y, oky := parseDecimal(ys, MaxSide)
	if !okx || !oky {
		if isDecimal(xs) && isDecimal(ys) {
			return 0, 0, fmt.Errorf("cluster: %s=%q: X and Y must both be between 1 and %d", KeyClusters, v, MaxSide)
		}
		return 0, 0, fmt.Errorf("cluster: %s=%q: want XxY, two decimal numbers joined by 'x' (e.g. %s=2x2)", KeyClusters, v, KeyClusters)
	}
	if x < 1 || y < 1 {
		return 0, 0, fmt.Errorf("cluster: %s=%q: X and Y must both be between 1 and %d", KeyClusters, v, MaxSide)
	}
	return x, y, nil
}

// String returns the command-line words that ParseCmdline turns back into s
// (nothing for fields left to their defaults).
func (s Spec) String() string {
	var w []string
	if s.X != 0 || s.Y != 0 {
		w = append(w, fmt.Sprintf("%s=%dx%d", KeyClusters, s.X, s.Y))
	}
	if s.CoresPerCluster != 0 {
		w = append(w, fmt.Sprintf("%s=%d", KeyCoresPerCluster, s.CoresPerCluster))
	}
	return strings.Join(w, " ")
}

// parseDecimal accepts only ASCII digits (no sign, no blanks, no base
// prefixes) and a value not above max, so that nothing surprising such as
// "+2" or "0x10" is taken for a number.
func parseDecimal(s string, max int) (int, bool) {
	if !isDecimal(s) {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
		if n > max {
			return 0, false
		}
	}
	return n, true
}

func isDecimal(s string) bool {
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
