//go:build !race

package dqdt

const raceBuild = false
