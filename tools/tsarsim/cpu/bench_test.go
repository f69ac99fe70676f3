package cpu

import (
	"fmt"
	"testing"

	. "almos/tools/tsarsim/internal/asm"
)

// BenchmarkLoop measures the interpreter alone on one core: an integer
// loop with a load and a store per iteration (8 instructions), with and
// without the cache model. The metric is simulated instructions per host
// second.
func BenchmarkLoop(b *testing.B) {
	for _, cache := range []bool{true, false} {
		b.Run(fmt.Sprintf("cache=%v", cache), func(b *testing.B) {
			m := newTM(&testing.T{}, 1, 1, 1, cache)
			m.load(codePA, []uint32{
				Lui(S0, 0x8001),
				Lw(T0, S0, 0),        // loop:
				Addiu(T1, T1, 3),     //
				Xor(T2, T0, T1),      //
				Sll(T3, T2, 2),       //
				Addu(T0, T0, T3),     //
				Sw(T0, S0, 4),        //
				Beq(ZERO, ZERO, -7),  //
				Andi(T4, T0, 0x3ffc), // delay slot
			})
			c := m.core[0]
			b.ResetTimer()
			const chunk = 1 << 20
			for i := 0; i < b.N; i++ {
				c.Run(c.Cnt.Cycles + chunk)
			}
			b.ReportMetric(float64(c.Cnt.Instr)/b.Elapsed().Seconds()/1e6, "Minstr/s")
		})
	}
}
