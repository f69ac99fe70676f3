//go:build race

package mm

// raceEnabled shortens the long-running tests under the race detector, which
// slows them by an order of magnitude.
const raceEnabled = true
