//go:build !race

package mm

const raceEnabled = false
