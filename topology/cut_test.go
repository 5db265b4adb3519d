package topology

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestComponentsFromLabels builds piece labels whose groups XOR to zero
// and checks that the elimination finds the groups.
func TestComponentsFromLabels(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, m := range []int{1, 2, 5, 17, maxLabelPieces} {
		for _, groups := range []int{1, 2, 7} {
			if groups > m {
				continue
			}
			t.Run(fmt.Sprintf("%d pieces in %d groups", m, groups), func(t *testing.T) {
				group := make([]int, m)
				for p := range group {
					group[p] = p % groups // every group gets a piece
				}
				r.Shuffle(m, func(i, j int) { group[i], group[j] = group[j], group[i] })
				vec := make([]uint64, m)
				last := map[int]int{}
				sum := map[int]uint64{}
				for p := range vec {
					vec[p] = r.Uint64()
					sum[group[p]] ^= vec[p]
					last[group[p]] = p
				}
				for g, p := range last {
					vec[p] ^= sum[g] // each group now XORs to zero
				}
				for name, run := range map[string]func(*cutter){"labels": (*cutter).labelComponents} {
					c := &cutter{tops: make([]int32, m), vec: vec}
					run(c)
					if c.nComp != groups {
						t.Errorf("%s: %d components, want %d", name, c.nComp, groups)
					}
					for p := range m {
						for q := range m {
							if (c.comp[p] == c.comp[q]) != (group[p] == group[q]) {
								t.Fatalf("%s: pieces %d and %d together = %v, want %v", name, p, q, c.comp[p] == c.comp[q], group[p] == group[q])
							}
						}
					}
				}
			})
		}
	}
}
