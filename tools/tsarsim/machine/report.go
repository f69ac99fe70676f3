package machine

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"almos/tools/tsarsim/mem"
)

// CoreStats is the summary of one core.
type CoreStats struct {
	ID       int      `json:"id"` // CPUNum
	X        int      `json:"x"`
	Y        int      `json:"y"`
	Local    int      `json:"local"`
	Instr    uint64   `json:"instructions"`
	Cycles   uint64   `json:"cycles"`
	Idle     uint64   `json:"idle_cycles"`
	Loads    uint64   `json:"loads"`
	Stores   uint64   `json:"stores"`
	IMiss    uint64   `json:"icache_misses"`
	DMiss    uint64   `json:"dcache_misses"`
	Uncached uint64   `json:"uncached"`
	Local0   uint64   `json:"local_accesses"`
	Remote   uint64   `json:"remote_accesses"`
	AccDist  []uint64 `json:"accesses_by_distance"`
	TransDst []uint64 `json:"transactions_by_distance"`
}

// ClusterStats sums the cores of a cluster.
type ClusterStats struct {
	X, Y        int
	Instr       uint64 `json:"instructions"`
	Busy        uint64 `json:"busy_cycles"`
	Local       uint64 `json:"local_accesses"`
	Remote      uint64 `json:"remote_accesses"`
	TrafficOut  uint64 `json:"transactions_out"` // to other clusters
	TrafficIn   uint64 `json:"transactions_in"`  // from other clusters
	TrafficSelf uint64 `json:"transactions_local"`
}

// Stats is the whole summary (what -json writes).
type Stats struct {
	Mesh      string         `json:"mesh"`
	Cores     int            `json:"cores_per_cluster"`
	Cache     bool           `json:"cache_model"`
	Latency   mem.Latency    `json:"latency"`
	Cycles    uint64         `json:"cycles"`
	Instr     uint64         `json:"instructions"`
	Status    int            `json:"exit_status"`
	Reason    string         `json:"exit_reason"`
	HostSecs  float64        `json:"host_seconds"`
	MIPS      float64        `json:"simulated_mips"`
	PerCore   []CoreStats    `json:"cores"`
	Clusters  []ClusterStats `json:"clusters"`
	ClusterID []int          `json:"cluster_ids"`
	// Traffic[i][j]: transactions from cluster index i to cluster j.
	Traffic [][]uint64 `json:"traffic"`
}

func trim(v []uint64) []uint64 {
	n := len(v)
	for n > 1 && v[n-1] == 0 {
		n--
	}
	return append([]uint64(nil), v[:n]...)
}

// Stats gathers the summary.
func (m *Machine) Stats(r RunResult) Stats {
	s := Stats{Mesh: fmt.Sprintf("%dx%d", m.Cfg.MeshX, m.Cfg.MeshY), Cores: m.Cfg.Cores,
		Cache: m.Cfg.Cache, Latency: m.Sys.Cfg.Lat, Cycles: r.Cycles, Status: r.Status, Reason: r.Reason,
		HostSecs: r.Elapsed.Seconds()}
	n := m.Sys.NClusters
	s.Clusters = make([]ClusterStats, n)
	s.ClusterID = make([]int, n)
	for x := 0; x < m.Cfg.MeshX; x++ {
		for y := 0; y < m.Cfg.MeshY; y++ {
			id := mem.ClusterID(x, y)
			i := m.Sys.ClusterIndex(id)
			s.Clusters[i].X, s.Clusters[i].Y = x, y
			s.ClusterID[i] = id
		}
	}
	for _, c := range m.Cores {
		x, y := mem.ClusterXY(c.Cluster)
		cs := CoreStats{ID: c.ID, X: x, Y: y, Local: c.Local, Instr: c.Cnt.Instr, Cycles: c.Cnt.Cycles,
			Idle: c.Cnt.Idle, Loads: c.Cnt.Loads, Stores: c.Cnt.Stores, IMiss: c.Cnt.IMiss,
			DMiss: c.Cnt.DMiss, Uncached: c.Cnt.Uncached, AccDist: trim(c.Cnt.Acc[:]), TransDst: trim(c.Cnt.Trans[:])}
		cs.Local0 = c.Cnt.Acc[0]
		for _, v := range c.Cnt.Acc[1:] {
			cs.Remote += v
		}
		s.PerCore = append(s.PerCore, cs)
		s.Instr += cs.Instr
		cl := &s.Clusters[m.Sys.ClusterIndex(c.Cluster)]
		cl.Instr += cs.Instr
		cl.Busy += cs.Cycles - cs.Idle
		cl.Local += cs.Local0
		cl.Remote += cs.Remote
	}
	s.Traffic = make([][]uint64, n)
	for i := range n {
		s.Traffic[i] = append([]uint64(nil), m.Sys.Traffic[i*n:(i+1)*n]...)
		for j := range n {
			v := s.Traffic[i][j]
			if i == j {
				s.Clusters[i].TrafficSelf += v
			} else {
				s.Clusters[i].TrafficOut += v
				s.Clusters[j].TrafficIn += v
			}
		}
	}
	if s.HostSecs > 0 {
		s.MIPS = float64(s.Instr) / s.HostSecs / 1e6
	}
	return s
}

// WriteJSON writes the summary as indented JSON.
func (s Stats) WriteJSON(w io.Writer) error {
	e := json.NewEncoder(w)
	e.SetIndent("", " ")
	return e.Encode(s)
}

// WriteText writes the per-core and per-cluster tables. Cores that never
// ran an instruction are folded into one line to keep big meshes readable.
func (s Stats) WriteText(w io.Writer) {
	fmt.Fprintf(w, "tsarsim: %s mesh, %d cores/cluster, cache model %v: exit %d (%s)\n", s.Mesh, s.Cores, s.Cache, s.Status, s.Reason)
	fmt.Fprintf(w, "tsarsim: %d cycles, %d instructions, %.2fs host, %.1f M instr/s\n", s.Cycles, s.Instr, s.HostSecs, s.MIPS)
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "core\t(x,y).l\tinstr\tbusy cyc\tIPC\tloads\tstores\tI-miss\tD-miss\tuncached\tlocal acc\tremote acc\tavg hops\t")
	silent := 0
	for _, c := range s.PerCore {
		if c.Instr == 0 {
			silent++
			continue
		}
		busy := c.Cycles - c.Idle
		ipc := 0.0
		if busy > 0 {
			ipc = float64(c.Instr) / float64(busy)
		}
		var hops, tot uint64
		for d, v := range c.AccDist {
			hops += uint64(d) * v
			tot += v
		}
		avg := 0.0
		if tot > 0 {
			avg = float64(hops) / float64(tot)
		}
		fmt.Fprintf(tw, "%d\t(%d,%d).%d\t%d\t%d\t%.2f\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.2f\t\n", c.ID, c.X, c.Y, c.Local,
			c.Instr, busy, ipc, c.Loads, c.Stores, c.IMiss, c.DMiss, c.Uncached, c.Local0, c.Remote, avg)
	}
	tw.Flush()
	if silent > 0 {
		fmt.Fprintf(w, "(%d cores ran no instruction)\n", silent)
	}
	tw = tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "cluster\tinstr\tbusy cyc\tlocal acc\tremote acc\ttrans local\ttrans out\ttrans in\t")
	for _, c := range s.Clusters {
		if c.Instr == 0 && c.TrafficIn == 0 {
			continue
		}
		fmt.Fprintf(tw, "(%d,%d)\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", c.X, c.Y, c.Instr, c.Busy, c.Local, c.Remote, c.TrafficSelf, c.TrafficOut, c.TrafficIn)
	}
	tw.Flush()
}
