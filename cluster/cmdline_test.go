package cluster

import (
	"strings"
	"testing"
)

func TestParseCmdline(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Spec
		err  []string // fragments of the error; nil when none is expected
	}{
		{"", Spec{}, nil},
		{"console=ttyS0 debug", Spec{}, nil},
		{"clusters=2x2", Spec{X: 2, Y: 2}, nil},
		{"clusters=4x1", Spec{X: 4, Y: 1}, nil},
		{"clusters=3X5", Spec{X: 3, Y: 5}, nil},
		{"  clusters=2x1\tcores-per-cluster=2  quiet", Spec{X: 2, Y: 1, CoresPerCluster: 2}, nil},
		{"cores-per-cluster=1", Spec{CoresPerCluster: 1}, nil},
		{"clusters=256x256", Spec{X: 256, Y: 256}, nil},
		{"xclusters=2x2 clusters2=9", Spec{}, nil},
		{"clusters=", Spec{}, []string{`clusters=""`, "want XxY"}},
		{"clusters=2", Spec{}, []string{`clusters="2"`, "want XxY"}},
		{"clusters=2by2", Spec{}, []string{`clusters="2by2"`, "want XxY"}},
		{"clusters=2x2x2", Spec{}, []string{"want XxY"}},
		{"clusters=+2x2", Spec{}, []string{"want XxY"}},
		{"clusters=-1x2", Spec{}, []string{"want XxY"}},
		{"clusters=0x2", Spec{}, []string{`clusters="0x2"`, "between 1 and 256"}},
		{"clusters=2x0", Spec{}, []string{"between 1 and 256"}},
		{"clusters=257x1", Spec{}, []string{"between 1 and 256"}},
		{"clusters=99999999999999999999x1", Spec{}, []string{"between 1 and 256"}},
		{"clusters=2x2 clusters=4x1", Spec{}, []string{"given twice", `"2x2"`, `"4x1"`}},
		{"cores-per-cluster=0", Spec{}, []string{`cores-per-cluster="0"`, "1 to 4"}},
		{"cores-per-cluster=5", Spec{}, []string{"1 to 4"}},
		{"cores-per-cluster=four", Spec{}, []string{`"four"`, "1 to 4"}},
		{"cores-per-cluster=2 cores-per-cluster=2", Spec{}, []string{"given twice"}},
	} {
		got, err := ParseCmdline(c.in)
		if c.err == nil {
			if err != nil || got != c.want {
				t.Errorf("ParseCmdline(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
			}
			continue
		}
		if err == nil {
			t.Errorf("ParseCmdline(%q) = %+v, no error", c.in, got)
			continue
		}
		for _, f := range c.err {
			if !strings.Contains(err.Error(), f) {
				t.Errorf("ParseCmdline(%q): error %q lacks %q", c.in, err, f)
			}
		}
	}
}

func TestSpecString(t *testing.T) {
	for _, s := range []Spec{{}, {X: 2, Y: 2}, {CoresPerCluster: 3}, {X: 7, Y: 3, CoresPerCluster: 1}} {
		back, err := ParseCmdline(s.String())
		if err != nil || back != s {
			t.Errorf("%+v -> %q -> %+v, %v", s, s.String(), back, err)
		}
	}
}

func FuzzParseMesh(f *testing.F) {
	for _, s := range []string{"2x2", "4x1", "0x1", "1x", "x1", "256x256", "2X3", "007x1", "1x1x1", "", "\x00x1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		x, y, err := ParseMesh(s)
		if err != nil {
			if !strings.Contains(err.Error(), "clusters=") {
				t.Fatalf("error %q does not name the key", err)
			}
			return
		}
		if x < 1 || y < 1 || x > MaxSide || y > MaxSide {
			t.Fatalf("ParseMesh(%q) = %dx%d out of range", s, x, y)
		}
		x2, y2, err := ParseMesh(Spec{X: x, Y: y}.String()[len(KeyClusters)+1:])
		if err != nil || x2 != x || y2 != y {
			t.Fatalf("%q -> %dx%d does not round-trip: %dx%d, %v", s, x, y, x2, y2, err)
		}
	})
}

func FuzzParseCmdline(f *testing.F) {
	for _, s := range []string{"clusters=2x2", "clusters=2x1 cores-per-cluster=2 quiet", "cores-per-cluster=9", "clusters==2x2", "a=b=c clusters=1x1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := ParseCmdline(s)
		if err != nil {
			return
		}
		back, err := ParseCmdline(spec.String())
		if err != nil || back != spec {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, spec, spec.String(), back, err)
		}
		// Whatever parses is accepted by New on a machine big enough for it.
		cores := 1
		if spec.X > 0 {
			cores = spec.X * spec.Y
		}
		if _, err := New(spec, Machine{Cores: cores, RAMSize: 1 << 40}); err != nil {
			t.Fatalf("New(%+v): %v", spec, err)
		}
	})
}
