package phpsession

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// TestIntAt checks the builder's int reader against strconv on ints of
// every length from 1 to 19 digits, both signs, the int64 limits, and
// paddings after the ';' from none to more than a word.
func TestIntAt(t *testing.T) {
	ints := []int64{0, 1, 9, 10, 99, 100, math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1}
	for p, n := int64(1), 0; n < 19; p, n = p*10, n+1 {
		ints = append(ints, p, p-1, p+1, -p, -(p - 1), 9*p+(p-1)) // 9*p+(p-1) is n+1 nines
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 2000 {
		ints = append(ints, r.Int64()>>r.IntN(63), -(r.Int64() >> r.IntN(63)))
	}
	for _, want := range ints {
		text := strconv.FormatInt(want, 10)
		for pad := range 10 {
			src := "i:" + text + ";" + strings.Repeat(`"`, pad) // a byte below '0' after the ';'
			x, end := intAt(src, 2)
			if int64(x) != want || end != len(text)+3 {
				t.Fatalf("intAt(%q, 2) = %d, %d; want %d, %d", src, int64(x), end, want, len(text)+3)
			}
		}
	}
}
