//go:build race

package kernels

const ktRace = true
