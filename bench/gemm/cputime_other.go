//go:build !linux

package main

// Without Linux's per-thread clock, CPU times fall back to wall time.
func threadCPU() float64  { return wall() }
func processCPU() float64 { return wall() }
