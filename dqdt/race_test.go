//go:build race

package dqdt

// raceBuild is true under -race: the race detector makes every atomic
// operation tens of times slower, so the largest random-state cases run on
// fewer parameter sets there (the concurrent tests keep their full size).
const raceBuild = true
